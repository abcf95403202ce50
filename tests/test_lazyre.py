"""`lazy` patterns answer as the compiled patterns they stand for, and the table of code
compiled ahead of time gives the patterns `re.compile` would."""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import re
import subprocess
import sys
from binascii import a2b_base64, b2a_base64

import pytest

from bot.core import lazyre, regexcode, regexgen
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


def test_the_ahead_of_time_tables_are_fresh() -> None:
    """Regenerated in a fresh process from the core's patterns, the tables are what is
    committed, and list the running engine."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.core.regexgen", "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_an_engine_the_table_does_not_list_uses_none_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    running = (_sre.MAGIC, _sre.CODESIZE, sys.byteorder, (sys.version_info[0], sys.version_info[1]))
    monkeypatch.setattr(lazyre, "_table", None)
    assert (lazyre._precompiled() is regexcode.PATTERNS) == (running in regexcode.ENGINES)
    monkeypatch.setattr(lazyre, "_table", None)
    monkeypatch.setattr(regexcode, "ENGINES", tuple(item for item in regexcode.ENGINES if item != running))
    assert lazyre._precompiled() == {}
    assert lazyre.compile(r"(?P<arch>x86_64|aarch64)-linux").match("aarch64-linux").group("arch") == "aarch64"


def test_every_pattern_from_the_table_is_the_one_re_compile_makes() -> None:
    """The code is what this engine generates, and the pattern built from it is the same."""
    table = lazyre._precompiled()
    for (pattern, flags), entry in table.items():
        assert regexgen._entry(pattern, flags) == entry, pattern
        made = lazyre._from_table(pattern, flags)
        assert made is not None, pattern
        usual = re.compile(pattern, flags)
        assert (made.pattern, made.flags, made.groups, made.groupindex) == (
            usual.pattern,
            usual.flags,
            usual.groups,
            usual.groupindex,
        )


def test_a_damaged_entry_compiles_the_usual_way(monkeypatch: pytest.MonkeyPatch) -> None:
    (pattern, flags), (final, encoded, groups, named) = next(
        (key, entry) for key, entry in regexcode.PATTERNS.items() if entry[3]
    )
    code = a2b_base64(encoded)
    for damaged in (code[:-8] + b"\xff" * 8, code[: len(code) // 2], b""):
        table = {(pattern, flags): (final, b2a_base64(damaged, newline=False).decode(), groups, named)}
        monkeypatch.setattr(lazyre, "_table", table)
        assert lazyre._from_table(pattern, flags) is None
        compiled = lazyre.compile(pattern, flags)
        assert compiled.groupindex == re.compile(pattern, flags).groupindex == dict(named)
