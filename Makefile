.PHONY: demo test bench soak

.venv/bin/parity-bot: pyproject.toml
	python3 -m venv .venv
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The main job: judge a real repository's workflows (the ipfs_kit_py "optional" state).
demo: .venv/bin/parity-bot
	.venv/bin/parity-bot check ../shared/corpus/ipfs_kit_py/optional || test $$? -eq 1

test:
	bash .ci/run

bench: .venv/bin/parity-bot
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	.venv/bin/python benchmarks/check.py

# Replicas on one PostgreSQL and one SQLite, duplicated deliveries, a failing GitHub, a
# SIGKILL: every effect exactly once (about three minutes; PostgreSQL must be running).
soak: .venv/bin/parity-bot
	.venv/bin/python benchmarks/soak.py
