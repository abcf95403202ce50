"""A fix pull request's title, body and commit message: which jobs gain which legs, what
was refused and why, and the notes a reviewer must check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.fixes import FilePlan
from bot.render.safe import code, text

MARKER = "<!-- parity-bot:fix -->"
BASE_TRAILER = "Parity-Bot-Base"  # names the default-branch commit the fix was made on


def _legs(job: Mapping[str, Any]) -> str:
    shown = []
    for leg in job.get("missing") or []:
        matrix = leg.get("matrix") or {}
        values = ", ".join(f"{k}={v}" for k, v in matrix.items()) if isinstance(matrix, dict) else ""
        shown.append(f"{leg.get('os', 'linux')}/arm64" + (f" ({values})" if values else ""))
    return text("; ".join(shown) or "arm64")


def title(path: str) -> str:
    return f"Run {path.rsplit('/', 1)[-1]} on arm64 as well as amd64"


def commit_message(path: str, base: str) -> str:
    return f"{title(path)}\n\nMade by parity-bot fix.\n\n{BASE_TRAILER}: {base}\n"


def body(item: FilePlan, report: Mapping[str, Any] | None) -> str:
    """What the pull request changes, from the fix plan and the scan's `check` JSON."""
    jobs = {
        str(job["id"]): job
        for workflow in (report or {}).get("workflows") or []
        if workflow.get("path") == item.path
        for job in workflow.get("jobs") or []
    }
    fixed = [job for job in item.jobs if job.fixed]
    refused = [job for job in item.jobs if not job.fixed]
    lines = [
        MARKER,
        f"This adds the missing arm64 legs to {code(item.path)}: exactly the edits "
        "`parity-bot fix` makes, comments and everything that already runs left as they "
        "are.",
        "",
        "| job | gains |",
        "| --- | --- |",
    ]
    lines += [
        f"| {code(job.job_id, table=True)} (line {job.line}) | {_legs(jobs.get(job.job_id, {}))} |"
        for job in fixed
    ]
    if refused:
        lines += ["", "Not changed:", ""]
        lines += [f"- {code(job.job_id)} (line {job.line}): {text(job.reason)}" for job in refused]
    notes = [(job.job_id, note) for job in item.jobs for note in job.notes]
    if notes:
        lines += ["", "**Check before merging:**", ""]
        lines += [f"- {code(job_id)}: {text(note)}" for job_id, note in notes]
    lines += [
        "",
        "<sub>parity-bot keeps this branch on top of the default branch until "
        "someone else pushes to it, and closes this pull request if the workflow "
        "reaches parity another way.</sub>",
    ]
    return "\n".join(lines) + "\n"
