"""Fixes as data: line-range replacements, and the one engine that applies them.

An `Edit` replaces whole lines, because that is what a review suggestion can do and what a
person reads in a diff. Every fix is built with an `Editor` over the file's original text
and comes out as a few `Edit`s; `apply` is the only code that changes a file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """Replace lines `start`..`end` (1-based, inclusive) with `text` (whole lines)."""

    start: int
    end: int
    text: str

    @property
    def size(self) -> int:
        """Lines removed plus lines added: how big the change looks in a diff."""
        return (self.end - self.start + 1) + self.text.count("\n")


class EditConflict(Exception):
    """Two changes to the same place in a file."""


def apply(source: str, edits: Iterable[Edit]) -> str:
    lines = source.splitlines(keepends=True)
    ordered = sorted(edits, key=lambda edit: edit.start)
    out: list[str] = []
    position = 1
    for edit in ordered:
        if edit.start < position or edit.end < edit.start or edit.end > len(lines):
            raise EditConflict(f"edit of lines {edit.start}-{edit.end} overlaps or is out of range")
        out.extend(lines[position - 1 : edit.start - 1])
        text = edit.text
        if edit.end == len(lines) and not lines[-1].endswith("\n") and text.endswith("\n"):
            text = text[:-1]  # the file had no final newline; don't add one
        out.append(text)
        position = edit.end + 1
    out.extend(lines[position - 1 :])
    return "".join(out)


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """A `git diff`-style patch of one file (empty when nothing changed).

    difflib's own `unified_diff` treats frequent lines (blank ones) as junk in files over 200
    lines and then shows untouched lines as changed; this one matches every line.
    """
    if before == after:
        return ""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    relative = not path.startswith("/")
    out = [f"--- {'a/' * relative}{path}\n", f"+++ {'b/' * relative}{path}\n"]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [" " + line for line in old[a1:a2]]
                continue
            out += ["-" + line for line in old[a1:a2]]
            out += ["+" + line for line in new[b1:b2]]
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return f"{first},{length}" if length != 1 else f"{first}"


class Editor:
    """Collects changes to one file in its original coordinates; `edits()` gives the result.

    A line can be rewritten once, removed, and have lines inserted after it; changes to
    neighbouring lines come out as one `Edit`.
    """

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self._heads: dict[int, str | None] = {}
        self._after: dict[int, list[str]] = {}

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def indent_of(self, number: int) -> int:
        text = self.line(number)
        return len(text) - len(text.lstrip(" "))

    def rewrite(self, number: int, text: str) -> None:
        """Replace line `number` (text without its newline)."""
        if number in self._heads:
            raise EditConflict(f"line {number} is changed twice")
        ending = "\n" if self.line(number).endswith("\n") or number in self._after else ""
        self._heads[number] = text + ending

    def replace_span(self, number: int, start_col: int, end_col: int, text: str) -> None:
        """Replace columns `start_col`..`end_col` (1-based, end exclusive) of a line."""
        line = self.line(number).rstrip("\n")
        self.rewrite(number, line[: start_col - 1] + text + line[end_col - 1 :])

    def remove(self, first: int, last: int) -> None:
        for number in range(first, last + 1):
            if number in self._heads:
                raise EditConflict(f"line {number} is changed twice")
            self._heads[number] = None

    def insert_after(self, number: int, lines: Iterable[str]) -> None:
        block = self._after.setdefault(number, [])
        block.extend(line + "\n" for line in lines)
        head = self._heads.get(number)
        if head is not None and not head.endswith("\n"):
            self._heads[number] = head + "\n"

    def edits(self) -> list[Edit]:
        changed = sorted(set(self._heads) | set(self._after))
        result: list[Edit] = []
        for number in changed:
            original = self.line(number)
            if number in self._after and not original.endswith("\n"):
                original += "\n"
            head = self._heads.get(number, original)
            text = (head or "") + "".join(self._after.get(number, []))
            if result and result[-1].end == number - 1:
                last = result[-1]
                result[-1] = Edit(last.start, number, last.text + text)
            else:
                result.append(Edit(number, number, text))
        return result
