"""Every dialect reads every log (bot.core.joblog): each runner's real output must be claimed
by its own parser and by no other, or a test would be named twice, or wrongly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.dialects import DIALECTS

LOGS = Path(__file__).parent / "data" / "logs"
OWNER = {
    "cargo": "cargo test",
    "catch2": "Catch2",
    "ctest": "CTest",
    "dotnet": "dotnet test",
    "gotest": "go test",
    "gradle": "Gradle",
    "gtest": "GoogleTest",
    "jest": "jest",
    "nextest": "cargo-nextest",
    "pytest": "pytest",
    "rspec": "RSpec",
    "surefire": "Maven Surefire",
    "unittest": "unittest",
    "vitest": "vitest",
}
# GoogleTest binaries run by CTest: both runners' output is in the log, both are read.
ALSO = {"gtest/in_ctest_j2.log": {"CTest"}, "gtest/ctest_verbose_j2.log": {"CTest"}}
FIXTURES = sorted(f"{path.parent.name}/{path.name}" for path in LOGS.glob("*/*.log"))


def test_every_dialect_is_registered_and_has_fixtures() -> None:
    assert {name for name, _ in DIALECTS} == set(OWNER.values())
    assert {fixture.split("/")[0] for fixture in FIXTURES} == set(OWNER)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_a_runners_output_is_claimed_by_its_own_dialect_only(fixture: str) -> None:
    lines = (LOGS / fixture).read_text(errors="replace").splitlines()
    claimed = {name for name, parse in DIALECTS if parse(lines) is not None}
    assert claimed == {OWNER[fixture.split("/")[0]]} | ALSO.get(fixture, set())
