.PHONY: demo test bench soak python-check regexcode

# The interpreter .venv is made with: parity-bot needs 3.11 or newer (make PYTHON=python3.12 demo).
PYTHON ?= python3
export PYTHON

# Stops make with one line before anything is installed when the interpreter is too old.
python-check:
	$(eval PYTHON_PROBLEM := $(shell bash .ci/python-check '$(PYTHON)'))
	$(if $(PYTHON_PROBLEM),$(error $(PYTHON_PROBLEM)))

.venv/bin/parity-bot: pyproject.toml | python-check
	$(PYTHON) -m venv .venv
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The main job: judge the example workflows that ship here (exit 1: they show violations).
demo: python-check .venv/bin/parity-bot
	.venv/bin/parity-bot check examples || test $$? -eq 1

test: python-check
	bash .ci/run

# check beside its floor (Python + ruamel's compose of the same files) and the actionlint
# binary, on all files and on one, on the workflows benchmarks/workflows.py writes into build/
# and on ../shared/corpus/ipfs_kit_py/latest when present, or only on the folder BENCH_FOLDER
# names (make bench BENCH_FOLDER=…).
BENCH_FOLDER ?=
bench: .venv/bin/parity-bot
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	.venv/bin/python benchmarks/check.py $(BENCH_FOLDER)

# Replicas on one PostgreSQL and one SQLite, duplicated deliveries, a failing GitHub, a
# SIGKILL: every effect exactly once (about three minutes; PostgreSQL must be running).
soak: .venv/bin/parity-bot
	.venv/bin/python benchmarks/soak.py

# The matcher code and prefilter words of every pattern the core declares, compiled ahead of
# time (bot/core/regexcode.py, regexwords.py), for each CPython 3.11+ found on PATH or in
# pyenv: run after changing a pattern. The core needs nothing but the standard library.
regexcode: .venv/bin/parity-bot
	.venv/bin/python -m bot.core.regexgen
	for python in $$(ls -d $$HOME/.pyenv/versions/3.1[1-9]*/bin/python3 2>/dev/null) \
	    $$(command -v python3.11 python3.12 python3.13 python3.14 2>/dev/null); do \
	  PYTHONPATH=. "$$python" -m bot.core.regexgen || exit 1; done
