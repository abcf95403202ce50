"""`--format markdown`: the summary the check run shows (GitHub-flavoured tables)."""

from __future__ import annotations

from bot.core.analysis import Report
from bot.core.words import count
from bot.render.safe import code, text

_ICON = {
    "parity": "✅",
    "partial": "🟡",
    "amd64-only": "❌",
    "arm64-only": "🟣",
    "unknown": "❔",
    "ignored": "➖",
    "not-applicable": "➖",
}


def render(report: Report) -> str:
    summary = report.summary()
    out = ["## Arch parity", ""]
    counts = ", ".join(f"{count} {status}" for status, count in summary["by_status"].items() if count)
    out.append(
        f"{count(summary['workflows'], 'workflow')} ({summary['multi_arch_workflows']} "
        f"multi-arch), {count(summary['jobs'], 'job')}: {counts or 'none'}."
    )
    out.append("")
    for workflow in report.workflows:
        if workflow.error:
            line = workflow.error["line"]
            out.append(
                f"**{text(workflow.path)}**: cannot be read"
                f"{f' (line {line})' if line else ''}: {text(workflow.error['message'])}"
            )
            out.append("")
            continue
        if not workflow.jobs:
            continue
        out.append(f"**{text(workflow.path)}**")
        out.append("")
        out.append("| job | status | detail |")
        out.append("| --- | --- | --- |")
        for job in workflow.jobs:
            icon = _ICON.get(job.status, "")
            out.append(
                f"| {code(job.job.id, table=True)} | {icon} {job.status} | {text(job.verdict.reason or '')} |"
            )
        out.append("")
    return "\n".join(out)
