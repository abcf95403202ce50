"""End to end: signed deliveries to the running service, GitHub played by the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_github import FakeGitHub, new_side_lines
from tests.service_harness import (
    APP_ID,
    Service,
    app_key,
    ipfs_repository,
    pull_request_event,
    wait_until,
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(APP_ID, app_key()[1]).start()
    yield fake
    fake.stop()


@pytest.fixture
def service(tmp_path: Path, github: FakeGitHub) -> Iterator[Service]:
    running = Service(tmp_path, github).start()
    yield running
    running.stop()


def completed_run(github: FakeGitHub, sha: str, timeout: float = 30) -> dict:
    return wait_until(lambda: next((run for run in github.runs_for(sha)
                                    if run["status"] == "completed"), None),
                      timeout, f"a completed check run for {sha[:7]}")


def test_pull_request_gets_check_run_annotations_and_suggestions(github: FakeGitHub,
                                                                 service: Service) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch")
    response = service.deliver("pull_request", pull_request_event(repo, 7, sha))
    assert response.status_code == 202
    run = completed_run(github, sha)
    assert run["name"] == "Arch parity"
    assert run["conclusion"] == "failure"  # cluster-tests.yml still has amd64-only jobs
    wait_until(lambda: github.reviews, 10, "the review")
    # Annotations on the lines the findings are about (known from the corpus).
    at = {(a["path"], a["start_line"], a["title"]) for a in run["annotations"]}
    assert (".github/workflows/cluster-tests.yml", 81, "artifact-name-collision") in at
    assert (".github/workflows/daemon-tests.yml", 75, "artifact-name-collision") in at
    assert all(a["annotation_level"] in ("failure", "warning", "notice") for a in run["annotations"])
    # One review, its suggestions exactly on diff lines (the fake answers 422 otherwise).
    assert len(github.reviews) == 1
    review = github.reviews[0]
    assert review["commit_id"] == sha
    pull = repo.pulls[7]
    patches = {f["filename"]: f["patch"] for f in pull.files}
    comments = [c for c in github.review_comments if c["pull_request_review_id"] == review["id"]]
    assert comments
    for comment in comments:
        lines = set(range(comment.get("start_line", comment["line"]), comment["line"] + 1))
        assert any(lines <= block for block in new_side_lines(patches[comment["path"]]))
        assert "```suggestion\n" in comment["body"]
    # Fixes outside the diff are in the check run's text as a patch.
    assert "```diff" in run["output"]["text"]
    # The config was read from the default branch, the workflows at the head commit.
    contents = github.calls("GET", r"/contents/")
    assert all(c.query.get("ref") == sha for c in contents if "/workflows/" in c.path)
    config_refs = [(c.path, c.query.get("ref")) for c in contents if c.path.endswith("/.github/parity.yml")]
    assert all(ref in (None, "main") for _, ref in config_refs), config_refs


def test_no_workflow_change_is_a_success(github: FakeGitHub, service: Service) -> None:
    repo, sha = ipfs_repository(github, "before", "before", "before-to-after.patch", number=9)
    repo.pulls[9].files = [{"filename": "README.md", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b\n"}]
    service.deliver("pull_request", pull_request_event(repo, 9, sha))
    run = completed_run(github, sha)
    assert run["conclusion"] == "success"
    assert run["output"]["title"] == "No workflow changes"
    assert not github.reviews


def test_duplicate_delivery_is_processed_once(github: FakeGitHub, service: Service) -> None:
    repo, sha = ipfs_repository(github, "after", "optional", "after-to-optional.patch", number=3)
    payload = pull_request_event(repo, 3, sha)
    assert service.deliver("pull_request", payload, delivery="d-1").status_code == 202
    assert service.deliver("pull_request", payload, delivery="d-1").status_code == 200
    completed_run(github, sha)
    wait_until(lambda: github.reviews, 10, "the review")
    service.stop()
    assert len(github.runs_for(sha)) == 1
    assert len(github.reviews) == 1
