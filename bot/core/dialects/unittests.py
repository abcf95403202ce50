"""Python unittest's output (`python -m unittest`, `setup.py test`, Django's test runner):
which tests it says failed or errored.

The runner reports each problem as a block under a `=====` rule:

    ======================================================================
    FAIL: test_x (pkg.tests.TestY.test_x)
    ----------------------------------------------------------------------
    Traceback (most recent call last): …

and ends with `Ran N tests in …s` and `OK` or `FAILED (failures=1, errors=1)`. Python
3.11 puts the full dotted id in the parentheses; older versions put the class there
(`test_x (pkg.tests.TestY)`). Either way the name kept is the dotted id
`pkg.tests.TestY.test_x`, which `python -m unittest` (and Django's `manage.py test`) take
as it is. A failing `setUpClass` or `setUpModule` is named by its class or module, a
module that failed to import by the module (`unittest.loader._FailedTest` is the
loader's stand-in, no test of the project). Subtests (`test_x (…) (i=1)`) are their
test. With `-v`, the `test_x (…) ... FAIL` lines name failures before the blocks do (and
survive a log cut before them).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_BLOCK = lazy(r"(FAIL|ERROR|UNEXPECTED SUCCESS): (\S+) \(([\w.]+)\)")
_VERBOSE = lazy(r" *(\S+) \(([\w.]+)\)(?: \(.*\))? \.\.\. (FAIL|ERROR|ok|skipped|expected failure)")
_RAN = lazy(r"Ran \d+ tests? in \d+(?:\.\d+)?s$")
_FIXTURES = frozenset({"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"})
_LOADER = "unittest.loader._FailedTest"


def _dotted(method: str, where: str) -> str:
    if where.startswith(_LOADER):
        return method  # the module that failed to import
    if method in _FIXTURES:
        return where
    if where == method or where.endswith("." + method):
        return where  # Python 3.11+: the full id already
    return f"{where}.{method}"


def _rule(line: str, char: str) -> bool:
    return len(line) >= 20 and line.startswith(char * 20) and not line.strip(char)


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    found: dict[str, tuple[int, int]] = {}  # test -> its excerpt's span
    from_verbose: set[str] = set()
    block: tuple[str, int] | None = None  # the open block's test and first line

    def close(at: int) -> None:
        nonlocal block
        if block is not None:
            test, start = block
            while at > start + 1 and not lines[at - 1].strip():
                at -= 1  # the blank line before the next rule
            if test not in found or test in from_verbose:
                found[test] = (start, at)
                from_verbose.discard(test)
            block = None

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        if _rule(line, "="):
            close(i)
            continue
        if line.startswith(("FAIL: ", "ERROR: ", "UNEXPECTED SUCCESS: ")):
            match = _BLOCK.match(line)
            # A block follows a `=====` rule; without it this is anyone's `ERROR: …`.
            if match and i > 0 and _rule(lines[i - 1].rstrip(), "="):
                close(i)
                seen = True
                block = (named(_dotted(match[2], match[3])), i)
                if len(found) >= MAX_FAILURES and block[0] not in found:
                    block = None
            continue
        if _rule(line, "-") and i + 1 < len(lines) and _RAN.match(lines[i + 1].strip()):
            close(i)
            continue
        if line.startswith("Ran ") and _RAN.match(line):
            seen = True
            continue
        if " ... " in line and "(" in line:
            match = _VERBOSE.match(line)
            if match:
                seen = True
                if match[3] in ("FAIL", "ERROR"):
                    test = named(_dotted(match[1], match[2]))
                    if test not in found and len(found) < MAX_FAILURES:
                        found[test] = (i, i + 1)
                        from_verbose.add(test)
    close(len(lines))
    if not seen:
        return None
    return [Failure(test, excerpt(lines, *span)) for test, span in found.items()]
