"""Which fixes can be review suggestions: those inside a pull request's diff hunks.

GitHub rejects a whole review when one comment lies outside the diff, so an edit becomes a
suggestion only when every line it replaces is a new-side line of a single hunk (added or
context). Everything else is shown as a patch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.edits import Edit

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class Hunk:
    """New-side lines `start`..`end` (1-based, inclusive) of one hunk."""

    start: int
    end: int

    def holds(self, edit: Edit) -> bool:
        return self.start <= edit.start and edit.end <= self.end


def hunks(patch: str) -> list[Hunk]:
    """The hunks of one file's patch (the `patch` field of GitHub's pull-request files)."""
    return file_hunks(patch, single=True).get("", [])


def file_hunks(diff: str, single: bool = False) -> dict[str, list[Hunk]]:
    """Hunks per new-side path of a multi-file `git diff` (deleted files are left out).

    Hunk bodies are consumed by their line counts, so an added line that reads `+++ x` or
    `diff --git` is never taken for a header.
    """
    result: dict[str, list[Hunk]] = {"": []} if single else {}
    current: list[Hunk] | None = result[""] if single else None
    old_left = new_left = 0
    for line in diff.splitlines():
        if old_left > 0 or new_left > 0:
            marker = line[:1]
            if marker in (" ", ""):
                old_left, new_left = old_left - 1, new_left - 1
            elif marker == "-":
                old_left -= 1
            elif marker == "+":
                new_left -= 1
            continue  # "\ No newline at end of file" and the like
        if not single and line.startswith("+++ "):
            target = line[4:].split("\t", 1)[0]
            current = None if target == "/dev/null" else result.setdefault(target.removeprefix("b/"), [])
            continue
        match = _HUNK.match(line)
        if match:
            old_left = int(match.group(1)) if match.group(1) is not None else 1
            start = int(match.group(2))
            new_left = int(match.group(3)) if match.group(3) is not None else 1
            if new_left and current is not None:
                current.append(Hunk(start, start + new_left - 1))
    return result


def split(edits: Iterable[Edit], file_hunks: list[Hunk]) -> tuple[list[Edit], list[Edit]]:
    """(suggestable, the rest): an edit is suggestable when one hunk holds all its lines."""
    inside: list[Edit] = []
    outside: list[Edit] = []
    for edit in edits:
        (inside if any(hunk.holds(edit) for hunk in file_hunks) else outside).append(edit)
    return inside, outside
