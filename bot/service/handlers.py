"""One handler per event (bot.service.router says which handles what)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.core.scans import UNCHANGED
from bot.render.results import RERUN_ACTION
from bot.service import (
    commands,
    dashboard,
    fix_prs,
    org_report,
    pull_requests,
    results,
    scans,
    watchdog,
)
from bot.service.events import (
    PullRequestCheck,
    installation_change,
    installation_of,
    pull_request_checks,
    push_scan,
    repo_of,
)
from bot.service.github import Api, Clients
from bot.service.logs import log
from bot.service.metrics import Registry
from bot.service.queue import Job, Queue
from bot.service.store import Store

logger = logging.getLogger("parity.handlers")


@dataclass(frozen=True, slots=True)
class Context:
    clients: Clients
    queue: Queue
    max_attempts: int
    store: Store
    metrics: Registry
    scan_rate_share: float = 0.5
    memory: results.Memory = field(default_factory=results.Memory)


async def scan_round(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(int(payload["installation"]), ctx.scan_rate_share) as api:
        for state in await scans.run_round(api, ctx.queue, ctx.store, payload):
            ctx.metrics.scans.labels(state=state).inc()
    await _round_finished(ctx, int(payload["round"]))  # every repository was skipped


async def scan(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(int(payload["installation"]), ctx.scan_rate_share) as api:
        try:
            outcome = await scans.scan_repository(api, ctx.store, payload, job.attempts >= ctx.max_attempts)
            await _after_scan(api, ctx, job, payload, outcome)
        finally:
            ctx.metrics.scan_calls.inc(api.calls)
        ctx.metrics.scans.labels(state=outcome.scan.state).inc()


async def publish_org_report(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(int(payload["installation"])) as api:
        await org_report.publish(api, ctx.store, ctx.clients.app_login, payload)


async def fix_pull_request(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(int(payload["installation"])) as api:
        outcome = await fix_prs.run(api, ctx.store, payload)
        ctx.metrics.fix_prs.labels(outcome=outcome.state).inc()


async def dashboard_issue(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    repo = repo_of(payload)
    installation = installation_of(payload)

    async def request_fix(path: str) -> None:
        await fix_prs.request(
            ctx.queue, installation, repo.full_name, repo.default_branch, path, job.delivery_id
        )

    async with ctx.clients.installation(installation) as api:
        await dashboard.on_issue(api, ctx.store, installation, repo.full_name, payload, request_fix)


async def push(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    wanted = push_scan(payload)
    if wanted is None:
        return
    round_id = await ctx.store.round_for(wanted.installation, f"push:{job.delivery_id}", "push")
    await ctx.queue.enqueue(
        f"scan:{round_id}:{wanted.repo.full_name}",
        scans.SCAN,
        scans.scan_key(wanted.repo.full_name),
        json.dumps(
            {
                "installation": wanted.installation,
                "repo": wanted.repo.full_name,
                "default_branch": wanted.repo.default_branch,
                "round": round_id,
            }
        ),
    )


async def watch_job(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    await watchdog.on_workflow_job(ctx.store, payload)


async def sweep(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(int(payload["installation"])) as api:
        if await watchdog.check(api, ctx.store, ctx.memory, payload):
            ctx.metrics.stuck_legs.labels(installation=str(payload["installation"])).inc()
            await _dashboard_again(api, ctx, str(payload["repo"]))


async def results_of_run(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    if job.event == "workflow_job":
        await ctx.store.drop_waiting(int(payload["workflow_job"]["id"]))
    holder = payload[job.event]
    async with ctx.clients.installation(installation_of(payload)) as api:
        await results.run(
            api, repo_of(payload), str(holder["head_sha"]), list(holder.get("pull_requests") or []), ctx.memory
        )


async def comment(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    async with ctx.clients.installation(installation_of(payload)) as api:
        await commands.on_comment(
            api,
            repo_of(payload),
            payload,
            installation_of(payload),
            job.delivery_id,
            job.runs,
            lambda workflow: _request_fixes(ctx, job, payload, workflow),
            ctx.store,
        )


async def button(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    if (payload.get("requested_action") or {}).get("identifier") != RERUN_ACTION["identifier"]:
        return
    async with ctx.clients.installation(installation_of(payload)) as api:
        await commands.on_button(api, repo_of(payload), payload, ctx.store, job.delivery_id)


async def pull_request_check(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    attempt = pull_requests.Attempt(job.delivery_id, job.runs, job.attempts >= ctx.max_attempts)
    checks = pull_request_checks(job.event, payload)
    if not checks and job.event in ("check_run", "check_suite"):
        checks = await _fork_checks(ctx, job.event, payload)
    for check in checks:
        async with ctx.clients.installation(check.installation) as api:
            await pull_requests.run(api, check, attempt)


async def _fork_checks(ctx: Context, event: str, payload: dict[str, Any]) -> list[PullRequestCheck]:
    """A re-requested check of a fork's pull request: GitHub lists no pull request on it,
    so the open ones whose head is the check's commit are asked for, as results are."""
    installation, repo = installation_of(payload), repo_of(payload)
    sha = str(payload[event]["head_sha"])
    async with ctx.clients.installation(installation) as api:
        numbers = await results.pull_requests_of(api, repo, sha, [])
    return [PullRequestCheck(installation, repo, number, sha) for number in numbers]


