"""Webhook intake throughput and latency against a bare starlette endpoint, and the GitHub
API calls one pull-request event costs.

Part 1 runs `parity-bot serve` (SQLite, WAL, synchronous=FULL) and a bare starlette app that
reads the body and answers 202, each under uvicorn on loopback. The same client sends each
one the same signed `pull_request` payload (the project's sample delivery, bot/samples)
with a fresh delivery id, 16 at a time, alternating rounds. It prints deliveries per second,
p50/p99 latency, and the ratio (target: at least 0.5). Part 2 opens pull requests of the
shipped before/after pair (benchmarks/data/fix) against the fake GitHub and counts the calls
by kind.

Run: `.venv/bin/python benchmarks/ingest.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.repositories import (  # noqa: E402
    for_repo,
    pull_request_event,
    pull_request_repository,
    sample,
)
from tests.fake_github import FakeGitHub, Repository  # noqa: E402
from tests.service_harness import (  # noqa: E402
    APP_ID,
    Service,
    add_artifact,
    add_job,
    add_run,
    app_key,
    free_port,
    junit_zip,
    sign,
    wait_until,
)

REQUESTS = 1500
CONCURRENCY = 16
ROUNDS = 3

BARE = textwrap.dedent("""
    import sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    async def hook(request):
        await request.body()
        return JSONResponse({"message": "queued"}, status_code=202)
    app = Starlette(routes=[Route("/api/github/webhooks", hook, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
""")


_sent = itertools.count()


async def _load(
    url: str, body: bytes, headers: dict[str, str], concurrency: int = CONCURRENCY, requests: int = REQUESTS
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(requests):
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                # Each its own event: the intake refuses a body it took under another
                # delivery id in the last hour as a replay.
                own = body[:-1] + b', "bench_request": ' + str(next(_sent)).encode() + b"}"
                sent = {**headers, "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(own)}
                start = time.perf_counter()
                response = await client.post(url, content=own, headers=sent)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 202:
                    raise SystemExit(f"{url}: {response.status_code} {response.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return requests / elapsed, latencies


def _wait_port(url: str) -> None:
    wait_until(lambda: _answers(url), 20, url)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


def _delivery() -> tuple[bytes, dict[str, str]]:
    """A signed `pull_request` delivery without an installation: the worker drops it at
    once, so what is measured is the intake alone."""
    payload = sample("pull_request.synchronize")
    payload.pop("installation", None)
    body = json.dumps(payload).encode()
    return body, {
        "X-GitHub-Event": "pull_request",
        "X-Hub-Signature-256": sign(body),
        "Content-Type": "application/json",
    }


def intake() -> None:
    body, headers = _delivery()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(
            Path(tmp),
            FakeGitHub(APP_ID, app_key()[1]),
            WORKERS="1",
            LOG_LEVEL="WARNING",
            GITHUB_API_URL="http://127.0.0.1:9",
        )
        service.start()
        bare_port = free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port)])
        _wait_port(f"http://127.0.0.1:{bare_port}/")
        ours: list[tuple[float, list[float]]] = []
        theirs: list[tuple[float, list[float]]] = []
        try:
            for _ in range(ROUNDS):
                ours.append(asyncio.run(_load(service.url + "/api/github/webhooks", body, headers)))
                theirs.append(
                    asyncio.run(_load(f"http://127.0.0.1:{bare_port}/api/github/webhooks", body, headers))
                )
        finally:
            service.stop()
            bare.terminate()
            bare.wait()
    for name, runs in (("parity-bot intake", ours), ("bare starlette", theirs)):
        rate = statistics.median(r for r, _ in runs)
        lat = sorted(x for _, lats in runs for x in lats)
        print(
            f"{name:<18} {rate:8.0f} deliveries/s   p50 {lat[len(lat) // 2] * 1000:6.2f} ms"
            f"   p99 {lat[int(len(lat) * 0.99)] * 1000:6.2f} ms"
        )
    ratio = statistics.median(r for r, _ in ours) / statistics.median(r for r, _ in theirs)
    print(
        f"ratio              {ratio:8.2f}   (target: at least 0.5; {REQUESTS} deliveries x "
        f"{ROUNDS} rounds, {CONCURRENCY} concurrent, {len(body)} bytes each)"
    )


def intake_under_load() -> None:
    """The intake's latency while every worker judges pull requests (target: p99 under
    50 ms): 40 pull requests of the shipped pair (each a full analysis and fix plan)
    are queued first, then 300 deliveries are sent one at a time and timed while the
    workers run (latency, not throughput: the throughput is part 1's)."""
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    body, headers = _delivery()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), github, LOG_LEVEL="WARNING", WORKERS="4").start()
        try:
            url = service.url + "/api/github/webhooks"
            idle = asyncio.run(_load(url, body, headers, 1, 300))[1]
            for number in range(100, 140):
                repo, sha = pull_request_repository(
                    github, "before", "after", number=number, name=f"load{number}"
                )
                service.deliver("pull_request", pull_request_event(repo, number, sha))
            busy = asyncio.run(_load(url, body, headers, 1, 300))[1]
            done = len([r for r in github.check_runs.values() if r["status"] == "completed"])
        finally:
            service.stop()
            github.stop()
    for name, lat in (("idle", sorted(idle)), ("busy", sorted(busy))):
        print(
            f"intake, workers {name:<5} p50 {lat[len(lat) // 2] * 1000:6.2f} ms   "
            f"p99 {lat[int(len(lat) * 0.99)] * 1000:6.2f} ms"
        )
    print(f"({done} of 40 pull requests judged while 300 deliveries were timed)")


def api_calls() -> None:
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), github, LOG_LEVEL="WARNING").start()
        try:
            # (label, number, config, base, head, whether the head has gaps a review suggests on)
            cases = (
                ("after->before (arm64 legs removed), no config anywhere", 1, None, "after", "before", True),
                ("after->before, config in the repository", 2, b"mode: required\n", "after", "before", True),
                (
                    "before->after (gaps mended), config in the repository",
                    3,
                    b"mode: required\n",
                    "before",
                    "after",
                    False,
                ),
            )
            for label, number, config, base, head, reviewed in cases:
                repo, sha = pull_request_repository(github, base, head, number=number, name=f"calls{number}")
                if config:
                    repo.files["main"][".github/parity.yml"] = config
                before = len(github.requests)
                service.deliver("pull_request", pull_request_event(repo, number, sha))
                wait_until(
                    lambda sha=sha: [r for r in github.runs_for(sha) if r["status"] == "completed"],
                    60,
                    "the check run",
                )
                if reviewed:
                    wait_until(
                        lambda sha=sha: [r for r in github.reviews if r["commit_id"] == sha], 60, "the review"
                    )
                time.sleep(0.3)
                calls = github.requests[before:]
                kinds = Counter(f"{c.method} {_kind(c.path)}" for c in calls)
                changed = len(
                    [f for f in repo.pulls[number].files if f["filename"].startswith(".github/workflows/")]
                )
                print(
                    f"\n{label}: {len(calls)} calls for {changed} changed workflow files "
                    f"(target 2 + {changed} + 2 = {4 + changed})"
                )
                for kind, count in sorted(kinds.items()):
                    print(f"  {count:3}  {kind}")
        finally:
            service.stop()
            github.stop()


