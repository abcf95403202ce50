"""GoogleTest's console output: which tests of a gtest binary failed.

Every test begins `[ RUN      ] IoTest.ReadsEmpty` and ends `[       OK ] …`,
`[  SKIPPED ] …` or `[  FAILED  ] IoTest.ReadsEmpty (0 ms)`; a value-parameterized or typed
test's end line adds `, where GetParam() = 2` or `, where TypeParam = char`, which is not
part of its name. A binary's summary repeats the failures under
`[  FAILED  ] 6 tests, listed below:`, so a log cut before the end lines still names them.

A test that crashes the binary (a segfault, an abort outside a death test) has a
`[ RUN      ]` and no end: it is a failure when the log ends, or another binary starts
(`Running main() from …`, `[==========] Running …`), or CTest says the next thing (its
status or `Start N:` line), before the end comes. Under `ctest -V -j` each line carries the
CTest test number (`1: [ RUN      ] …`), so tests of parallel binaries are followed apart
by that prefix.

A test is named `Suite.Test` as gtest prints it (`Sizes/ReadParam.Reads/1`,
`TypedIo/1.Fits`): what `--gtest_filter=` takes.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_PREFIX = lazy(r"(\d+): ")
_TAG = lazy(r"\[ *([A-Z]+|=+|-+) *\] ?")
_NAME = lazy(r"[A-Za-z_][\w/]*\.[\w/]+")
_CTEST = lazy(r"\s*(?:\d+/\d+ Test\s+#\d+: |Start\s+\d+: )")


class _Running:
    """A test begun and not yet ended: its name, and its lines so far (kept while they
    may still go into the excerpt: the first half and a rolling last half)."""

    def __init__(self, name: str, line: str) -> None:
        self.name = name
        self.head = [line]
        self.tail: list[str] = []
        self.skipped = 0

    def add(self, line: str) -> None:
        if len(self.head) < base.EXCERPT_LINES // 2:
            self.head.append(line)
            return
        self.tail.append(line)
        if len(self.tail) > base.EXCERPT_LINES:
            del self.tail[0]
            self.skipped += 1

    def excerpt(self, last: str | None = None) -> tuple[str, ...]:
        tail = [*self.tail, last] if last is not None else list(self.tail)
        if self.skipped == 0:
            block = [*self.head, *tail]
            while len(block) > 1 and not block[-1].strip():
                block.pop()
            return base.excerpt(block, 0, len(block))
        while tail and not tail[-1].strip():
            tail.pop()
        keep = base.EXCERPT_LINES - len(self.head) - 1
        left_out = self.skipped + len(tail) - keep
        return (*self.head, f"… {left_out} lines …", *tail[-keep:])


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    running: dict[str, _Running] = {}  # by the CTest -V prefix, "" when there is none

    def fail(name: str, text: tuple[str, ...]) -> None:
        name = base.named(name)
        if name and name not in found and len(found) < base.MAX_FAILURES:
            found[name] = text

    def crashed(key: str) -> None:
        test = running.pop(key, None)
        if test is not None:
            fail(test.name, test.excerpt())

    for line in lines:
        p = _PREFIX.match(line)
        key, body = (p.group(1), line[p.end() :]) if p is not None else ("", line)
        m = _TAG.match(body)
        if m is None:
            if body.startswith("Running main() from ") or (p is None and _CTEST.match(body)):
                crashed(key)
            elif key in running:
                running[key].add(line)
            continue
        tag = m.group(1)
        rest = body[m.end() :]
        if tag == "RUN":
            seen = True
            crashed(key)
            name = _NAME.match(rest)
            if name is not None:
                running[key] = _Running(name.group(0), line)
            continue
        if tag == "FAILED":
            seen = True
            name = _NAME.match(rest)
            if name is None:
                continue  # `[  FAILED  ] 6 tests, listed below:`
            test = running.get(key)
            if test is not None and test.name == name.group(0):
                del running[key]
                fail(test.name, test.excerpt(line))
            else:
                fail(name.group(0), (line,))
            continue
        if tag in ("OK", "SKIPPED"):
            seen = True
            test = running.get(key)
            if test is not None and rest.startswith(test.name):
                del running[key]
            continue
        if tag.startswith("=") and rest.startswith("Running "):
            seen = True
            crashed(key)
        elif tag == "PASSED":
            seen = True
        elif key in running:
            running[key].add(line)
    for key in list(running):
        crashed(key)
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
