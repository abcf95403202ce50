"""Organisation scans as plain data: what one repository's scan found, and where an
organisation stands when its repositories' latest scans are put side by side.

The shell (`bot/service/scans.py`) fetches and stores; this module decides which files a
scan reads, which repositories it skips, what it records, and the totals and trends the
org report and `parity-bot report` show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.analysis import Report
from bot.core.config import CONFIG_PATHS, Policy
from bot.core.delegates import Reader
from bot.core.fixes import plan
from bot.core.verdicts import STATUSES
from bot.core.workflow import WORKFLOW_SUFFIXES
from bot.core.yamlnodes import decoded

CONFIG_NAMES = tuple(path.removeprefix(".github/") for path in CONFIG_PATHS)  # in `.github/`
WORKFLOWS_FOLDER = ".github/workflows"

# What a scan row says about its repository.
SCANNED = "scanned"  # read and judged
UNCHANGED = "unchanged"  # nothing it reads changed since the last scan: results carried over
ARCHIVED, DISABLED, EMPTY = "archived", "disabled", "empty"  # skipped, listed as such
FAILED = "failed"  # GitHub refused it (4xx), or errors on every attempt
SKIPPED = (ARCHIVED, DISABLED, EMPTY)


def skip_reason(repository: Mapping[str, Any]) -> str | None:
    """Why a repository (GitHub's repository object) is not scanned, or None."""
    if repository.get("archived"):
        return ARCHIVED
    if repository.get("disabled"):
        return DISABLED
    if repository.get("size") == 0:
        return EMPTY  # GitHub's size is 0 for a repository without a commit
    return None


def is_private(repository: Mapping[str, Any]) -> bool:
    """Whether only some people may see a repository (GitHub's repository object): private
    or internal; a listing that does not say counts as private."""
    return repository.get("private") is not False or repository.get("visibility", "public") != "public"


def workflow_entries(listing: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """`.github/workflows` as the contents API lists it -> {path: blob sha} of the files
    GitHub runs (directly in the folder, .yml or .yaml)."""
    return {
        f"{WORKFLOWS_FOLDER}/{item['name']}": str(item["sha"])
        for item in listing
        if item.get("type") == "file" and str(item.get("name", "")).endswith(WORKFLOW_SUFFIXES)
    }


@dataclass(frozen=True, slots=True)
class GithubFolder:
    """What the `.github` folder's listing says: the workflows folder's tree sha and the
    repository's own config blob, the two things a scan's result depends on."""

    workflows_sha: str | None
    config_path: str | None
    config_sha: str | None
    both_configs: bool = False  # parity.yml and parity.yaml: a config error naming both


def github_folder(listing: Iterable[Mapping[str, Any]]) -> GithubFolder:
    workflows_sha = config_path = config_sha = None
    configs = 0
    for item in listing:
        name, kind = item.get("name"), item.get("type")
        if name == "workflows" and kind == "dir":
            workflows_sha = str(item["sha"])
        elif name in CONFIG_NAMES and kind == "file":
            configs += 1
            if config_path is None or name == CONFIG_NAMES[0]:
                config_path, config_sha = f".github/{name}", str(item["sha"])
    return GithubFolder(workflows_sha, config_path, config_sha, configs > 1)


def touches_scan_inputs(paths: Iterable[str]) -> bool:
    """Whether a push that changed `paths` can change a scan: a workflow or the config."""
    return any(
        path.startswith(WORKFLOWS_FOLDER + "/") or path in tuple(f".github/{name}" for name in CONFIG_NAMES)
        for path in paths
    )


@dataclass(slots=True)
class RepoScan:
    """One repository's row of one scan (what the database keeps and reports read)."""

    installation: int
    repo: str
    state: str
    scanned_at: float
    commit: str | None = None
    workflows: int = 0
    multi_arch: int = 0
    jobs: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    fixable: dict[str, list[str]] = field(default_factory=dict)  # workflow -> jobs fix gives legs

    @property
    def judged(self) -> bool:
        return self.state in (SCANNED, UNCHANGED)

    def fixable_paths(self, workflow: str | None = None) -> list[str]:
        """The workflows a fix pull request can be opened for; with `workflow` (a path or a
        file name, as `/parity fix ci.yml` gives it), only that one."""
        name = workflow.rsplit("/", 1)[-1] if workflow is not None else None
        return [path for path in sorted(self.fixable) if name is None or path.rsplit("/", 1)[-1] == name]

    def as_json(self) -> dict[str, Any]:
        return {
            "installation": self.installation,
            "repository": self.repo,
            "state": self.state,
            "scanned_at": self.scanned_at,
            "commit": self.commit,
            "workflows": self.workflows,
            "multi_arch_workflows": self.multi_arch,
            "jobs": self.jobs,
            "by_status": dict(self.by_status),
            "error": self.error,
            "fixable": {path: list(jobs) for path, jobs in self.fixable.items()},
        }


def summarize(installation: int, repo: str, report: Report, scanned_at: float, commit: str | None) -> RepoScan:
    summary = report.summary()
    return RepoScan(
        installation,
        repo,
        SCANNED,
        scanned_at,
        commit,
        summary["workflows"],
        summary["multi_arch_workflows"],
        summary["jobs"],
        summary["by_status"],
    )


@dataclass(frozen=True, slots=True)
class Totals:
    repositories: int
    judged: int  # repositories with results
    skipped: dict[str, int]
    workflows: int
    multi_arch: int
    jobs: int
    by_status: dict[str, int]

    @property
    def multi_arch_share(self) -> float:
        return self.multi_arch / self.workflows if self.workflows else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "repositories": self.repositories,
            "judged": self.judged,
            "skipped": dict(self.skipped),
            "workflows": self.workflows,
            "multi_arch_workflows": self.multi_arch,
            "multi_arch_share": round(self.multi_arch_share, 4),
            "jobs": self.jobs,
            "by_status": dict(self.by_status),
        }


def totals(rows: Iterable[RepoScan]) -> Totals:
    rows = list(rows)
    judged = [row for row in rows if row.judged]
    skipped: dict[str, int] = {}
    for row in rows:
        if not row.judged:
            skipped[row.state] = skipped.get(row.state, 0) + 1
    return Totals(
        len(rows),
        len(judged),
        skipped,
        sum(r.workflows for r in judged),
        sum(r.multi_arch for r in judged),
        sum(r.jobs for r in judged),
        {status: sum(r.by_status.get(status, 0) for r in judged) for status in STATUSES},
    )


@dataclass(frozen=True, slots=True)
class Change:
    """A repository's latest row beside the one it is compared with (None: new since)."""

    now: RepoScan
    before: RepoScan | None

    def delta(self, status: str) -> int | None:
        if self.before is None or not self.before.judged or not self.now.judged:
            return None
        return self.now.by_status.get(status, 0) - self.before.by_status.get(status, 0)

    @property
    def multi_arch_delta(self) -> int | None:
        if self.before is None or not self.before.judged or not self.now.judged:
            return None
        return self.now.multi_arch - self.before.multi_arch


def changes(latest: Iterable[RepoScan], previous: Iterable[RepoScan]) -> list[Change]:
    """Each repository's latest row with its previous one, sorted by repository."""
    before = {row.repo: row for row in previous}
    return [Change(row, before.get(row.repo)) for row in sorted(latest, key=lambda r: r.repo)]


def shown(rows: Iterable[RepoScan], public: set[str]) -> tuple[list[RepoScan], int]:
    """The rows a report everyone can read may show (repositories known to be public), and
    how many it leaves out."""
    rows = list(rows)
    kept = [row for row in rows if row.repo in public]
    return kept, len(rows) - len(kept)


def fixable(
    files: Mapping[str, bytes], policy: Policy, report: Report, today: date, read: Reader | None = None
) -> dict[str, list[str]]:
    """The workflows `parity-bot fix` would change, with the jobs that would gain legs."""
    return {
        item.path: [job.job_id for job in item.jobs if job.fixed]
        for item in plan(decoded(files), policy, today, report, read=read)
        if item.fixed_source != item.source
    }