WORKFLOW = ".github/workflows/tests.yml"


def setup_ci(github: FakeGitHub, number: int) -> tuple[Repository, str, dict]:
    """A pull request whose head is the shipped `after` state, with one completed run of its
    tests.yml: pytest 3.11 on both architectures (arm64 failed) and an amd64-only lint."""
    repo, sha = pull_request_repository(github, "after", "after", number=number, name="results")
    run = add_run(repo, sha)
    run.update({"name": "Tests", "path": WORKFLOW})
    add_job(repo, run, "pytest 3.11 on ubuntu-latest", ["ubuntu-latest"], "success")
    add_job(repo, run, "pytest 3.11 on ubuntu-24.04-arm", ["ubuntu-24.04-arm"], "failure", seconds=150)
    add_job(repo, run, "lint", ["ubuntu-latest"], "success")
    return repo, sha, run


def workflow_run_event(repo: Repository, sha: str, run: dict, pulls: list[int]) -> dict:
    payload = for_repo("workflow_run.completed", repo)
    payload["workflow_run"].update({"id": run["id"], "head_sha": sha, "path": WORKFLOW})
    payload["workflow_run"]["pull_requests"] = [{"number": n, "head": {"sha": sha}} for n in pulls]
    return payload


def results_calls() -> None:
    """Calls for one `workflow_run` completion: one run, 3 jobs, 2 JUnit artifacts."""
    github = FakeGitHub(APP_ID, app_key()[1]).start()
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), github, LOG_LEVEL="WARNING").start()
        try:
            repo, sha, run = setup_ci(github, number=41)
            repo.files["main"][".github/parity.yml"] = b"mode: required\n"
            add_artifact(repo, run, "test-results-amd64-3.11", junit_zip({"a": "passed"}))
            add_artifact(repo, run, "test-results-arm64-3.11", junit_zip({"a": "failed"}))
            for label in ("first completion", "the same completion again"):
                before = len(github.requests)
                service.deliver("workflow_run", workflow_run_event(repo, sha, run, [41]))
                wait_until(
                    lambda: [r for r in github.runs_for(sha) if r["name"] == "Arch parity results"],
                    60,
                    "results",
                )
                time.sleep(1.0)
                calls = [c for c in github.requests[before:] if not c.path.startswith("/_blobs/")]
                storage = len(github.requests[before:]) - len(calls)
                kinds = Counter(f"{c.method} {_kind(c.path)}" for c in calls)
                print(
                    f"\nworkflow_run, {label}: {len(calls)} API calls for 1 run and 2 artifacts "
                    f"(target 3 + 1 + 2 = 6), plus {storage} artifact fetches from storage"
                )
                for kind, count in sorted(kinds.items()):
                    print(f"  {count:3}  {kind}")
        finally:
            service.stop()
            github.stop()


def _kind(path: str) -> str:
    parts = path.split("/")
    if "contents" in parts:
        return "contents (" + ("config" if path.endswith("/.github/parity.yml") else "workflow") + ")"
    return "/".join(p if not p.isdigit() and len(p) < 30 else "{id}" for p in parts[3:]) or path


if __name__ == "__main__":
    if "--load-only" in sys.argv:
        intake_under_load()
        sys.exit(0)
    if "--calls-only" not in sys.argv:
        intake()
        intake_under_load()
    api_calls()
    results_calls()
