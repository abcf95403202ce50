"""End to end: CI legs finish, one comment tells the difference; /parity commands act on it."""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from bot.render import safe
from tests.fake_github import FakeGitHub
from tests.service_harness import (
    DGX,
    Service,
    add_artifact,
    add_job,
    comment_event,
    for_repo,
    junit_zip,
    setup_ci,
    stamp,
    wait_until,
    workflow_run_event,
)


def results_comments(github: FakeGitHub, number: int) -> list[dict]:
    return [
        c for c in github.issue_comments if c["issue_number"] == number and "parity-bot:results" in c["body"]
    ]


def results_check(github: FakeGitHub, sha: str) -> list[dict]:
    return [r for r in github.runs_for(sha) if r["name"] == "Arch parity results"]


def test_one_comment_whatever_the_order_and_repetition(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github)
    arm_jobs = [j for j in repo.jobs if "arm64" in j["name"]]
    for job in arm_jobs:  # amd64 finishes first; arm64 still running
        job.update(status="in_progress", conclusion=None, completed_at=None)
    run["status"] = "in_progress"
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [21]))
    wait_until(lambda: github.calls("GET", r"/actions/runs/\d+/jobs"), 20, "the first look")
    time.sleep(0.5)
    assert results_comments(github, 21) == []  # no pair has both legs yet
    for job, conclusion in zip(arm_jobs, ("success", "failure", "success"), strict=True):
        # 150 s after it started, however long the first look took
        started = calendar.timegm(time.strptime(job["started_at"], "%Y-%m-%dT%H:%M:%SZ"))
        completed_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started + 150))
        job.update(status="completed", conclusion=conclusion, completed_at=completed_at)
    run["status"] = "completed"
    add_artifact(
        repo,
        run,
        "test-results-amd64-3.11",
        junit_zip({"test_a": "passed", "test_b": "passed", "test_c": "passed", "test_gone": "passed"}),
    )
    add_artifact(
        repo,
        run,
        "test-results-arm64-3.11",
        junit_zip({"test_a": "failed", "test_b": "skipped", "test_c": "passed"}),
    )
    add_artifact(repo, run, "test-results-arm64-3.12", junit_zip({"test_a": "failed"}))
    add_artifact(repo, run, "test-results-amd64-3.12", junit_zip({"test_a": "passed"}))
    for _ in range(2):  # the same completion delivered twice (two delivery ids)
        service.deliver("workflow_run", workflow_run_event(repo, sha, run, [21]))
    wait_until(lambda: results_check(github, sha), 30, "the results check")
    time.sleep(0.5)
    comments = results_comments(github, 21)
    assert len(comments) == 1
    body = comments[0]["body"]
    lines = body.splitlines()
    first_row = next(line for line in lines if line.startswith("| `test`"))
    assert "python-version=3.11" in first_row and "❌" in first_row  # what differs comes first
    assert re.search(r"\| 1\.(49|50|51|52)× \|$", first_row)  # 150 s on arm64 vs 100 s
    assert "no arm64 leg: the workflow has none" in body  # the amd64-only report job
    assert "failed only on arm64 (1): `tests::test_a`" in body
    assert "skipped only on arm64 (1): `tests::test_b`" in body
    assert "only on amd64 (1): `tests::test_gone`" in body
    assert "Failures swallowed" in body and "Test Python 3.12 on arm64" in body
    (check,) = results_check(github, sha)
    assert check["conclusion"] == "failure"
    assert check["actions"][0]["identifier"] == "rerun-arm64"
    # Storage got no credentials (the fake answers 400 when it does).
    assert all(call.status == 200 for call in github.calls("GET", r"^/_blobs/"))


def test_arm64_first_then_amd64_and_a_fork_pull_request(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=22)
    amd_jobs = [j for j in repo.jobs if "amd64" in j["name"]]
    for job in amd_jobs:
        # GitHub gives a job that waits for a runner its creation time as started_at
        job.update(status="queued", conclusion=None, completed_at=None, started_at=job["created_at"])
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, []))  # a fork: no list
    wait_until(lambda: github.calls("GET", rf"/commits/{sha}/pulls$"), 20, "the PR lookup")
    time.sleep(0.5)
    assert results_comments(github, 22) == []
    for job in amd_jobs:
        job.update(status="completed", conclusion="success", started_at=stamp(-800), completed_at=stamp(-700))
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, []))
    wait_until(lambda: results_comments(github, 22), 30, "the comment")
    assert len(results_comments(github, 22)) == 1


def test_a_rerun_that_passes_is_flaky(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=23)
    failed = next(j for j in repo.jobs if j["name"] == "Test Python 3.11 on arm64")
    add_job(repo, run, "Test Python 3.11 on arm64", DGX, "success", attempt=2)
    failed["run_attempt"] = 1
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [23]))
    wait_until(lambda: results_comments(github, 23), 30, "the comment")
    assert "flaky: passed on rerun" in results_comments(github, 23)[0]["body"]


