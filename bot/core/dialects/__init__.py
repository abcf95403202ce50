"""Test runners' own output, one dialect a module; `DIALECTS` is the order they are tried.

Every dialect reads every log (a job may run pytest and cargo test); a test two dialects
both name is kept as the first names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.dialects import (
    cargo,
    catch2,
    ctest,
    dotnet,
    gotest,
    gradle,
    gtest,
    jest,
    nextest,
    pytests,
    rspec,
    surefire,
    unittests,
    vitest,
)
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
    ("Maven Surefire", surefire.failures),
    ("Gradle", gradle.failures),
    ("RSpec", rspec.failures),
    ("dotnet test", dotnet.failures),
    # A test binary's own cases before the CTest test that ran the binary
    ("GoogleTest", gtest.failures),
    ("Catch2", catch2.failures),
    ("CTest", ctest.failures),
)
