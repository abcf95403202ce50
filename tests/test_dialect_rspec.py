"""The RSpec dialect, on output RSpec 3.12 printed (tests/data/logs/rspec)."""

from __future__ import annotations

from bot.core.dialects import base, rspec
from tests.dialects_b import cut, hostile, log, long_stack, names, timed

FAILED = [
    "./spec/io_spec.rb:2 # Io reads empty files",
    "./spec/io_spec.rb:17 # Io matches hashes",
    "./spec/io_spec.rb:9 # Io when the disk is gone raises",
    "./spec/parse_spec.rb[1:2] # Parse handles 2",
]


def test_failed_examples_are_named_by_their_rerun_line_and_pending_ones_are_not() -> None:
    found = rspec.failures(log("rspec", "fail.log"))
    assert names(found) == FAILED
    assert found is not None
    assert found[2].excerpt == (
        "  3) Io when the disk is gone raises",
        '     Failure/Error: raise IOError, "disk gone"',
        "",
        "     IOError:",
        "       disk gone",
        "     # ./spec/io_spec.rb:10:in `block (3 levels) in <top (required)>'",
    )


def test_a_passing_run_has_no_failures() -> None:
    assert rspec.failures(log("rspec", "pass.log")) == []


def test_other_runners_output_is_not_rspec() -> None:
    for dialect, name in (("surefire", "junit4_2.22.log"), ("catch2", "v2_fail.log"), ("gtest", "fail.log")):
        assert rspec.failures(log(dialect, name)) is None, name


def test_a_spec_file_that_does_not_load_is_named_by_its_path() -> None:
    found = rspec.failures(log("rspec", "load_error.log"))
    assert names(found) == ["./spec/e_spec.rb"]
    assert found is not None and "  cannot load such file -- nope" in found[0].excerpt


def test_parallel_processes_one_after_the_other() -> None:
    # parallel_tests prints each process's report whole; two reports in one log
    lines = [*log("rspec", "fail.log"), *log("rspec", "load_error.log")]
    assert names(rspec.failures(lines)) == ["./spec/e_spec.rb", *FAILED]


def test_a_log_cut_before_the_failed_examples_names_by_description() -> None:
    lines = log("rspec", "fail.log")
    found = rspec.failures(cut(lines, "IOError:", 7))
    assert names(found) == ["Io reads empty files", "Io matches hashes", "Io when the disk is gone raises"]
    assert found is not None and found[-1].excerpt[-1] == "     IO"
    # cut inside the list: the examples listed get their location, the rest keep their description
    found = rspec.failures(cut(lines, "rspec ./spec/io_spec.rb:9", 12))
    assert names(found) == [*FAILED[:2], "Io when the disk is gone raises", "Parse handles 2"]


def test_a_200_line_backtrace_is_cut_to_the_excerpt_bound() -> None:
    lines = long_stack(
        ["Failures:", "", "  1) Io reads deep", "     Failure/Error: read", "     SystemStackError:"],
        "     # ./lib/io.rb:{0}:in `read'",
        ["", "Finished in 0.1 seconds", "1 example, 1 failure"],
    )
    found = rspec.failures(lines)
    assert names(found) == ["Io reads deep"]
    assert found is not None and len(found[0].excerpt) == base.EXCERPT_LINES
    assert found[0].excerpt[0] == "  1) Io reads deep"


def test_hostile_logs_are_read_quickly() -> None:
    near = ["Failures:", "  1) x", "rspec ./a:1 # x", "Failed examples:", "1 examples, 1 failures", "  2) "]
    for lines in hostile(near):
        assert timed(rspec.failures, lines) < 5
