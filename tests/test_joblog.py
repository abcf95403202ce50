"""Job logs made readable (bot.core.joblog), compared across twins (bot.core.results), and
shown in the results comment and check run (bot.render.results): the pure core."""

from __future__ import annotations

import time

from bot.core import joblog, junit, results
from bot.core.dialects.base import Failure
from bot.core.joblog import Reading, clean, error_excerpt, failed_step, read, step_lines, steps_of
from bot.core.limits import CHECK_OUTPUT_MAX_CHARS
from bot.core.pairing import Pair, Pairing, RunJob
from bot.core.results import Artifact, Comparison, compare_logs, logs_wanted
from bot.render import results as render
from bot.render import safe
from tests.job_logs import job_log

PYTEST_FAILURE = [
    "============================= test session starts ==============================",
    "collected 3 items",
    "",
    "tests/test_io.py .F.                                                       [100%]",
    "",
    "=================================== FAILURES ===================================",
    "_______________________________ test_read_big ________________________________",
    "",
    "    def test_read_big():",
    ">       assert read_word(b'\\x01\\x00') == 1",
    "E       assert 256 == 1",
    "",
    "tests/test_io.py:9: AssertionError",
    "=========================== short test summary info ============================",
    "FAILED tests/test_io.py::test_read_big - assert 256 == 1",
    "========================= 1 failed, 2 passed in 0.04s ==========================",
]


def test_timestamps_colours_and_group_markers_are_removed_and_errors_kept() -> None:
    data = (
        "\ufeff2026-05-28T10:00:00.1234567Z ##[group]Run pytest\n"
        "2026-05-28T10:00:00.2000000Z \x1b[36;1mpytest -q\x1b[0m\r\n"
        "2026-05-28T10:00:00.3000000Z ##[endgroup]\n"
        "2026-05-28T10:00:01.0000000Z \x1b]8;;https://x\x07link\x1b]8;;\x07 and \x1b[1mbold\x1b[0m\n"
        "2026-05-28T10:00:02.0000000Z ##[warning]slow\n"
        "2026-05-28T10:00:03.0000000Z ##[error]Process completed with exit code 1.\n"
        "no timestamp here\n"
    ).encode()
    log = clean(data)
    assert log.lines == [
        "Run pytest",
        "pytest -q",
        "link and bold",
        "slow",
        "##[error]Process completed with exit code 1.",
        "no timestamp here",
    ]
    assert log.stamps[:2] == ["2026-05-28T10:00:00"] * 2 and log.stamps[-1] == ""


def test_a_log_read_from_its_end_drops_its_first_part_line_and_long_lines_are_cut() -> None:
    data = b"ial line\n" + b"2026-05-28T10:00:00.0Z " + b"x" * 10_000 + b"\nlast\n\xff\xfe\n"
    log = clean(data, cut=True)
    assert log.cut and len(log.lines) == 3
    assert log.lines[0] == "x" * joblog.MAX_LINE_CHARS
    assert log.lines[1] == "last" and "\ufffd" in log.lines[2]  # bad UTF-8 is replaced, not fatal
    assert clean(b"").lines == [] and clean(b"only", cut=True).lines == []


def test_steps_come_from_the_jobs_api_in_utc_seconds() -> None:
    steps = steps_of(
        {
            "steps": [
                {
                    "name": "Set up job",
                    "number": 1,
                    "conclusion": "success",
                    "started_at": "2026-05-28T10:00:00Z",
                },
                {
                    "name": "Run tests",
                    "number": 4,
                    "conclusion": "failure",
                    "started_at": "2026-05-28T03:00:05.000-07:00",
                    "completed_at": "bad",
                },
                "not a step",
                {"name": ["hostile"], "number": "7", "conclusion": 3},
            ]
        }
    )
    assert [s.number for s in steps] == [1, 4, 3]
    assert steps[1].started == "2026-05-28T10:00:05" and steps[1].completed == ""
    assert steps[2].conclusion is None
    assert failed_step(steps) == steps[1]
    assert steps_of({"steps": None}) == () and steps_of({}) == ()


