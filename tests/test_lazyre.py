"""`lazy` patterns answer as the compiled patterns they stand for."""

from __future__ import annotations

import re

from bot.core.lazyre import lazy


def test_a_lazy_pattern_answers_as_re_compile() -> None:
    text = "Build x86_64 and AMD64, then arm64"
    for flags in (0, re.IGNORECASE):
        eager, deferred = re.compile(r"(x86_64|amd64)", flags), lazy(r"(x86_64|amd64)", flags)
        assert deferred.pattern == eager.pattern
        assert deferred.groups == eager.groups and deferred.flags == eager.flags
        assert deferred.findall(text) == eager.findall(text)
        assert deferred.sub("X", text) == eager.sub("X", text)
        assert [m.span() for m in deferred.finditer(text)] == [m.span() for m in eager.finditer(text)]
        assert deferred.split(text, maxsplit=1) == eager.split(text, maxsplit=1)
        assert bool(deferred.match(text)) == bool(eager.match(text))
        assert deferred.search(text, 10) is not None or eager.search(text, 10) is None


def test_it_compiles_once() -> None:
    deferred = lazy(r"a+")
    assert deferred.fullmatch("aaa") is not None
    assert deferred.fullmatch.__self__ is deferred.search.__self__  # type: ignore[attr-defined]
    assert isinstance(deferred.fullmatch.__self__, re.Pattern)  # type: ignore[attr-defined]
