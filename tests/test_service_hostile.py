"""Hostile pull requests against the running service: signed deliveries, the
service under uvicorn, GitHub played by the fake."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.fake_github import FakeGitHub, PullRequest, Repository
from tests.service_harness import (
    APP_ID,
    Service,
    example,
    for_repo,
    ipfs_repository,
    pull_request_event,
    setup_ci,
    wait_until,
    workflow_run_event,
)

NORMAL = b"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
NESTING_BOMB = b"on: push\njobs:\n  test:\n    runs-on: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"


def big_workflow(jobs: int = 6000) -> bytes:
    """About 800 KB (under the 1 MB cap): its analysis peaks near 100 MB."""
    body = "".join(
        f"  j{i}:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        f"        py: ['3.9', '3.10', '3.11']\n    steps:\n      - run: echo {i}\n"
        for i in range(jobs)
    )
    return ("on: push\njobs:\n" + body).encode()


def pull_with(
    github: FakeGitHub, number: int, path: str, content: bytes, name: str = "hostile"
) -> tuple[Repository, str]:
    repo = github.repos.setdefault(f"octo/{name}", Repository("octo", name))
    sha = hashlib.sha1(f"{name}:{number}:{path}".encode()).hexdigest()
    repo.files.setdefault("main", {})
    repo.files[sha] = {path: content}
    patch = "@@ -0,0 +1,3 @@\n+on: push\n+jobs:\n+  test:\n"
    repo.pulls[number] = PullRequest(number, sha, [{"filename": path, "status": "added", "patch": patch}])
    return repo, sha


def completed(github: FakeGitHub, sha: str, timeout: float = 60) -> dict:
    return wait_until(
        lambda: next((r for r in github.runs_for(sha) if r["status"] == "completed"), None),
        timeout,
        f"a completed check run for {sha[:7]}",
    )


def test_a_nesting_bomb_and_a_normal_pull_request_are_both_judged_and_the_service_stays_up(
    github: FakeGitHub, service: Service
) -> None:
    repo, bomb = pull_with(github, 1, ".github/workflows/bomb.yml", NESTING_BOMB)
    _, normal = pull_with(github, 2, ".github/workflows/ci.yml", NORMAL)
    pid = service.process.pid if service.process else None
    assert service.deliver("pull_request", pull_request_event(repo, 1, bomb)).status_code == 202
    assert service.deliver("pull_request", pull_request_event(repo, 2, normal)).status_code == 202
    judged = completed(github, normal)
    named = completed(github, bomb)
    assert judged["name"] == named["name"] == "Arch parity"
    assert judged["conclusion"] == "failure"  # amd64-only: a real verdict
    shown = named["output"]["summary"] + str(named.get("annotations"))
    assert ".github/workflows/bomb.yml" in shown
    assert "nesting deeper than 64 levels" in shown
    assert service.process is not None and service.process.poll() is None and service.process.pid == pid


def test_an_analysis_past_its_memory_limit_ends_its_check_not_the_service(
    tmp_path: Path, github: FakeGitHub
) -> None:
    service = Service(tmp_path, github, ANALYSIS_MEMORY_MB="64", ANALYSIS_PROCESSES="1").start()
    try:
        repo, big = pull_with(github, 3, ".github/workflows/big.yml", big_workflow())
        _, normal = pull_with(github, 4, ".github/workflows/ci.yml", NORMAL)
        service.deliver("pull_request", pull_request_event(repo, 3, big))
        run = completed(github, big)
        assert run["conclusion"] == "failure"
        assert run["output"]["title"] == "parity-bot could not analyse this pull request"
        assert run["output"]["summary"] == (
            "could not analyse `.github/workflows/big.yml`: the analysis needed more than 64 MB."
        )
        # The same service, with a new worker process, judges the next pull request.
        service.deliver("pull_request", pull_request_event(repo, 4, normal))
        assert completed(github, normal)["output"]["title"] != run["output"]["title"]
        assert service.process is not None and service.process.poll() is None
    finally:
        service.stop()


# ------------------------------------------------------------------ check runs of other Apps


def ours(github: FakeGitHub, sha: str, name: str) -> list[dict]:
    return [r for r in github.runs_for(sha) if r["name"] == name and r["app"]["id"] == APP_ID]


def test_a_same_named_check_run_of_a_forks_workflow_is_not_taken_for_ours(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = ipfs_repository(github, "before", "after", "before-to-after.patch", number=31)
    # A job in the fork's workflow named itself "Arch parity" and passed.
    foreign = github.add_check_run(sha, "Arch parity", conclusion="success")
    service.deliver("pull_request", pull_request_event(repo, 31, sha))
    mine = wait_until(
        lambda: [r for r in ours(github, sha, "Arch parity") if r["status"] == "completed"], 60, "our check run"
    )
    assert len(mine) == 1 and mine[0]["conclusion"] == "failure" and mine[0]["id"] != foreign["id"]
    assert (foreign["status"], foreign["conclusion"], foreign["output"]["title"]) == (
        "completed",
        "success",
        "all good",
    )
    assert not github.calls("PATCH", rf"/check-runs/{foreign['id']}$")


def test_a_same_named_results_check_run_of_another_app_is_not_taken_for_ours(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha, run = setup_ci(github, number=32)
    foreign = github.add_check_run(sha, "Arch parity results", conclusion="success")
    service.deliver("workflow_run", workflow_run_event(repo, sha, run, [32]))
    mine = wait_until(lambda: ours(github, sha, "Arch parity results"), 60, "our results check run")
    assert len(mine) == 1 and mine[0]["id"] != foreign["id"]
    assert mine[0]["status"] == "completed"
    assert (foreign["conclusion"], foreign["output"]["title"]) == ("success", "all good")
    assert not github.calls("PATCH", rf"/check-runs/{foreign['id']}$")


# ------------------------------------------------------------------ paths that climb out


def test_dotdot_in_extends_or_a_local_uses_sends_no_request_and_says_why(
    github: FakeGitHub, service: Service
) -> None:
    """Each `..` would be resolved by the HTTP client before the request leaves, so the
    installation's token would GET whatever the path climbs to."""
    repo = github.repos.setdefault("octo/climb", Repository("octo", "climb"))
    climbing = {
        41: b"extends: octo/.github:../../../../orgs/octo/secret-target\n",
        42: b"extends: ../secret-target\n",
        43: b"extends: octo/.github:/secret-target\n",
        44: b"extends: someone-else/private-secret-target\n",  # another owner's config
    }
    for number, config in climbing.items():
        repo.files.setdefault("main", {})[".github/parity.yml"] = config
        _, sha = pull_with(github, number, ".github/workflows/ci.yml", NORMAL, name="climb")
        service.deliver("pull_request", pull_request_event(repo, number, sha))
        run = completed(github, sha)
        assert run["output"]["title"] == "The parity-bot config is invalid"
        assert "extends must" in run["output"]["summary"]
    # A called workflow that climbs out of .github/workflows is not read either.
    repo.files["main"][".github/parity.yml"] = b"mode: required\n"
    caller = NORMAL + b"  call:\n    uses: ./.github/workflows/../../../../secret-target.yml\n"
    _, sha = pull_with(github, 45, ".github/workflows/ci.yml", caller, name="climb")
    service.deliver("pull_request", pull_request_event(repo, 45, sha))
    assert completed(github, sha)["status"] == "completed"
    leaked = [f"{c.method} {c.path}" for c in github.requests if "secret-target" in c.path or ".." in c.path]
    assert leaked == []


