"""`go test`'s output (plain and `-v`), and gotestsum's: which tests it says failed.

A failure is named `<package> <test>`, as in `github.com/x/y/parse TestParse/empty`: the
package's import path and the test's path as `go test -run` takes it (Go writes a space in
a subtest's name as `_`, so the last space splits the two). Both halves paste unchanged
into `go test <package> -run '<test>'`; the package is kept because a repository's
packages often have tests of the same name (`TestParse` in two parsers), and the pair is
how gotestsum's own summary names a failure (`=== FAIL: <package> <test>`), in its
module-relative form of the package. When the log never says the package (cut before the
package's `FAIL	<package>	0.01s` line), the name is the test alone.

`go test` prints one package's output as a block ending in that package's result line,
so the `--- FAIL: TestX (0.00s)` lines before a `FAIL	<package>` line are that
package's. Output of `t.Parallel()` tests interleaves within the block (`=== PAUSE`,
`=== CONT`, `=== NAME`); a test's own output follows the latest `=== … TestX` line (`-v`),
or sits one indent below its `--- FAIL` line (without `-v`).

A parent whose subtest failed fails too, and says nothing of its own: it is left out, and
the subtest named. It is kept when it wrote a `file_test.go:N:` line itself or panicked:
then it failed on its own. A package that failed with no test named (a build failure, a
panic outside a test, a test binary that exited, a timeout) is named by its package.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.dialects.base import LONGEST_LINE, MAX_FAILURES, Failure, excerpt, named
from bot.core.lazyre import lazy

_RESULT = lazy(r"( *)--- (FAIL|PASS|SKIP): (\S+) \((?:\d+(?:\.\d+)?s|unknown)\)")
_STEP = lazy(r"=== (?:RUN|CONT|NAME|PAUSE) +(\S+)$")
_SUMMARY = lazy(r"=== FAIL: (\S+) (\S*) ?\((?:\d+(?:\.\d+)?s|unknown)\)")
_PACKAGE = lazy(r"(ok|FAIL|\?)[ \t]+(\S+)[ \t]+(\(cached\)|\d+(?:\.\d+)?s\b|\[[^\]]*\])")
_OWN = lazy(r"( +)[\w.-]+\.go:\d+: ")
_DONE = lazy(r"DONE (?:\d+ runs, )?\d+ tests?\b")
_TIMED = lazy(r"\t(Test\S*|Example\S*|Fuzz\S*) \(")


class _Failed:
    __slots__ = ("end", "indent", "package", "start", "test")

    def __init__(self, test: str, start: int, indent: int, package: str | None = None) -> None:
        self.test = test
        self.start = start
        self.end = start + 1
        self.indent = indent
        self.package = package


def failures(lines: Sequence[str]) -> list[Failure] | None:
    seen = False
    stream: list[_Failed] = []  # from go test's own lines
    summary: list[_Failed] = []  # from gotestsum's `=== FAIL:` lines
    pending: list[_Failed] = []  # failed before their package's result line
    pending_names: set[str] = set()
    open_blocks: list[_Failed] = []  # failures whose excerpt has not ended
    owned: set[str] = set()  # tests that wrote a line of their own, or panicked
    last_step: dict[str, int] = {}  # test -> its latest `=== RUN/CONT/NAME` line
    current: str | None = None  # whose output follows (-v, gotestsum)
    stack: list[str] = []  # the `--- FAIL` nesting being printed (without -v)
    in_summary = False
    timed_out = False

    def close(at: int, indent: int = -1) -> None:
        while open_blocks and open_blocks[-1].indent >= indent:
            open_blocks.pop().end = at

    for i, raw in enumerate(lines):
        if len(raw) > LONGEST_LINE:
            continue
        line = raw.rstrip()
        body = line.lstrip(" ")
        if body.startswith("--- "):
            match = _RESULT.match(line)
            if match is None:
                continue
            seen = True
            indent = len(match[1])
            close(i, indent)
            depth = indent // 4
            del stack[depth:]
            stack.append(match[3])
            current = None
            if match[2] != "FAIL" or in_summary:
                continue
            test = match[3]
            if test not in pending_names:
                failed = _Failed(test, last_step.get(test, i), indent)
                pending.append(failed)
                pending_names.add(test)
                stream.append(failed)
                open_blocks.append(failed)
            continue
        if line.startswith("=== "):
            close(i)
            if line.startswith("=== FAIL: "):
                match = _SUMMARY.match(line)
                if match:
                    seen = in_summary = True
                    failed = _Failed(match[2], i, 0, match[1])
                    summary.append(failed)
                    open_blocks.append(failed)
                    current = match[2] or None
            elif line == "=== Failed":
                seen = in_summary = True
            else:
                match = _STEP.match(line)
                if match:
                    seen = True
                    current = match[1]
                    last_step[current] = i
                    stack.clear()
            continue
        if line.startswith(("ok", "FAIL", "?")):
            match = _PACKAGE.match(line)
            if match:
                seen = True
                close(i)
                current = None
                stack.clear()
                if match[1] == "FAIL" and not in_summary:
                    if pending:
                        for failed in pending:
                            failed.package = match[2]
                        pending.clear()
                        pending_names.clear()
                    elif not match[3].startswith("[no test"):
                        stream.append(_Failed("", max(i - 1, 0), 0, match[2]))
                        stream[-1].end = i + 1
                continue
            if line in ("FAIL", "PASS"):
                close(i)
            continue
        if line.startswith("panic: "):
            timed_out = line.startswith("panic: test timed out")
            if timed_out:
                pass  # the tests still running are listed next (Go 1.20+)
            elif open_blocks:
                owned.add(open_blocks[-1].test)
            elif current:
                owned.add(current)
            continue
        if timed_out:
            if line == "running tests:":
                continue
            match = _TIMED.match(raw)
            if match:
                test = match[1]
                if test not in pending_names:
                    failed = _Failed(test, i, 0)
                    failed.end = i + 1
                    pending.append(failed)
                    pending_names.add(test)
                    stream.append(failed)
                    owned.add(test)
                continue
            timed_out = False
        if line.startswith("DONE ") and _DONE.match(line):
            seen = True
            close(i)
            continue
        if body is not line and body:
            # An indented line ends the blocks of results printed at its indent or deeper:
            # it is their parent's output (or a sibling's).
            close(i, len(line) - len(body))
        if body is not line and ".go:" in body:
            match = _OWN.match(line)
            if match:
                depth = len(match[1]) // 4
                if current is not None:
                    owned.add(current)
                elif 0 < depth <= len(stack):
                    owned.add(stack[depth - 1])
    close(len(lines))
    if not seen:
        return None
    chosen = summary or stream
    return _report(lines, chosen, owned)


def _report(lines: Sequence[str], chosen: list[_Failed], owned: set[str]) -> list[Failure]:
    parents: set[tuple[str | None, str]] = set()  # tests with a failed subtest
    for failed in chosen:
        parts = failed.test.split("/")
        for n in range(1, len(parts)):
            parents.add((failed.package, "/".join(parts[:n])))
    result: list[Failure] = []
    names: set[str] = set()
    for failed in chosen:
        if len(result) >= MAX_FAILURES:
            break
        test = failed.test
        if test and test not in owned and (failed.package, test) in parents:
            continue  # failed only because a subtest did
        name = named(f"{failed.package} {test}" if failed.package and test else failed.package or test)
        if name and name not in names:
            names.add(name)
            result.append(Failure(name, excerpt(lines, failed.start, failed.end)))
    return result
