"""Fix pull requests: one branch `parity-bot/arm64/<stem>` and one pull request per workflow.

The fix is made from the default branch's head, exactly as `parity-bot fix` makes it, and
committed through the Git Data API (blob, tree, commit, ref): a push under
`.github/workflows` needs the `workflows` permission. Our commits name their base in a
trailer and have it as their only parent; a branch whose head is not such a commit was
pushed to by someone else and is never force-pushed. Every run re-derives what to do from
GitHub's state (branch, pull request, file), so repeated or reordered requests converge.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.fixes import FilePlan
from bot.render import fix_pr
from bot.render.safe import code
from bot.service import isolation, rest
from bot.service.commands import answered, reply
from bot.service.delegated import Delegated, judged_reading
from bot.service.events import Repo
from bot.service.github import Api, Rejected
from bot.service.logs import log
from bot.service.queue import Queue
from bot.service.scans import read_at
from bot.service.store import Store

logger = logging.getLogger("parity.fix_prs")

FIX = "fix-pr"  # the queue's event name
BRANCH_PREFIX = "parity-bot/arm64/"
_BLOCKED = "<!-- parity-bot:fix-blocked {sha} -->"


def branch_for(path: str) -> str:
    return BRANCH_PREFIX + path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


async def request(queue: Queue, installation: int, repo: str, default_branch: str, path: str, why: str) -> None:
    """Queue the fix pull request of one workflow; `why` (a delivery, a scan) dedupes."""
    payload = {"installation": installation, "repo": repo, "default_branch": default_branch, "path": path}
    await queue.enqueue(f"fix:{why}:{path}", FIX, f"{repo}:fix", json.dumps(payload))


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str  # opened | updated | unchanged | closed | blocked | not-fixable
    number: int | None = None


async def run(api: Api, store: Store, payload: dict[str, Any]) -> Outcome:
    installation, repo = int(payload["installation"]), str(payload["repo"])
    path, default_branch = str(payload["path"]), str(payload["default_branch"])
    owner = repo.split("/", 1)[0]
    head = str((await api.request(rest.REF, repo=repo, ref=f"heads/{default_branch}"))["object"]["sha"])
    files, policy = await read_at(api, store, installation, repo, head)
    branch = branch_for(path)
    pulls = await api.request(rest.PULLS, repo=repo, params={"head": f"{owner}:{branch}", "state": "open"})
    pull = pulls[0] if isinstance(pulls, list) and pulls else None

    async def judge(delegated: Delegated) -> tuple[tuple[FilePlan | None, dict[str, Any]], list[str]]:
        return await isolation.analyse(isolation.plan_fix, files, policy, path, date.today(), delegated)

    item, report = await judged_reading(api, repo, head, judge)  # as a scan reads it
    if item is None or item.fixed_source == item.source:
        if pull is None:
            return Outcome("not-fixable")
        await reply(
            api,
            _repo(repo),
            int(pull["number"]),
            f"{code(path)} needs no arm64 legs from this pull request any more (default "
            f"branch at `{head[:7]}`), so I am closing it.",
        )
        await api.request(rest.UPDATE_PULL, json={"state": "closed"}, repo=repo, pull_number=pull["number"])
        await store.save_fix_pr(installation, repo, path, int(pull["number"]), "closed")
        return Outcome("closed", int(pull["number"]))

    ref = await _ref(api, repo, branch)
    if ref is not None:
        base = await _our_base(api, repo, ref)
        if base is None:  # someone else pushed: comment once per foreign head, never force
            if pull is not None:
                await _blocked(api, repo, int(pull["number"]), branch, ref)
            return Outcome("blocked", int(pull["number"]) if pull else None)
        if base != head or not await _holds(api, repo, ref, path, item.fixed_source):
            commit = await _commit(api, repo, head, path, item.fixed_source)
            await api.request(
                rest.UPDATE_REF, json={"sha": commit, "force": True}, repo=repo, ref=f"heads/{branch}"
            )
    else:
        commit = await _commit(api, repo, head, path, item.fixed_source)
        await api.request(rest.CREATE_REF, repo=repo, json={"ref": f"refs/heads/{branch}", "sha": commit})

    text = fix_pr.body(item, report)
    if pull is not None:
        number = int(pull["number"])
        state = "unchanged"
        if pull.get("body") != text:
            await api.request(rest.UPDATE_PULL, json={"body": text}, repo=repo, pull_number=number)
            state = "updated"
    else:
        try:
            created = await api.request(
                rest.CREATE_PULL,
                repo=repo,
                json={
                    "title": fix_pr.title(path),
                    "head": branch,
                    "base": default_branch,
                    "body": text,
                    "maintainer_can_modify": True,
                },
            )
        except Rejected as exc:
            if exc.status != 422 or "already exists" not in json.dumps(exc.body):
                raise
            found = await api.request(
                rest.PULLS, repo=repo, params={"head": f"{owner}:{branch}", "state": "open"}
            )
            created = found[0]
        number, state = int(created["number"]), "opened"
    await store.save_fix_pr(installation, repo, path, number, "open")
    log(
        logger,
        logging.INFO,
        "fix pull request",
        repo=repo,
        path=path,
        number=number,
        state=state,
        base=head[:7],
    )
    return Outcome(state, number)


async def _ref(api: Api, repo: str, branch: str) -> str | None:
    try:
        data = await api.request(rest.REF, repo=repo, ref=f"heads/{branch}")
    except Rejected as exc:
        if exc.status == 404:
            return None
        raise
    return str(data["object"]["sha"])


async def _our_base(api: Api, repo: str, sha: str) -> str | None:
    """The base a commit of ours was made on; None for anyone else's commit."""
    commit = await api.request(rest.GIT_COMMIT, repo=repo, commit_sha=sha)
    parents = [str(p["sha"]) for p in commit.get("parents") or []]
    for line in str(commit.get("message") or "").splitlines():
        key, _, value = line.partition(": ")
        if key == fix_pr.BASE_TRAILER and parents == [value.strip()]:
            return value.strip()
    return None


