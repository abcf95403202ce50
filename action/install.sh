#!/usr/bin/env bash
# Install parity-bot from the action's own checkout into a venv of its own, and tell the
# later steps where it is (through $GITHUB_ENV, as the runner does).
set -euo pipefail
venv="${RUNNER_TEMP:-/tmp}/parity-bot-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"
echo "PARITY_BOT=$venv/bin/parity-bot" >> "$GITHUB_ENV"
"$venv/bin/parity-bot" --version
