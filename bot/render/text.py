"""`--format text`: findings as `file:line: severity: message`, then an aligned summary."""

from __future__ import annotations

from bot.core.analysis import Report


def render(report: Report) -> str:
    lines: list[str] = []
    for path, item in report.findings():
        where = f"{path}:{item.line}" if item.line else path
        lines.append(f"{where}: {item.severity}: {item.message} [{item.rule}]")
    if lines:
        lines.append("")
    summary = report.summary()
    rows: list[tuple[str, str, str]] = []
    total = summary["workflows"]
    multi = summary["multi_arch_workflows"]
    share = f"{100 * multi / total:.0f}%" if total else "-"
    rows.append(("workflows", str(total), ""))
    rows.append(("  multi-arch", str(multi), share))
    rows.append(("jobs", str(summary["jobs"]), ""))
    for status, count in summary["by_status"].items():
        if count:
            rows.append((f"  {status}", str(count), ""))
    rows.append(("violations", str(report.violations), ""))
    label_width = max(len(row[0]) for row in rows)
    count_width = max(len(row[1]) for row in rows)
    for label, count, extra in rows:
        lines.append(f"{label:<{label_width}}  {count:>{count_width}}  {extra}".rstrip())
    return "\n".join(lines) + "\n"
