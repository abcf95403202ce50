"""The pull-request review: one ```suggestion per fix that lies inside the diff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.analysis import Report
from bot.core.config import Policy
from bot.core.delegates import Reader
from bot.core.edits import Edit, apply, unified_diff
from bot.core.fixes import LEGS_SUGGESTS, plan
from bot.core.hunks import hunks, split
from bot.core.limits import REVIEW_COMMENTS_MAX
from bot.core.words import count, verb
from bot.core.yamlnodes import decoded
from bot.render.safe import code, fence, text

MARKER = "<!-- parity-bot:suggestion -->"
REVIEW_MARKER = "<!-- parity-bot:review -->"


def comment(path: str, edit: Edit, job_id: str, reason: str, notes: Sequence[str] = ()) -> dict[str, Any]:
    """A suggestion; `notes` say what to check before committing it (steps that name x86_64)
    and every edit beyond the new legs (`fail-fast: false`, a widened comparison)."""
    checks = "".join(f"- {text(note)}\n" for note in notes)
    body = (
        f"{MARKER}\n**parity-bot**: job {code(job_id)} {text(reason)}.\n\n"
        + (f"Check before committing:\n{checks}\n" if checks else "")
        + fence(edit.text, "suggestion")
    )
    entry: dict[str, Any] = {"path": path, "line": edit.end, "side": "RIGHT", "body": body}
    if edit.start != edit.end:
        entry["start_line"] = edit.start
        entry["start_side"] = "RIGHT"
    return entry


def already_posted(entry: dict[str, Any], existing: list[dict[str, Any]]) -> bool:
    """The same suggestion on the same file, posted by us before (lines may have moved)."""
    return any(item.get("path") == entry["path"] and item.get("body") == entry["body"] for item in existing)


def body(posted: int, held_back: int, outside: int) -> str:
    lines = [
        REVIEW_MARKER,
        f"**parity-bot** suggests {count(posted, 'change')} that "
        f"{verb(posted, 'adds', 'add')} the missing arm64 legs.",
    ]
    if held_back:
        lines.append(
            f"{held_back} more suggestion{'s are' if held_back != 1 else ' is'} not "
            f"shown here (at most {REVIEW_COMMENTS_MAX} per review); see the "
            '"Arch parity" check run.'
        )
    if outside:
        lines.append(
            f"{outside} fix{'es lie' if outside != 1 else ' lies'} outside this pull "
            "request's diff: the check run shows them as a patch."
        )
    return "\n\n".join(lines)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One review comment and the edit it suggests (a patch when the review cannot hold it)."""

    path: str
    edit: Edit
    comment: dict[str, Any]


# Review comments for fixes inside the diff, patches for the rest, notes for the user, and
# the sources the edits apply to.
Suggestions = tuple[list[Suggestion], list[str], list[str], dict[str, str]]


def suggestions(
    contents: Mapping[str, bytes],
    patches: Mapping[str, str],
    policy: Policy,
    report: Report,
    today: date,
    read: Reader | None = None,
) -> Suggestions:
    """The fixes of the changed files (`patches`: each one's diff hunks, as GitHub lists them);
    `read` gives the repository's other files the judgement read."""
    texts = decoded(contents)
    found: list[Suggestion] = []
    outside_diff: list[str] = []
    notes: list[str] = []
    for item in plan(texts, policy, today, report, read=read):
        if item.path not in patches:
            continue
        for job in item.jobs:
            where = f"{code(f'{item.path}:{job.line}')} {code(job.job_id)}"
            notes.extend(f"{where}: {text(note)}" for note in job.notes)
            if not job.fixed:
                notes.append(f"{where} is not fixed automatically: {text(job.reason)}")
            if job.patch:
                outside_diff.append(job.patch)
        inside, outside = split(item.edits, hunks(patches[item.path]))
        owners = {edit: job for job in item.jobs for edit in job.edits}
        for edit in inside:
            owner = owners.get(edit)
            found.append(
                Suggestion(
                    item.path,
                    edit,
                    comment(
                        item.path,
                        edit,
                        owner.job_id if owner else "?",
                        owner.suggests if owner else LEGS_SUGGESTS,
                        owner.notes if owner else (),
                    ),
                )
            )
        if outside:
            outside_diff.append(unified_diff(item.path, item.source, apply(item.source, outside)))
    return found, outside_diff, notes, texts
