"""What `parity-bot fix` tells a person: what it fixed, what it could not, and why."""

from __future__ import annotations

from bot.core.fixes import FilePlan, JobFix
from bot.core.words import count


def summary(plans: list[FilePlan], written: bool) -> str:
    changed = [item for item in plans if item.fixed_source != item.source]
    fixed = sum(1 for item in plans for job in item.jobs if job.fixed)
    unfixed = [(item.path, job) for item in plans for job in item.unfixed]
    notes = [(item.path, job, note) for item in plans for job in item.jobs for note in job.notes]
    added = removed = 0
    for item in changed:
        for edit in item.edits:
            removed += edit.end - edit.start + 1
            added += edit.text.count("\n")
    verb = "fixed" if written else "would fix"
    lines = [
        f"{verb} {count(fixed, 'job')} in {count(len(changed), 'file')} "
        f"(-{removed} +{added} lines); {len(unfixed)} left unfixed"
    ]
    rows = [(f"{path}:{job.line}", job.job_id, job.reason) for path, job in unfixed]
    if rows:
        lines.append("unfixed:")
        lines += _table(rows)
    if notes:
        lines.append("notes:")
        lines += _grouped_notes(notes)
    patches = [job.patch for item in plans for job in item.jobs if job.patch]
    if patches:
        lines.append("patches that rename checks (apply by hand, then update branch protection):")
        lines.append("".join(patches).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _grouped_notes(notes: list[tuple[str, JobFix, str]]) -> list[str]:
    """One line per distinct note, with where it applies (the first place and a count)."""
    places: dict[str, list[str]] = {}
    for path, job, note in notes:
        places.setdefault(note, []).append(f"{path}:{job.line}")
    out = []
    for note, where in places.items():
        more = f" (and {len(where) - 1} more)" if len(where) > 1 else ""
        out.append(f"  {where[0]}{more}: {note}")
    return out


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    where = max(len(row[0]) for row in rows)
    job = max(len(row[1]) for row in rows)
    return [f"  {a:<{where}}  {b:<{job}}  {c}" for a, b, c in rows]