def test_the_failed_steps_error_is_found_by_its_time_with_the_lines_before_it() -> None:
    noise = [f"line {i}" for i in range(30)]
    data, api = job_log(
        [
            ("Lint", "failure", ["ruff: all good?", "##[error]an earlier error in another step"]),
            ("Run tests", "failure", [*noise, "boom: the real cause"]),
            ("Upload", "skipped", []),
        ]
    )
    steps = steps_of({"steps": api})
    log = clean(data)
    tests_step = next(s for s in steps if s.name == "Run tests")
    where = step_lines(log, tests_step)
    assert log.lines[where.start] == "Run Run tests" and log.lines[where.stop - 2] == "boom: the real cause"
    excerpt = error_excerpt(log, where)
    assert excerpt[-1] == "##[error]Process completed with exit code 1."
    assert excerpt[-2] == "boom: the real cause"
    assert len(excerpt) == joblog.ERROR_CONTEXT + 1 and excerpt[0] == "line 23"
    # A step whose times are unknown: the whole log is searched, from its end.
    assert error_excerpt(log, step_lines(log, joblog.Step(9, "x", "failure")))[-2] == "boom: the real cause"


def test_quoted_lines_lose_credentials_and_are_bounded() -> None:
    token = "ghp_" + "A1b2" * 9
    data, api = job_log(
        [
            (
                "Deploy",
                "failure",
                [
                    f"using {token}",
                    "cloning https://ci-bot:s3cr3t-pass@example.com/repo.git",
                    "AWS key AKIAABCDEFGHIJKLMNOP here",
                ],
            )
        ]
    )
    reading = read(5, data, steps_of({"steps": api}))
    quoted = "\n".join(reading.error)
    assert token not in quoted and "s3cr3t-pass" not in quoted and "AKIAABCDEFGHIJKLMNOP" not in quoted
    assert "https://ci-bot:[redacted]@example.com" in quoted and quoted.count("[redacted]") == 3
    assert len(joblog.quoted(str(i) for i in range(100))) == 20


def test_a_log_in_no_known_dialect_still_names_its_step_and_error() -> None:
    data, api = job_log([("Build", "failure", ["make: *** [all] Error 2"])])
    reading = read(9, data, steps_of({"steps": api}))
    assert reading.step == "Build" and reading.runners == () and reading.failures == {}
    assert reading.error[-2:] == ("make: *** [all] Error 2", "##[error]Process completed with exit code 1.")
    assert reading.problem is None
    cut = read(9, data, steps_of({"steps": api}), cut=True)
    assert cut.problem is not None and "only its end was read" in cut.problem


def test_an_unread_log_keeps_the_step_the_api_names() -> None:
    _, api = job_log([("Run tests", "failure", [])])
    reading = joblog.unread(3, steps_of({"steps": api}), "expired")
    assert (reading.step, reading.problem, reading.error) == ("Run tests", "expired", ())


# ------------------------------------------------------------------------ twins compared


def run_job(ident: int, name: str, conclusion: str, steps: tuple[joblog.Step, ...] = ()) -> RunJob:
    return RunJob(ident, 1, 1, ".github/workflows/ci.yml", name, (), "completed", conclusion, steps=steps)


def failures(*tests: str) -> dict[str, Failure]:
    return {test: Failure(test, (f"{test} failed",)) for test in tests}


def twins(amd: str, arm: str) -> Pair:
    amd_steps = (joblog.Step(3, "Run tests", "success" if amd == "success" else "failure"),)
    arm_steps = (joblog.Step(3, "Run tests", "success" if arm == "success" else "failure"),)
    return Pair(
        ".github/workflows/ci.yml",
        "test",
        {"python": "3.12"},
        run_job(1, "test (ubuntu-latest)", amd, amd_steps),
        run_job(2, "test (ubuntu-24.04-arm)", arm, arm_steps),
    )


def test_only_the_failed_sides_of_twins_that_differ_or_both_fail_are_read() -> None:
    assert logs_wanted(twins("success", "success")) == []
    differs = twins("success", "failure")
    assert logs_wanted(differs) == [differs.arm64]
    both = twins("failure", "timed_out")
    assert logs_wanted(both) == [both.amd64, both.arm64]
    waiting = Pair("w", "test", {}, run_job(1, "a", "success"), None)
    assert logs_wanted(waiting) == []


def test_a_test_failing_on_arm64_only_is_named_with_its_step() -> None:
    pair = twins("success", "failure")
    arm = Reading(
        2, "Run tests", ("##[error]exit 1",), ("pytest",), failures("tests/test_io.py::test_read_big")
    )
    logs = compare_logs(pair, {"arm64": arm}, [])
    assert [f.test for f in logs.failed_only_on["arm64"]] == ["tests/test_io.py::test_read_big"]
    assert logs.failed_only_on.get("amd64", []) == [] and logs.differs
    assert logs.step_outcome("arm64") == ("Run tests", "success")


