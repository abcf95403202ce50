"""Test runners' own output, one dialect a module; `DIALECTS` is the order they are tried.

Every dialect reads every log (a job may run pytest and cargo test); a test two dialects
both name is kept as the first names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.dialects import cargo, gotest, jest, nextest, pytests, unittests, vitest
from bot.core.dialects.base import Failure

Parser = Callable[[Sequence[str]], "list[Failure] | None"]

DIALECTS: tuple[tuple[str, Parser], ...] = (
    ("pytest", pytests.failures),
    ("unittest", unittests.failures),
    ("go test", gotest.failures),
    ("cargo-nextest", nextest.failures),
    ("cargo test", cargo.failures),
    ("vitest", vitest.failures),
    ("jest", jest.failures),
)
