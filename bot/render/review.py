"""The pull-request review: one ```suggestion per fix that lies inside the diff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.edits import Edit
from bot.core.limits import REVIEW_COMMENTS_MAX
from bot.core.words import count, verb

MARKER = "<!-- parity-bot:suggestion -->"
REVIEW_MARKER = "<!-- parity-bot:review -->"


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return fence


def comment(path: str, edit: Edit, job_id: str, reason: str, notes: Sequence[str] = ()) -> dict[str, Any]:
    """A suggestion; `notes` say what to check before committing it (steps that name x86_64,
    steps that will not run on the arm64 legs)."""
    fence = _fence(edit.text)
    checks = "".join(f"- {note}\n" for note in notes)
    body = (
        f"{MARKER}\n**parity-bot**: job `{job_id}` {reason}.\n\n"
        + (f"Check before committing:\n{checks}\n" if checks else "")
        + f"{fence}suggestion\n{edit.text}{fence}"
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
