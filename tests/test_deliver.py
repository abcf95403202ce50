"""`parity-bot deliver`: the project's own sample deliveries, read by the service's own event
code, signed and posted to the running service as GitHub posts them."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from bot.service import events, router
from bot.service.deliver import Overrides, sample, sample_names
from tests.fake_github import FakeGitHub, PullRequest, Repository
from tests.service_harness import INSTALLATION, ROOT, Service, wait_until

WORKFLOW = b"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"


def deliver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "deliver", *args],
        capture_output=True,
        text=True,
        env=env or {"PATH": "", "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_is_an_event_the_service_acts_on(name: str) -> None:
    event = name.partition(".")[0]
    payload = sample(name, Overrides())
    assert router.accepts(event, payload) is not None, name
    if event in ("pull_request", "check_run", "workflow_run"):
        checks = events.pull_request_checks(event, payload)
        assert [(c.repo.full_name, c.number, c.installation) for c in checks] == [
            ("octo-org/hello-world", 42, 12345678)
        ]
    if event.startswith("installation"):
        assert events.installation_change(event, payload).added == ("octo-org/hello-world",)


def test_overrides_name_one_repository_pull_request_and_commit_everywhere() -> None:
    given = Overrides("octo/app", 77, 7, "f" * 40, "/parity help")
    for name in sample_names():
        payload = sample(name, given)
        text = str(payload)
        assert "hello-world" not in text and "6dcb09b5b57875f334f61aebed695e2e4193db5e" not in text, name
        if "repository" in payload:
            assert events.repo_of(payload).full_name == "octo/app"
            assert events.installation_of(payload) == 77
    comment = sample("issue_comment.created", given)
    assert (comment["comment"]["body"], comment["issue"]["number"]) == ("/parity help", 7)
    assert (
        events.pull_request_checks("workflow_run", sample("workflow_run.completed", given))[0].head_sha
        == "f" * 40
    )


def test_a_delivered_sample_gets_its_pull_request_judged(github: FakeGitHub, service: Service) -> None:
    repo = github.repos.setdefault("octo/app", Repository("octo", "app"))
    sha = hashlib.sha1(b"deliver").hexdigest()
    repo.files[sha] = {".github/workflows/ci.yml": WORKFLOW}
    patch = "@@ -0,0 +1,3 @@\n+on: push\n+jobs:\n+  test:\n"
    repo.pulls[7] = PullRequest(
        7, sha, [{"filename": ".github/workflows/ci.yml", "status": "added", "patch": patch}]
    )
    args = ["pull_request.opened", "--repository", "octo/app", "--number", "7", "--sha", sha]
    sent = deliver(*args, "--installation", str(INSTALLATION), env=service.env)  # its PORT and secret
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sent.stdout.startswith(f"pull_request.opened -> {service.url}/api/github/webhooks: 202 ")
    run = wait_until(
        lambda: next((r for r in github.runs_for(sha) if r["status"] == "completed"), None), 60, "a check run"
    )
    assert run["name"] == "Arch parity" and run["conclusion"] == "failure"
    wrong = deliver(*args, "--secret", "not the secret", env=service.env)
    assert wrong.returncode == 1 and ": 401 " in wrong.stdout


def test_the_same_sample_delivered_twice_is_two_events_not_a_replay(service: Service) -> None:
    args = ["installation.created", "--installation", str(INSTALLATION)]
    answers = [deliver(*args, env=service.env) for _ in range(2)]
    assert [a.stdout.split(": ", 1)[1][:4] for a in answers] == ["202 ", "202 "], [a.stdout for a in answers]


def test_deliver_lists_its_samples_and_refuses_what_it_cannot_send(tmp_path: Path) -> None:
    listed = deliver("--list")
    assert listed.returncode == 0 and listed.stdout.split() == sample_names()
    assert {
        "pull_request.opened",
        "workflow_run.completed",
        "issue_comment.created",
        "installation.created",
    } <= set(sample_names())
    env = {"PATH": "", "PYTHONPATH": str(ROOT), "ENV_FILE": str(tmp_path / ".env")}
    unknown = deliver("pull_request.merged", "--secret", "s", env=env)
    assert unknown.returncode == 2 and "pull_request.opened" in unknown.stderr
    no_secret = deliver("pull_request.opened", env=env)
    assert no_secret.returncode == 2 and "WEBHOOK_SECRET" in no_secret.stderr
    away = deliver("push", "--secret", "s", "--url", "http://127.0.0.1:9/hook", env=env)
    assert away.returncode == 2 and "cannot reach" in away.stderr and "Traceback" not in away.stderr
    bad = deliver("push", "--repository", "no-slash", env=env)
    assert bad.returncode == 2 and "OWNER/NAME" in bad.stderr
