"""Where an organisation stands: its repositories' latest scans, totals first, with the
change since an earlier round. One model, three forms (markdown for the report issue and
people, JSON and CSV for machines); the JSON and CSV columns are documented in the README.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from bot.core.scans import Change, RepoScan, Totals, changes, totals
from bot.core.verdicts import STATUSES
from bot.core.words import count
from bot.render.safe import code, text

MARKER = "<!-- parity-bot:org-report -->"
TITLE = "Arch parity across the organisation"
FORMATS = ("markdown", "json", "csv")

# The statuses a column is worth: the rest are folded into the JSON/CSV only.
_SHOWN = ("parity", "partial", "amd64-only", "unknown", "not-applicable")


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _signed(value: int | None) -> str:
    if value is None or value == 0:
        return ""
    return f" ({value:+d})"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _totals_line(now: Totals, before: Totals | None) -> str:
    def delta(name: str) -> str:
        if before is None:
            return ""
        return _signed(now.by_status.get(name, 0) - before.by_status.get(name, 0))

    multi = _signed(now.multi_arch - before.multi_arch) if before else ""
    skipped = ", ".join(f"{count} {state}" for state, count in sorted(now.skipped.items()))
    return (
        f"**{count(now.judged, 'repository', 'repositories')}** judged"
        f"{f' ({skipped} skipped)' if skipped else ''}: "
        f"{count(now.workflows, 'workflow')}, **{now.multi_arch} multi-arch{multi}** "
        f"({_share(now.multi_arch, now.workflows)}); {count(now.jobs, 'job')}: "
        + ", ".join(f"{now.by_status.get(name, 0)} {name}{delta(name)}" for name in _SHOWN)
    )


def markdown(
    latest: list[RepoScan],
    previous: list[RepoScan],
    since: float | None = None,
    account: str | None = None,
    left_out: int = 0,
) -> str:
    """The org report: totals, then one row per repository (skipped ones listed last);
    `left_out` private repositories were kept out of it (a report anyone can read)."""
    now, before = totals(latest), (totals(previous) if previous else None)
    rows = changes(latest, previous)
    title = f"{TITLE}{f' ({text(account)})' if account else ''}"
    lines = [MARKER, f"## {title}", "", _totals_line(now, before), ""]
    if left_out:
        lines += [
            f"{count(left_out, 'private repository', 'private repositories')} left out: "
            "this report's repository is not private.",
            "",
        ]
    if since is not None:
        lines += [f"Changes are since {_when(since)}.", ""]
    judged = [row for row in rows if row.now.judged]
    if judged:
        lines += [
            "| repository | workflows | multi-arch | " + " | ".join(_SHOWN) + " |",
            "| --- | ---: | ---: | " + " | ".join("---:" for _ in _SHOWN) + " |",
        ]
        lines += [_row(change) for change in judged]
        lines.append("")
    others = [row.now for row in rows if not row.now.judged]
    if others:
        lines.append(
            "Not scanned: "
            + ", ".join(
                f"{code(row.repo)} ({text(row.state)}{': ' + text(row.error) if row.error else ''})"
                for row in others
            )
        )
        lines.append("")
    stamp = max((row.scanned_at for row in latest), default=None)
    if stamp is not None:
        lines.append(
            f"<sub>Latest scan {_when(stamp)}. Edited in place by parity-bot after every scan round.</sub>"
        )
    return "\n".join(lines) + "\n"


def _row(change: Change) -> str:
    row = change.now
    cells = [
        code(row.repo, table=True),
        str(row.workflows),
        f"{row.multi_arch} ({_share(row.multi_arch, row.workflows)}){_signed(change.multi_arch_delta)}",
    ]
    cells += [f"{row.by_status.get(name, 0)}{_signed(change.delta(name))}" for name in _SHOWN]
    return "| " + " | ".join(cells) + " |"


def as_json(latest: list[RepoScan], previous: list[RepoScan]) -> str:
    """Version 1: `totals`, `previous_totals` (null without a comparison) and `repositories`,
    each a scan row with `change` (status -> difference, null when not comparable)."""
    repositories: list[dict[str, Any]] = []
    for change in changes(latest, previous):
        item = change.now.as_json()
        item["change"] = (
            None
            if change.delta(STATUSES[0]) is None
            else {name: change.delta(name) for name in STATUSES}
            | {"multi_arch_workflows": change.multi_arch_delta}
        )
        repositories.append(item)
    data = {
        "version": 1,
        "totals": totals(latest).as_json(),
        "previous_totals": totals(previous).as_json() if previous else None,
        "repositories": repositories,
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


CSV_COLUMNS = (
    "repository",
    "state",
    "scanned_at",
    "commit",
    "workflows",
    "multi_arch_workflows",
    "jobs",
    *STATUSES,
)


def as_csv(latest: list[RepoScan]) -> str:
    """One row per repository; `scanned_at` in ISO 8601 UTC; statuses as counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in sorted(latest, key=lambda r: r.repo):
        writer.writerow(
            [
                row.repo,
                row.state,
                datetime.fromtimestamp(row.scanned_at, UTC).isoformat(timespec="seconds"),
                row.commit or "",
                row.workflows,
                row.multi_arch,
                row.jobs,
                *(row.by_status.get(name, 0) for name in STATUSES),
            ]
        )
    return buffer.getvalue()


def render(
    form: str,
    latest: list[RepoScan],
    previous: list[RepoScan],
    since: float | None = None,
    account: str | None = None,
) -> str:
    if form == "json":
        return as_json(latest, previous)
    if form == "csv":
        return as_csv(latest)
    return markdown(latest, previous, since, account)
