"""`--format text`: findings as `file:line: severity: message`, then an aligned summary."""

from __future__ import annotations

from bot.core.analysis import Report
from bot.core.purpose import JUDGED_BY_DEFAULT, VERBS
from bot.core.verdicts import OTHER_ARCH, OTHER_PLATFORM

_WHY = {name: verb for name, verb in VERBS.items() if name not in JUDGED_BY_DEFAULT}
_WHY.update({OTHER_PLATFORM: "runs on no judged OS", OTHER_ARCH: "neither amd64 nor arm64"})


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
    not_judged = report.not_judged()
    if not_judged:
        rows.append(("not judged", str(sum(not_judged.values())), ""))
        for why, count in not_judged.items():
            rows.append((f"  {why}", str(count), _WHY.get(why, "")))
    rows.append(("violations", str(report.violations), ""))
    label_width = max(len(row[0]) for row in rows)
    count_width = max(len(row[1]) for row in rows)
    for label, count, extra in rows:
        lines.append(f"{label:<{label_width}}  {count:>{count_width}}  {extra}".rstrip())
    return "\n".join(lines) + "\n"