def test_when_both_fail_only_the_tests_failing_on_one_side_are_differences() -> None:
    pair = twins("failure", "failure")
    amd = Reading(1, "Run tests", (), ("go test",), failures("TestShared", "TestOnlyAmd"))
    arm = Reading(2, "Run tests", (), ("go test",), failures("TestShared", "TestOnlyArm"))
    logs = compare_logs(pair, {"amd64": amd, "arm64": arm}, [])
    assert [f.test for f in logs.failed_only_on["arm64"]] == ["TestOnlyArm"]
    assert [f.test for f in logs.failed_only_on["amd64"]] == ["TestOnlyAmd"]
    same = compare_logs(
        pair, {"amd64": amd, "arm64": Reading(2, "Run tests", (), ("go test",), amd.failures)}, []
    )
    assert not same.differs  # both failed the same way: the architectures agree


def test_a_side_whose_log_names_no_test_makes_no_test_claim() -> None:
    pair = twins("failure", "failure")
    amd = Reading(1, "Run tests", (), (), {}, problem="expired")
    arm = Reading(2, "Run tests", (), ("pytest",), failures("tests/t.py::test_x"))
    logs = compare_logs(pair, {"amd64": amd, "arm64": arm}, [])
    assert not any(logs.failed_only_on.values())


def test_junit_reports_of_the_same_jobs_name_the_tests_first() -> None:
    pair = twins("success", "failure")
    arm = Reading(2, "Run tests", (), ("pytest",), failures("tests/t.py::test_x"))
    covering = Comparison(
        "test-results",
        Artifact(7, "test-results-amd64", 1, 0),
        Artifact(8, "test-results-arm64", 1, 0),
        junit.TestDiff(),
        frozenset({2}),
    )
    logs = compare_logs(pair, {"arm64": arm}, [covering])
    assert logs.junit == "test-results" and logs.failed_only_on == {}
    other = Comparison("other", covering.amd64, covering.arm64, junit.TestDiff(), frozenset({99}))
    assert compare_logs(pair, {"arm64": arm}, [other]).junit is None


# ------------------------------------------------------------------------------ rendering


def rendered(
    readings: dict[str, Reading], pair: Pair, excerpts: bool = True
) -> tuple[str, tuple[str, str, str]]:
    tests = results.TestResults(logs=[compare_logs(pair, readings, [])])
    pairing = Pairing([pair])
    return render.comment("a" * 40, pairing, tests, excerpts=excerpts), render.check_output(
        pairing, tests, True
    )


def test_the_comment_names_the_step_the_tests_and_quotes_each_failure_collapsed() -> None:
    pair = twins("success", "failure")
    excerpt = ("    def test_read_big():", "E       assert 256 == 1", "```", "<script>")
    arm = Reading(
        2,
        "Run tests",
        ("E  assert 256 == 1", "##[error]Process completed with exit code 1."),
        ("pytest",),
        {"tests/test_io.py::test_read_big": Failure("tests/test_io.py::test_read_big", excerpt)},
    )
    body, (conclusion, _, summary) = rendered({"arm64": arm}, pair)
    assert "`Run tests` failed on arm64" in body.replace("<code>", "`").replace("</code>", "`")
    assert "**arm64**: step `Run tests` failed; on amd64 it passed." in body
    assert f"<summary><code>{safe.text('tests/test_io.py::test_read_big')}</code></summary>" in body
    assert "E       assert 256 == 1" in body and "````\n" in body  # a fence that outlasts the log's
    assert "<script>" in body  # inside a fence: shown as text
    assert conclusion == "failure"
    assert (
        "1 test of `test` python=3.12 fails on arm64 only (from its log): `tests/test_io.py::test_read_big`"
        in summary
    )
    without, _ = rendered({"arm64": arm}, pair, excerpts=False)
    assert "E       assert 256 == 1" not in without and "assert 256" not in without
    assert "- `tests/test_io.py::test_read_big`" in without and "`Run tests`" in without


