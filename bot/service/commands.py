"""`/parity …` comments and the "Rerun arm64" button: checked, acknowledged, done, answered."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.commands import Command, parse, plan_rerun
from bot.core.config import ConfigError, Policy
from bot.core.limits import READ_ONLY_REPLY_SECONDS
from bot.core.pairing import RunJob, run_job
from bot.core.runners import ARM64
from bot.render import replies
from bot.service import pull_requests, rest
from bot.service.config_source import load_policy
from bot.service.events import PullRequestCheck, Repo
from bot.service.github import Api, Rejected
from bot.service.logs import log
from bot.service.results import pull_requests_of
from bot.service.store import Store

logger = logging.getLogger("parity.commands")

WRITE = {"admin", "write", "maintain"}


async def can_write(api: Api, repo: Repo, user: str) -> bool:
    data = await api.request(rest.PERMISSION, repo=repo.full_name, username=user)
    return (data or {}).get("permission") in WRITE or (data or {}).get("role_name") in WRITE


async def reply(api: Api, repo: Repo, number: int, text: str) -> None:
    await api.request(rest.CREATE_ISSUE_COMMENT, json={"body": text}, repo=repo.full_name, issue_number=number)


def wants_command(payload: dict[str, Any]) -> bool:
    """A new comment by a person, on a pull request or an issue."""
    sender = payload.get("sender") or payload.get("comment", {}).get("user") or {}
    if payload.get("action") != "created" or sender.get("type") == "Bot":
        return False
    return not str(sender.get("login", "")).endswith("[bot]")


# Queues fix pull requests for a workflow (None: every fixable one); the paths queued.
RequestFixes = Callable[[str | None], Awaitable[list[str]]]


async def on_comment(
    api: Api,
    repo: Repo,
    payload: dict[str, Any],
    installation: int,
    delivery: str,
    run_number: int,
    request_fixes: RequestFixes,
    store: Store,
) -> None:
    if not wants_command(payload):
        return
    commands = parse(str(payload["comment"].get("body") or ""))
    on_pull_request = bool((payload.get("issue") or {}).get("pull_request"))
    if not on_pull_request:  # on an issue (the dashboard) only `fix` means something
        commands = [command for command in commands if command.action == "fix"]
    if not commands:
        return
    number = int(payload["issue"]["number"])
    user = str(payload["comment"]["user"]["login"])
    marker = replies.REPLY_MARKER.format(id=payload["comment"]["id"])
    if run_number > 1 and await answered(api, repo, number, marker):
        return  # an earlier try replied (its POST may have timed out after landing)
    writer = await can_write(api, repo, user)
    if not writer and not await may_answer(store, repo, number, user, f"comment:{payload['comment']['id']}"):
        return
    if run_number == 1:  # acknowledge once, not again on a retry
        await api.request(
            rest.CREATE_COMMENT_REACTION,
            json={"content": "eyes"},
            repo=repo.full_name,
            comment_id=payload["comment"]["id"],
        )
    if any(command.action != "help" for command in commands) and not writer:
        await reply(api, repo, number, replies.needs_write_access(user, marker))
        return
    answers = [
        await _execute(api, repo, number, command, installation, delivery, run_number, request_fixes)
        for command in commands
    ]
    await reply(api, repo, number, replies.reply(user, answers, marker))


async def answered(api: Api, repo: Repo, number: int, marker: str) -> bool:
    """Whether a comment of ours on the issue or pull request already holds `marker`."""
    comments = await api.pages(rest.ISSUE_COMMENTS, repo=repo.full_name, issue_number=number)
    for item in comments:
        if marker in str(item.get("body") or "") and await api.wrote(item):
            return True
    return False


async def may_answer(store: Store, repo: Repo, number: int, user: str, asked_by: str) -> bool:
    """Whether a person without write access gets an answer: anyone can comment, so a reply
    to each would let them make the App post (and notify) as often as they like. The turn
    is kept in the store, not in memory, so that replicas share it and a restart keeps it."""
    if await store.take_reply(repo.full_name, number, user, asked_by, READ_ONLY_REPLY_SECONDS):
        return True
    log(logger, logging.INFO, "reply withheld", repo=repo.full_name, number=number, user=user)
    return False


async def on_button(api: Api, repo: Repo, payload: dict[str, Any], store: Store, delivery: str) -> None:
    """The results check run's "Rerun arm64" button: the command, for the person who clicked."""
    run = payload["check_run"]
    user = str(payload["sender"]["login"])
    # A fork's pull request is not listed on its check run: it is found by the head commit.
    numbers = await pull_requests_of(api, repo, str(run["head_sha"]), list(run.get("pull_requests") or []))
    if not numbers:
        return
    if not await can_write(api, repo, user):
        if await may_answer(store, repo, numbers[0], user, f"click:{delivery}"):
            await reply(api, repo, numbers[0], replies.needs_write_access_to_rerun(user))
        return
    answer = await rerun(api, repo, str(run["head_sha"]), Command("rerun", ARM64))
    await reply(api, repo, numbers[0], replies.reply(user, [answer]))


async def _execute(
    api: Api,
    repo: Repo,
    number: int,
    command: Command,
    installation: int,
    delivery: str,
    run_number: int,
    request_fixes: RequestFixes,
) -> str:
    if command.action == "help":
        return replies.help_answer(command)
    if command.action == "fix":
        return replies.fix_answer(command, await request_fixes(command.workflow), repo.default_branch)
    pull = await api.request(rest.PULL, repo=repo.full_name, pull_number=number)
    sha = str(pull["head"]["sha"])
    if command.action == "check":
        check = PullRequestCheck(installation, repo, number, sha)
        await pull_requests.run(api, check, pull_requests.Attempt(f"{delivery}:check", run_number, False))
        return replies.check_answer(sha)
    return await rerun(api, repo, sha, command)


async def rerun(api: Api, repo: Repo, sha: str, command: Command) -> str:
    try:
        policy, _ = await load_policy(api, repo)
    except ConfigError:
        policy = Policy()  # a broken config must not stop a rerun; its runners: are lost
    runs = await api.pages(rest.WORKFLOW_RUNS, {"head_sha": sha}, repo=repo.full_name)
    with_jobs = [(run, await _latest_jobs(api, repo, run)) for run in runs]
    plan = plan_rerun(with_jobs, command, policy, time.time())
    done: list[tuple[Any, RunJob]] = []
    refused: list[tuple[RunJob, str]] = []
    for run, job in plan.jobs:
        try:
            await api.request(rest.RERUN_JOB, repo=repo.full_name, job_id=job.id)
            done.append((run, job))
        except Rejected as exc:
            refused.append((job, str(exc)))
    log(
        logger,
        logging.INFO,
        "rerun",
        sha=sha,
        arch=command.arch,
        rerun=len(done),
        running=len(plan.running),
        too_old=len(plan.too_old),
    )
    return replies.rerun_answer(command, sha, done, refused, plan.running, plan.too_old)


async def _latest_jobs(api: Api, repo: Repo, run: dict[str, Any]) -> list[RunJob]:
    jobs = await api.pages(rest.RUN_JOBS, {"filter": "latest"}, repo=repo.full_name, run_id=run["id"])
    return [run_job(job, str(run.get("path"))) for job in jobs]
