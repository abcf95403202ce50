"""Maven Surefire's (and Failsafe's) console report: which tests failed.

Each test class ends with a line such as

    [ERROR] Tests run: 3, Failures: 1, Errors: 1, Skipped: 0, Time elapsed: 0.1 s <<< FAILURE! - in com.x.IoTest

(`-- in` since 3.0), followed by one line per failed test and its trimmed stack trace:

    [ERROR] readsEmpty(com.x.IoTest)  Time elapsed: 0 s  <<< FAILURE!        (2.x, JUnit 4)
    [ERROR] readsEmpty  Time elapsed: 0 s  <<< FAILURE!                      (2.x, JUnit 5)
    [ERROR] com.x.IoTest.readsEmpty -- Time elapsed: 0.01 s <<< ERROR!       (3.x)

After all classes, `Results:` lists them again under `[ERROR] Failures:` / `[ERROR] Errors:`
as `[ERROR]   IoTest.readsEmpty:5 expected:<1> but was:<2>`: the simple class name only,
so a name from there is made whole with a class seen in the `- in` lines when one ends
with it. A test that failed and then passed on a rerun is listed under `[WARNING] Flakes:`
and is not a failure. With `forkCount` > 1 the classes of parallel forks finish in any
order, but each class's lines are printed together.

A test is named `com.x.IoTest#readsEmpty`, what `mvn -Dtest=…` takes; a parameterized
test's invocation suffix (`reads{String}[2]`, `reads(String)[2]`) is dropped, since
`-Dtest` selects by method. A failure of the class itself (in `@BeforeAll`) is named by
the class.
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from bot.core.dialects import base
from bot.core.lazyre import lazy

_LEVEL = lazy(r"\[(ERROR|WARNING|INFO)\] ?")
_CLASS_DONE = lazy(r"Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+, Time elapsed: ")
_IN = lazy(r" --? in (\S+)")
_RUNNING = lazy(r"Running (\S+)\s*$")
_LISTED = lazy(r"  ([A-Za-z_$][\w$]*)(?:\.([\w$]+))?(?=[:\s»>-]|$)")
_RERUN_KEY = lazy(r"([\w$.]+\.[\w$]+)(?:\([\w$.]+\))?\s*$")
_RESULTS = ("Failures:", "Errors:", "Flakes:")


def _method(name: str) -> str:
    """A method's name without a parameterized invocation's suffix."""
    for mark in "([{":
        cut = name.find(mark)
        if cut > 0:
            name = name[:cut]
    return name.strip()


def _split(full: str, current: str, classes: Container[str]) -> tuple[str, str]:
    """(class, method) of `com.x.IoTest.readsEmpty`; method "" for a class's own failure."""
    bare = _method(full)
    if bare == current or bare in classes:
        return bare, ""
    if current and bare.startswith(current + "."):
        return current, bare[len(current) + 1 :]
    head, _, tail = bare.rpartition(".")
    if head in classes:
        return head, tail
    if not head or tail[:1].isupper():
        return bare, ""  # Java's classes are capitalized, its methods are not
    return head, tail


def _failed_test(body: str, current: str, classes: Container[str]) -> tuple[str, str] | None:
    """(class, method) of a failed test's own line, None when the line is not one."""
    if not body.rstrip().endswith(("<<< FAILURE!", "<<< ERROR!")):
        return None
    cut = body.find(" -- Time elapsed: ")
    if cut > 0:  # 3.x: the class and method, or the class alone
        return _split(body[:cut], current, classes)
    cut = body.find("  Time elapsed: ")
    if cut <= 0:
        return None
    head = body[:cut].strip()
    method, paren, cls = head.rpartition("(")
    if paren and cls.endswith(")") and "." in cls:  # 2.x with JUnit 4: `method(com.x.IoTest)`
        return cls[:-1], _method(method)
    if current:  # 2.x with JUnit 5 prints the method alone, after its class's line
        return current, _method(head)
    return _split(head, "", classes)


def _name(cls: str, method: str) -> str:
    return base.named(f"{cls}#{method}" if method else cls)


def failures(lines: Sequence[str]) -> list[base.Failure] | None:
    seen = False
    found: dict[str, tuple[str, ...]] = {}
    classes: set[str] = set()  # fully qualified
    simple: dict[str, str] = {}  # a class's simple name -> the first class seen with it
    current = ""  # the class whose `Tests run: … in` line came last
    results = ""  # the `Results:` list being read
    n = len(lines)

    whole: set[str] = set()  # classes failed as a whole: `Results:` names them by a frame

    def add(name: str, text: tuple[str, ...]) -> None:
        if name and name not in found and len(found) < base.MAX_FAILURES:
            found[name] = text

    def saw(cls: str) -> None:
        if cls not in classes and len(classes) < 100_000:
            classes.add(cls)
            simple.setdefault(cls.rpartition(".")[2], cls)

    i = 0
    while i < n:
        line = lines[i]
        level = _LEVEL.match(line)
        body = line[level.end() :] if level is not None else line
        if _CLASS_DONE.match(body):
            seen = True
            results = ""
            where = _IN.search(body, body.find("Time elapsed: "))
            if where is not None:
                current = where.group(1)
                saw(current)
            i += 1
            continue
        running = _RUNNING.match(body)
        if running is not None and level is not None:
            seen = True
            saw(running.group(1))
            i += 1
            continue
        test = _failed_test(body, current, classes)
        if test is not None:
            cls, method = test
            if not method:
                whole.add(cls)
            seen = True
            end = i + 1
            while end < n and end - i < base.EXCERPT_LINES * 50:
                following = lines[end]
                if not following.strip() or _LEVEL.match(following):
                    break
                end += 1
            add(_name(cls, method), base.excerpt(lines, i, end))
            i = end
            continue
        if level is not None and body.strip() in _RESULTS:
            seen = True
            results = body.strip()
            i += 1
            continue
        if results and level is not None:
            if level.group(1) == "INFO" and not body.strip():
                results = ""
            elif results != "Flakes:" and level.group(1) == "ERROR":
                listed = _LISTED.match(body) if body.startswith("  ") else None
                key = _RERUN_KEY.match(body) if not body.startswith(" ") else None
                if key is not None:
                    cls, method = _split(key.group(1), "", classes)
                    add(_name(cls, method), (line,))
                elif listed is not None and not body.lstrip().startswith("Run "):
                    cls = simple.get(listed.group(1), listed.group(1))
                    if cls not in whole:
                        add(_name(cls, listed.group(2) or ""), (line,))
        i += 1
    if not seen:
        return None
    return [base.Failure(test=name, excerpt=text) for name, text in found.items()]
