#!/usr/bin/env bash
# The Action's check step: annotations, the step summary, SARIF when asked, and the exit
# status that `fail-on` asks for. Inputs come as INPUT_* environment variables.
set -uo pipefail
bot="${PARITY_BOT:-parity-bot}"
fail_on="${INPUT_FAIL_ON:-error}"
case "$fail_on" in
  error|warning|never) ;;
  *) echo "::error::fail-on must be error, warning or never, not '$fail_on'"; exit 2 ;;
esac
read -r -a paths <<< "${INPUT_PATH:-.}"
options=(--no-progress)
if [ -n "${INPUT_CONFIG:-}" ]; then
  options+=(--config "$INPUT_CONFIG")
fi

# 0 or 1 (findings) are answers; 2 is an error that must fail the step whatever fail-on says.
run() {
  "$bot" check "${options[@]}" "$@" "${paths[@]}"
  local status=$?
  if [ "$status" -gt 1 ]; then
    exit "$status"
  fi
  return 0
}

run --format github --fail-on never
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  run --format markdown --fail-on never >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  run --format sarif --fail-on never > "$INPUT_SARIF_FILE"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "sarif-file=${INPUT_SARIF_FILE:-}" >> "$GITHUB_OUTPUT"
fi
"$bot" check "${options[@]}" --format json --fail-on "$fail_on" "${paths[@]}" > /dev/null