async def _holds(api: Api, repo: str, ref: str, path: str, text: str) -> bool:
    """Whether the branch already holds this fix (a newer parity-bot may fix differently)."""
    owner, name = repo.split("/", 1)
    data = await api.file(owner, name, path, ref=ref)
    return data == text.encode()


async def _commit(api: Api, repo: str, base: str, path: str, text: str) -> str:
    tree = (await api.request(rest.GIT_COMMIT, repo=repo, commit_sha=base))["tree"]["sha"]
    blob = await api.request(rest.CREATE_BLOB, repo=repo, json={"content": text, "encoding": "utf-8"})
    new_tree = await api.request(
        rest.CREATE_TREE,
        repo=repo,
        json={
            "base_tree": tree,
            "tree": [{"path": path, "mode": "100644", "type": "blob", "sha": blob["sha"]}],
        },
    )
    commit = await api.request(
        rest.CREATE_GIT_COMMIT,
        repo=repo,
        json={"message": fix_pr.commit_message(path, base), "tree": new_tree["sha"], "parents": [base]},
    )
    return str(commit["sha"])


async def _blocked(api: Api, repo: str, number: int, branch: str, sha: str) -> None:
    marker = _BLOCKED.format(sha=sha)
    where = _repo(repo)
    if await answered(api, where, number, marker):
        return
    await reply(
        api,
        where,
        number,
        f"{marker}\nSomeone else pushed to {code(branch)}, so parity-bot no longer "
        "updates it (it never force-pushes over other people's commits). Merge or "
        "close this pull request as it is; delete the branch to let parity-bot "
        "start it afresh.",
    )


def _repo(full_name: str) -> Repo:
    owner, name = full_name.split("/", 1)
    return Repo(owner, name, "")
