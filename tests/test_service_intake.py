"""Webhook intake, health, metrics, logs and settings of the running service."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fake_github import FakeGitHub
from tests.service_harness import (
    INSTALLATION,
    ROOT,
    SECRET,
    Service,
    app_key,
    example,
    ipfs_repository,
    pull_request_event,
    sign,
    wait_until,
)


def jobs(service: Service) -> list[tuple[str, str, str]]:
    with sqlite3.connect(service.tmp / "queue.db") as db:
        return db.execute("SELECT delivery_id, event, state FROM jobs ORDER BY id").fetchall()


def test_signature_vector_from_githubs_docs() -> None:
    assert sign(b"Hello, World!") == ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


def test_bad_or_missing_signature_is_401(service: Service) -> None:
    payload = example("pull_request.opened")
    assert service.deliver("pull_request", payload, secret="wrong").status_code == 401
    body = json.dumps(payload).encode()
    response = httpx.post(
        service.url + "/api/github/webhooks",
        content=body,
        headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "x"},
    )
    assert response.status_code == 401
    assert response.json()["message"].startswith("X-Hub-Signature-256 is missing")
    assert jobs(service) == []
    metrics = httpx.get(service.url + "/metrics").text
    assert 'parity_deliveries_total{event="unverified",outcome="no_signature"} 1.0' in metrics
    assert 'parity_deliveries_total{event="unverified",outcome="bad_signature"} 1.0' in metrics


def test_the_rate_limit_gauge_is_absent_until_github_says(github: FakeGitHub, service: Service) -> None:
    from bot.service.metrics import Registry

    fresh = Registry()  # a service that has not heard from GitHub yet
    assert b"parity_github_rate_limit_remaining" not in fresh.render()  # not a 0 that alerts
    fresh.rate_limit.set(12)
    assert b"parity_github_rate_limit_remaining 12.0" in fresh.render()
    # The running service shows what GitHub's last response said.
    github.rate_remaining = 4321
    assert service.deliver("installation", example("installation.created")).status_code == 202

    def shown() -> float | None:
        for line in httpx.get(service.url + "/metrics").text.splitlines():
            if line.startswith("parity_github_rate_limit_remaining "):
                return float(line.split()[1])
        return None

    wait_until(lambda: (shown() or 5000) <= 4321, 20, "the rate limit gauge")


def test_a_failed_token_request_is_logged_with_its_real_path(github: FakeGitHub, service: Service) -> None:
    from tests.fake_github import Fault

    github.faults.append(Fault("POST", r"^/app/installations/\d+/access_tokens$", status=404, times=10))
    payload = example("pull_request.opened")
    installation = payload["installation"]["id"]
    assert service.deliver("pull_request", payload).status_code == 202
    wanted = f"POST /app/installations/{installation}/access_tokens"
    wait_until(lambda: wanted in service.logs(), 20, "the failed token request in the log")
    assert "{installation_id}" not in service.logs()


def test_rotated_secret_is_accepted(service: Service) -> None:
    payload = example("installation.created")
    assert service.deliver("installation", payload, secret="old-secret").status_code == 202


def test_bad_json_is_400_and_oversize_is_413(service: Service) -> None:
    assert service.deliver("pull_request", b"{not json").status_code == 400
    assert service.deliver("pull_request", b"[1, 2]").status_code == 400
    big = b'{"a": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    assert service.deliver("pull_request", big).status_code == 413
    assert jobs(service) == []
    assert httpx.get(service.url + "/healthz").status_code == 200  # still up


def test_unhandled_events_are_202_counted_not_queued(service: Service) -> None:
    assert service.deliver("push", example("push.with-installation")).status_code == 202
    closed = example("pull_request.closed")
    assert service.deliver("pull_request", closed).status_code == 202
    assert jobs(service) == []
    metrics = httpx.get(service.url + "/metrics").text
    assert 'parity_deliveries_total{event="push",outcome="ignored"} 1.0' in metrics
    assert 'parity_deliveries_total{event="pull_request",outcome="ignored"} 1.0' in metrics


def test_junk_cannot_grow_the_metrics(service: Service) -> None:
    """Headers are not signed: label values come from a fixed set, whatever is sent."""
    for index in range(5):
        service.deliver(f"junk-{index}", {"a": index}, secret="wrong")
        service.deliver(f"made-up-{index}", {"a": index})
    metrics = httpx.get(service.url + "/metrics").text
    assert 'parity_deliveries_total{event="unverified",outcome="bad_signature"} 5.0' in metrics
    assert 'parity_deliveries_total{event="other",outcome="ignored"} 5.0' in metrics
    assert "junk" not in metrics and "made-up" not in metrics


def test_installations_are_recorded(service: Service) -> None:
    created = example("installation.created")
    assert service.deliver("installation", created, delivery="i1").status_code == 202
    added = example("installation_repositories.added")
    assert service.deliver("installation_repositories", added, delivery="i2").status_code == 202
    wait_until(
        lambda: (
            [j for j in jobs(service) if j[2] == "done"]
            == [("i1", "installation", "done"), ("i2", "installation_repositories", "done")]
        ),
        20,
        "installation jobs",
    )
    with sqlite3.connect(service.tmp / "queue.db") as db:
        row = db.execute("SELECT account, repositories, active FROM installations").fetchone()
    assert row == ("Codertocat", json.dumps(["Codertocat/Hello-World", "Codertocat/Space"]), 1)


def test_health_readiness_and_metrics(github: FakeGitHub, service: Service) -> None:
    assert httpx.get(service.url + "/healthz").text == "ok\n"
    ready = httpx.get(service.url + "/readyz")
    assert ready.status_code == 200
    repo, sha = ipfs_repository(github, "after", "optional", "after-to-optional.patch", number=4)
    service.deliver("pull_request", pull_request_event(repo, 4, sha))
    wait_until(lambda: any(r["status"] == "completed" for r in github.runs_for(sha)), 30, "check")
    wait_until(
        lambda: (
            'parity_job_duration_seconds_count{event="pull_request"} 1.0'
            in httpx.get(service.url + "/metrics").text
        ),
        10,
        "job metrics",
    )
    metrics = httpx.get(service.url + "/metrics").text
    assert 'parity_deliveries_total{event="pull_request",outcome="accepted"} 1.0' in metrics
    assert 'parity_github_calls_total{status="201"}' in metrics
    assert "parity_queue_depth 0.0" in metrics
    assert "parity_queue_oldest_age_seconds" in metrics
    assert "parity_github_rate_limit_remaining" in metrics
    assert "process_resident_memory_bytes" in metrics  # process metrics come with it


def test_logs_carry_delivery_ids_and_no_secret(github: FakeGitHub, service: Service) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=5)
    service.deliver("pull_request", pull_request_event(repo, 5, sha), delivery="deliv-55")
    wait_until(lambda: github.reviews, 30, "the review")
    service.deliver("pull_request", example("pull_request.opened"), secret="wrong")
    service.stop()
    text = service.logs()
    lines = service.log_lines()
    job_lines = [line for line in lines if line.get("logger") in ("parity.worker", "parity.pull_request")]
    assert job_lines and all(line.get("delivery") == "deliv-55" for line in job_lines)
    private, _ = app_key()
    leaked = [SECRET, "old-secret", *github.tokens]
    leaked += [line for line in private.splitlines() if "PRIVATE KEY" not in line]
    assert [secret for secret in leaked if secret in text] == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "PORT must be a whole number"),
        ({"APP_ID": "12"}, "PRIVATE_KEY is missing"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of json, text"),
        (
            {"APP_ID": "12", "PRIVATE_KEY": "not a key", "WEBHOOK_SECRET": "s"},
            "PRIVATE_KEY is not a PEM private key",
        ),
        ({"SCAN_RATE_SHARE": "1.5"}, "SCAN_RATE_SHARE must be more than 0 and at most 1"),
        ({"SCAN_INTERVAL": "daily"}, "SCAN_INTERVAL must be a number (more than 0)"),
        ({"RUNNER_WAIT_MINUTES": "0"}, "RUNNER_WAIT_MINUTES must be more than 0"),
        ({"RETENTION_DAYS": "1"}, "RETENTION_DAYS must be at least 3"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 16 characters"),
        ({"METRICS_TOKEN": "a token with spaces in it"}, "METRICS_TOKEN must be printable ASCII"),
    ],
)
def test_bad_settings_stop_startup_with_one_line(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_installation_payload_is_parsed_from_githubs_example() -> None:
    from bot.service.events import installation_change, pull_request_checks

    change = installation_change("installation", example("installation.created"))
    assert (change.account, change.added) == ("Codertocat", ("Codertocat/Hello-World",))
    payload = example("check_suite.rerequested")
    payload["installation"] = {"id": INSTALLATION}
    checks = pull_request_checks("check_suite", payload)
    assert [(c.number, c.head_sha) for c in checks] == [(2, payload["check_suite"]["head_sha"])]
