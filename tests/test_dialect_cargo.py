from __future__ import annotations

from bot.core.dialects import cargo
from tests.dialect_checks import check_cuts, check_hostile, log, names

FAILED = ["io::tests::reads", "io::tests::should_boom", "io::tests::unwraps", "integration_fails"]


def test_several_test_binaries_name_their_failures() -> None:
    result = cargo.failures(log("cargo/failing.log"))
    assert names(result) == FAILED
    assert result is not None
    assert result[0].excerpt == (
        "---- io::tests::reads stdout ----",
        "",
        "thread 'io::tests::reads' (11696) panicked at src/lib.rs:10:13:",
        "assertion `left == right` failed",
        "  left: 2",
        " right: 3",
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    )


def test_a_backtrace_gives_a_bounded_excerpt() -> None:
    result = cargo.failures(log("cargo/failing_backtrace.log"))
    assert sorted(names(result)) == sorted(FAILED)
    assert result is not None
    reads = next(f for f in result if f.test == "io::tests::reads")
    assert len(reads.excerpt) == 20
    assert reads.excerpt[2].startswith("thread 'io::tests::reads'")


def test_nocapture_panics_interleaved_with_results() -> None:
    result = cargo.failures(log("cargo/nocapture.log"))
    assert sorted(names(result)) == sorted(FAILED)
    assert result is not None
    reads = next(f for f in result if f.test == "io::tests::reads")
    assert reads.excerpt[0].startswith("thread 'io::tests::reads' (13823) panicked at src/lib.rs:10:13:")


def test_a_passing_run_is_an_empty_list() -> None:
    assert cargo.failures(log("cargo/passing.log")) == []


def test_other_runners_output_is_not_cargo_test() -> None:
    for other in (
        "pytest/failing.log",
        "unittest/failing.log",
        "gotest/verbose.log",
        "jest/failing.log",
        "vitest/failing.log",
        "nextest/failing.log",
    ):
        assert cargo.failures(log(other)) is None, other


def test_a_cut_log_never_raises_and_keeps_what_it_reached() -> None:
    lines = log("cargo/failing.log")
    check_cuts(cargo.failures, lines)
    # cut inside the first binary's stdout blocks: the result lines named all three
    inside = lines.index("---- io::tests::unwraps stdout ----") + 2
    result = cargo.failures(lines[:inside])
    assert names(result) == FAILED[:3]
    assert result is not None and result[2].excerpt[0] == "---- io::tests::unwraps stdout ----"


def test_hostile_logs_are_read_in_bounded_time() -> None:
    check_hostile(
        cargo.failures,
        [
            "test x ... FAILED",
            "test  ... ",
            "---- x stdout ----",
            "---- ----",
            "failures:",
            "    x",
            "thread 'x' panicked at",
            "running 1 test",
            "test result: FAILED. 1 passed; 1 failed",
        ],
    )
