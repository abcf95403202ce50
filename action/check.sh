#!/usr/bin/env bash
# The Action's check step: one analysis, written as annotations (stdout), the step summary
# and SARIF when asked, with the exit status `fail-on` asks for. Inputs come as INPUT_*
# environment variables.
set -uo pipefail
bot="${PARITY_BOT:-parity-bot}"
fail_on="${INPUT_FAIL_ON:-error}"
case "$fail_on" in
  error|warning|never) ;;
  *) echo "::error::fail-on must be error, warning or never, not '$fail_on'"; exit 2 ;;
esac
read -r -a paths <<< "${INPUT_PATH:-.}"
options=(--no-progress --format github --fail-on "$fail_on")
if [ -n "${INPUT_CONFIG:-}" ]; then
  options+=(--config "$INPUT_CONFIG")
fi
summary=""
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  # Written apart, then appended: the summary file may already hold earlier steps' text.
  summary="$(mktemp "${RUNNER_TEMP:-/tmp}/parity-summary.XXXXXX")"
  options+=(--output "markdown=$summary")
fi
if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  options+=(--output "sarif=$INPUT_SARIF_FILE")
fi

"$bot" check "${options[@]}" "${paths[@]}"
status=$?
if [ -n "$summary" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
  rm -f "$summary"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "sarif-file=${INPUT_SARIF_FILE:-}" >> "$GITHUB_OUTPUT"
fi
exit "$status"
