"""GitHub failing, the process dying: every accepted delivery is still processed, once."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from tests.fake_github import FakeGitHub, Fault
from tests.service_harness import (
    Service,
    ipfs_repository,
    pull_request_event,
    wait_until,
)

PAIRS = [("before", "after", "before-to-after.patch"), ("after", "optional", "after-to-optional.patch")]


def open_pulls(github: FakeGitHub, count: int) -> list[tuple[object, str, int]]:
    pulls = []
    for index in range(count):
        base, head, patch = PAIRS[index % 2]
        repo, sha = ipfs_repository(github, base, head, patch, number=100 + index, name=f"repo{index}")
        pulls.append((repo, sha, 100 + index))
    return pulls


def settled(github: FakeGitHub, pulls: list[tuple[object, str, int]]) -> bool:
    for _, sha, _ in pulls:
        runs = github.runs_for(sha)
        if not runs or any(run["status"] != "completed" for run in runs):
            return False
        if not [r for r in github.reviews if r["commit_id"] == sha]:
            return False
    return True


def assert_exactly_once(github: FakeGitHub, pulls: list[tuple[object, str, int]]) -> None:
    for _, sha, _ in pulls:
        runs = github.runs_for(sha)
        assert len(runs) == 1, [(r["id"], r["status"]) for r in runs]
        assert runs[0]["conclusion"] == "failure"
        assert len([r for r in github.reviews if r["commit_id"] == sha]) == 1


def test_faults_are_retried_and_nothing_is_done_twice(tmp_path: Path, github: FakeGitHub) -> None:
    github.faults += [
        Fault("POST", r"/check-runs$", status=502, times=2),
        Fault("GET", r"/pulls/\d+/files$", status=500, times=1, every=2),
        Fault("GET", r"/contents/\.github/workflows/", delay=3.0, times=1),  # > GITHUB_TIMEOUT
        Fault(
            "POST",
            r"/reviews$",
            status=403,
            times=1,
            headers={"retry-after": "1"},
            body={"message": "You have exceeded a secondary rate limit."},
        ),
        Fault("PATCH", r"/check-runs/\d+$", status=503, times=1),
        Fault("POST", r"/access_tokens$", status=500, times=1),
    ]
    pulls = open_pulls(github, 4)
    service = Service(tmp_path, github).start()
    try:
        for repo, sha, number in pulls:
            assert service.deliver("pull_request", pull_request_event(repo, number, sha)).status_code == 202
        wait_until(lambda: settled(github, pulls), 120, "every pull request to be judged")
    finally:
        service.stop()
    assert all(fault.times == 0 for fault in github.faults), "every fault was hit"
    assert_exactly_once(github, pulls)
    lines = service.log_lines()
    assert any(line["message"] == "rate limited; job re-queued" for line in lines)
    assert any(line["message"] == "job failed; will retry" for line in lines)


def test_a_rejected_review_is_posted_without_inline_comments(tmp_path: Path, github: FakeGitHub) -> None:
    github.faults.append(
        Fault(
            "POST",
            r"/reviews$",
            status=422,
            times=1,
            body={
                "message": "Unprocessable Entity",
                "errors": ["Pull request review thread line must be part of the diff"],
            },
        )
    )
    pulls = open_pulls(github, 1)
    service = Service(tmp_path, github).start()
    try:
        repo, sha, number = pulls[0]
        service.deliver("pull_request", pull_request_event(repo, number, sha))
        wait_until(lambda: settled(github, pulls), 60, "the pull request to be judged")
    finally:
        service.stop()
    assert_exactly_once(github, pulls)
    assert "could not be placed on the diff" in github.reviews[0]["body"]


def test_sigkill_loses_no_accepted_delivery(tmp_path: Path, github: FakeGitHub) -> None:
    # Slow GitHub down so that jobs are queued and running when the process dies.
    github.faults.append(Fault("GET", r"/contents/\.github/workflows/", delay=0.4, times=10, status=0))
    pulls = open_pulls(github, 6)
    service = Service(tmp_path, github, WORKERS="2").start()
    for repo, sha, number in pulls:
        assert service.deliver("pull_request", pull_request_event(repo, number, sha)).status_code == 202
    wait_until(lambda: github.calls("GET", r"/contents/\.github/workflows/"), 30, "work to start")
    service.stop(signal.SIGKILL)
    assert not settled(github, pulls)  # the kill interrupted real work
    github.faults.clear()
    service.restart()
    try:
        wait_until(lambda: settled(github, pulls), 120, "every delivery after the restart")
    finally:
        service.stop()
    assert_exactly_once(github, pulls)


def test_sigterm_lets_running_jobs_finish(tmp_path: Path, github: FakeGitHub) -> None:
    github.faults.append(Fault("GET", r"/pulls/\d+/files$", delay=1.5, times=1, status=0))
    pulls = open_pulls(github, 1)
    service = Service(tmp_path, github).start()
    repo, sha, number = pulls[0]
    service.deliver("pull_request", pull_request_event(repo, number, sha))
    wait_until(lambda: github.calls("GET", r"/pulls/\d+/files$"), 20, "the job to start")
    # uvicorn re-raises the signal after its graceful shutdown: the exit status says SIGTERM.
    assert service.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert settled(github, pulls)  # finished before the process exited
    messages = [line["message"] for line in service.log_lines()]
    assert messages.index("job done") < messages.index("Application shutdown complete.")


def test_missed_deliveries_are_asked_for_again(tmp_path: Path, github: FakeGitHub) -> None:
    """GitHub keeps failed deliveries three days: the service asks again for the ones it
    never stored, once, and for nothing else."""
    import time as clock

    from tests.service_harness import Service, example

    def delivery(
        number: int, guid: str, status: int, age: float = 60, event: str = "pull_request"
    ) -> dict[str, Any]:
        stamp = clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime(clock.time() - age))
        return {
            "id": number,
            "guid": guid,
            "delivered_at": stamp,
            "redelivery": False,
            "status": "OK" if status < 300 else "Bad Gateway",
            "status_code": status,
            "event": event,
            "action": "opened",
            "installation_id": 77,
        }

    deliveries = [
        delivery(1, "missed", 502),
        delivery(2, "stored", 502),
        delivery(3, "recovered", 502),
        delivery(4, "recovered", 200),
        delivery(6, "unhandled", 502, event="star"),
        *[delivery(100 + n, f"fine-{n}", 200) for n in range(120)],
        delivery(7, "missed-on-page-2", 504, age=120),
        delivery(5, "too-old", 502, age=4 * 86400),  # newest first, as GitHub lists them
    ]
    service = Service(tmp_path, github, REDELIVER_INTERVAL="1")
    service.start()
    try:
        assert (
            service.deliver("pull_request", example("pull_request.opened"), delivery="stored").status_code
            == 202
        )
        github.hook_deliveries = deliveries  # listed from the next look on
        wait_until(lambda: len(github.redelivered) >= 2, 30, "the redeliveries")
        assert sorted(github.redelivered[:2]) == [1, 7]
        assert set(github.redelivered) <= {1, 7}  # never the stored, fine, old or unhandled
        metrics = __import__("httpx").get(service.url + "/metrics").text
        assert "parity_deliveries_recovered_total" in metrics
    finally:
        service.stop()