# ------------------------------------------------------------------ tokens


def test_a_revoked_installation_token_does_not_kill_the_next_job(github: FakeGitHub, service: Service) -> None:
    repo, first = pull_with(github, 51, ".github/workflows/ci.yml", NORMAL, name="tokens")
    service.deliver("pull_request", pull_request_event(repo, 51, first))
    completed(github, first)
    wait_until(lambda: any(line.get("message") == "job done" for line in service.log_lines()), 30, "job 51")
    github.revoke_tokens()  # the service's cached token is refused from now on
    _, second = pull_with(github, 52, ".github/workflows/ci.yml", NORMAL + b"# changed\n", name="tokens")
    service.deliver("pull_request", pull_request_event(repo, 52, second))
    assert completed(github, second)["conclusion"] == "failure"  # judged: amd64-only
    assert [c.path for c in github.requests if c.status == 401] == [
        f"/repos/octo/tokens/commits/{second}/check-runs"
    ]


# ------------------------------------------------------------------ unsigned bodies


def _raw_post(service: Service, headers: dict[str, str], length: int, sent: bytes) -> socket.socket:
    """A POST that declares `length` bytes of body and sends only `sent` of them."""
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=5)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(
        f"POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n{head}\r\n".encode()
        + sent
    )
    return sock


def _status(sock: socket.socket) -> int:
    sock.settimeout(5)
    return int(sock.recv(4096).split(b" ", 2)[1])


def test_a_request_without_a_signature_is_refused_before_its_body_is_read(service: Service) -> None:
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "x"}
    with _raw_post(service, headers, 20 * 1024 * 1024, b"x" * 1024) as sock:
        assert _status(sock) == 401  # not after 20 MB, nor after a read timeout
    malformed = {**headers, "X-Hub-Signature-256": "sha1=abc"}
    with _raw_post(service, malformed, 20 * 1024 * 1024, b"x" * 1024) as sock:
        assert _status(sock) == 401


