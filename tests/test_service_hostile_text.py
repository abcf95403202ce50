"""Hostile text against the running service (issue 20, item 6): what a pull request's
author writes (test names, commands) reaches what the App posts inert; a hidden marker in
someone else's comment does not make it ours; users without write access get one reply
per pull request per hour."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from bot.service.store import Store
from tests.fake_github import FakeGitHub, Fault
from tests.inert import assert_inert, live
from tests.service_harness import (
    Service,
    add_artifact,
    comment_event,
    for_repo,
    setup_ci,
    wait_until,
    workflow_run_event,
)
from tests.test_queue import _drop, _pg_database

# Each closes the code span it was put in, then speaks: a team mention, a reference, an
# image from elsewhere, a link, the end of the <details> it sits in, a bare URL.
HOSTILE_TESTS = [
    "test_a` @octo-org/maintainers `",
    "test_b` </details> <img src=http://evil.example/p.png> `",
    "test_c` [log in](http://evil.example/login) octo/ipfs#1 #7 https://evil.example `",
    "test_d\n\n@octo-org/security on a line of its own",
]


def junit(cases: dict[str, str]) -> bytes:
    """A JUnit report whose names may hold anything XML can carry (line breaks included)."""
    body = "".join(
        f"<testcase classname='tests' name={quoteattr(name, {chr(10): '&#10;'})} time='0.5'>"
        + ("<failure message='boom'/>" if outcome == "failed" else "")
        + "</testcase>"
        for name, outcome in cases.items()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pytest.xml", f"<testsuites><testsuite name='s'>{body}</testsuite></testsuites>")
    return buffer.getvalue()


def comments_on(github: FakeGitHub, number: int) -> list[dict]:
    return [c for c in github.issue_comments if c["issue_number"] == number]


def test_hostile_test_names_reach_the_results_comment_inert(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=61)
    add_artifact(repo, run, "test-results-amd64-3.11", junit(dict.fromkeys(HOSTILE_TESTS, "passed")))
    add_artifact(repo, run, "test-results-arm64-3.11", junit(dict.fromkeys(HOSTILE_TESTS, "failed")))
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [61]))
    posted = wait_until(
        lambda: [c for c in comments_on(github, 61) if "parity-bot:results" in c["body"]], 60, "the results"
    )
    body = posted[0]["body"]
    assert "failed only on arm64 (4)" in body
    assert_inert(body)
    found = live(body)
    # The names are there, as written, and the JUnit comparison's <details> holds them all
    # (the other is the failed arm64 job's log section).
    assert "test_a` @octo-org/maintainers `" in found.text
    assert found.tags.count("details") == found.tags.count("/details") == 2


def test_a_marker_in_someone_elses_comment_is_not_taken_for_ours(github: FakeGitHub, service: Service) -> None:
    repo, sha, run = setup_ci(github, number=62)
    planted = {
        "id": 990_001,
        "repository": repo.full_name,
        "issue_number": 62,
        "body": "<!-- parity-bot:results -->\nI will be overwritten, then edit what the bot said",
        "user": {"login": "visitor", "type": "User"},
    }
    github.issue_comments.append(planted)
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [62]))
    ours = wait_until(
        lambda: [c for c in comments_on(github, 62) if c["id"] != planted["id"]], 60, "our own comment"
    )
    assert ours[0]["user"]["login"] == "parity-bot[bot]"
    assert "## Arch parity results" in ours[0]["body"]
    assert planted["body"].endswith("then edit what the bot said")
    assert not github.calls("PATCH", rf"/issues/comments/{planted['id']}$")


def test_a_reply_marker_in_someone_elses_comment_does_not_silence_the_reply(
    github: FakeGitHub, service: Service
) -> None:
    """A retried job checks whether it already answered; a planted marker must not say yes."""
    repo, _, _ = setup_ci(github, number=63)
    event = comment_event(repo, 63, "/parity help", "maintainer")
    github.issue_comments.append(
        {
            "id": 990_002,
            "repository": repo.full_name,
            "issue_number": 63,
            "body": f"<!-- parity-bot:reply {event['comment']['id']} -->",
            "user": {"login": "visitor", "type": "User"},
        }
    )
    # The first reply fails, so the job is retried and asks whether it answered already.
    github.faults.append(Fault("POST", r"/repos/octo/ipfs/issues/63/comments$", status=502))
    service.deliver("issue_comment", event)
    wait_until(
        lambda: [c for c in comments_on(github, 63) if c["user"]["login"] == "parity-bot[bot]"],
        60,
        "the reply after the retry",
    )


def test_users_without_write_access_get_one_reply_per_pull_request_per_hour(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha, _ = setup_ci(github, number=64)
    hostile = "/parity x` @octo-org/maintainers <img src=http://evil.example/p.png> [a](http://evil.example) `"
    service.deliver("issue_comment", comment_event(repo, 64, hostile, "visitor"))
    first = wait_until(lambda: comments_on(github, 64), 30, "the help")
    assert_inert(first[0]["body"], "visitor")
    assert "I did not understand" in first[0]["body"]
    for text in ("/parity help", "/parity rerun arm64", "/parity frobnicate"):
        service.deliver("issue_comment", comment_event(repo, 64, text, "visitor"))
    # The rerun button refuses a reader the same way: the turn is taken.
    click = for_repo("check_run.requested_action", repo)
    click["requested_action"] = {"identifier": "rerun-arm64"}
    click["check_run"].update({"head_sha": sha, "pull_requests": [{"number": 64}]})
    click["sender"]["login"] = "visitor"
    service.deliver("check_run", click)
    wait_until(
        lambda: sum(1 for line in service.log_lines() if line.get("message") == "reply withheld") == 4,
        60,
        "four replies withheld",
    )
    # Another pull request is another turn; someone with write access is never limited.
    service.deliver("issue_comment", comment_event(repo, 65, "/parity help", "visitor"))
    for _ in range(2):
        service.deliver("issue_comment", comment_event(repo, 64, "/parity help", "maintainer"))
    wait_until(lambda: len(comments_on(github, 65)) == 1, 30, "the reply on the other pull request")
    wait_until(lambda: len(comments_on(github, 64)) == 3, 30, "the maintainer's replies")
    time.sleep(0.5)
    assert len(comments_on(github, 64)) == 3
    assert len(github.reactions) == 4  # nothing said, nothing acknowledged either


# ------------------------------------------------------------------ the turn, in the store


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else await _pg_database()
    opened = Store(url)
    await opened.open()
    yield opened
    await opened.close()
    if request.param == "postgres":
        await _drop(url)


async def test_a_reply_turn_is_shared_kept_by_its_asker_and_renewed_after_the_window(store: Store) -> None:
    take = store.take_reply
    assert await take("o/r", 1, "visitor", "comment:1", 3600, now=1000)
    assert await take("o/r", 1, "visitor", "comment:1", 3600, now=1010)  # a retried job keeps it
    assert not await take("o/r", 1, "visitor", "comment:2", 3600, now=1020)
    assert await take("o/r", 2, "visitor", "comment:3", 3600, now=1020)  # another pull request
    assert await take("o/r", 1, "someone", "comment:4", 3600, now=1020)  # another person
    # replicas asking at once: exactly one gets the turn
    asked = await asyncio.gather(*(take("o/r", 9, "visitor", f"c:{i}", 3600, now=2000) for i in range(8)))
    assert sorted(asked) == [False] * 7 + [True]
    assert await take("o/r", 1, "visitor", "comment:5", 3600, now=1000 + 3600)
    assert not await take("o/r", 1, "visitor", "comment:1", 3600, now=1000 + 3601)
