"""The runner watchdog: arm64 legs queued with no runner past RUNNER_WAIT_MINUTES.

`workflow_job` queued events record arm64 legs, in_progress and completed ones drop them.
The scheduler's sweep queues a check for each leg that has waited too long (again every
wait period while it waits): the check asks GitHub whether the job is still queued (an
event may have been lost), then re-renders the pull request's results comment, which
names the leg, and the dashboard.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from bot.core.pairing import parse_time
from bot.core.watchdog import QUEUED, describe, runs_on_arm64
from bot.service import rest, results
from bot.service.events import Repo, installation_of, repo_of
from bot.service.github import Api, Rejected
from bot.service.logs import log
from bot.service.queue import Queue
from bot.service.store import Store, Waiting

logger = logging.getLogger("parity.watchdog")

SWEEP = "runner-watchdog"  # the queue's event name


async def on_workflow_job(store: Store, payload: dict[str, Any]) -> None:
    job = payload["workflow_job"]
    if payload.get("action") != "queued":
        await store.drop_waiting(int(job["id"]))
        return
    labels = tuple(str(label) for label in job.get("labels") or ())
    if runs_on_arm64(labels):
        await store.save_waiting(
            Waiting(
                int(job["id"]),
                installation_of(payload),
                repo_of(payload).full_name,
                str(job.get("name") or ""),
                labels,
                str(job.get("head_sha") or ""),
                parse_time(job.get("created_at")) or time.time(),
            )
        )


async def sweep(queue: Queue, store: Store, wait_minutes: float) -> int:
    """Queue a check of every leg that has waited too long; how many were queued."""
    now, limit = time.time(), wait_minutes * 60
    period = int(now // limit)
    due = await store.waiting(now - limit, swept_before=now - limit)
    for leg in due:
        payload = {
            "installation": leg.installation,
            "repo": leg.repo,
            "job_id": leg.job_id,
            "head_sha": leg.head_sha,
        }
        await queue.enqueue(
            f"watchdog:{leg.job_id}:{period}", SWEEP, f"{leg.repo}:results", json.dumps(payload)
        )
    return len(due)


async def check(api: Api, store: Store, memory: results.Memory, payload: dict[str, Any]) -> bool:
    """Whether the leg still waits (then the comment and dashboard are written again)."""
    repo, job_id = str(payload["repo"]), int(payload["job_id"])
    try:
        job = await api.request(rest.JOB, repo=repo, job_id=job_id)
    except Rejected as exc:
        if exc.status != 404:
            raise
        job = None
    if not isinstance(job, dict) or job.get("status") != QUEUED:
        await store.drop_waiting(job_id)
        return False
    await store.swept(job_id)
    waited = time.time() - (parse_time(job.get("created_at")) or time.time())
    labels = [str(label) for label in job.get("labels") or ()]
    log(logger, logging.WARNING, describe(str(job.get("name")), labels, waited), repo=repo)
    owner, name = repo.split("/", 1)
    head = await api.request(rest.REPOSITORY, repo=repo)
    branch = str((head or {}).get("default_branch") or "main")
    sha = str(job.get("head_sha") or payload["head_sha"])
    await results.run(api, Repo(owner, name, branch), sha, [], memory)
    return True