def test_bodies_read_before_their_signature_is_checked_are_capped(service: Service) -> None:
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "x",
        "X-Hub-Signature-256": "sha256=" + "0" * 64,  # looks right: the body must be read
    }
    stalled = [_raw_post(service, headers, 20 * 1024 * 1024, b"x" * 65536) for _ in range(16)]
    try:
        time.sleep(0.5)  # all sixteen are being read
        with _raw_post(service, headers, 1024, b"x" * 1024) as extra:
            assert _status(extra) == 503
        assert httpx.get(service.url + "/healthz", timeout=2).status_code == 200
    finally:
        for sock in stalled:
            sock.close()
    # Their slots come back once they are gone: a signed delivery goes through again.
    wait_until(
        lambda: service.deliver("installation", example("installation.created")).status_code == 202,
        10,
        "the intake to accept again",
    )


def test_the_signature_is_computed_as_the_body_arrives() -> None:
    from bot.service.signatures import Verifier

    verifier = Verifier(["another secret", "It's a Secret to Everybody"])
    for chunk in (b"Hello", b", ", b"World!"):
        verifier.update(chunk)
    assert verifier.matches("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    assert not verifier.matches("sha256=" + "0" * 64)
    assert not verifier.matches(None)


async def test_unverified_bytes_in_all_are_capped() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route

    from bot.service.app import Unverified, webhook_endpoint
    from bot.service.metrics import Registry
    from bot.service.queue import SqliteQueue
    from bot.service.settings import Settings

    settings = Settings(webhook_secrets=("s",))
    endpoint = webhook_endpoint(
        settings, SqliteQueue(":memory:"), None, Registry(), unverified=Unverified(16, 1024)
    )
    app = Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        assert (await client.post("/hook", content=b"x" * 2048, headers=headers)).status_code == 503
        assert (await client.post("/hook", content=b"x" * 512, headers=headers)).status_code == 401


# ------------------------------------------------------------------ metrics, replays, forks, a huge report

METRICS_TOKEN = "scrape-me-0123456789abcdef"


def test_metrics_need_the_bearer_token_once_one_is_set(tmp_path: Path, github: FakeGitHub) -> None:
    service = Service(tmp_path, github, METRICS_TOKEN=METRICS_TOKEN).start()
    try:
        service.deliver("installation", example("installation.created"))
        refused = httpx.get(service.url + "/metrics", timeout=5)
        assert refused.status_code == 401 and "parity_" not in refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
        for wrong in ("Bearer nope", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", "Bearer"):
            assert httpx.get(service.url + "/metrics", headers={"Authorization": wrong}).status_code == 401
        scraped = httpx.get(service.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200
        assert 'parity_deliveries_total{event="installation",outcome="accepted"} 1.0' in scraped.text
        # The probes and the webhook are not behind it.
        assert httpx.get(service.url + "/healthz").status_code == 200
        assert httpx.get(service.url + "/readyz").status_code == 200
    finally:
        service.stop()
    assert METRICS_TOKEN not in service.logs()


def test_metrics_of_setup_mode_need_the_token_too(tmp_path: Path) -> None:
    service = Service(tmp_path, None, METRICS_TOKEN=METRICS_TOKEN).start()
    try:
        assert httpx.get(service.url + "/metrics").status_code == 401
        scraped = httpx.get(service.url + "/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200 and "process_resident_memory_bytes" in scraped.text
    finally:
        service.stop()


def test_a_captured_body_replayed_under_a_new_delivery_id_is_refused(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = pull_with(github, 5, ".github/workflows/ci.yml", NORMAL)
    body = json.dumps(pull_request_event(repo, 5, sha)).encode()
    assert service.deliver("pull_request", body, delivery="first").status_code == 202
    completed(github, sha)
    judged = len(github.calls("GET", r"/pulls/5/files$"))
    # The same signed bytes under any other id: refused, whatever replica or restart.
    replay = service.deliver("pull_request", body, delivery="replayed-1")
    # answered 2xx, so GitHub's own record of it never looks like a missed delivery to resend
    assert replay.status_code == 200 and "a replay is not processed" in replay.json()["message"]
    service.stop()
    service.restart()
    assert "a replay is not processed" in service.deliver("pull_request", body, delivery="replayed-2").text
    # GitHub's redelivery (ours or an operator's) keeps the id: a repeat, as before.
    assert service.deliver("pull_request", body, delivery="first").status_code == 200
    # A new event of the same pull request is another body: taken.
    again = pull_request_event(repo, 5, sha, action="reopened")
    assert service.deliver("pull_request", again, delivery="second").status_code == 202
    wait_until(lambda: len(github.calls("GET", r"/pulls/5/files$")) > judged, 30, "the reopened check")
    time.sleep(1.0)
    assert len(github.calls("GET", r"/pulls/5/files$")) == judged + 1  # the replays ran nothing
    metrics = httpx.get(service.url + "/metrics").text
    assert 'parity_deliveries_total{event="pull_request",outcome="replayed"} 1.0' in metrics
    assert any(line.get("message") == "rejected delivery: a replayed body" for line in service.log_lines())


def test_a_replay_to_another_replica_on_postgresql_is_refused(tmp_path: Path, github: FakeGitHub) -> None:
    from tests.test_queue import _drop, _pg_database

    url = asyncio.run(_pg_database())
    replicas = [Service(tmp_path / f"r{i}", github, DATABASE_URL=url) for i in range(2)]
    try:
        for replica in replicas:
            replica.tmp.mkdir()
            replica.start()
        repo, sha = pull_with(github, 6, ".github/workflows/ci.yml", NORMAL)
        body = json.dumps(pull_request_event(repo, 6, sha)).encode()
        assert replicas[0].deliver("pull_request", body, delivery="pg-first").status_code == 202
        assert (
            "a replay is not processed" in replicas[1].deliver("pull_request", body, delivery="pg-replay").text
        )
        assert replicas[1].deliver("pull_request", body, delivery="pg-first").status_code == 200
        completed(github, sha)
    finally:
        for replica in replicas:
            if replica.process is not None:
                replica.stop()
        asyncio.run(_drop(url))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_body_is_refused_under_another_id_for_an_hour_only(tmp_path: Path, backend: str) -> None:
    from bot.core.limits import REPLAY_WINDOW_SECONDS as HOUR
    from bot.service.store import Store
    from tests.test_queue import _drop, _pg_database

    url = await _pg_database() if backend == "postgres" else f"sqlite:///{tmp_path / 's.db'}"
    store = Store(url)
    await store.open()
    try:
        assert await store.first_delivery("d1", "a", HOUR, now=1000.0) == "a"
        assert await store.first_delivery("d1", "a", HOUR, now=1001.0) == "a"  # a redelivery
        assert await store.first_delivery("d1", "b", HOUR, now=1000.0 + HOUR - 1) == "a"
        assert await store.first_delivery("d2", "b", HOUR, now=1002.0) == "b"
        # After the window the body is anyone's again (and the old rows are purged).
        assert await store.first_delivery("d1", "c", HOUR, now=1001.0 + HOUR) == "c"
        assert await store.first_delivery("d1", "a", HOUR, now=1002.0 + HOUR) == "c"
    finally:
        await store.close()
        if backend == "postgres":
            await _drop(url)


def test_the_rerun_button_of_a_forks_pull_request_finds_it_by_its_head(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha, _ = setup_ci(github, number=36)
    payload = for_repo("check_run.requested_action", repo)
    payload["requested_action"] = {"identifier": "rerun-arm64"}
    # GitHub lists no pull request on a check run of a fork's pull request.
    payload["check_run"].update({"head_sha": sha, "pull_requests": []})
    payload["sender"]["login"] = "maintainer"
    assert service.deliver("check_run", payload).status_code == 202
    wait_until(lambda: github.reruns, 30, "the rerun")
    wait_until(
        lambda: [c for c in github.issue_comments if c["issue_number"] == 36],
        30,
        "the reply on the pull request",
    )
    assert github.calls("GET", rf"/commits/{sha}/pulls$")


def test_a_rerequested_check_of_a_forks_pull_request_is_judged_again(
    github: FakeGitHub, service: Service
) -> None:
    repo, sha = pull_with(github, 8, ".github/workflows/ci.yml", NORMAL, name="forked")
    payload = for_repo("check_run.rerequested", repo)
    payload["check_run"].update({"head_sha": sha, "pull_requests": []})
    assert service.deliver("check_run", payload).status_code == 202
    run = completed(github, sha)
    assert run["name"] == "Arch parity" and run["conclusion"] == "failure"


def _peak_mb(service: Service) -> float:
    assert service.process is not None
    status = Path(f"/proc/{service.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def test_a_huge_workflow_is_judged_without_the_service_holding_its_report(
    github: FakeGitHub, service: Service
) -> None:
    # Its report is ~66 MB of objects: unpickled in the service, four such pull requests at
    # once (WORKERS) would take a 384Mi container down. The worker renders it instead.
    repo, big = pull_with(github, 9, ".github/workflows/big.yml", big_workflow())
    before = _peak_mb(service)
    service.deliver("pull_request", pull_request_event(repo, 9, big))
    run = completed(github, big, timeout=120)
    assert run["output"]["title"] != "parity-bot could not analyse this pull request"
    assert "big.yml" in run["output"]["summary"]
    assert _peak_mb(service) - before < 60, (before, _peak_mb(service))
