#!/usr/bin/env bash
# Install parity-bot (check, fix, report: not the App's dependencies) from the action's own
# checkout into a venv of its own, and tell the later steps where it is (through
# $GITHUB_ENV, as the runner does).
#
#   install.sh --key   write the venv's path and a cache key to $GITHUB_OUTPUT: the key
#                      names the runner, the interpreter and a digest of the package's
#                      sources, so a cached venv is never a stale one
#   install.sh         install into that venv, unless a restored cache already holds it
#
# PARITY_PYTHON is the interpreter (the action's setup-python step gives 3.11 or newer
# whatever the runner has); python3 when unset.
set -euo pipefail
python="${PARITY_PYTHON:-python3}"
venv="${RUNNER_TEMP:-/tmp}/parity-bot-venv"

if [ "${1:-}" = "--key" ]; then
  key="$("$python" - "$GITHUB_ACTION_PATH" <<'PY'
import hashlib, platform, sys
from pathlib import Path

root = Path(sys.argv[1])
digest = hashlib.sha256()
for path in sorted([root / "pyproject.toml", *(root / "bot").rglob("*")]):
    if path.is_file() and path.suffix != ".pyc":
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
version = "%d.%d.%d" % sys.version_info[:3]
print(f"parity-bot-{platform.system()}-{platform.machine()}-py{version}-{digest.hexdigest()[:20]}")
PY
)"
  {
    echo "venv=$venv"
    echo "key=$key"
  } >> "$GITHUB_OUTPUT"
  exit 0
fi

if "$venv/bin/parity-bot" --version > /dev/null 2>&1; then
  echo "parity-bot restored from the cache"
else
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"
fi
echo "PARITY_BOT=$venv/bin/parity-bot" >> "$GITHUB_ENV"
"$venv/bin/parity-bot" --version
