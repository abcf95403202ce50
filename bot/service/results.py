"""Compare a commit's amd64 and arm64 results once its CI legs finish.

On `workflow_run`/`workflow_job` completion: find the pull requests of the head commit, list
the commit's runs and their jobs (all attempts), give every job its leg with the analyzer
(workflows read at that commit), pair twins, and keep one comment per pull request up to
date. When no leg is running any more, JUnit artifacts are compared test by test and the
"Arch parity results" check run is completed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cachetools import LRUCache, TTLCache

from bot.core import joblog
from bot.core.analysis import Report
from bot.core.config import ConfigError, Policy
from bot.core.junit import (
    MAX_CASES,
    MAX_COMMIT_CASES,
    MAX_ZIP_BYTES,
    JUnitError,
    TestCase,
    TooManyCases,
    read_artifact,
)
from bot.core.limits import LOGS_PER_COMMIT
from bot.core.pairing import Pairing, RunJob, pair, run_job
from bot.core.results import Artifact, TestResults, analyse, compare_logs, logs_wanted, wanted
from bot.core.runners import AMD64, ARM64
from bot.core.watchdog import RUNNER_WAIT_MINUTES
from bot.render import results as render
from bot.service import isolation, rest
from bot.service.config_source import load_policy
from bot.service.delegated import Delegated, judged_reading
from bot.service.events import Repo
from bot.service.github import Api, RateLimited, Rejected, Transient, room_for_a_workflow
from bot.service.logs import log, redact

logger = logging.getLogger("parity.results")


class WorkflowCache:
    """Workflow files by (repository, commit, path): a commit's files never change.

    Bounded by bytes, not entries: each file is at most FILE_READ_BYTES (Api.file cuts it
    there), so the cache holds BYTES whatever the files' sizes."""

    BYTES = 16 * 1024 * 1024
    OVERHEAD = 256  # the key and the entry, counted for every file (an absent one too)

    def __init__(self, max_bytes: int = BYTES) -> None:
        self.items: LRUCache[tuple[str, str, str], bytes | None] = LRUCache(
            maxsize=max_bytes, getsizeof=self.size
        )

    @classmethod
    def size(cls, data: bytes | None) -> int:
        return cls.OVERHEAD + len(data or b"")

    async def get(self, api: Api, repo: Repo, sha: str, path: str) -> bytes | None:
        key = (repo.full_name, sha, path)
        if key in self.items:
            return self.items[key]
        data = await api.file(repo.owner, repo.name, path, ref=sha)
        if self.size(data) <= self.items.maxsize:
            self.items[key] = data
        return data


class Memory:
    """What this replica remembers between events, to spare GitHub calls; bounded in size
    and age, so a replica running for months holds no more than the recent pull requests.

    Safe to lose (a restart, another replica, an eviction): the comment and the check run
    are looked up again, and a remembered comment that was deleted is found missing by the
    PATCH. The policy is kept one minute: a config change reaches results comparisons
    within a minute.
    """

    POLICY_SECONDS = 60.0
    SIZE = 2048  # pull requests (and repositories) remembered
    AGE = 6 * 3600.0  # seconds an entry is kept
    LOGS = 16 * 1024 * 1024  # characters of job-log readings remembered

    def __init__(self, runner_wait: float = RUNNER_WAIT_MINUTES) -> None:
        self.runner_wait = runner_wait  # minutes before a queued arm64 leg is named
        self.workflows = WorkflowCache()
        self.policies: TTLCache[str, Policy] = TTLCache(self.SIZE, self.POLICY_SECONDS)
        # -> (comment id, digest of its body: a body may be 64 KB, 2048 of them 134 MB);
        # -> (check run id, conclusion, title)
        self.comments: TTLCache[tuple[str, int], tuple[int, str]] = TTLCache(self.SIZE, self.AGE)
        self.checks: TTLCache[tuple[str, str], tuple[int, str, str]] = TTLCache(self.SIZE, self.AGE)
        # A finished job's log never changes: read once per job, whatever the events. Bounded
        # by what the readings hold, as the workflow cache is by bytes.
        self.logs: LRUCache[tuple[str, int], joblog.Reading] = LRUCache(self.LOGS, getsizeof=joblog.size)

    async def policy(self, api: Api, repo: Repo) -> Policy:
        cached = self.policies.get(repo.full_name)
        if cached is not None:
            return cached
        policy, _ = await load_policy(api, repo)
        self.policies[repo.full_name] = policy
        return policy


