"""Gradle's `test` task console output: which tests failed.

Gradle prints each failed test as the path of its descriptors joined by ` > `, then
`FAILED`, then the exception indented by four spaces:

    IoTest > readsEmpty() FAILED
        org.opentest4j.AssertionFailedError at IoTest.java:12

    IoTest > reads(String) > [2] bb FAILED            (a JUnit 5 parameterized invocation)
    com.x.IoTest > readsEmpty FAILED                   (older Gradle, or `--info`)

and then `3 tests completed, 1 failed` and `> Task :lib:test FAILED`. With `--parallel` the
test tasks of several projects print at once, but each failure's lines stay together.

A test is named `Class.method`, what `gradle test --tests 'Class.method'` takes: the first
descriptor is the class, the second the method with its parameter list and invocation
dropped (`--tests` selects by method, every invocation of it). When only the simple class
name is printed (Gradle's default since 5), the name keeps that simple name: a `--tests`
pattern that starts with an upper-case letter is matched against simple class names, so
`--tests 'IoTest.readsEmpty'` still runs it. A JUnit 5 `@DisplayName` is printed instead of
the method and cannot be mapped back; it is kept as printed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_TOTALS = lazy(r"\d+ tests? completed, \d+ failed")
# a test task: `:test`, `:lib:test`, `:app:integrationTest` (Gradle 4 printed no `> Task`)
_TASK = lazy(r"(?:> Task )?:(?:[\w.-]+:)*(?:test|\w+Test)(?: [A-Z-]+)?\s*$")


def _test(descriptors: list[str]) -> str:
    cls = descriptors[0].strip()
    if len(descriptors) < 2:
        return cls
    method = descriptors[1].strip()
    if "(" in method and not method.startswith("("):
        method = method[: method.index("(")]
    elif method.endswith("]") and "[" in method:  # JUnit 4 Parameterized: `reads[0]`
        method = method[: method.index("[")]
    return f"{cls}.{method.strip()}"


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        stripped = line.rstrip()
        if stripped.endswith(" FAILED") and " > " in stripped and not line.startswith((" ", "\t", ">")):
            descriptors = stripped[: -len(" FAILED")].split(" > ")
            if descriptors[0] and all(d.strip() for d in descriptors):
                seen = True
                end = i + 1
                while end < n and end - i < base.EXCERPT_LINES * 50 and lines[end].startswith((" ", "\t")):
                    end += 1
                name = base.named(_test(descriptors))
                if name and name not in found and len(found) < base.MAX_FAILURES:
                    found[name] = base.excerpt(lines, i, end)
                i = end
                continue
        if not seen and (_TOTALS.match(line) or _TASK.match(line)):
            seen = True
        i += 1
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
