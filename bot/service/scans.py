"""Organisation scans: a round per installation, then one queued scan per repository.

A round lists the installation's repositories (one call per 100), records the archived,
disabled and empty ones as skipped, reads the owner's `.github` config once, and queues one
`scan` job per active repository (key `OWNER/NAME:scan`: one at a time per repository,
with the queue's leases, retries and rate-limit deferral).

A repository's scan costs one conditional request when nothing changed: the `.github`
folder's listing with the ETag kept from last time (GitHub answers 304, free against the
rate limit). When it changed: the workflows folder's listing (skipped when its tree sha did
not change), the branch's commit, and only the blobs whose sha is not cached. Scans are
background work: they use at most `SCAN_RATE_SHARE` of the installation's remaining limit.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.core.analysis import Report
from bot.core.config import CONFIG_PATHS, ConfigError, Policy, both_configs
from bot.core.scans import (
    FAILED,
    UNCHANGED,
    GithubFolder,
    RepoScan,
    github_folder,
    is_private,
    skip_reason,
    summarize,
    workflow_entries,
)
from bot.service import isolation, rest
from bot.service.config_source import policy_from_text
from bot.service.delegated import Delegated, judged_reading
from bot.service.github import Api, GitHubError, RateLimited, Rejected
from bot.service.logs import log
from bot.service.queue import Queue
from bot.service.store import RepoState, Store

logger = logging.getLogger("parity.scans")

ROUND, SCAN = "scan-round", "scan"  # the queue's event names for the two kinds of job


def scan_key(repo: str) -> str:
    return f"{repo}:scan"


async def start_round(
    queue: Queue,
    store: Store,
    installation: int,
    account: str,
    key: str,
    reason: str,
    only: list[str] | None = None,
) -> int:
    """Queue a round for an installation; `key` names what started it (a delivery, a
    schedule tick), so starting it twice queues it once."""
    round_id = await store.round_for(installation, key, reason)
    payload = {"installation": installation, "account": account, "round": round_id, "only": only}
    await queue.enqueue(f"round:{round_id}", ROUND, f"installation:{installation}:scan", json.dumps(payload))
    return round_id


async def run_round(api: Api, queue: Queue, store: Store, payload: dict[str, Any]) -> list[str]:
    """Queue the round's repository scans; the states of the repositories it skipped."""
    jobs, skipped = await plan_round(api, store, payload)
    report_repo = await _report_repository(api, payload, jobs)
    await store.plan_round(int(payload["round"]), len(jobs) + len(skipped), report_repo)
    for job in jobs:
        await queue.enqueue(f"scan:{job['round']}:{job['repo']}", SCAN, scan_key(job["repo"]), json.dumps(job))
    log(
        logger,
        logging.INFO,
        "scan round started",
        installation=payload["installation"],
        round=payload["round"],
        queued=len(jobs),
        skipped=len(skipped),
    )
    return skipped


