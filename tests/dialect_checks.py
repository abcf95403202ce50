"""What every dialect's tests check the same way: fixtures read as the bot reads a log,
hostile input in bounded time, logs cut anywhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.core.dialects.base import EXCERPT_LINES, Failure

LOGS = Path(__file__).parent / "data" / "logs"

Parser = Callable[[Sequence[str]], "list[Failure] | None"]


def log(name: str) -> list[str]:
    """A fixture's lines (`pytest/failing.log`), as the cleaned lines of a job log."""
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


def names(result: list[Failure] | None) -> list[str]:
    assert result is not None
    return [failure.test for failure in result]


def timed(parse: Parser, lines: Sequence[str]) -> float:
    start = time.perf_counter()
    parse(lines)
    return time.perf_counter() - start


def check_hostile(parse: Parser, near_misses: Sequence[str]) -> None:
    """A 1 MB line, and 200k short lines that nearly match, are read in well under a
    second on a quiet machine; the bound asserted is generous (the machine is shared)."""
    huge = ["x" * 1_000_000, "=" * 1_000_000, "_" * 1_000_000, " " * 500_000 + "FAIL"]
    many = [near_misses[i % len(near_misses)] for i in range(200_000)]
    for lines in (huge, many, [*huge, *many]):
        elapsed = timed(parse, lines)
        assert elapsed < 5, f"{elapsed:.2f}s"
        result = parse(lines)
        assert result is None or len(result) <= 500
        for failure in result or ():
            assert len(failure.excerpt) <= EXCERPT_LINES
            assert len(failure.test) <= 300


def check_cuts(parse: Parser, lines: Sequence[str]) -> list[list[Failure] | None]:
    """The log cut after every line, and in the middle of every line: never an exception, every
    failure named and its excerpt bounded."""
    whole = parse(lines)
    assert whole
    results = []
    for n in range(len(lines)):
        for cut in (list(lines[:n]), [*lines[:n], lines[n][: len(lines[n]) // 2]]):
            result = parse(cut)
            results.append(result)
            for failure in result or ():
                assert failure.test
                assert len(failure.excerpt) <= EXCERPT_LINES
    return results
