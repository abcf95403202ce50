"""Regular expressions compiled on first use.

`re.compile` is pure Python and the check path defines about a hundred patterns at module
level: compiling them all cost about 10 ms of every start (`python -X importtime`), while a
run over one workflow meets only some of them. `lazy(...)` stands in for `re.compile(...)`:
the first call of a method compiles the pattern and puts the compiled pattern's bound
methods on the instance, so later calls go straight to them.
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split")


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def _compiled(self) -> re.Pattern[str]:
        compiled = re.compile(self.pattern, self._flags)
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