async def plan_round(api: Api, store: Store, payload: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The scan jobs of a round (one per active repository) and the states of the skipped
    repositories, whose rows it records."""
    installation, round_id = int(payload["installation"]), int(payload["round"])
    only = set(payload["only"]) if payload.get("only") else None
    repositories = await api.pages(rest.INSTALLATION_REPOSITORIES)
    await store.save_visibility(
        installation, {str(repository["full_name"]): is_private(repository) for repository in repositories}
    )
    account = str(payload.get("account") or "")
    org_config = await _org_config(api, account) if account else None
    jobs: list[dict[str, Any]] = []
    skipped: list[str] = []
    for repository in repositories:
        name = str(repository["full_name"])
        if only is not None and name not in only:
            continue
        branch = str(repository.get("default_branch") or "main")
        reason = skip_reason(repository)
        if reason is not None:
            await store.save_repo_state(RepoState(name, installation, branch))
            await store.record_scan(round_id, RepoScan(installation, name, reason, time.time()))
            skipped.append(reason)
            continue
        jobs.append(
            {
                "installation": installation,
                "repo": name,
                "default_branch": branch,
                "round": round_id,
                "org_config": org_config,
            }
        )
    return jobs, skipped


async def _report_repository(api: Api, payload: dict[str, Any], jobs: list[dict[str, Any]]) -> str | None:
    """Where the round's org report goes: the owner's config must say `org_report: true`."""
    account = str(payload.get("account") or "")
    org = jobs[0]["org_config"] if jobs else (await _org_config(api, account) if account else None)
    if not org or "error" in org:
        return None
    try:
        policy, _ = await policy_from_text(api, org["text"].encode(), org["source"], account)
    except ConfigError:
        return None  # each repository's scan reports the broken config
    if not policy.org_report:
        return None
    return policy.report_repository or f"{account}/.github"


async def _org_config(api: Api, owner: str) -> dict[str, str] | None:
    """The owner's `.github` config (its text and blob sha), read once per round. Both
    names present is kept as an `error` each repository's scan reports."""
    found: list[dict[str, str]] = []
    for path in CONFIG_PATHS:
        try:
            data = await api.request(rest.CONTENTS, owner=owner, repo=".github", path=path)
        except GitHubError as exc:
            if getattr(exc, "status", None) == 404:
                continue
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            continue
        text = base64.b64decode(data.get("content") or "").decode("utf-8", "replace")
        found.append({"sha": str(data["sha"]), "text": text, "source": f"{owner}/.github:{path}"})
    if len(found) > 1:
        error = both_configs(f"{owner}/.github:").message
        return {"sha": "+".join(item["sha"] for item in found), "text": "", "source": "", "error": error}
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Outcome:
    scan: RepoScan
    calls: int
    report: dict[str, Any] | None = None  # the `check` JSON it judged (stored or fresh)
    policy: Policy | None = None


async def scan_repository(
    api: Api, store: Store, payload: dict[str, Any], last_attempt: bool = False
) -> Outcome:
    """One repository's scan for one round; stores its row and what it read."""
    installation, repo = int(payload["installation"]), str(payload["repo"])
    round_id, branch = int(payload["round"]), str(payload["default_branch"])
    try:
        # A round read the owner's config once for all; a push's scan reads it itself.
        org_config = (
            payload["org_config"] if "org_config" in payload else await _org_config(api, repo.split("/", 1)[0])
        )
        scan, report, policy = await _scan(api, store, installation, repo, branch, round_id, org_config)
    except RateLimited:
        raise  # deferred by the worker until the reset: not a failure
    except GitHubError as exc:
        # A 4xx would get the same answer again, so it is this scan's last word: recorded
        # now, or the worker drops the job with no row and the round never finishes.
        if not last_attempt and not isinstance(exc, Rejected):
            raise
        scan = RepoScan(installation, repo, FAILED, time.time(), error=str(exc)[:300])
        await store.record_scan(round_id, scan)
        return Outcome(scan, api.calls)
    return Outcome(scan, api.calls, report, policy)


async def _failed(
    store: Store,
    round_id: int,
    installation: int,
    repo: str,
    last: tuple[RepoScan, str | None] | None,
    why: str,
) -> tuple[RepoScan, None, None]:
    """A scan that could not judge the repository, recorded with why (at its last commit)."""
    scan = RepoScan(installation, repo, FAILED, time.time(), last[0].commit if last else None, error=why[:300])
    await store.record_scan(round_id, scan)
    return scan, None, None


async def _scan(
    api: Api,
    store: Store,
    installation: int,
    repo: str,
    branch: str,
    round_id: int,
    org_config: dict[str, str] | None,
) -> tuple[RepoScan, dict[str, Any] | None, Policy | None]:
    state = await store.repo_state(repo) or RepoState(repo, installation)
    last = await store.last_scan(repo)
    # An ETag is trusted only with the results it was read for, on the same branch.
    etag = state.github_etag if last is not None and state.default_branch == branch else None
    status, listing, new_etag = await api.conditional(
        rest.CONTENTS, etag, {"ref": branch}, repo=repo, path=".github"
    )
    if status == 304:
        folder = GithubFolder(state.workflows_sha, *_split_config(state.config))
    elif status == 404 or not isinstance(listing, list):
        folder = GithubFolder(None, None, None)
    else:
        folder = github_folder(listing)
    config = f"{folder.config_path}@{folder.config_sha}" if folder.config_path else None
    org = org_config if config is None else None
    policy_key = f"{config or '-'}|{org['sha'] if org else '-'}"
    try:  # from cached blobs: free unless the config extends another repository's
        policy = await _policy(api, store, installation, repo, folder, org)
    except ConfigError as exc:
        return await _failed(store, round_id, installation, repo, last, f"invalid config: {exc.message}")
    if status == 304 and last is not None and state.policy_key == policy_key:
        previous, report_sha = last
        scan = replace(previous, state=UNCHANGED, scanned_at=time.time(), error=None)
        await store.record_scan(round_id, scan, report_sha=report_sha)
        stored = await store.report(installation, report_sha) if report_sha else None
        return scan, stored, policy

    if folder.workflows_sha is None:
        files_sha: dict[str, str] = {}
    elif folder.workflows_sha == state.workflows_sha and (status == 304 or state.listing):
        files_sha = state.listing
    else:
        files_sha = await _listing(api, repo, branch)
    commit = await _commit(api, repo, branch) if status != 304 else (last[0].commit if last else None)
    files = await _files(api, store, installation, repo, files_sha)
    # Judging 50 files takes a tenth of a second, on files anyone with push access wrote:
    # in a worker process, so the event loop keeps moving and a crash ends only this scan.
    want_fixable = policy.dashboard or policy.fix_prs == "auto"

    async def judge(delegated: Delegated) -> tuple[tuple[Report, dict[str, list[str]]], list[str]]:
        return await isolation.analyse(
            isolation.judge_repository, files, policy, want_fixable, date.today(), delegated
        )

    try:  # read through the files its steps hand work to, at the scanned commit
        report, found = await judged_reading(api, repo, commit or branch, judge)
    except isolation.AnalysisFailed as exc:
        return await _failed(store, round_id, installation, repo, last, exc.describe())
    scan = summarize(installation, repo, report, time.time(), commit)
    scan.fixable = found
    data = report.as_json()
    await store.record_scan(round_id, scan, json.dumps(data))  # key order is the render's
    # The state goes last: after a crash in between, the next try reads everything again.
    await store.save_repo_state(
        RepoState(
            repo,
            installation,
            branch,
            new_etag if status == 200 else state.github_etag,
            folder.workflows_sha,
            files_sha,
            policy_key,
            config,
        )
    )
    keep = set(files_sha.values()) | ({folder.config_sha} if folder.config_sha else set())
    await store.drop_blobs_except(repo, keep)
    return scan, data, policy


def _split_config(config: str | None) -> tuple[str | None, str | None]:
    if not config:
        return None, None
    path, _, sha = config.rpartition("@")
    return path, sha


async def _commit(api: Api, repo: str, branch: str) -> str | None:
    data = await api.request(rest.BRANCH, repo=repo, branch=branch)
    commit = data.get("commit") if isinstance(data, dict) else None
    return str(commit["sha"]) if isinstance(commit, dict) and "sha" in commit else None


async def _listing(api: Api, repo: str, ref: str) -> dict[str, str]:
    """The workflows folder at `ref`: {path: blob sha}."""
    entries = await api.request(rest.CONTENTS, params={"ref": ref}, repo=repo, path=".github/workflows")
    return workflow_entries(entries if isinstance(entries, list) else [])


async def _files(
    api: Api, store: Store, installation: int, repo: str, files_sha: dict[str, str]
) -> dict[str, bytes]:
    return {path: await _blob(api, store, installation, repo, sha) for path, sha in sorted(files_sha.items())}


async def _blob(api: Api, store: Store, installation: int, repo: str, sha: str) -> bytes:
    cached = await store.blob(repo, sha)
    if cached is not None:
        return cached
    data = await api.request(rest.BLOB, repo=repo, file_sha=sha)
    content = base64.b64decode(data.get("content") or "") if isinstance(data, dict) else b""
    await store.save_blob(installation, repo, sha, content)
    return content


async def read_at(
    api: Api, store: Store, installation: int, repo: str, ref: str
) -> tuple[dict[str, bytes], Policy]:
    """A repository's workflows and policy at one commit (blobs from the cache), for work
    that must see exactly one commit, as a fix pull request must."""
    status, listing, _ = await api.conditional(rest.CONTENTS, None, {"ref": ref}, repo=repo, path=".github")
    folder = github_folder(listing if status == 200 and isinstance(listing, list) else [])
    files_sha = await _listing(api, repo, ref) if folder.workflows_sha is not None else {}
    files = await _files(api, store, installation, repo, files_sha)
    org = None if folder.config_path else await _org_config(api, repo.split("/", 1)[0])
    return files, await _policy(api, store, installation, repo, folder, org)


async def _policy(
    api: Api, store: Store, installation: int, repo: str, folder: GithubFolder, org: dict[str, str] | None
) -> Policy:
    """The repository's policy, by the pull-request check's cascade, from cached blobs."""
    owner = repo.split("/", 1)[0]
    if folder.both_configs:
        raise both_configs(f"{repo}:")
    if folder.config_path and folder.config_sha:
        text = await _blob(api, store, installation, repo, folder.config_sha)
        return (await policy_from_text(api, text, f"{repo}:{folder.config_path}", owner))[0]
    if org is not None and "error" in org:
        raise ConfigError(org["error"])
    if org is not None:
        return (await policy_from_text(api, org["text"].encode(), org["source"], owner))[0]
    return Policy()