@dataclass(slots=True)
class Snapshot:
    """Everything known about one commit's CI at one moment."""

    sha: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[RunJob] = field(default_factory=list)
    pairing: Pairing = field(default_factory=Pairing)
    tests: TestResults = field(default_factory=TestResults)


async def pull_requests_of(api: Api, repo: Repo, sha: str, listed: list[dict[str, Any]]) -> list[int]:
    """The open pull requests of this repository whose head is `sha`.

    The payload's list is empty for forks; then GitHub is asked which pulls hold the commit.
    """
    numbers = [int(pr["number"]) for pr in listed if isinstance(pr, dict) and "number" in pr]
    if numbers:
        return numbers
    found = await api.request(rest.COMMIT_PULLS, repo=repo.full_name, commit_sha=sha)
    return [
        int(pr["number"])
        for pr in found or []
        if pr.get("state") == "open"
        and (pr.get("head") or {}).get("sha") == sha
        and ((pr.get("base") or {}).get("repo") or {}).get("full_name") == repo.full_name
    ]


async def snapshot(
    api: Api,
    repo: Repo,
    sha: str,
    policy: Policy,
    cache: WorkflowCache,
    runner_wait: float = RUNNER_WAIT_MINUTES,
) -> Snapshot:
    shot = Snapshot(sha)
    shot.runs = await api.pages(rest.WORKFLOW_RUNS, {"head_sha": sha}, repo=repo.full_name)
    for run in shot.runs:
        jobs = await api.pages(rest.RUN_JOBS, {"filter": "all"}, repo=repo.full_name, run_id=run["id"])
        shot.jobs += [run_job(job, str(run.get("path") or "")) for job in jobs]
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted({str(run.get("path") or "") for run in shot.runs}):
        if not room_for_a_workflow(total):
            # No room for another file: the jobs of the workflows left get no leg.
            log(logger, logging.WARNING, "workflows past the byte budget not read", sha=sha, path=path)
            break
        if path.startswith(".github/workflows/"):
            data = await cache.get(api, repo, sha, path.split("@", 1)[0])
            if data is not None:
                files[path] = data
                total += len(data)

    # Workflows at a pull request's head are the author's: read in a worker process, through
    # the files their steps hand work to (delegated.py), as the pull-request check reads them.
    async def judge(delegated: Delegated) -> tuple[tuple[Report, dict[str, list[str]]], list[str]]:
        return await isolation.analyse(
            isolation.judge_repository, files, policy, False, date.today(), delegated
        )

    report, _ = await judged_reading(api, repo.full_name, sha, judge)
    shot.pairing = pair(report, shot.jobs, policy, time.time(), runner_wait)
    return shot


async def test_results(api: Api, repo: Repo, shot: Snapshot, policy: Policy) -> TestResults:
    artifacts: list[Artifact] = []
    kept = 0  # test cases held for this commit so far
    runs = {job.run_id for p in shot.pairing.pairs for job in (p.amd64, p.arm64) if job}
    for run_id in sorted(runs):
        listed = await api.pages(rest.RUN_ARTIFACTS, repo=repo.full_name, run_id=run_id)
        for item in listed:
            if item.get("expired") or not wanted(str(item.get("name")), policy.junit_artifacts):
                continue
            artifact = Artifact(int(item["id"]), str(item["name"]), run_id, int(item.get("size_in_bytes") or 0))
            artifacts.append(artifact)
            if artifact.size > MAX_ZIP_BYTES:
                artifact.error = f"{artifact.size} bytes, over the {MAX_ZIP_BYTES}-byte limit"
                continue
            room = min(MAX_CASES, MAX_COMMIT_CASES - kept)
            if room <= 0:
                artifact.error = f"not read: this commit's artifacts already hold {MAX_COMMIT_CASES} test cases"
                continue
            try:
                artifact.cases = await read_one(api, repo, artifact, room)
            except (Transient, RateLimited):
                raise  # GitHub's trouble, not the artifact's: the job is tried again
            except Exception as exc:
                # Whatever else goes wrong is this artifact's problem, shown on it: one bad
                # artifact never keeps the others (or the check run) from being written.
                artifact.error = str(exc) if isinstance(exc, (JUnitError, Rejected)) else _unexpected(exc)
                if isinstance(exc, TooManyCases) and room < MAX_CASES:
                    artifact.error += f" (what was left of the {MAX_COMMIT_CASES} read for one commit)"
                log(logger, logging.INFO, "artifact unreadable", artifact=artifact.name, why=artifact.error)
                continue
            kept += len(artifact.cases)
    # Comparing 100,000 cases a side takes about 70 ms of CPU: not on the event loop.
    return await asyncio.to_thread(analyse, artifacts, shot.pairing)


