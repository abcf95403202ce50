"""What every dialect parser returns: the tests a runner's own output says failed.

A dialect is one test runner's way of printing results (pytest, `go test`, cargo, …). Its
module has one public function, `failures(lines)`, a pure function over the cleaned lines
of one job log (timestamps, colours and GitHub's group markers already removed by
`bot.core.joblog`):

- `None` when the runner's output is not in the lines at all (so a log with no known
  runner can be said to be one);
- a list of `Failure`, empty when the runner ran and nothing failed.

Parsers read hostile text: every line may be anything, a log may be cut in the middle of a
line or a report, and output of parallel workers may be interleaved. They never raise on
such input, run in time linear in the lines (no pattern that backtracks on a long line),
and keep at most MAX_FAILURES failures.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.records import record

EXCERPT_LINES = 20  # lines of a failure's excerpt, at most
MAX_FAILURES = 500  # failures one dialect keeps from one log
MAX_TEST_CHARS = 300  # a test's name longer than this is cut (a hostile log can say anything)
# No runner prints a result line this long: a parser skips longer lines, so a hostile 1 MB
# line costs one length check (bot.core.joblog cuts lines shorter still; parsers stand alone).
LONGEST_LINE = 4096


@record(frozen=True)
class Failure:
    """One failed test, named the way its runner names it (so it can be pasted into the
    runner's command line: `tests/test_io.py::test_read`, `TestParse/empty`,
    `io::tests::reads`), with the lines around its failure."""

    test: str
    excerpt: tuple[str, ...] = ()


def excerpt(lines: Sequence[str], start: int, end: int) -> tuple[str, ...]:
    """lines[start:end], at most EXCERPT_LINES of them: a long block keeps its first
    lines (the assertion) and its last (where the runner says why), with one line saying
    how many were left out between them."""
    start, end = max(0, start), min(len(lines), end)
    block = list(lines[start:end])
    if len(block) > EXCERPT_LINES:
        head = EXCERPT_LINES // 2
        tail = EXCERPT_LINES - head - 1
        block = [*block[:head], f"… {len(block) - head - tail} lines …", *block[-tail:]]
    return tuple(block)


def named(test: str) -> str:
    """A test's name as kept: stripped, and cut at MAX_TEST_CHARS."""
    test = test.strip()
    return test if len(test) <= MAX_TEST_CHARS else test[: MAX_TEST_CHARS - 1] + "…"
