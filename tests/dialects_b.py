"""What the tests of the ctest, gtest, catch2, rspec, surefire, gradle and dotnet dialects
share: their fixtures, and the hostile logs every parser must get through quickly."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.core.dialects import base

LOGS = Path(__file__).parent / "data" / "logs"

Parser = Callable[[Sequence[str]], "list[base.Failure] | None"]


def log(dialect: str, name: str) -> list[str]:
    return (LOGS / dialect / name).read_text(encoding="utf-8").splitlines()


def names(found: list[base.Failure] | None) -> list[str] | None:
    return None if found is None else [f.test for f in found]


def cut(lines: list[str], marker: str, keep: int) -> list[str]:
    """The log up to the first line holding marker, that line cut after `keep` characters:
    a log whose job was killed while a line was being written."""
    at = next(i for i, line in enumerate(lines) if marker in line)
    return [*lines[:at], lines[at][:keep]]


def hostile(near_misses: Sequence[str]) -> list[list[str]]:
    """Logs that should cost a parser no more than a pass over them: one line of 1 MB
    made of a near-miss repeated, and 200,000 short lines cycling through near misses."""
    long_line = "".join(near_misses) * (1_000_000 // max(1, sum(map(len, near_misses))) + 1)
    many = [near_misses[i % len(near_misses)] for i in range(200_000)]
    return [[long_line[:1_000_000]], many, [*many[:1000], long_line[:1_000_000], *many[:1000]]]


def timed(parse: Parser, lines: Sequence[str]) -> float:
    start = time.perf_counter()
    parse(lines)
    return time.perf_counter() - start


def long_stack(head: Sequence[str], frame: str, tail: Sequence[str] = ()) -> list[str]:
    return [*head, *(frame.format(i) for i in range(200)), *tail]
