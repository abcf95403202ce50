"""Regular expressions: compiled on first use, from code compiled ahead of time.

`re.compile` is pure Python: it parses a pattern and generates the matcher's code, about
0.1 ms a pattern. A run over one workflow meets some 90 of the package's patterns and a
repository some 180, so compiling them cost a fifth of `parity-bot check` (`make bench`).
Two measures, both invisible to callers:

- `lazy(...)` stands in for `re.compile(...)` at module level: nothing is compiled until a
  method is first called, so a run pays only for the patterns it meets.
- `compile(...)`, which `lazy` uses, takes the matcher's code from `regexcode.py`, a table
  generated from the core's own patterns (`bot.core.regexgen`), and hands it to
  `_sre.compile`, the step `re.compile` ends with. Like bytecode in a `.pyc`, the table is
  used only on an engine that made it (`_sre.MAGIC`, word size, byte order and Python
  version among its ENGINES: CPython 3.11 to 3.13 compile these patterns alike); a pattern
  it lacks, or another engine, compiles the usual way. `_sre.compile` checks the code's
  structure (a damaged entry raises and compiles the usual way), not what it matches: that
  the table holds what this engine generates from these very patterns is what
  `tests/test_lazyre.py` checks, as `make regexcode` regenerates it. The key is the minor
  version: the engine's code format changes only with `_sre.MAGIC`.
"""

from __future__ import annotations

import re
import sys
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split")

# Every (pattern, flags) declared or compiled in this process. The table is generated from
# those that importing the core's modules declares (`bot.core.regexgen`, in a fresh process).
DECLARED: dict[tuple[str, int], None] = {}

_table: dict[tuple[str, int], tuple[int, str, int, tuple[tuple[str, int], ...]]] | None = None


def _precompiled() -> dict[tuple[str, int], tuple[int, str, int, tuple[tuple[str, int], ...]]]:
    global _table
    if _table is None:
        _table = {}
        try:
            import _sre

            from bot.core import regexcode

            running = (_sre.MAGIC, _sre.CODESIZE, sys.byteorder, (sys.version_info[0], sys.version_info[1]))
            if running in regexcode.ENGINES:
                _table = regexcode.PATTERNS
        except (ImportError, AttributeError):  # no table: compile as usual
            pass
    return _table


def _from_table(pattern: str, flags: int) -> re.Pattern[str] | None:
    entry = _precompiled().get((pattern, flags))
    if entry is None:
        return None
    import _sre
    from array import array
    from binascii import a2b_base64

    final_flags, encoded, groups, named = entry
    indexgroup: list[str | None] = [None] * (groups + 1)
    try:
        for name, index in named:
            indexgroup[index] = name
        code = array("I", a2b_base64(encoded)).tolist()
        compiled: re.Pattern[str] = _sre.compile(
            pattern, final_flags, code, groups, dict(named), tuple(indexgroup)
        )
    except (RuntimeError, TypeError, ValueError, OverflowError, IndexError):  # code the engine refuses
        return None
    return compiled


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, from the ahead-of-time table when it holds the pattern."""
    flags = int(flags)
    DECLARED[(pattern, flags)] = None
    return _from_table(pattern, flags) or re.compile(pattern, flags)


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = int(flags)
        DECLARED[(pattern, self._flags)] = None

    def _compiled(self) -> re.Pattern[str]:
        compiled = compile(self.pattern, self._flags)
        for name in _METHODS:
            setattr(self, name, getattr(compiled, name))  # shadows the class's stand-ins
        self.flags = compiled.flags
        self.groups = compiled.groups
        self.groupindex = compiled.groupindex
        return compiled

    def __getattr__(self, name: str) -> Any:  # flags, groups, groupindex before any call
        if name.startswith("__") or name not in ("flags", "groups", "groupindex"):
            raise AttributeError(name)
        return getattr(self._compiled(), name)

    def search(self, *args: Any) -> Any:
        return self._compiled().search(*args)

    def match(self, *args: Any) -> Any:
        return self._compiled().match(*args)

    def fullmatch(self, *args: Any) -> Any:
        return self._compiled().fullmatch(*args)

    def sub(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled().sub(*args, **kwargs)

    def subn(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled().subn(*args, **kwargs)

    def findall(self, *args: Any) -> Any:
        return self._compiled().findall(*args)

    def finditer(self, *args: Any) -> Any:
        return self._compiled().finditer(*args)

    def split(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled().split(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, compiled when first used."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags))


def declare(pattern: str, flags: int = 0) -> None:
    """Name a pattern that is compiled later with `compile` (a rule table's), so the table
    holds it."""
    DECLARED[(pattern, int(flags))] = None