def test_a_huge_difference_still_fits_one_comment(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=24)
    many = {f"test_{i:04d}_{'y' * 60}": "passed" for i in range(400)}
    for index in range(120):
        add_artifact(repo, run, f"test-results-amd64-{index}", junit_zip(many))
        add_artifact(repo, run, f"test-results-arm64-{index}", junit_zip({}))
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [24]))
    wait_until(lambda: results_comments(github, 24), 60, "the comment")
    body = results_comments(github, 24)[0]["body"]
    assert len(body) <= 65_536 and "Truncated" in body


# ------------------------------------------------------------------------------ commands


def replies(github: FakeGitHub, number: int) -> list[str]:
    return [
        c["body"]
        for c in github.issue_comments
        if c["issue_number"] == number and "parity-bot:results" not in c["body"]
    ]


def test_rerun_arm64_from_a_maintainer(github: FakeGitHub, service: Service) -> None:
    repo, _, _ = setup_ci(github, number=31)
    payload = comment_event(repo, 31, "Looks flaky.\n/parity rerun arm64", "maintainer")
    service.deliver("issue_comment", payload)
    wait_until(lambda: replies(github, 31), 30, "the reply")
    failed = next(j for j in repo.jobs if j["name"] == "Test Python 3.11 on arm64")
    assert github.reruns == [failed["id"]]
    assert github.reactions == [{"comment_id": payload["comment"]["id"], "content": "eyes"}]
    assert "Rerunning 1 failed or cancelled arm64 leg" in replies(github, 31)[0]


def test_rerun_refused_while_running_and_for_readers(github: FakeGitHub, service: Service) -> None:
    repo, _, run = setup_ci(github, number=32)
    run["status"] = "in_progress"
    service.deliver("issue_comment", comment_event(repo, 32, "/parity rerun arm64", "maintainer"))
    wait_until(lambda: replies(github, 32), 30, "the reply")
    assert "still running" in replies(github, 32)[0] and github.reruns == []
    service.deliver("issue_comment", comment_event(repo, 32, "/parity rerun all", "visitor"))
    wait_until(lambda: len(replies(github, 32)) == 2, 30, "the refusal")
    assert "need write access" in replies(github, 32)[1] and github.reruns == []


def test_bots_are_ignored_and_help_is_given(github: FakeGitHub, service: Service) -> None:
    repo, _, _ = setup_ci(github, number=33)
    service.deliver(
        "issue_comment", comment_event(repo, 33, "/parity rerun arm64", "dependabot[bot]", kind="Bot")
    )
    service.deliver("issue_comment", comment_event(repo, 33, "/parity frobnicate", "visitor"))
    wait_until(lambda: replies(github, 33), 30, "the help")
    time.sleep(0.5)
    assert len(replies(github, 33)) == 1 and len(github.reactions) == 1
    assert "did not understand `/parity frobnicate`" in replies(github, 33)[0]
    assert "/parity rerun arm64" in replies(github, 33)[0]


def test_the_rerun_button_checks_who_clicked(github: FakeGitHub, service: Service) -> None:
    repo, sha, _ = setup_ci(github, number=34)
    payload = for_repo("check_run.requested_action", repo)
    payload["requested_action"] = {"identifier": "rerun-arm64"}
    payload["check_run"].update({"head_sha": sha, "pull_requests": [{"number": 34}]})
    payload["sender"]["login"] = "visitor"
    service.deliver("check_run", payload)
    wait_until(lambda: replies(github, 34), 30, "the refusal")
    assert github.reruns == []
    payload["sender"]["login"] = "maintainer"
    service.deliver("check_run", payload)
    wait_until(lambda: github.reruns, 30, "the rerun")


def test_a_deleted_comment_is_written_again(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=25)
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [25]))
    wait_until(lambda: results_comments(github, 25), 30, "the comment")
    github.issue_comments.clear()  # a maintainer deleted it
    flipped = next(j for j in repo.jobs if j["name"] == "Test Python 3.10 on arm64")
    flipped["conclusion"] = "failure"  # and the results changed
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [25]))
    wait_until(lambda: results_comments(github, 25), 30, "the comment again")
    time.sleep(0.3)
    assert len(results_comments(github, 25)) == 1
    row = next(
        line for line in results_comments(github, 25)[0]["body"].splitlines() if "python-version=3.10" in line
    )
    assert "❌ [failure]" in row  # the new result, not the old comment's


def test_parity_check_judges_again_and_old_runs_are_not_rerun(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=35)
    service.deliver("issue_comment", comment_event(repo, 35, "/parity check", "maintainer"))
    wait_until(lambda: replies(github, 35), 60, "the reply")
    assert "Judged the workflows again" in replies(github, 35)[0]
    assert [r["status"] for r in github.runs_for(sha) if r["name"] == "Arch parity"] == ["completed"]
    run["created_at"] = stamp(-31 * 86400)
    service.deliver("issue_comment", comment_event(repo, 35, "/parity rerun arm64", "maintainer"))
    wait_until(lambda: len(replies(github, 35)) == 2, 30, "the second reply")
    assert "older than 30 days" in replies(github, 35)[1] and github.reruns == []


