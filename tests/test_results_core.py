"""Pairing legs, reading JUnit artifacts, comparing tests, rendering, commands: the pure core."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from bot.core.analysis import analyze
from bot.core.commands import Command, parse, plan_rerun
from bot.core.config import Policy, policy_from_dict
from bot.core.junit import FAILED, JUnitError, compare, parse_report, read_artifact
from bot.core.junit import TestCase as Case
from bot.core.pairing import RunJob, latest_attempts, pair, parse_time
from bot.core.results import Artifact, analyse
from bot.render import replies
from bot.render import results as render
from tests.conftest import CORPUS

TODAY = date(2026, 11, 28)
DGX = ("self-hosted", "arm64", "dgx")
NOW = 1_800_000_000.0


def job(
    name: str,
    labels: tuple[str, ...],
    conclusion: str | None = "success",
    *,
    workflow: str = ".github/workflows/run-tests.yml",
    status: str = "completed",
    run_id: int = 1,
    attempt: int = 1,
    ident: int | None = None,
    seconds: float = 60,
) -> RunJob:
    return RunJob(
        ident or abs(hash((name, labels, attempt, run_id))) % 10**9,
        run_id,
        attempt,
        workflow,
        name,
        labels,
        status,
        conclusion if status == "completed" else None,
        created_at=NOW - 3000,
        started_at=NOW - 1000,
        completed_at=NOW - 1000 + seconds if status == "completed" else None,
        html_url=f"https://github.com/o/r/runs/{name}",
    )


def ipfs(state: str, *names: str):
    files = {f".github/workflows/{n}": (CORPUS / "ipfs_kit_py" / state / n).read_bytes() for n in names}
    return analyze(files, Policy(), TODAY)


# ------------------------------------------------------------------------------ pairing


def test_jobs_get_their_legs_and_twins_from_the_analyzer() -> None:
    report = ipfs("after", "run-tests.yml")
    jobs = []
    for version in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"):
        jobs.append(job(f"Test Python {version} on amd64", ("ubuntu-20.04",)))
        jobs.append(
            job(
                f"Test Python {version} on arm64", DGX, "failure" if version == "3.9" else "success", seconds=90
            )
        )
    result = pair(report, jobs, Policy(), NOW)
    test_pairs = [p for p in result.pairs if p.job_id == "test"]
    assert len(test_pairs) == 6 and all(p.ready for p in test_pairs)
    assert [p.matrix for p in test_pairs if p.outcome_differs] == [{"python-version": 3.9}]
    assert test_pairs[0].ratio == pytest.approx(1.5)
    assert result.complete


def test_missing_leg_differs_from_a_queued_one() -> None:
    report = ipfs("optional", "run-tests.yml")
    jobs = [job(f"Test Python {v} on amd64", ("ubuntu-20.04",)) for v in ("3.9", "3.10", "3.11")]
    jobs.append(job("Test Python 3.10 on arm64", DGX, status="queued"))
    jobs.append(job("Test Python 3.11 on arm64", DGX))
    result = pair(report, jobs, Policy(), NOW, runner_wait=60)
    notes = {str(p.matrix["python-version"]): p.note for p in result.pairs if p.job_id == "test"}
    assert notes == {
        "3.9": "no arm64 leg: the workflow has none",
        "3.10": "arm64 leg queued for 50 min",
        "3.11": None,
    }
    assert not result.complete  # 3.10 on arm64 has not run yet
    assert not any(p.stuck for p in result.pairs)
    # Past the wait limit (30 minutes by default) the watchdog names it.
    result = pair(report, jobs, Policy(), NOW)
    stuck = [p for p in result.pairs if p.stuck]
    assert [p.note for p in stuck] == [
        "arm64 leg queued for 50 min: no runner with labels [self-hosted, arm64, dgx] picked it up"
    ]


def test_default_names_and_the_fallback_by_name() -> None:
    workflow = (
        b"on: push\njobs:\n  unit:\n    runs-on: ${{ matrix.os }}\n    strategy:\n"
        b"      matrix:\n        os: [ubuntu-latest, ubuntu-24.04-arm]\n"
        b"        py: ['3.12']\n    steps: [{run: pytest}]\n"
        b"  other:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
    )
    report = analyze({".github/workflows/ci.yml": workflow}, Policy(), TODAY)
    jobs = [
        job("unit (ubuntu-latest, 3.12)", ("ubuntu-latest",), workflow=".github/workflows/ci.yml"),
        job(
            "unit (ubuntu-24.04-arm, 3.12)",
            ("ubuntu-24.04-arm",),
            "failure",
            workflow=".github/workflows/ci.yml",
        ),
        job("smoke-x86_64", ("ubuntu-latest",), workflow=".github/workflows/ci.yml"),
        job("smoke-aarch64", ("ubuntu-24.04-arm",), workflow=".github/workflows/ci.yml"),
    ]
    result = pair(report, jobs, Policy(), NOW)
    by_job = {p.job_id: p for p in result.pairs}
    assert by_job["unit"].matrix == {"py": "3.12"} and by_job["unit"].outcome_differs
    assert by_job["smoke"].amd64 is not None and by_job["smoke"].arm64 is not None


def test_latest_attempt_counts_and_failed_then_passed_is_flaky() -> None:
    first = job("t", DGX, "failure", attempt=1, ident=1)
    second = job("t", DGX, "success", attempt=2, ident=2)
    (latest,) = latest_attempts([second, first])
    assert (latest.id, latest.flaky) == (2, True)
    (still_failing,) = latest_attempts(
        [job("u", DGX, "success", attempt=1, ident=3), job("u", DGX, "failure", attempt=2, ident=4)]
    )
    assert (still_failing.conclusion, still_failing.flaky) == ("failure", False)


# -------------------------------------------------------------------------------- JUnit


def junit(*cases: tuple[str, str, float]) -> bytes:
    body = []
    for name, outcome, seconds in cases:
        inner = {"failed": "<failure message='x'/>", "skipped": "<skipped/>"}.get(outcome, "")
        body.append(f"<testcase classname='t' name='{name}' time='{seconds}'>{inner}</testcase>")
    return (
        "<testsuites><testsuite name='s'><testsuite name='inner'>"
        + "".join(body)
        + "</testsuite></testsuite></testsuites>"
    ).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_reports_are_read_from_zips_with_nested_suites() -> None:
    cases = read_artifact(
        zipped(
            {
                "a/report.xml": junit(("one", "passed", 0.1)),
                "b.xml": junit(("two", "failed", 0.2)),
                "notes.txt": b"x",
            }
        )
    )
    assert {k: v.outcome for k, v in cases.items()} == {"t::one": "passed", "t::two": FAILED}


@pytest.mark.parametrize(
    "data",
    [
        b"not a zip",
        zipped(
            {
                "r.xml": b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'>"
                b"<!ENTITY b '&a;&a;&a;&a;&a;'>]><testsuite>&b;</testsuite>"
            }
        ),
        zipped({"r.xml": b"<!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><testsuite>&x;</testsuite>"}),
        zipped({"bomb.xml": b"<testsuite>" + b" " * 5_000_000 + b"</testsuite>"}),
    ],
)
def test_hostile_artifacts_are_refused(data: bytes) -> None:
    with pytest.raises(JUnitError):
        read_artifact(data)


def test_tests_are_compared_across_architectures() -> None:
    amd = parse_report(
        junit(
            ("a", "passed", 1.0),
            ("b", "passed", 1.0),
            ("c", "passed", 0.5),
            ("gone", "passed", 0.1),
            ("d", "failed", 0.1),
        )
    )
    arm = parse_report(
        junit(
            ("a", "failed", 1.0),
            ("b", "passed", 3.0),
            ("c", "skipped", 0.0),
            ("new", "passed", 0.1),
            ("d", "failed", 0.1),
        )
    )
    diff = compare(amd, arm)
    assert diff.failed_only_on == {"amd64": [], "arm64": ["t::a"]}
    assert diff.skipped_only_on == {"amd64": [], "arm64": ["t::c"]}
    assert diff.present_only_on == {"amd64": ["t::gone"], "arm64": ["t::new"]}
    assert diff.slower_on_arm64 == [("t::b", 1.0, 3.0)]
    assert diff.differs and not compare(amd, amd).differs


# ------------------------------------------------------------------ attribution, rendering


def test_artifacts_are_attributed_and_swallowed_failures_found() -> None:
    report = ipfs("after", "run-tests.yml")
    jobs = [
        job("Test Python 3.11 on amd64", ("ubuntu-20.04",), run_id=5),
        job("Test Python 3.11 on arm64", DGX, "success", run_id=5),
        job("Test Python 3.12 on amd64", ("ubuntu-20.04",), run_id=5),
        job("Test Python 3.12 on arm64", DGX, run_id=5),
    ]
    result = pair(report, jobs, Policy(), NOW)
    ok = {"t::x": Case("t::x", "passed", 1.0)}
    bad = {"t::x": Case("t::x", "failed", 1.0)}
    artifacts = [
        Artifact(1, "test-results-3.11-amd64", 5, 10, ok),
        Artifact(2, "test-results-3.11-arm64", 5, 10, bad),
        Artifact(3, "coverage", 5, 10, error="not a zip file"),
    ]
    tests = analyse(artifacts, result)
    assert [c.label for c in tests.comparisons] == ["test-results-3.11"]
    assert tests.comparisons[0].diff.failed_only_on["arm64"] == ["t::x"]
    assert [(s.job.name, s.arch, s.failed) for s in tests.swallowed] == [
        ("Test Python 3.11 on arm64", "arm64", 1)
    ]
    assert [a.name for a in tests.unreadable] == ["coverage"]
    body = render.comment("abcdef0123", result, tests)
    assert body.startswith(render.MARKER)
    assert "Failures swallowed" in body and "failed only on arm64 (1): `t::x`" in body
    conclusion, title, _ = render.check_output(result, tests, fail_on_difference=True)
    assert conclusion == "failure" and "differ" in title
    assert render.check_output(result, tests, fail_on_difference=False)[0] == "neutral"


def test_the_comment_fits_githubs_limit() -> None:
    report = ipfs("after", "run-tests.yml")
    jobs = [job("Test Python 3.11 on amd64", ("ubuntu-20.04",)), job("Test Python 3.11 on arm64", DGX)]
    result = pair(report, jobs, Policy(), NOW)
    many = {f"t::test_{i:05d}_{'x' * 40}": Case(f"t::test_{i}", "passed", 0.1) for i in range(4000)}
    artifacts = [Artifact(1, f"test-results-{n}-amd64", 1, 1, many) for n in range(300)]
    artifacts += [Artifact(2, f"test-results-{n}-arm64", 1, 1, {}) for n in range(300)]
    body = render.comment("abcdef0", result, analyse(artifacts, result), limit=65_536)
    assert len(body) <= 65_536
    assert "Truncated" in body


def test_policy_reads_fail_on_difference() -> None:
    assert policy_from_dict({"results": {"fail_on_difference": False}}).fail_on_difference is False


# ------------------------------------------------------------------------------ commands


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/parity rerun arm64", [Command("rerun", "arm64")]),
        ("Thanks!\n/PARITY Rerun AMD64 --all-jobs", [Command("rerun", "amd64", True)]),
        ("/parity rerun all --failed", [Command("rerun", "all")]),
        ("/parity check\n/parity help", [Command("check"), Command("help")]),
        ("/parity", [Command("help")]),
        ("/parity rerun ppc64le", [Command("help", unknown="rerun ppc64le")]),
        ("please /parity rerun arm64", []),  # not at the start of a line
        ("no command here", []),
    ],
)
def test_commands_are_parsed(body: str, expected: list[Command]) -> None:
    assert parse(body) == expected


def test_a_rerun_plan_takes_finished_recent_runs_and_names_the_others() -> None:
    recent = {"id": 1, "name": "Tests", "status": "completed", "created_at": "2027-01-15T08:00:00Z"}
    running = {"id": 2, "name": "Docker", "status": "in_progress", "created_at": "2027-01-15T08:00:00Z"}
    old = {"id": 3, "name": "Nightly", "status": "completed", "created_at": "2026-11-01T08:00:00Z"}
    quiet = {"id": 4, "name": "Lint", "status": "completed", "created_at": "2027-01-15T08:00:00Z"}
    failed_arm = job("Test on arm64", DGX, "failure", run_id=1)
    passed_arm = job("Build on arm64", DGX, run_id=1)
    failed_amd = job("Test on amd64", ("ubuntu-latest",), "failure", run_id=1)
    runs = [
        (recent, [failed_arm, passed_arm, failed_amd]),
        (running, [job("Image arm64", ("ubuntu-24.04-arm",), "cancelled", run_id=2)]),
        (old, [job("Nightly arm64", DGX, "failure", run_id=3)]),
        (quiet, [job("Lint", ("ubuntu-latest",), "failure", run_id=4)]),
    ]
    now = parse_time("2027-01-15T09:00:00Z") or 0.0
    plan = plan_rerun(runs, Command("rerun", "arm64"), Policy(), now)
    assert [(run["id"], leg.name) for run, leg in plan.jobs] == [(1, "Test on arm64")]
    assert (plan.running, plan.too_old) == ([running], [old])
    every = plan_rerun(runs, Command("rerun", "all", True), Policy(), now)
    assert [leg.name for _, leg in every.jobs] == ["Test on arm64", "Build on arm64", "Test on amd64", "Lint"]

    answer = replies.rerun_answer(
        Command("rerun", "arm64"),
        "0123456789",
        plan.jobs,
        [(passed_arm, "403 Forbidden")],
        plan.running,
        plan.too_old,
    )
    assert answer == (
        "Rerunning 1 failed or cancelled arm64 leg at `0123456`:\n"
        "- [Test on arm64](https://github.com/o/r/runs/Test on arm64) in [Tests]()\n\n"
        "- Build on arm64: GitHub refused the rerun (403 Forbidden)\n\n"
        "Not rerun: [Docker]() still running. GitHub only reruns finished runs; ask again when it ends.\n\n"
        "Not rerun: 1 run is older than 30 days, which GitHub no longer reruns."
    )
    nothing = replies.rerun_answer(Command("rerun", "all", True), "0123456789", [], [], [], [])
    assert nothing == "Nothing to rerun: no amd64 and arm64 leg at `0123456`."
    every_answer = replies.rerun_answer(Command("rerun", "all", True), "0123456789", every.jobs[:2], [], [], [])
    assert every_answer.startswith("Rerunning 2 amd64 and arm64 legs at `0123456`:\n- [Test on arm64]")


# ------------------------------------------------------------------ unreadable and oversized


def _stored(name: str, data: bytes) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(name, data)
    return bytearray(buffer.getvalue())


def _headers(data: bytearray, local: int, central: int, value: bytes) -> bytes:
    """`value` written at an offset of the local and of the central header of a one-file zip."""
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        at = data.find(signature) + offset
        data[at : at + len(value)] = value
    return bytes(data)


REPORT = junit(("one", "passed", 0.1))


def _bad_crc() -> bytes:
    data = _stored("r.xml", REPORT)
    at = data.find(b"one")
    data[at] = ord("x")
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_bad_crc(), "Bad CRC-32"),
        (_headers(_stored("r.xml", REPORT), 8, 10, b"\x09\x00"), "compression method is not supported"),
        (_headers(_stored("r.xml", REPORT), 6, 8, b"\x01\x00"), "encrypted"),
        (bytes(_stored("r.xml", b"<html><body/></html>")), "not a JUnit report"),
        (bytes(_stored("r.xml", b"<testsuite><testcase")), "not a safe XML document"),
        (bytes(_stored("r.xml", REPORT))[:-30], "not a zip file"),  # cut inside its end record
    ],
)
def test_every_way_an_archive_cannot_be_read_is_a_junit_error(data: bytes, why: str) -> None:
    with pytest.raises(JUnitError) as raised:
        read_artifact(data)
    assert why in str(raised.value)


def test_times_that_are_not_numbers_are_unknown_not_fatal() -> None:
    cases = parse_report(
        b"<testsuite><testcase name='a' time='1,5'/><testcase name='b' time='NaN'/>"
        b"<testcase name='c' time='-3'/><testcase name='d' time='inf'/>"
        b"<testcase name='e' time='2'/></testsuite>"
    )
    assert {key: case.seconds for key, case in cases.items()} == {"a": 0, "b": 0, "c": 0, "d": 0, "e": 2.0}


def test_test_cases_past_the_cap_stop_the_read() -> None:
    body = "".join(f"<testcase name='t{i}'/>" for i in range(101))
    data = zipped({"a.xml": f"<testsuite>{body}</testsuite>".encode(), "b.xml": REPORT})
    assert len(read_artifact(data, max_cases=102)) == 102
    with pytest.raises(JUnitError, match="more than 101 test cases"):
        read_artifact(data, max_cases=101)  # counted across the artifact's reports


def test_an_archive_listing_too_many_files_is_refused_before_they_are_read() -> None:
    from bot.core.junit import MAX_MEMBERS

    data = zipped({f"{i}.txt": b"" for i in range(MAX_MEMBERS + 1)})
    with pytest.raises(JUnitError, match=f"lists {MAX_MEMBERS + 1} files"):
        read_artifact(data)


def test_an_artifact_is_read_from_a_file_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(zipped({"r.xml": REPORT}))
    with path.open("rb") as handle:
        assert list(read_artifact(handle)) == ["t::one"]


def test_suites_nest_and_only_a_cases_own_children_decide_its_outcome() -> None:
    cases = parse_report(
        b"<testsuites><testsuite><testsuite><testcase classname='k' name='a'><skipped/>"
        b"<failure/></testcase><testcase name='b'><properties><failure/></properties></testcase>"
        b"<testcase name='c'><skipped/></testcase></testsuite></testsuite></testsuites>"
    )
    assert {key: case.outcome for key, case in cases.items()} == {"k::a": FAILED, "b": "passed", "c": "skipped"}


def test_a_report_with_entities_is_refused_as_a_junit_error() -> None:
    with pytest.raises(JUnitError, match="EntitiesForbidden"):
        parse_report(b"<!DOCTYPE r [<!ENTITY a 'x'>]><testsuite>&a;</testsuite>")