async def job_logs(api: Api, repo: Repo, shot: Snapshot, memory: Memory) -> None:
    """The logs of the jobs whose pairs differ, read for their failed step and tests and
    compared; one request per job, none for twins that agree, none for a job read before."""
    left = LOGS_PER_COMMIT  # a broken branch across a large matrix fails every pair
    for twins in shot.pairing.pairs:
        readings = {}
        for job in logs_wanted(twins):
            arch = AMD64 if job is twins.amd64 else ARM64
            if left <= 0:
                why = f"not read: {LOGS_PER_COMMIT} logs were read for this commit already"
                readings[arch] = joblog.unread(job.id, job.steps, why)
                continue
            left -= 1
            readings[arch] = await read_log(api, repo, job, memory)
        if readings:
            shot.tests.logs.append(compare_logs(twins, readings, shot.tests.comparisons))


async def read_log(api: Api, repo: Repo, job: RunJob, memory: Memory) -> joblog.Reading:
    key = (repo.full_name, job.id)
    known = memory.logs.get(key)
    counted = api.metrics.job_logs
    if known is not None:
        counted.labels(outcome="cached").inc()
        return known
    remembered = True  # what a log holds, or that it expired; not a refusal that may pass
    try:
        data, cut = await api.download_tail(
            rest.JOB_LOGS, joblog.MAX_LOG_BYTES, repo=repo.full_name, job_id=job.id
        )
        # Someone else's text, read by regular expressions: in a child process whose crash,
        # memory or time runs out there, not here.
        reading = await isolation.analyse(joblog.read, job.id, data, job.steps, cut)
        counted.labels(outcome="cut" if cut else "read").inc()
    except (Transient, RateLimited):
        raise  # GitHub's trouble, not the log's: the job is tried again
    except isolation.AnalysisFailed as exc:
        reading = joblog.unread(job.id, job.steps, f"could not be read: {exc.reason}")
        counted.labels(outcome="unreadable").inc()
    except Rejected as exc:
        why = (
            "expired: GitHub keeps logs only for the repository's retention period (410)"
            if exc.status == 410
            else f"not readable ({exc})"
        )
        reading = joblog.unread(job.id, job.steps, why)
        counted.labels(outcome="expired" if exc.status == 410 else "unreadable").inc()
        remembered = exc.status == 410
    except Exception as exc:
        # The log is someone else's text: whatever it does to the reader costs this log only.
        reading = joblog.unread(job.id, job.steps, _unexpected(exc))
        counted.labels(outcome="unreadable").inc()
    runners = ",".join(reading.runners)
    log(logger, logging.INFO, "job log read", job=job.id, problem=reading.problem, runners=runners)
    if remembered:
        memory.logs[key] = reading
    return reading


async def read_one(api: Api, repo: Repo, artifact: Artifact, max_cases: int) -> dict[str, TestCase]:
    """An artifact's test cases. The zip is spooled to disk as it arrives, then read in a
    thread: the reader streams it (one XML element in memory at a time), and the event
    loop keeps answering webhooks and health checks while it runs."""
    with tempfile.TemporaryFile() as spool:
        await api.download(
            rest.ARTIFACT_ARCHIVE,
            MAX_ZIP_BYTES,
            spool,
            repo=repo.full_name,
            artifact_id=artifact.id,
            archive_format="zip",
        )
        return await asyncio.to_thread(read_artifact, spool, max_cases)


def _unexpected(exc: Exception) -> str:
    return f"cannot be read ({type(exc).__name__}: {exc})"[:300]


