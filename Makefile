.PHONY: demo test bench soak

.venv/bin/parity-bot: pyproject.toml
	python3 -m venv .venv
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The main job: judge the example workflows that ship here (exit 1: they show violations).
demo: .venv/bin/parity-bot
	.venv/bin/parity-bot check examples || test $$? -eq 1

test:
	bash .ci/run

bench: .venv/bin/parity-bot
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	.venv/bin/python benchmarks/check.py

# Replicas on one PostgreSQL and one SQLite, duplicated deliveries, a failing GitHub, a
# SIGKILL: every effect exactly once (about three minutes; PostgreSQL must be running).
soak: .venv/bin/parity-bot
	.venv/bin/python benchmarks/soak.py
