"""Vitest's output: which tests it says failed.

Vitest ends a failing run with `⎯⎯⎯ Failed Tests N ⎯⎯⎯` (and `⎯⎯⎯ Failed Suites N ⎯⎯⎯` for
files that failed to load), one ` FAIL  src/io.test.ts > suite > test` line per failed
test followed by its error, diff and code frame, each closed by a `⎯⎯⎯[1/5]⎯` rule; then
` Test Files  1 failed | 2 passed (3)` and `      Tests  1 failed | 9 passed (10)`.

A failure is named as that line names it, `src/io.test.ts > suite > test`: the file pastes
into `vitest run src/io.test.ts` and the rest, its ` > ` read as spaces, into `-t`. A file
that failed to load (` FAIL  src/io.test.ts [ src/io.test.ts ]`) is named by the file.
Tests that fail with the same error share one block (their `FAIL` lines stand together),
and its excerpt. The `×` result lines printed while the run goes (` × suite > test 3ms`,
or, in Vitest 4's default tree, the test's title alone under ` ❯ src/io.test.ts (4 tests | 1
failed)`) name what a log cut before the summary still holds.

Jest prints `FAIL src/io.test.js` lines too, but with the file alone, `✕` (not `×`)
results and `Test Suites:` totals: none of them is read here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

# `Tests  1 failed | 9 passed (10)`: a count then a word of letters, so no two ways to split
_TOTALS = lazy(r" *(?:Test Files|Tests) {1,2}\d+ [a-z]+(?: \| \d+ [a-z]+)* ?\(\d+\)$")
_FILE = lazy(r" *[❯✓↓] (\S+) \(\d+ tests?")
_DURATION = lazy(r" \d+(?:\.\d+)?m?s$")
_HEADER = lazy(r"⎯+ ?Failed (?:Tests|Suites) \d+ ?⎯+$")


def _failed(rest: str) -> str | None:
    """The test a FAIL line names: `file > suite > test`, or `file [ file ]` for a file
    that failed to load; None for a FAIL line with the file alone (Jest's)."""
    if " > " in rest:
        return rest
    if rest.endswith(" ]") and " [ " in rest:
        return rest[: rest.index(" [ ")]
    return None


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    found: dict[str, tuple[int, int]] = {}  # from the FAIL lines
    crossed: dict[str, int] = {}  # from the `×` lines: test -> its line
    group: list[str] = []  # FAIL lines sharing the block being read
    group_start = 0
    file: str | None = None  # the file whose `×` lines are being read

    def end_group(at: int) -> None:
        while at > group_start + 1 and not lines[at - 1].strip():
            at -= 1
        for test in group:
            if test not in found and len(found) < MAX_FAILURES:
                found[test] = (group_start, at)
        group.clear()

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if line.startswith(("FAIL  ", " FAIL  ")):
            test = _failed(line.lstrip(" ")[6:].strip())
            if test:
                seen = True
                if group and group_start + len(group) < i:
                    end_group(i)  # this FAIL line starts the next block
                if not group:
                    group_start = i
                group.append(named(test))
            continue
        if line.startswith("⎯"):
            end_group(i)
            if _HEADER.match(line):
                seen = True
            continue
        body = line.lstrip(" ")
        if body.startswith(("❯ ", "✓ ", "↓ ")):
            match = _FILE.match(line)
            if match:
                seen = True
                file = match[1]
            continue
        if body.startswith("× "):
            title = _DURATION.sub("", body[2:]).strip()
            if not title:
                continue
            if " > " in title and "." in title.split(" > ", 1)[0]:
                test = title  # the verbose reporter's full `file > suite > test`
            elif file is not None:
                test = f"{file} > {title}"
            else:
                continue
            seen = True
            crossed.setdefault(named(test), i)
            continue
        if body.startswith(("Test Files", "Tests")) and _TOTALS.match(line):
            seen = True
            end_group(i)
        elif body.startswith("RUN  v"):
            seen = True
    end_group(len(lines))
    if not seen:
        return None
    result = [Failure(test, excerpt(lines, *span)) for test, span in found.items()]
    # A `×` line is kept when no FAIL line named its test (a log cut before the summary);
    # the tree's title alone matches a full name by its ending in the same file.
    ends = {(test.split(" > ", 1)[0], test.rsplit(" > ", 1)[-1]) for test in found}
    for test, at in crossed.items():
        if len(result) >= MAX_FAILURES:
            break
        head, _, tail = test.partition(" > ")
        if test in found or (head, tail.rsplit(" > ", 1)[-1]) in ends:
            continue
        result.append(Failure(test, excerpt(lines, at, at + 1)))
    return result