async def upsert_comment(api: Api, repo: Repo, number: int, body: str, memory: Memory) -> str:
    """Edit our one results comment, or create it; 'created', 'updated' or 'unchanged'."""
    key = (repo.full_name, number)
    digest = hashlib.sha256(body.encode()).hexdigest()
    known = memory.comments.get(key)
    if known is not None:
        if known[1] == digest:
            return "unchanged"
        try:
            await api.request(
                rest.UPDATE_ISSUE_COMMENT, json={"body": body}, repo=repo.full_name, comment_id=known[0]
            )
            memory.comments[key] = (known[0], digest)
            return "updated"
        except Rejected as exc:
            if exc.status != 404:
                raise
            del memory.comments[key]  # deleted by someone: look for it again
    comments = await api.pages(rest.ISSUE_COMMENTS, repo=repo.full_name, issue_number=number)
    mine = [item for item in comments if render.MARKER in (item.get("body") or "") and await api.wrote(item)]
    if mine:
        memory.comments[key] = (int(mine[0]["id"]), digest)
        if mine[0].get("body") == body:
            return "unchanged"
        await api.request(
            rest.UPDATE_ISSUE_COMMENT, json={"body": body}, repo=repo.full_name, comment_id=mine[0]["id"]
        )
        return "updated"
    created = await api.request(
        rest.CREATE_ISSUE_COMMENT, json={"body": body}, repo=repo.full_name, issue_number=number
    )
    memory.comments[key] = (int(created["id"]), digest)
    return "created"


async def complete_check(api: Api, repo: Repo, shot: Snapshot, policy: Policy, memory: Memory) -> None:
    conclusion, title, summary = render.check_output(shot.pairing, shot.tests, policy.fail_on_difference)
    await write_check(api, repo, shot.sha, conclusion, title, summary, memory)


async def write_check(
    api: Api, repo: Repo, sha: str, conclusion: str, title: str, summary: str, memory: Memory
) -> None:
    """Complete the commit's "Arch parity results" check run (created when missing)."""
    key = (repo.full_name, sha)
    payload: dict[str, Any] = {
        "name": render.CHECK_NAME,
        "status": "completed",
        "conclusion": conclusion,
        "output": {"title": title, "summary": summary},
    }
    if conclusion != "success":
        payload["actions"] = [render.RERUN_ACTION]
    known = memory.checks.get(key)
    if known is None:
        listed = await api.pages(
            rest.COMMIT_CHECK_RUNS,
            {"check_name": render.CHECK_NAME, "filter": "all"},
            repo=repo.full_name,
            ref=sha,
        )
        existing = [run for run in listed if api.ours(run)]  # not a same-named one of a fork's
        if existing:
            run = max(existing, key=lambda item: int(item["id"]))
            known = (int(run["id"]), str(run.get("conclusion")), str((run.get("output") or {}).get("title")))
    if known is None:
        created = await api.request(
            rest.CREATE_CHECK_RUN, repo=repo.full_name, json={**payload, "head_sha": sha}
        )
        memory.checks[key] = (int(created["id"]), conclusion, title)
    elif known[1:] != (conclusion, title):
        await api.request(rest.UPDATE_CHECK_RUN, json=payload, repo=repo.full_name, check_run_id=known[0])
        memory.checks[key] = (known[0], conclusion, title)
    else:
        memory.checks[key] = known


async def run(api: Api, repo: Repo, sha: str, listed_pulls: list[dict[str, Any]], memory: Memory) -> None:
    numbers = await pull_requests_of(api, repo, sha, listed_pulls)
    if not numbers:
        return
    try:
        policy = await memory.policy(api, repo)
    except ConfigError as exc:
        log(logger, logging.WARNING, "config invalid; results not compared", error=exc.message)
        return
    if policy.mode == "off":
        return
    try:
        shot = await snapshot(api, repo, sha, policy, memory.workflows, memory.runner_wait)
    except isolation.AnalysisFailed as exc:
        log(logger, logging.WARNING, "analysis failed; results not compared", sha=sha, why=str(exc))
        await write_check(
            api,
            repo,
            sha,
            "failure",
            "parity-bot could not analyse the workflows",
            exc.describe() + ".",
            memory,
        )
        return
    if not any(p.ready or p.stuck for p in shot.pairing.pairs):
        return  # nothing finished on both architectures yet, and no leg waits too long
    if shot.pairing.complete:
        shot.tests = await test_results(api, repo, shot, policy)
        await job_logs(api, repo, shot, memory)
    # Log excerpts are someone else's text: what the log redaction knows is taken out too.
    body = redact(render.comment(sha, shot.pairing, shot.tests, excerpts=policy.log_excerpts))
    post = policy.comment == "always" or (
        policy.comment == "on-difference" and render.differences(shot.pairing, shot.tests)
    )
    for number in numbers if post else []:
        outcome = await upsert_comment(api, repo, number, body, memory)
        log(
            logger,
            logging.INFO,
            "results comment " + outcome,
            pr=number,
            sha=sha,
            pairs=len(shot.pairing.pairs),
            complete=shot.pairing.complete,
        )
    if shot.pairing.complete:
        await complete_check(api, repo, shot, policy, memory)