def test_the_comment_says_plainly_when_a_log_could_not_be_read_or_held_no_known_runner() -> None:
    pair = twins("success", "failure")
    expired = Reading(2, "Run tests", problem="expired: GitHub keeps logs only for the retention period (410)")
    body, _ = rendered({"arm64": expired}, pair)
    assert "_The arm64 log: expired: GitHub keeps logs only for the retention period (410)._" in body
    unknown = Reading(2, "Build", ("##[error]exit 2",))
    body, _ = rendered({"arm64": unknown}, pair)
    assert "No test runner's output known to parity-bot was found in the arm64 log" in body


def test_reading_a_long_log_is_linear() -> None:
    lines = [("Run tests", "failure", [f"noise {i} " + "x" * 80 for i in range(200_000)])]
    data, api = job_log(lines)
    began = time.perf_counter()
    reading = read(1, data, steps_of({"steps": api}))
    elapsed = time.perf_counter() - began
    assert reading.error[-1].startswith("##[error]")
    assert elapsed < 20, f"{elapsed:.1f} s for {len(data) // 1_000_000} MB"


def test_many_long_failures_of_one_pair_leave_room_for_the_rest_of_the_comment() -> None:
    pair = twins("success", "failure")
    long = tuple("x" * 5000 + str(i) for i in range(40))
    many = {f"tests/t.py::test_{i}": Failure(f"tests/t.py::test_{i}", joblog.quoted(long)) for i in range(15)}
    body, _ = rendered({"arm64": Reading(2, "Run tests", joblog.quoted(long), ("pytest",), many)}, pair)
    assert len(body) < render.SECTION_CHARS + 6000 and "Truncated" not in body
    assert all(len(line) <= joblog.QUOTED_LINE_CHARS for line in body.splitlines())
    assert "- `tests/t.py::test_14`" in body  # named, without its excerpt


def test_a_private_key_printed_over_many_lines_is_taken_out_whole() -> None:
    body = [f"MIIEow{i:02d}AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcdefgh" for i in range(30)]
    key = ["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"]
    data, api = job_log([("Deploy", "failure", [*key, "boom"])])
    reading = read(5, data, steps_of({"steps": api}))
    quoted = "\n".join(reading.error)
    assert "MIIEow" not in quoted and "boom" in quoted  # the window holds only the key's body
    assert reading.error.count("[redacted]") >= 5


def test_quoted_failures_and_a_readings_size_are_bounded() -> None:
    lines = [f"FAILED tests/t.py::test_{i} - boom" for i in range(600)] + ["==== 600 failed in 1.0s ===="]
    data, api = job_log([("Run tests", "failure", lines)])
    reading = read(5, data, steps_of({"steps": api}))
    assert len(reading.failures) == 500 and not reading.complete  # more than are kept
    assert sum(1 for failure in reading.failures.values() if failure.excerpt) == joblog.QUOTED_FAILURES
    assert joblog.size(reading) < 200_000


def test_an_incomplete_log_clears_no_test_of_the_other_side() -> None:
    pair = twins("failure", "failure")
    arm = Reading(2, "Run tests", (), ("pytest",), failures("tests/t.py::test_x"))
    cut = Reading(1, "Run tests", (), ("pytest",), failures("tests/t.py::test_y"), complete=False)
    logs = compare_logs(pair, {"amd64": cut, "arm64": arm}, [])
    assert logs.failed_only_on.get("arm64") is None  # amd64's log may have lost test_x
    assert [f.test for f in logs.failed_only_on["amd64"]] == ["tests/t.py::test_y"]


def test_twins_that_failed_alike_get_no_section_and_the_check_summary_fits() -> None:
    pair = twins("failure", "failure")
    same = failures("tests/t.py::test_x")
    sides = {
        "amd64": Reading(1, "Run tests", (), ("pytest",), same),
        "arm64": Reading(2, "Run tests", (), ("pytest",), same),
    }
    body, (conclusion, _, _) = rendered(sides, pair)
    assert "<details>" not in body and conclusion == "success"
    many = [twins("success", "failure") for _ in range(300)]
    long = {f"tests/{'x' * 250}_{i}.py::test": Failure(f"tests/{'x' * 250}_{i}.py::test") for i in range(15)}
    reading = Reading(2, "Run tests", (), ("pytest",), long)
    tests = results.TestResults(logs=[compare_logs(p, {"arm64": reading}, []) for p in many])
    _, _, summary = render.check_output(Pairing(many), tests, True)
    assert len(summary) <= CHECK_OUTPUT_MAX_CHARS and summary.endswith("characters here)\n")