def test_an_arm64_leg_no_runner_picks_up_is_named_in_the_comment(github: FakeGitHub, tmp_path: Any) -> None:
    """The watchdog: queued events record arm64 legs; past RUNNER_WAIT_MINUTES the sweep
    confirms with GitHub and the results comment names the leg; a start forgets it."""
    from tests.service_harness import Service as Running

    repo, sha, run = setup_ci(github, number=31)
    stuck = next(j for j in repo.jobs if j["name"] == "Test Python 3.12 on arm64")
    stuck.update(
        status="queued",
        conclusion=None,
        started_at=stamp(-41 * 60),
        completed_at=None,
        created_at=stamp(-41 * 60),
    )
    service = Running(tmp_path, github, RUNNER_WAIT_MINUTES="0.05").start()
    try:
        queued = for_repo("workflow_job.queued", repo)
        queued["workflow_job"].update(
            {
                "id": stuck["id"],
                "run_id": run["id"],
                "head_sha": sha,
                "name": stuck["name"],
                "labels": DGX,
                "created_at": stuck["created_at"],
                "status": "queued",
            }
        )
        assert service.deliver("workflow_job", queued).status_code == 202
        amd = for_repo("workflow_job.queued", repo)
        amd["workflow_job"].update({"id": 1, "labels": ["ubuntu-latest"], "head_sha": sha})
        service.deliver("workflow_job", amd)  # not arm64: not watched

        def named() -> list[dict]:
            return [
                c
                for c in results_comments(github, 31)
                # runner labels are the workflow's text: neutralised like any other
                if safe.text("queued for 41 min: no runner with labels [self-hosted, arm64, dgx] picked it up")
                in c["body"]
            ]

        wait_until(named, 30, "the comment to name the waiting leg")
        # counted once the comment is written
        wait_until(
            lambda: (
                'parity_arm64_legs_stuck_total{installation="77"}'
                in __import__("httpx").get(service.url + "/metrics").text
            ),
            10,
            "the stuck-leg metric",
        )
        assert github.calls("GET", rf"/actions/jobs/{stuck['id']}$")
        assert not github.calls("GET", r"/actions/jobs/1$")
        # It starts: the watchdog forgets it and checks no more.
        started = for_repo("workflow_job.in_progress", repo)
        started["workflow_job"].update({"id": stuck["id"], "head_sha": sha})
        service.deliver("workflow_job", started)
        time.sleep(1.0)
        checks = len(github.calls("GET", rf"/actions/jobs/{stuck['id']}$"))
        time.sleep(3.5)
        assert len(github.calls("GET", rf"/actions/jobs/{stuck['id']}$")) == checks
    finally:
        service.stop()


def test_what_a_replica_remembers_is_bounded() -> None:
    from bot.service.results import Memory

    memory = Memory()
    for number in range(Memory.SIZE * 2):
        memory.comments[("o/r", number)] = (number, "body")
        memory.checks[("o/r", str(number))] = (number, "success", "title")
    assert len(memory.comments) == Memory.SIZE and len(memory.checks) == Memory.SIZE
    assert ("o/r", Memory.SIZE * 2 - 1) in memory.comments and ("o/r", 0) not in memory.comments
    assert memory.comments.ttl == Memory.AGE and memory.policies.ttl == Memory.POLICY_SECONDS
    from bot.core import joblog
    from bot.core.dialects.base import Failure
    from bot.core.joblog import Reading

    big = Reading(0, failures={f"t{i}": Failure(f"t{i}", ("x" * 300,) * 20) for i in range(20)})
    for job in range(Memory.LOGS // joblog.size(big) * 2):
        memory.logs[("o/r", job)] = Reading(job, failures=big.failures)
    assert memory.logs.currsize <= Memory.LOGS and ("o/r", 0) not in memory.logs


def test_a_reply_that_lands_after_the_timeout_is_not_posted_twice(github: FakeGitHub, service: Service) -> None:
    from tests.fake_github import Fault

    repo, _, _ = setup_ci(github, number=35)
    # The reply is created, but answered after the client's 2 s timeout: the job retries.
    github.faults.append(Fault("POST", r"/issues/35/comments$", status=0, delay=3.0, times=1))
    service.deliver("issue_comment", comment_event(repo, 35, "/parity help", "visitor"))
    wait_until(
        lambda: len(github.calls("GET", r"/issues/35/comments$")) >= 1, 30, "the retry to look for its reply"
    )
    time.sleep(1.0)
    assert len(replies(github, 35)) == 1
    assert len(github.reactions) == 1  # acknowledged once
