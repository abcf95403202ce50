"""What `parity-bot check` cannot go below: Python's start, the imports every run pays, and
ruamel's composer on the same files (`YAML(typ="safe", pure=False).compose()`, as
`benchmarks/check.py`'s floor), each as a fresh process beside the actionlint binary and
parity-bot itself, with the ratio to actionlint measured in the same run.

The files are those `benchmarks/check.py` measures: the generated repository unless a folder
is given (`python -m benchmarks.floor FOLDER` or $PARITY_BENCH_WORKFLOWS); a folder without
workflow files stops it with one line and exit 1.

Run: `.venv/bin/python -m benchmarks.floor` (after `make bench` installed actionlint).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.check import COMPOSE, ENV, tools
from benchmarks.workflows import chosen

ROUNDS = 9


def main() -> None:
    folder, paths = chosen(sys.argv[1:])
    actionlint, parity = tools()
    files = [str(path.resolve()) for path in paths]
    python = str(Path(parity).with_name("python"))  # the bench venv's: no editable-install hook
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "+ from ruamel.yaml import YAML": [python, "-c", "from ruamel.yaml import YAML"],
        "floor: python + ruamel compose": [python, "-c", COMPOSE, *files],
        "parity-bot check": [parity, "check", "--format", "json", "--no-progress", *files],
        "actionlint (Go binary)": [actionlint, "-no-color", *files],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=ENV,
                cwd=folder.resolve(),
                check=False,
            )
            times[name].append(time.perf_counter() - start)
    reference = statistics.median(times["actionlint (Go binary)"])
    print(f"files                          {len(files)} in {folder}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:30} {median * 1000:7.1f} ms  {median / reference:5.2f}x actionlint")


if __name__ == "__main__":
    main()
