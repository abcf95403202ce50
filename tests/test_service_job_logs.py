"""End to end: a pair of twins differs and no test report was uploaded; the results comment
names the failed step and the failing tests from the jobs' own logs.

The logs are served as GitHub serves them: the API answers 302 to storage on another origin
(the fake's FakeStorage), which refuses a request that forwards the installation token, and
answers 410 once a log has expired.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.joblog import MAX_LOG_BYTES, read, steps_of
from bot.core.limits import LOGS_PER_COMMIT
from bot.core.pairing import Pair, Pairing, RunJob
from bot.service import rest
from bot.service.deliver import Overrides, sample
from bot.service.events import Repo
from bot.service.github import Clients
from bot.service.metrics import Registry
from bot.service.results import Memory, Snapshot, job_logs
from tests.fake_github import FakeGitHub, Repository
from tests.inert import assert_inert, live
from tests.job_logs import job_log
from tests.service_harness import (
    APP_ID,
    INSTALLATION,
    Service,
    add_job,
    add_run,
    app_key,
    moment,
    results_comment,
    wait_until,
    with_pull,
)

DATA = Path(__file__).parent / "data" / "logs"
WORKFLOW = ".github/workflows/ci.yml"
CI = b"""name: CI
on: [pull_request]
jobs:
  test:
    strategy:
      fail-fast: false
      matrix:
        os: [ubuntu-latest, ubuntu-24.04-arm]
    runs-on: ${{ matrix.os }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
      - run: pip install -e .
      - name: Run tests
        run: pytest
"""
PYTEST_ARM64 = [
    "============================= test session starts ==============================",
    "platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0",
    "rootdir: /home/runner/work/demo/demo",
    "collected 3 items",
    "",
    "tests/test_io.py .F.                                                     [100%]",
    "",
    "=================================== FAILURES ===================================",
    "______________________________ test_read_word_le ______________________________",
    "",
    "    def test_read_word_le():",
    ">       assert read_word(b'\\x01\\x00') == 1",
    "E       AssertionError: assert 256 == 1",
    "E        +  where 256 = read_word(b'\\x01\\x00')",
    "",
    "tests/test_io.py:9: AssertionError",
    "=========================== short test summary info ============================",
    "FAILED tests/test_io.py::test_read_word_le - AssertionError: assert 256 == 1",
    "========================= 1 failed, 2 passed in 0.05s ==========================",
]
PYTEST_AMD64 = [
    "collected 3 items",
    "",
    "tests/test_io.py ...                                                     [100%]",
    "",
    "============================== 3 passed in 0.04s ===============================",
]


def log_requests(github: FakeGitHub) -> list[Any]:
    return github.calls("GET", r"/actions/jobs/\d+/logs$")


def ci(
    github: FakeGitHub, number: int, amd: tuple[str, list[str]], arm: tuple[str, list[str]], name: str = "demo"
) -> tuple[Repository, str, dict, dict[str, dict]]:
    """A repository whose pull request `number` ran CI: the `test` job on ubuntu-latest and
    on ubuntu-24.04-arm, each with (conclusion, the test step's output) and its log."""
    sha = hashlib.sha1(f"{name}:{number}".encode()).hexdigest()
    repo, sha = with_pull(github, "octo", name, number, sha, {WORKFLOW: CI}, {WORKFLOW: CI}, "", None)
    repo.installation = INSTALLATION
    run = add_run(repo, sha)
    run["path"] = WORKFLOW
    jobs: dict[str, dict] = {}
    for arch, label, (conclusion, output) in (
        ("amd64", "ubuntu-latest", amd),
        ("arm64", "ubuntu-24.04-arm", arm),
    ):
        job = add_job(repo, run, f"test ({label})", [label], conclusion)
        data, steps = job_log(
            [
                ("actions/checkout@v4", "success", ["Syncing repository: octo/demo"]),
                ("pip install -e .", "success", ["Successfully installed demo-0.1"]),
                ("Run tests", conclusion, output),
            ]
        )
        job["steps"] = steps
        repo.logs[job["id"]] = data
        jobs[arch] = job
    return repo, sha, run, jobs


def completed(repo: Repository, sha: str, run: dict, number: int) -> dict[str, Any]:
    """GitHub's `workflow_run` completed event for this run (the App's own sample)."""
    payload = sample(
        "workflow_run.completed",
        Overrides(repository=repo.full_name, installation=INSTALLATION, number=number, sha=sha),
    )
    payload["workflow_run"].update({"id": run["id"], "head_sha": sha, "path": WORKFLOW, "updated_at": moment()})
    payload["workflow_run"]["pull_requests"] = [{"number": number, "head": {"sha": sha}}]
    return payload


def test_a_failing_pytest_test_on_arm64_is_named_from_the_log(github: FakeGitHub, service: Service) -> None:
    repo, sha, run, jobs = ci(github, 31, ("success", PYTEST_AMD64), ("failure", PYTEST_ARM64))
    service.deliver("workflow_run", completed(repo, sha, run, 31))
    body = wait_until(lambda: results_comment(github, 31), 30, "the results comment")
    assert "Failed on arm64 only (1):" in body and "test&#95;read&#95;word&#95;le</code></summary>" in body
    assert "step `Run tests` failed; on amd64 it passed." in body
    assert "E       AssertionError: assert 256 == 1" in body  # the test's excerpt
    assert "##[error]Process completed with exit code 1." in body  # the step's error
    # One request, for the failed side only; storage was asked without the token, for the end.
    (request,) = log_requests(github)
    assert request.path.endswith(f"/jobs/{jobs['arm64']['id']}/logs")
    (stored,) = github.storage.requests  # a small log: read whole, in one request
    assert stored.status == 200 and "range" not in stored.headers
    assert "authorization" not in stored.headers
    check = wait_until(
        lambda: [r for r in github.runs_for(sha) if r["name"] == "Arch parity results"], 10, "check"
    )
    assert check[0]["conclusion"] == "failure"
    assert "tests/test_io.py::test_read_word_le" in check[0]["output"]["summary"]
    # The same run completing again (a second event for the commit) reads no log again.
    service.deliver("workflow_run", completed(repo, sha, run, 31))
    wait_until(lambda: len(github.calls("GET", r"/actions/runs/\d+/jobs")) >= 2, 30, "the second look")
    time.sleep(1)
    assert len(log_requests(github)) == 1
    metrics = httpx.get(service.url + "/metrics", timeout=5).text
    assert 'parity_job_logs_total{outcome="read"} 1.0' in metrics
    assert 'parity_job_logs_total{outcome="cached"} 1.0' in metrics


def test_twins_that_agree_cost_no_log_request(github: FakeGitHub, service: Service) -> None:
    repo, sha, run, _ = ci(github, 32, ("success", PYTEST_AMD64), ("success", PYTEST_AMD64))
    service.deliver("workflow_run", completed(repo, sha, run, 32))
    wait_until(lambda: results_comment(github, 32), 30, "the results comment")
    assert log_requests(github) == [] and github.storage.requests == []


def test_an_expired_log_is_said_plainly_and_the_step_still_named(github: FakeGitHub, service: Service) -> None:
    repo, sha, run, jobs = ci(github, 33, ("success", PYTEST_AMD64), ("failure", PYTEST_ARM64))
    repo.expired_logs.add(jobs["arm64"]["id"])
    service.deliver("workflow_run", completed(repo, sha, run, 33))
    body = wait_until(lambda: results_comment(github, 33), 30, "the results comment")
    assert "expired: GitHub keeps logs only for the repository's retention period (410)" in body
    assert "step `Run tests` failed" in body  # from the jobs API
    assert github.storage.requests == []


def test_log_excerpts_can_be_turned_off_keeping_the_test_names(github: FakeGitHub, service: Service) -> None:
    repo, sha, run, _ = ci(github, 34, ("success", PYTEST_AMD64), ("failure", PYTEST_ARM64))
    repo.files["main"][".github/parity.yml"] = b"results: {log_excerpts: false}\n"
    service.deliver("workflow_run", completed(repo, sha, run, 34))
    body = wait_until(lambda: results_comment(github, 34), 30, "the results comment")
    assert "`tests/test_io.py::test_read_word_le`" in body
    assert "assert 256 == 1" not in body and "##[error]" not in body


def _fixture(dialect: str, name: str) -> list[str]:
    return (DATA / dialect / name).read_text().splitlines()


@pytest.mark.parametrize(
    ("dialect", "failing", "passing", "test"),
    [
        ("gotest", "verbose.log", "passing_verbose.log", "github.com/x/y/parse TestParse/empty"),
        ("cargo", "failing.log", "passing.log", "io::tests::reads"),
        ("jest", "failing.log", "passing.log", "src/io.test.js › Reader › reads twice"),
    ],
)
def test_go_rust_and_javascript_failures_are_named_from_the_log(
    github: FakeGitHub, service: Service, dialect: str, failing: str, passing: str, test: str
) -> None:
    repo, sha, run, _ = ci(
        github,
        35,
        ("success", _fixture(dialect, passing)),
        ("failure", _fixture(dialect, failing)),
        name=dialect,
    )
    service.deliver("workflow_run", completed(repo, sha, run, 35))
    body = wait_until(lambda: results_comment(github, 35), 30, "the results comment")
    assert "failed on arm64 only" in body, body
    assert test in body


def test_when_both_fail_the_tests_failing_on_one_side_only_are_named(
    github: FakeGitHub, service: Service
) -> None:
    amd = [line.replace("test_read_word_le", "test_shared") for line in PYTEST_ARM64]
    arm = [
        *amd[:-2],
        "FAILED tests/test_io.py::test_shared - boom",
        "FAILED tests/test_io.py::test_only_arm - boom",
        "==== 2 failed in 0.1s ====",
    ]
    repo, sha, run, _ = ci(github, 36, ("failure", amd), ("failure", arm))
    service.deliver("workflow_run", completed(repo, sha, run, 36))
    body = wait_until(lambda: results_comment(github, 36), 30, "the results comment")
    assert len(log_requests(github)) == 2
    assert "test_only_arm" in body and "Failed on arm64 only (1)" in body
    assert "Failed on amd64 only" not in body


async def test_a_100_mb_log_is_read_within_the_cap_from_a_store_that_ignores_ranges(github: FakeGitHub) -> None:
    data, steps = job_log([("Run tests", "failure", ["x" * 100] * 1_000_000 + PYTEST_ARM64)])
    assert len(data) > 100 * 1024 * 1024
    repo = Repository("octo", "big", installation=INSTALLATION)
    repo.logs[7] = data
    github.repos[repo.full_name] = repo
    github.storage.ranges = False
    clients = Clients(str(APP_ID), app_key()[0], github.url, 30.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        tail, cut = await api.download_tail(rest.JOB_LOGS, MAX_LOG_BYTES, repo=repo.full_name, job_id=7)
    assert cut and len(tail) == MAX_LOG_BYTES and data.endswith(tail)
    reading = await asyncio.to_thread(read, 7, tail, steps_of({"steps": steps}), cut)
    assert "only its end was read" in (reading.problem or "")
    assert reading.error[-1].startswith("##[error]")


def test_what_a_log_says_reaches_the_comment_inert(github: FakeGitHub, service: Service) -> None:
    hostile = [
        "tests/test_io.py::test_a[@octo-org/maintainers]",
        "tests/test_io.py::test_b[</details><img src=http://evil.example/p.png>]",
        "tests/test_io.py::test_c[octo/demo#1 https://evil.example]",
    ]
    arm = [
        "=================================== FAILURES ===================================",
        "_________________________ test_a[@octo-org/maintainers] _________________________",
        "E   AssertionError: see [log in](http://evil.example/login) and @octo-org/security",
        "E   ``` </details> <img src=http://evil.example/q.png>",
        "=========================== short test summary info ============================",
        *(f"FAILED {test} - boom" for test in hostile),
        "============================== 3 failed in 0.05s ===============================",
    ]
    repo, sha, run, _ = ci(github, 37, ("success", PYTEST_AMD64), ("failure", arm))
    service.deliver("workflow_run", completed(repo, sha, run, 37))
    body = wait_until(lambda: results_comment(github, 37), 30, "the results comment")
    assert "Failed on arm64 only (3):" in body
    assert_inert(body)
    found = live(body)
    assert "@octo-org/maintainers" in found.text and "@octo-org/security" in found.text
    assert found.tags.count("details") == found.tags.count("/details")


async def test_a_log_longer_than_the_cap_is_read_from_its_end_by_a_range(github: FakeGitHub) -> None:
    data, steps = job_log([("Run tests", "failure", ["x" * 100] * 250_000 + PYTEST_ARM64)])
    assert len(data) > MAX_LOG_BYTES
    repo = Repository("octo", "long", installation=INSTALLATION)
    repo.logs[8] = data
    github.repos[repo.full_name] = repo
    clients = Clients(str(APP_ID), app_key()[0], github.url, 30.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        tail, cut = await api.download_tail(rest.JOB_LOGS, MAX_LOG_BYTES, repo=repo.full_name, job_id=8)
    assert cut and tail == data[-MAX_LOG_BYTES:]
    # the declared size is over the cap: that answer is dropped, the end asked for from an offset
    first, second = github.storage.requests
    assert "range" not in first.headers and second.status == 206
    assert second.headers["range"] == f"bytes={len(data) - MAX_LOG_BYTES}-"
    reading = read(8, tail, steps_of({"steps": steps}), cut)
    assert "tests/test_io.py::test_read_word_le" in reading.failures


async def test_at_most_twenty_logs_are_read_for_one_commit(github: FakeGitHub) -> None:
    repo = Repository("octo", "many", installation=INSTALLATION)
    github.repos[repo.full_name] = repo
    data, steps = job_log([("Run tests", "failure", PYTEST_ARM64)])
    pairs = []
    for index in range(LOGS_PER_COMMIT + 5):  # a broken branch: every pair fails on arm64
        amd = RunJob(1000 + index, 1, 1, WORKFLOW, f"t{index}", ("ubuntu-latest",), "completed", "success")
        arm = RunJob(
            2000 + index,
            1,
            1,
            WORKFLOW,
            f"t{index} arm",
            ("ubuntu-24.04-arm",),
            "completed",
            "failure",
            steps=steps_of({"steps": steps}),
        )
        repo.logs[arm.id] = data
        pairs.append(Pair(WORKFLOW, f"t{index}", {}, amd, arm))
    shot = Snapshot("a" * 40, pairing=Pairing(pairs))
    clients = Clients(str(APP_ID), app_key()[0], github.url, 30.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        await job_logs(api, Repo("octo", "many", "main"), shot, Memory())
    assert len(log_requests(github)) == LOGS_PER_COMMIT
    skipped = [
        logs
        for logs in shot.tests.logs
        if "logs were read for this commit" in (logs.readings["arm64"].problem or "")
    ]
    assert len(skipped) == 5 and all(logs.readings["arm64"].step == "Run tests" for logs in skipped)
    named = [logs for logs in shot.tests.logs if logs.failed_only_on.get("arm64")]
    assert len(named) == LOGS_PER_COMMIT