async def _after_scan(
    api: Api, ctx: Context, job: Job, payload: dict[str, object], outcome: scans.Outcome
) -> None:
    """The dashboard and fix pull requests a scan asks for."""
    await _round_finished(ctx, int(str(payload["round"])))
    scan, policy = outcome.scan, outcome.policy
    if policy is None or outcome.report is None or not scan.judged:
        return
    if policy.dashboard:
        await dashboard.refresh(
            api, ctx.store, ctx.clients.app_login, scan, outcome.report, ctx.memory.runner_wait
        )
    repo, branch = scan.repo, str(payload["default_branch"])
    open_prs = await ctx.store.open_fix_prs(repo)
    wanted = set(open_prs) if scan.state != UNCHANGED else set()  # rebuilt, or closed
    if policy.fix_prs == "auto":
        wanted |= set(scan.fixable) - set(open_prs)
    for path in sorted(wanted):
        await fix_prs.request(ctx.queue, scan.installation, repo, branch, path, job.delivery_id)


async def _dashboard_again(api: Api, ctx: Context, repo: str) -> None:
    """Re-render an open dashboard from the last scan (a leg started waiting too long)."""
    state = await ctx.store.dashboard(repo)
    last = await ctx.store.last_scan(repo)
    if state is None or not state.open or last is None or last[1] is None:
        return
    report = await ctx.store.report(last[0].installation, last[1])
    if report is not None:
        await dashboard.refresh(api, ctx.store, ctx.clients.app_login, last[0], report, ctx.memory.runner_wait)


async def _round_finished(ctx: Context, round_id: int) -> None:
    """The last scan of a round queues its org report (once: keyed by the round)."""
    finished = await ctx.store.finished_round(round_id)
    if finished is None or finished[1] is None:
        return
    installation, repository = finished
    await ctx.queue.enqueue(
        f"org-report:{round_id}",
        org_report.ORG_REPORT,
        f"installation:{installation}:org-report",
        json.dumps({"installation": installation, "repository": repository}),
    )


async def _request_fixes(ctx: Context, job: Job, payload: dict[str, Any], workflow: str | None) -> list[str]:
    """`/parity fix [WORKFLOW]`: the fixable workflows of the last scan, queued."""
    repo = repo_of(payload)
    last = await ctx.store.last_scan(repo.full_name)
    fixable = last[0].fixable_paths(workflow) if last else []
    for path in fixable:
        await fix_prs.request(
            ctx.queue, installation_of(payload), repo.full_name, repo.default_branch, path, job.delivery_id
        )
    return fixable


async def installation(job: Job, payload: dict[str, Any], ctx: Context) -> None:
    event = job.event
    change = installation_change(event, payload)
    known = await ctx.queue.installation(change.installation)
    repos: list[str] | None
    if event == "installation":
        repos = list(change.added)
    else:
        current = set(known["repositories"]) if known else set()
        repos = sorted((current | set(change.added)) - set(change.removed))
    active = change.action not in ("deleted", "suspend")
    await ctx.queue.record_installation(change.installation, change.account, repos, active)
    log(
        logger,
        logging.INFO,
        "installation recorded",
        installation=change.installation,
        account=change.account,
        action=change.action,
        repositories=len(repos),
    )
    if event == "installation" and change.action == "deleted":
        await ctx.store.forget_installation(change.installation)
    elif change.removed:
        await ctx.store.forget_repos(change.installation, list(change.removed))
    if (event == "installation" and change.action in ("created", "unsuspend")) or (
        event == "installation_repositories" and change.added
    ):
        await scans.start_round(
            ctx.queue,
            ctx.store,
            change.installation,
            change.account,
            f"{event}:{job.delivery_id}",
            change.action,
            list(change.added) if event != "installation" else None,
        )
