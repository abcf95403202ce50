"""Webhook payloads as small models of the fields parity-bot uses.

githubkit's full webhook models reject real payloads whenever GitHub adds or drops a field
they require; these read only what the handlers need and fail with a clear EventError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.scans import touches_scan_inputs


class EventError(Exception):
    """A payload without a field the handler needs."""


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise EventError(f"payload has no {'.'.join(path)}")
        data = data[key]
    return data


@dataclass(frozen=True, slots=True)
class Repo:
    owner: str
    name: str
    default_branch: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def repo_of(payload: dict[str, Any]) -> Repo:
    repository = _get(payload, "repository")
    return Repo(
        str(_get(repository, "owner", "login")),
        str(_get(repository, "name")),
        str(repository.get("default_branch") or "main"),
    )


def installation_of(payload: dict[str, Any]) -> int:
    value = _get(payload, "installation", "id")
    if not isinstance(value, int):
        raise EventError("installation.id is not a number")
    return value


@dataclass(frozen=True, slots=True)
class PullRequestCheck:
    """A request to judge one pull request at one head commit."""

    installation: int
    repo: Repo
    number: int
    head_sha: str


def base_changed(payload: dict[str, Any]) -> bool:
    """Whether an `edited` pull request got a new base (a title edit changes nothing judged)."""
    return payload.get("action") != "edited" or "base" in (payload.get("changes") or {})


def pull_request_checks(event: str, payload: dict[str, Any]) -> list[PullRequestCheck]:
    installation = installation_of(payload)
    repo = repo_of(payload)
    if event == "pull_request":
        pr = _get(payload, "pull_request")
        return [PullRequestCheck(installation, repo, int(_get(pr, "number")), str(_get(pr, "head", "sha")))]
    holder = _get(payload, event)
    sha = str(_get(holder, "head_sha"))
    pulls = holder.get("pull_requests") or (holder.get("check_suite") or {}).get("pull_requests")
    return [PullRequestCheck(installation, repo, int(_get(pr, "number")), sha) for pr in pulls or []]


# Queue keys: jobs with one key run one at a time, in the order they came.


def pull_request_key(payload: dict[str, Any]) -> str:
    """A pull request's events never race each other."""
    number = payload.get("number") or _get(payload, "pull_request", "number")
    return f"{repo_of(payload).full_name}#{number}"


def issue_key(payload: dict[str, Any]) -> str:
    """Comments and edits on one issue or pull request, in order (pull requests are issues)."""
    return f"{repo_of(payload).full_name}#{(payload.get('issue') or {}).get('number', '?')}"


def check_key(payload: dict[str, Any]) -> str:
    """A re-requested check: its pull request's key when the payload names one."""
    repo = repo_of(payload).full_name
    holder = payload.get("check_run") or payload.get("check_suite")
    pulls = holder.get("pull_requests") if isinstance(holder, dict) else None
    if pulls and isinstance(pulls[0], dict) and "number" in pulls[0]:
        return f"{repo}#{pulls[0]['number']}"
    return repo


def results_key(payload: dict[str, Any]) -> str:
    """One results comment per pull request, and a fork's pull request is only known after an
    API call: results for one repository are worked on one at a time."""
    return f"{repo_of(payload).full_name}:results"


def push_key(payload: dict[str, Any]) -> str:
    return f"{repo_of(payload).full_name}:push"


def installation_key(payload: dict[str, Any]) -> str:
    return f"installation:{(payload.get('installation') or {}).get('id', '?')}"


@dataclass(frozen=True, slots=True)
class InstallationChange:
    installation: int
    account: str
    action: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


def installation_change(event: str, payload: dict[str, Any]) -> InstallationChange:
    installation = _get(payload, "installation")
    account = str(_get(installation, "account", "login"))
    if event == "installation":
        repos = tuple(str(r["full_name"]) for r in payload.get("repositories") or [])
        return InstallationChange(int(_get(installation, "id")), account, str(payload.get("action")), repos, ())
    return InstallationChange(
        int(_get(installation, "id")),
        account,
        str(payload.get("action")),
        tuple(str(r["full_name"]) for r in payload.get("repositories_added") or []),
        tuple(str(r["full_name"]) for r in payload.get("repositories_removed") or []),
    )


@dataclass(frozen=True, slots=True)
class PushScan:
    installation: int
    repo: Repo


# GitHub lists at most 20 commits in a push payload; a longer push may touch anything.
PUSH_COMMITS_LISTED = 20


def push_scan(payload: dict[str, Any]) -> PushScan | None:
    """The scan a push asks for: to the default branch, touching a workflow or the config
    (or not saying: a force-push without commits, or more commits than the payload lists)."""
    repo = repo_of(payload)
    if payload.get("deleted") or payload.get("ref") != f"refs/heads/{repo.default_branch}":
        return None
    commits = payload.get("commits") or []
    paths = [
        str(path)
        for commit in commits
        if isinstance(commit, dict)
        for key in ("added", "modified", "removed")
        for path in commit.get(key) or []
    ]
    if commits and len(commits) < PUSH_COMMITS_LISTED and not touches_scan_inputs(paths):
        return None
    return PushScan(installation_of(payload), repo)
