"""End to end: signed deliveries to the running service, GitHub played by the fake."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.render import safe
from tests.fake_github import FakeGitHub, PullRequest, Repository, new_side_lines
from tests.service_harness import (
    Service,
    ipfs_repository,
    pull_request_event,
    wait_until,
)


def completed_run(github: FakeGitHub, sha: str, timeout: float = 30) -> dict:
    return wait_until(
        lambda: next((run for run in github.runs_for(sha) if run["status"] == "completed"), None),
        timeout,
        f"a completed check run for {sha[:7]}",
    )


def test_pull_request_gets_check_run_annotations_and_suggestions(github: FakeGitHub, service: Service) -> None:
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
    # Each suggestion says what to check before committing it: the retired label its amd64
    # leg still uses, and the line that names x86_64.
    assert {c["path"] for c in comments} == {".github/workflows/multi-arch-test-parity.yml"}
    for comment in comments:
        assert "Check before committing:\n- ubuntu-20.04 was retired on 2025-04-15" in comment["body"]
        # the note quotes the workflow, so it is shown inert (x86&#95;64)
        assert "- " + safe.text("the job names x86_64/amd64 on line 218") in comment["body"]
    # Fixes outside the diff are in the check run's text as a patch; jobs that must run once
    # are named with the reason.
    assert "```diff" in run["output"]["text"]
    assert "`build-and-publish` is not fixed automatically: it publishes" in run["output"]["summary"]
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


def test_config_comes_from_the_default_branch_not_the_pull_request(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=11)
    repo.files["main"][".github/parity.yml"] = b"mode: advisory\n"
    repo.files[sha][".github/parity.yml"] = b"mode: off  # the PR tries to switch itself off\n"
    service.deliver("pull_request", pull_request_event(repo, 11, sha))
    run = completed_run(github, sha)
    assert run["conclusion"] == "neutral"  # advisory, from main; not "skipped"


def test_config_named_parity_yaml_is_read_and_both_names_fail_the_check(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=15, config=None)
    repo.files["main"][".github/parity.yaml"] = b"mode: advisory\n"
    service.deliver("pull_request", pull_request_event(repo, 15, sha))
    assert completed_run(github, sha)["conclusion"] == "neutral"  # advisory, from parity.yaml
    repo.files["main"][".github/parity.yml"] = b"mode: advisory\n"
    service.deliver("pull_request", pull_request_event(repo, 15, sha), delivery="again")
    run = wait_until(
        lambda: next((r for r in github.runs_for(sha) if r["conclusion"] == "failure"), None),
        30,
        "the check failed on two configs",
    )
    assert run["output"]["title"] == "The parity-bot config is invalid"
    summary = run["output"]["summary"]
    assert f"{repo.full_name}:.github/parity.yml and {repo.full_name}:.github/parity.yaml both exist" in summary


def test_owner_config_with_extends(github: FakeGitHub, service: Service) -> None:
    from tests.fake_github import Repository

    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=12, config=None)
    github.repos["octo/.github"] = Repository(
        "octo",
        ".github",
        files={"main": {".github/parity.yml": b"extends: octo/policies:arch/base.yml\nallow_emulated: true\n"}},
    )
    github.repos["octo/policies"] = Repository(
        "octo", "policies", files={"main": {"arch/base.yml": b"mode: advisory\n"}}
    )
    service.deliver("pull_request", pull_request_event(repo, 12, sha))
    assert completed_run(github, sha)["conclusion"] == "neutral"


def test_invalid_config_is_explained_not_a_crash(github: FakeGitHub, service: Service) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=13)
    repo.files["main"][".github/parity.yml"] = b"mode: required\nallow_emulation: false\n"
    service.deliver("pull_request", pull_request_event(repo, 13, sha))
    run = completed_run(github, sha)
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "The parity-bot config is invalid"
    assert "allow_emulation" in run["output"]["summary"]


def test_many_annotations_are_sent_in_batches_of_50(github: FakeGitHub, service: Service) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=14)
    service.deliver("pull_request", pull_request_event(repo, 14, sha))
    run = completed_run(github, sha)
    wait_until(lambda: github.reviews, 10, "the review")
    patches = github.calls("PATCH", rf"/check-runs/{run['id']}$")
    assert len(run["annotations"]) > 50  # the fake refuses more than 50 per request
    assert len(patches) == 1 + (len(run["annotations"]) - 1) // 50


def test_rerequest_and_new_push_do_not_repeat_suggestions(github: FakeGitHub, service: Service) -> None:
    from tests.service_harness import for_repo

    repo, sha = ipfs_repository(github, "after", "optional", "after-to-optional.patch", number=15)
    service.deliver("pull_request", pull_request_event(repo, 15, sha))
    completed_run(github, sha)
    wait_until(lambda: github.reviews, 10, "the review")
    rerequest = for_repo("check_run.rerequested", repo)
    rerequest["check_run"]["head_sha"] = sha
    rerequest["check_run"]["pull_requests"] = [{"number": 15, "head": {"sha": sha}}]
    service.deliver("check_run", rerequest)
    # The re-request updates the commit's one check run (annotations are not sent twice).
    wait_until(lambda: len(github.calls("PATCH", r"/check-runs/\d+$")) >= 4, 30, "the re-requested check run")
    wait_until(lambda: github.runs_for(sha)[0]["status"] == "completed", 30, "completion")
    assert len(github.runs_for(sha)) == 1
    annotations = github.runs_for(sha)[0]["annotations"]
    assert len(annotations) == len({(a["path"], a["start_line"], a["message"]) for a in annotations})
    # A new push with the same workflow content: a new check run, no repeated suggestions.
    new_sha = "f" * 40
    repo.files[new_sha] = dict(repo.files[sha])
    repo.pulls[15].head_sha = new_sha
    service.deliver("pull_request", pull_request_event(repo, 15, new_sha, action="synchronize"))
    completed_run(github, new_sha)
    service.stop()
    assert len(github.reviews) == 1


def _many_jobs_pull_request(github: FakeGitHub, jobs: int = 36) -> tuple[Any, str]:
    """A pull request that adds one workflow of `jobs` amd64-only test jobs: every fix is
    inside its diff, more than one review may hold."""
    from tests.fake_github import PullRequest, Repository

    text = "name: many\non: [push]\njobs:\n" + "".join(
        f"  part-{n:02d}:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@v4\n      - run: pytest tests/part{n:02d}\n"
        for n in range(jobs)
    )
    repo = Repository("octo", "many")
    repo.files["main"] = {"README.md": b"hi\n"}
    sha = "c" * 40
    repo.files[sha] = {".github/workflows/many.yml": text.encode()}
    lines = text.splitlines()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)
    repo.pulls[8] = PullRequest(
        8, sha, [{"filename": ".github/workflows/many.yml", "status": "added", "patch": patch, "sha": "0" * 40}]
    )
    github.repos["octo/many"] = repo
    return repo, sha


def test_suggestions_a_review_cannot_hold_are_in_the_check_run_as_a_patch(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = _many_jobs_pull_request(github)
    service.deliver("pull_request", pull_request_event(repo, 8, sha))
    wait_until(lambda: github.reviews, 60, "the review")
    run = next(r for r in github.runs_for(sha) if r["status"] == "completed")
    comments = [c for c in github.review_comments if c["pull_number"] == 8]
    assert len(comments) == 30
    assert "6 more suggestions are not shown here" in github.reviews[0]["body"]
    text = run["output"].get("text") or ""
    assert "```diff" in text
    # The six held back are the patch: the jobs the review does not carry, and only those.
    commented = {c["body"].split("`")[1] for c in comments}
    patch = text.split("```diff", 1)[1]
    for n in range(36):
        job = f"part-{n:02d}"
        assert (f"+    name: \"${{{{ matrix.arch == 'arm64' && '{job} (arm64)'" in patch) == (
            job not in commented
        ), job
    assert len(commented) == 30


def test_a_rejected_review_puts_its_suggestions_in_the_check_run(github: FakeGitHub, service: Service) -> None:
    from tests.fake_github import Fault

    repo, sha = _many_jobs_pull_request(github, jobs=3)
    github.faults.append(
        Fault(
            "POST",
            r"/pulls/8/reviews$",
            status=422,
            times=1,
            body={
                "message": "Unprocessable Entity",
                "errors": ["Pull request review thread line must be part of the diff"],
            },
        )
    )
    service.deliver("pull_request", pull_request_event(repo, 8, sha))
    wait_until(lambda: github.reviews, 60, "the fallback review")
    assert "shows them as a patch" in github.reviews[0]["body"]
    assert not github.review_comments

    def patched() -> str:
        run = next((r for r in github.runs_for(sha) if r["status"] == "completed"), None)
        text = (run or {}).get("output", {}).get("text") or ""
        return text if "```diff" in text else ""

    text = wait_until(patched, 30, "the patch in the check run")
    assert all(f"'part-{n:02d} (arm64)'" in text for n in range(3))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_review_that_lands_after_the_timeout_is_not_repeated_by_the_next_event(
    github: FakeGitHub, tmp_path: Path, backend: str
) -> None:
    """The race: `opened`'s review POST times out but GitHub creates it late; the
    `synchronize` that arrived meanwhile must not post the same suggestions again. On both
    queue backends."""
    import asyncio

    from tests.test_queue import _drop, _pg_database

    url = asyncio.run(_pg_database()) if backend == "postgres" else None
    service = Service(tmp_path, github, **({"DATABASE_URL": url} if url else {})).start()
    try:
        _race(github, service)
    finally:
        service.stop()
        if url:
            asyncio.run(_drop(url))


def _race(github: FakeGitHub, service: Service) -> None:
    from tests.fake_github import Fault

    repo, sha = ipfs_repository(github, "after", "optional", "after-to-optional.patch", number=16)
    # Answered (and created) 4 s later: after the client's 2 s timeout and its first backoff.
    github.faults.append(Fault("POST", r"/pulls/16/reviews$", status=0, delay=4.0, times=1))
    service.deliver("pull_request", pull_request_event(repo, 16, sha))
    new_sha = "e" * 40
    repo.files[new_sha] = dict(repo.files[sha])
    wait_until(lambda: github.calls("POST", r"/pulls/16/reviews$"), 30, "the first review POST")
    repo.pulls[16].head_sha = new_sha
    service.deliver("pull_request", pull_request_event(repo, 16, new_sha, action="synchronize"))
    wait_until(
        lambda: any(r["status"] == "completed" for r in github.runs_for(new_sha)), 60, "the synchronize check"
    )
    time.sleep(1.0)
    comments = [(c["path"], c.get("line"), c["body"]) for c in github.review_comments if c["pull_number"] == 16]
    assert comments and len(comments) == len(set(comments))
    assert len(github.reviews) == 1


def test_a_script_a_workflow_hands_its_work_to_is_read_at_the_head_commit(
    github: FakeGitHub, service: Service
) -> None:
    # The new workflow runs ./ci/run-suite: what it runs (cargo test) makes the job a test, an
    # error with its evidence, read through the contents API at the head commit. The other
    # script is absent: asked for once, and the job it is in stays unrecognised (a warning).
    workflow = (
        b"on: push\njobs:\n  suite:\n    runs-on: ubuntu-latest\n    steps:\n"
        b"      - uses: actions/checkout@v4\n      - run: ./ci/run-suite\n"
        b"  other:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./ci/missing.sh\n"
    )
    head = "d" * 40
    repo = Repository("octo", "scripts")
    repo.files["main"] = {}
    repo.files[head] = {
        ".github/workflows/ci.yml": workflow,
        "ci/run-suite": b"#!/bin/sh\nset -e\ncargo test --workspace\n",
    }
    lines = "".join(f"+{line}\n" for line in workflow.decode().splitlines())
    patch = f"@@ -0,0 +1,{len(workflow.decode().splitlines())} @@\n{lines}"
    repo.pulls[3] = PullRequest(
        3, head, [{"filename": ".github/workflows/ci.yml", "status": "added", "patch": patch}]
    )
    github.repos["octo/scripts"] = repo
    service.deliver("pull_request", pull_request_event(repo, 3, head))
    run = completed_run(github, head)
    assert run["conclusion"] == "failure"
    text = run["output"]["summary"] + run["output"].get("text", "") + str(run["annotations"])
    assert "runs `./ci/run-suite`, which runs `cargo test` (ci/run-suite line 3)" in text
    reads = [c for c in github.calls("GET", r"/contents/ci/") if c.query.get("ref") == head]
    assert sorted(c.path.rsplit("/", 2)[-1] for c in reads) == ["missing.sh", "run-suite"]
