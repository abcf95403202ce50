"""Catch2's console reporter (v2 and v3): which test cases failed.

Catch2 prints nothing for a passing test case. For a test case with a failed assertion
it prints a header, then one block per assertion:

    -------------------------------------------------------------------------------
    vectors can be sized
      resizing bigger
    -------------------------------------------------------------------------------
    t.cpp:11
    ...............................................................................

    t.cpp:13: FAILED:
      CHECK( v.size() == 11 )
    with expansion:
      10 == 11

The header's unindented lines are the test case's name, wrapped at 79 columns (a long name
goes on over several lines, joined here with spaces); the indented lines under it are the
sections. A header is also printed for a v3 `SKIP()` (`SKIPPED:` instead of `FAILED:`)
and for warnings, so a header counts only when its block has a `FAILED:` line. A crash
inside a test case is reported in the same way (`due to a fatal error condition:`). The
run ends with `test cases: 6 | 1 passed | 5 failed` or `All tests passed (…)`.

A test case is named as written in `TEST_CASE("…")`: what `./tests "name"` takes (a name
holding `,` or `[` needs those escaped with `\\` on the command line; the name is kept as
printed).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_RULE = lazy(r"-{40,}\s*$")
_DOTS = lazy(r"\.{40,}\s*$")
_EQUALS = lazy(r"={40,}\s*$")
_TOTALS = lazy(r"test cases:\s+\d+ \|")
_ALL_PASSED = lazy(r"All tests passed \(\d+ assertions? in \d+ test cases?\)")
_HOST = lazy(r".+ is a Catch2? v\d+\.\d+")

_HEADER_LINES = 12  # name and section lines a header may have: more is not a header


def _header(lines: Sequence[str], i: int) -> tuple[str, int] | None:
    """The test case named by a header starting at the rule on line i, and the index of
    the line after the header's closing rule and location line."""
    n = len(lines)
    j = i + 1
    name: list[str] = []
    while j < n and j - i <= _HEADER_LINES and not _RULE.match(lines[j]):
        line = lines[j]
        if not line.strip():
            return None
        if not line.startswith(" "):
            if j > i + 1 and lines[j - 1].startswith(" "):
                return None  # a name line after a section line: not Catch2's layout
            name.append(line.strip())
        j += 1
    if j >= n or not _RULE.match(lines[j]) or not name:
        return None
    # the closing rule is followed by the location line and a row of dots
    if j + 2 < n and not _DOTS.match(lines[j + 2]):
        return None
    return " ".join(name), j + 1


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if not _RULE.match(line):
            if not seen and (_TOTALS.match(line) or _ALL_PASSED.match(line) or _HOST.match(line)):
                seen = True
            i += 1
            continue
        header = _header(lines, i)
        if header is None:
            i += 1
            continue
        seen = True
        name, j = header
        end = j
        failed = False
        while end < n and not _RULE.match(lines[end]) and not _EQUALS.match(lines[end]):
            if not failed and lines[end].rstrip().endswith(": FAILED:"):
                failed = True
            end += 1
        if failed:
            name = base.named(name)
            if name and name not in found and len(found) < base.MAX_FAILURES:
                stop = end
                while stop > i + 1 and not lines[stop - 1].strip():
                    stop -= 1
                found[name] = base.excerpt(lines, i, stop)
        i = end
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
