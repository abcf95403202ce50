"""Byte-identity guard for speed work: `parity-bot check --format json` on every folder of the
team's corpus (and each flat file of `real` and `labelled/files` on its own), saved once from
the code before a change and compared after it. Any difference in stdout, stderr or exit
status is a changed verdict or message, which a speed change must never make.

Also checks one repository with a `.github/parity.yml` (a valid one and an invalid one), so
the config's validation is covered by the same guard, and the benchmark's generated
repository (`benchmarks/workflows.py`).

Run: `python -m benchmarks.json_identity save DIR` on the old code, then
`python -m benchmarks.json_identity compare DIR` after each change (default DIR
/tmp/perf-baseline; corpus: $PARITY_CORPUS or ../shared/corpus).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PARITY_CORPUS", ROOT.parent / "shared" / "corpus"))
FOLDERS = (
    "ipfs_kit_py/before",
    "ipfs_kit_py/after",
    "ipfs_kit_py/optional",
    "ipfs_kit_py/latest",
    "real",
    "labelled/files",
    "labelled/files/valkey-io+valkey",
)
FLAT = ("real", "labelled/files")  # each file of these on its own as well

VALID_CONFIG = """\
mode: required
runners:
  self-hosted-big: amd64
ignore:
  - job: docs
"""
INVALID_CONFIG = """\
mode: sometimes
runners: [1, 2]
unknown_key: true
"""


def _targets() -> list[str]:
    """Paths relative to the corpus root: outputs then name files the same way everywhere."""
    targets = [folder for folder in FOLDERS if (CORPUS / folder).is_dir()]
    for folder in FLAT:
        for path in sorted((CORPUS / folder).iterdir()):
            if path.is_file() and path.suffix in (".yml", ".yaml"):
                targets.append(path.relative_to(CORPUS).as_posix())
    return targets


def _run(args: list[str], cwd: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--format", "json", "--no-progress", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {"code": result.returncode, "stdout": result.stdout, "stderr": result.stderr}


def _configured(scratch: Path) -> dict[str, dict[str, object]]:
    """A repository (latest's workflows) with a valid, then an invalid, parity.yml."""
    outputs: dict[str, dict[str, object]] = {}
    source = CORPUS / "ipfs_kit_py" / "latest"
    if not source.is_dir():
        return outputs
    for name, config in (("config-valid", VALID_CONFIG), ("config-invalid", INVALID_CONFIG)):
        repo = scratch / name
        shutil.copytree(source, repo / ".github" / "workflows")
        (repo / ".github" / "parity.yml").write_text(config, encoding="utf-8")
        outputs[name] = _run([name], scratch)
    return outputs


def outputs() -> dict[str, dict[str, object]]:
    found = {target: _run([target], CORPUS) for target in _targets()}
    with tempfile.TemporaryDirectory() as scratch:
        found.update(_configured(Path(scratch)))
        # The benchmark's generated repository (the same bytes every time).
        from benchmarks.workflows import generate

        generate(Path(scratch) / "generated")
        found["generated"] = _run(["generated"], Path(scratch))
    return found


def main() -> int:
    action = sys.argv[1] if len(sys.argv) > 1 else "compare"
    folder = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/perf-baseline")
    if action not in ("save", "compare"):
        sys.exit("usage: json_identity.py save|compare [DIR]")
    current = outputs()
    saved = folder / "outputs.json"
    if action == "save":
        folder.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(current, indent=1, sort_keys=True), encoding="utf-8")
        print(f"saved {len(current)} outputs to {saved}")
        return 0
    baseline = json.loads(saved.read_text(encoding="utf-8"))
    names = baseline.keys() | current.keys()
    differ = sorted(name for name in names if baseline.get(name) != current.get(name))
    for name in differ:
        print(f"DIFFERS: {name}")
    print(f"{len(baseline)} outputs compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
