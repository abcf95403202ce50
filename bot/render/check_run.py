"""The "Arch parity" check run: conclusion, summary, annotations, and the patch for the rest."""

from __future__ import annotations

from typing import Any

from bot.core.analysis import Report
from bot.core.config import Policy
from bot.core.findings import ERROR, NOTE, WARNING
from bot.core.limits import CHECK_OUTPUT_MAX_CHARS
from bot.core.words import count as count_of
from bot.render.safe import fence

CHECK_NAME = "Arch parity"
_LEVEL = {ERROR: "failure", WARNING: "warning", NOTE: "notice"}


def errors(report: Report) -> int:
    return sum(1 for _, item in report.findings() if item.severity == ERROR)


def conclusion(report: Report, policy: Policy) -> str:
    """required: failure on any error finding; advisory: neutral; off: skipped."""
    if policy.mode == "off":
        return "skipped"
    if not errors(report):
        return "success"
    return "failure" if policy.mode == "required" else "neutral"


def title(report: Report, policy: Policy) -> str:
    if policy.mode == "off":
        return "Arch parity checks are off (mode: off)"
    count = errors(report)
    jobs = report.by_status()
    missing = jobs["amd64-only"] + jobs["partial"]
    if not count and missing:  # their gaps are warnings: no rule can read what they do
        return f"{count_of(missing, 'job')} without full arm64 coverage, as warnings"
    if not count:
        judged = sum(jobs.values())
        return "The judged job passes" if judged == 1 else f"All {count_of(judged, 'judged job')} pass"
    return f"{count_of(missing, 'job')} without full arm64 coverage, {count_of(count, 'error')}"


def annotations_for(report: Report) -> list[dict[str, Any]]:
    """One per finding with a line; `path` is the repository path of the workflow."""
    found: list[dict[str, Any]] = []
    for path, item in report.findings():
        line = item.line or 1
        found.append(
            {
                "path": path,
                "start_line": line,
                "end_line": line,
                "annotation_level": _LEVEL[item.severity],
                "title": item.rule,
                "message": item.message[:64_000],
            }
        )
    return found


def summary_of(rendered: str, suggested: int, unsuggested: int, notes: list[str]) -> str:
    """The summary around a report already rendered (by the worker process that judged it)."""
    parts = [rendered]
    if suggested or unsuggested:
        parts.append(
            f"**Fixes**: {suggested} suggested in the review"
            + (
                f", {unsuggested} in the patch below (outside this pull request's "
                "diff, or more than one review holds)"
                if unsuggested
                else ""
            )
            + "."
        )
    if notes:
        parts.append("**Notes**\n\n" + "\n".join(f"- {note}" for note in notes))
    return clip("\n\n".join(parts))


def patch_text(patches: list[str]) -> str | None:
    if not patches:
        return None
    return clip(
        "Fixes to apply by hand (outside the diff, or renaming checks: see the notes):"
        "\n\n" + fence("".join(patches), "diff") + "\n"
    )


def clip(text: str, limit: int = CHECK_OUTPUT_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    note = "\n\n… (truncated: GitHub allows 65,535 characters here)\n"
    return text[: limit - len(note)] + note
