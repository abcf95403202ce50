"""What `parity-bot check` cannot go below: Python's start, the imports every run pays, and
ruamel's C composer on the same 54 files, each as a fresh process beside actionlint and
parity-bot itself, with the ratio to actionlint measured in the same run.

Run: `.venv/bin/python -m benchmarks.floor` (after `make bench` installed actionlint).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.check import ENV, FILES, tools

ROUNDS = 9
COMPOSE = """\
import sys
import ruamel.yaml.cyaml as cyaml
for path in sys.argv[1:]:
    parser = cyaml.CParser(open(path, encoding="utf-8").read())
    try:
        parser.get_single_node()
    except Exception:
        pass
    parser.dispose()
"""


def main() -> None:
    actionlint, parity = tools()
    files = [str(path) for path in FILES]
    python = str(Path(parity).with_name("python"))  # the bench venv's: no editable-install hook
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "+ stdlib and ruamel imports": [
            python,
            "-c",
            "import ruamel.yaml.cyaml, dataclasses, re, argparse, json, pathlib, datetime",
        ],
        "python + ruamel compose": [python, "-c", COMPOSE, *files],
        "parity-bot check": [parity, "check", "--format", "json", "--no-progress", *files],
        "actionlint": [actionlint, "-no-color", *files],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False)
            times[name].append(time.perf_counter() - start)
    reference = statistics.median(times["actionlint"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:30} {median * 1000:7.1f} ms  {median / reference:5.2f}x actionlint")


if __name__ == "__main__":
    main()
