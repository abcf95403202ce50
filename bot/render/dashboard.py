"""The per-repository "Arch parity dashboard" issue, and reading its boxes back.

Rendered from a scan's stored `check` JSON (so an unchanged round renders the same body
without reading anything), the workflows `fix` can improve, and the open fix pull requests.
Found again by its hidden marker and edited in place (Renovate's Dependency Dashboard is
the model). A box is one line of a fixed form, so ticks are read back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core.words import count, noun
from bot.render.safe import code, text

MARKER = "<!-- parity-bot:dashboard -->"
TITLE = "Arch parity dashboard"
MAX_ROWS = 200  # jobs listed; an issue body holds 65,536 characters

# A path with a backtick or a line break gets a longer fence (see safe.code), so its box is
# shown but not read back: a crafted name cannot forge a second box.
_BOX = "- [{mark}] Open a pull request that adds the arm64 legs to {path}"
_BOX_LINE = re.compile(
    r"^- \[(?P<mark>[ xX])\] Open a pull request that adds the arm64 legs "
    r"to `(?P<path>[^`\n]+)`",
    re.MULTILINE,
)
_NOT_AT_PARITY = ("partial", "amd64-only", "arm64-only", "unknown")


def _matrix(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_matrix(v)}" for k, v in value.items()) or "–"
    return str(value)


def _where(path: str, line: object) -> str:
    return f"{path}:{line}"


def body(
    report: Mapping[str, Any],
    fixable: Mapping[str, list[str]],
    open_prs: Mapping[str, int],
    commit: str | None = None,
    waiting: list[str] | None = None,
) -> str:
    """The dashboard issue's body for one scan; `waiting` names arm64 legs no runner has
    picked up (the watchdog's sentences)."""
    summary = report.get("summary") or {}
    by_status = summary.get("by_status") or {}
    workflows = report.get("workflows") or []
    lines = [
        MARKER,
        "",
        f"**{summary.get('multi_arch_workflows', 0)} of {summary.get('workflows', 0)} "
        f"{noun(summary.get('workflows', 0), 'workflow')}** run on amd64 and arm64; "
        f"{count(summary.get('jobs', 0), 'job')}: "
        + ", ".join(f"{count} {status}" for status, count in by_status.items() if count)
        + (f" (default branch at `{commit[:7]}`)." if commit else "."),
        "",
    ]
    if waiting:
        lines += ["### Arm64 legs waiting for a runner", ""]
        lines += [f"- {text(sentence)}" for sentence in waiting[:50]]
        lines.append("")
    rows: list[str] = []
    for workflow in workflows:
        for job in workflow.get("jobs") or []:
            if job.get("status") not in _NOT_AT_PARITY:
                continue
            missing = "; ".join(_matrix(item.get("matrix")) for item in job.get("missing") or [])
            rows.append(
                f"| {code(workflow['path'], table=True)} | {code(job['id'], table=True)} | "
                f"{text(job['status'])} | {text(missing or job.get('reason') or '')} |"
            )
    if rows:
        lines += [
            "### Jobs not at parity",
            "",
            "| workflow | job | status | missing legs or why |",
            "| --- | --- | --- | --- |",
            *rows[:MAX_ROWS],
        ]
        if len(rows) > MAX_ROWS:
            lines.append(f"\n… and {len(rows) - MAX_ROWS} more (`parity-bot check` lists all).")
        lines.append("")
    else:
        lines += ["Every judged job is at parity.", ""]
    findings = [
        (workflow["path"], item)
        for workflow in workflows
        for job in workflow.get("jobs") or []
        for item in job.get("findings") or []
        if item.get("severity") == "error" and item.get("rule") != "missing-arm64-leg"
    ]
    if findings:
        lines += ["### Findings", ""]
        lines += [
            f"- {code(_where(path, item.get('line')))} {text(item.get('rule'))}: {text(item['message'])}"
            for path, item in findings[:50]
        ]
        lines.append("")
    not_judged = [
        (workflow["path"], job)
        for workflow in workflows
        for job in workflow.get("jobs") or []
        if job.get("status") == "not-applicable"
    ]
    if not_judged:
        lines += [
            f"<details><summary>{count(len(not_judged), 'job')} not judged (nothing in them "
            "depends on the CPU, or another platform)</summary>",
            "",
        ]
        lines += [
            f"- {code(path)} {code(job['id'])}: {text(job.get('purpose'))} – {text(job.get('reason') or '')}"
            for path, job in not_judged[:MAX_ROWS]
        ]
        lines += ["", "</details>", ""]
    if fixable or open_prs:
        lines += ["### Fix pull requests", ""]
        for path in sorted(set(fixable) | set(open_prs)):
            if path in open_prs:
                lines.append(f"- #{open_prs[path]} adds the arm64 legs to {code(path)}")
            else:
                jobs = ", ".join(code(job) for job in fixable[path])
                lines.append(_BOX.format(mark=" ", path=code(path)) + f" ({jobs})")
        lines += [
            "",
            "Tick a box to get the pull request (write access needed), or comment "
            "`/parity fix WORKFLOW` on this issue.",
            "",
        ]
    lines.append(
        "<sub>Edited in place by parity-bot after every scan. Close this issue to "
        "turn the dashboard off for this repository; reopen it to turn it back on."
        "</sub>"
    )
    return "\n".join(lines) + "\n"


def boxes(text: str) -> dict[str, bool]:
    """The dashboard's boxes: workflow path -> ticked."""
    return {match["path"]: match["mark"] != " " for match in _BOX_LINE.finditer(text or "")}


def newly_ticked(before: str, after: str) -> list[str]:
    """Workflows whose box an edit ticked."""
    old, new = boxes(before), boxes(after)
    return sorted(path for path, ticked in new.items() if ticked and not old.get(path, False))


def untick(text: str, paths: list[str]) -> str:
    """The body with the boxes of `paths` unticked (a reader's tick is reverted)."""

    def replace(match: re.Match[str]) -> str:
        if match["path"] in paths:
            return _BOX.format(mark=" ", path=f"`{match['path']}`")
        return match.group(0)

    return _BOX_LINE.sub(replace, text)
