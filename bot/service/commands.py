"""`/parity …` comments and the "Rerun arm64" button: checked, acknowledged, done, answered."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.commands import HELP, Command, parse
from bot.core.config import ConfigError, Policy
from bot.core.limits import RERUN_MAX_AGE_DAYS
from bot.core.pairing import parse_time, run_job, to_rerun
from bot.core.runners import AMD64, ARM64
from bot.core.words import count, verb
from bot.service import pull_requests, rest
from bot.service.config_source import load_policy
from bot.service.events import PullRequestCheck, Repo
from bot.service.github import Api, Rejected
from bot.service.logs import log

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
    marker = REPLY_MARKER.format(id=payload["comment"]["id"])
    if run_number > 1 and await answered(api, repo, number, marker):
        return  # an earlier try replied (its POST may have timed out after landing)
    if run_number == 1:  # acknowledge once, not again on a retry
        await api.request(
            rest.CREATE_COMMENT_REACTION,
            json={"content": "eyes"},
            repo=repo.full_name,
            comment_id=payload["comment"]["id"],
        )
    if any(command.action != "help" for command in commands) and not await can_write(api, repo, user):
        await reply(
            api,
            repo,
            number,
            f"{marker}\n@{user} thanks, but `/parity` commands need "
            "write access to this repository, so I have not acted on "
            "this one.",
        )
        return
    answers = [
        await _execute(api, repo, number, command, installation, delivery, run_number, request_fixes)
        for command in commands
    ]
    await reply(api, repo, number, f"{marker}\n@{user}\n\n" + "\n\n".join(answers))


REPLY_MARKER = "<!-- parity-bot:reply {id} -->"  # one reply per command comment


async def answered(api: Api, repo: Repo, number: int, marker: str) -> bool:
    """Whether a comment on the issue or pull request already holds `marker`."""
    comments = await api.pages(rest.ISSUE_COMMENTS, repo=repo.full_name, issue_number=number)
    return any(marker in str(item.get("body") or "") for item in comments)


async def on_button(api: Api, repo: Repo, payload: dict[str, Any]) -> None:
    """The results check run's "Rerun arm64" button: the command, for the person who clicked."""
    run = payload["check_run"]
    user = str(payload["sender"]["login"])
    numbers = [int(pr["number"]) for pr in run.get("pull_requests") or []]
    if not numbers:
        return
    if not await can_write(api, repo, user):
        await reply(
            api, repo, numbers[0], f"@{user} thanks, but rerunning legs needs write access to this repository."
        )
        return
    answer = await rerun(api, repo, str(run["head_sha"]), Command("rerun", ARM64))
    await reply(api, repo, numbers[0], f"@{user}\n\n{answer}")


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
        prefix = f"I did not understand `/parity {command.unknown}`.\n\n" if command.unknown else ""
        return prefix + HELP
    if command.action == "fix":
        queued = await request_fixes(command.workflow)
        if not queued:
            what = f"`{command.workflow}`" if command.workflow else "any workflow"
            return (
                f"I have nothing to fix in {what} on `{repo.default_branch}` (as of the "
                "last scan): it is at parity, not judged, or cannot be fixed automatically."
            )
        return (
            "Opening pull requests from the default branch that add the arm64 legs to "
            + ", ".join(f"`{path}`" for path in queued)
            + "."
        )
    pull = await api.request(rest.PULL, repo=repo.full_name, pull_number=number)
    sha = str(pull["head"]["sha"])
    if command.action == "check":
        check = PullRequestCheck(installation, repo, number, sha)
        await pull_requests.run(api, check, pull_requests.Attempt(f"{delivery}:check", run_number, False))
        return f'Judged the workflows again at `{sha[:7]}`: see the "Arch parity" check.'
    return await rerun(api, repo, sha, command)


async def rerun(api: Api, repo: Repo, sha: str, command: Command) -> str:
    try:
        policy, _ = await load_policy(api, repo)
    except ConfigError:
        policy = Policy()  # a broken config must not stop a rerun; its runners: are lost
    arches = {AMD64, ARM64} if command.arch == "all" else {str(command.arch)}
    runs = await api.pages(rest.WORKFLOW_RUNS, {"head_sha": sha}, repo=repo.full_name)
    chosen: list[tuple[dict[str, Any], Any]] = []
    busy: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for run in runs:
        jobs = [
            run_job(job, str(run.get("path")))
            for job in await api.pages(
                rest.RUN_JOBS, {"filter": "latest"}, repo=repo.full_name, run_id=run["id"]
            )
        ]
        picked = to_rerun(jobs, arches, command.all_jobs, policy)
        if not picked:
            continue
        if run.get("status") != "completed":
            busy.append(run)
        elif (parse_time(run.get("created_at")) or time.time()) < time.time() - RERUN_MAX_AGE_DAYS * 86400:
            old.append(run)
        else:
            chosen += [(run, job) for job in picked]
    which = "every" if command.all_jobs else "failed or cancelled"
    arch_text = "amd64 and arm64" if command.arch == "all" else str(command.arch)
    lines: list[str] = []
    done: list[str] = []
    for run, job in chosen:
        try:
            await api.request(rest.RERUN_JOB, repo=repo.full_name, job_id=job.id)
            done.append(
                f"- [{job.name}]({job.html_url}) in [{run.get('name') or run.get('path')}]"
                f"({run.get('html_url', '')})"
            )
        except Rejected as exc:
            lines.append(f"- {job.name}: GitHub refused the rerun ({exc})")
    if done:
        lines.insert(
            0, f"Rerunning {count(len(done), f'{which} {arch_text} leg')} at `{sha[:7]}`:\n" + "\n".join(done)
        )
    if busy:
        lines.append(
            "Not rerun: "
            + ", ".join(f"[{r.get('name') or r.get('path')}]({r.get('html_url', '')})" for r in busy)
            + " still running. GitHub only reruns finished runs; ask again when it ends."
        )
    if old:
        lines.append(
            f"Not rerun: {count(len(old), 'run')} {verb(len(old), 'is', 'are')} older than "
            f"{RERUN_MAX_AGE_DAYS} days, which GitHub no longer reruns."
        )
    if not lines:
        lines.append(f"Nothing to rerun: no {which} {arch_text} leg at `{sha[:7]}`.")
    log(
        logger,
        logging.INFO,
        "rerun",
        sha=sha,
        arch=command.arch,
        rerun=len(done),
        running=len(busy),
        too_old=len(old),
    )
    return "\n\n".join(lines)
