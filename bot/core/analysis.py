"""Analyze a set of workflow files under a policy: the one judgement everything renders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.core import legs as legs_module
from bot.core import workflow as workflow_module
from bot.core.config import Policy
from bot.core.findings import Finding, fails, finding, job_findings
from bot.core.legs import Leg, shown_value
from bot.core.purpose import BUILD, CROSS, TEST, UNKNOWN, UNKNOWN_PURPOSE, Purpose
from bot.core.records import field, record, replace
from bot.core.runners import AMD64, ARM64
from bot.core.verdicts import (
    NOT_APPLICABLE,
    OTHER_PLATFORM,
    STATUSES,
    JobInput,
    RunnerPaths,
    Verdict,
    file_family,
    judge,
    missing_matrix,
)
from bot.core.workflow import Job, Workflow
from bot.core.yamlnodes import Map

if TYPE_CHECKING:
    from bot.core.delegates import Reader


@record()
class JobReport:
    job: Job
    verdict: Verdict
    legs: list[Leg]
    runner_keys: set[str]  # what a fix edits: every matrix key runs-on reads
    runner_paths: RunnerPaths  # what twins ignore: the matrix values that become labels
    findings: list[Finding]
    purpose: Purpose = UNKNOWN_PURPOSE

    @property
    def status(self) -> str:
        return self.verdict.status

    def missing_json(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for leg in self.verdict.missing:
            item = {
                "matrix": shown_value(missing_matrix(leg, self.runner_paths)),
                "os": leg.os,
                "arch": "arm64",
            }
            if item not in found:
                found.append(item)
        return found

    def as_json(self) -> dict[str, Any]:
        name = self.job.name if self.job.name is not None else self.job.id
        return {
            "id": self.job.id,
            "name": name if isinstance(name, str) else str(name),
            "line": self.job.line,
            "status": self.status,
            "reason": self.verdict.reason,
            "purpose": self.purpose.name,
            "evidence": [item.as_json() for item in self.purpose.evidence],
            "legs": [leg.as_json() for leg in self.legs],
            "missing": self.missing_json(),
            "findings": [item.as_json() for item in self.findings],
        }


@record()
class WorkflowReport:
    path: str
    workflow: Workflow
    jobs: list[JobReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about the file itself

    @property
    def error(self) -> dict[str, Any] | None:
        error = self.workflow.error
        return None if error is None else {"message": error.message, "line": error.line}

    def multi_arch(self, platforms: tuple[str, ...]) -> bool:
        """Both arches on one judged platform: macOS arm64 beside Linux amd64 is not it."""
        arches: dict[str, set[str]] = {}
        for job in self.jobs:
            for leg in job.legs:
                arches.setdefault(leg.os, set()).add(leg.arch)
        return any({AMD64, ARM64} <= arches.get(name, set()) for name in platforms)

    def all_findings(self) -> list[Finding]:
        return self.findings + [item for job in self.jobs for item in job.findings]

    def portable(self) -> WorkflowReport:
        """This report as another process receives it: what reports and renderings read,
        without the workflow's YAML nodes, steps, text and file reader (the receiver has the
        file; pickling the nodes cost more than parsing it again)."""
        jobs = [replace(job, job=replace(job.job, node=Map(), steps=[])) for job in self.jobs]
        workflow = replace(self.workflow, source="", jobs=[job.job for job in jobs], files=None)
        return replace(self, workflow=workflow, jobs=jobs)

    def as_json(self, platforms: tuple[str, ...]) -> dict[str, Any]:
        return {
            "path": self.path,
            "error": self.error,
            "multi_arch": self.multi_arch(platforms),
            "jobs": [job.as_json() for job in self.jobs],
        }


@record()
class Report:
    policy: Policy
    workflows: list[WorkflowReport]

    def by_status(self) -> dict[str, int]:
        counts = Counter(job.status for wf in self.workflows for job in wf.jobs)
        return {status: counts.get(status, 0) for status in STATUSES}

    def not_judged(self) -> dict[str, int]:
        """Not-applicable jobs by why: their purpose, or another platform or architecture."""
        counts = Counter(
            job.verdict.not_judged or OTHER_PLATFORM
            for wf in self.workflows
            for job in wf.jobs
            if job.status == NOT_APPLICABLE
        )
        return dict(counts.most_common())

    def findings(self) -> list[tuple[str, Finding]]:
        return [(wf.path, item) for wf in self.workflows for item in wf.all_findings()]

    @property
    def violations(self) -> int:
        return self.failures(None)

    def failures(self, fail_on: str | None) -> int:
        """Findings that fail the run (findings.fails): `--fail-on`, else the config's mode."""
        return sum(1 for _, item in self.findings() if fails(item.severity, fail_on, self.policy.mode))

    def summary(self) -> dict[str, Any]:
        return {
            "workflows": len(self.workflows),
            "multi_arch_workflows": sum(1 for wf in self.workflows if wf.multi_arch(self.policy.platforms)),
            "jobs": sum(len(wf.jobs) for wf in self.workflows),
            "by_status": self.by_status(),
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.head_json(), "workflows": [wf.as_json(self.policy.platforms) for wf in self.workflows]}

    def head_json(self) -> dict[str, Any]:
        """`as_json` but its last key, the workflows."""
        return {"version": 1, "policy": self.policy.as_json(), "summary": self.summary()}


_PURPOSE_ORDER = {name: rank for rank, name in enumerate((TEST, BUILD, UNKNOWN, CROSS))}


def job_purpose(resolved: legs_module.JobLegs) -> Purpose:
    """A job's purpose: its legs' when they agree, else the most CPU-bound of them."""
    if not resolved.legs:
        return resolved.purpose or UNKNOWN_PURPOSE
    purposes = [leg.purpose for leg in resolved.legs]
    return min(purposes, key=lambda item: _PURPOSE_ORDER.get(item.name, len(_PURPOSE_ORDER)))


Progress = Callable[[int, int, str], None]
# The paths of files judged together: every file of some file families, in path order.
Group = tuple[str, ...]


def groups(paths: Iterable[str]) -> list[Group]:
    """The files by file family (`verdicts.file_family`), in path order: a job is judged
    against its family's jobs alone, so a group judged by itself, in any process, gets the
    reports a judgement of every file gives it."""
    by_family: dict[str, list[str]] = {}
    for path in sorted(paths):
        by_family.setdefault(file_family(path), []).append(path)
    return [tuple(group) for group in by_family.values()]


@record(frozen=True)
class Elsewhere:
    """Work shared with other processes, which take groups of files (`groups`) from the same
    queue: `claim` gives the next group to judge here (None once none is left), `collect`,
    once every group is claimed, the reports (`WorkflowReport.portable`) the others made, by
    path. A group neither judged here nor wholly in the answer (the process that claimed it
    failed) is judged here."""

    claim: Callable[[], Group | None]
    collect: Callable[[], Mapping[str, WorkflowReport]]


def _resolve_one(
    workflow: Workflow, policy: Policy, lookup: legs_module.WorkflowLookup
) -> dict[str, legs_module.JobLegs]:
    return {job.id: legs_module.resolve(job, workflow, policy.runners, lookup) for job in workflow.jobs}


def _workflows(
    files: Mapping[str, bytes | str], read: Reader | None
) -> tuple[Callable[[str], Workflow], legs_module.WorkflowLookup]:
    """Each file's workflow, read on first use (a group reads its files and those they call),
    and the lookup of a called `./.github/workflows/x.yml` among them, whatever root they were
    read from."""
    loaded: dict[str, Workflow] = {}
    by_suffix: dict[str, str] = {}
    for path in sorted(files):
        by_suffix[path] = path
        by_suffix.setdefault(f".github/workflows/{path.rsplit('/', 1)[-1]}", path)

    def get(path: str) -> Workflow:
        if path not in loaded:
            workflow = workflow_module.load(path, files[path])
            workflow.files = read  # where its steps' scripts and composite actions are read
            loaded[path] = workflow
        return loaded[path]

    def lookup(path: str) -> Workflow | None:
        found = by_suffix.get(path)
        return get(found) if found is not None else None

    return get, lookup


def _judged(
    group: Iterable[str],
    get: Callable[[str], Workflow],
    lookup: legs_module.WorkflowLookup,
    policy: Policy,
    today: date,
) -> list[WorkflowReport]:
    """The reports of the files of `group`, which holds every file of their file families."""
    workflows = {path: get(path) for path in group}
    inputs: list[JobInput] = []
    for path, workflow in workflows.items():
        by_job = _resolve_one(workflow, policy, lookup)
        legs_module.packages_for_pypi(workflow, by_job)
        for job in workflow.jobs:
            resolved_job = by_job[job.id]
            ignored = job.ignored_by_comment or policy.ignored(path, job.id)
            required = policy.required(path, job.id)
            for leg in resolved_job.legs:
                leg.required = required
            inputs.append(JobInput(path, job, resolved_job, ignored, required))
    verdicts = judge(inputs, policy)

    reports = {path: WorkflowReport(path, workflow) for path, workflow in workflows.items()}
    for item, verdict in zip(inputs, verdicts, strict=True):
        legs = item.resolved
        if item.ignored:
            found: list[Finding] = []
        else:
            found = job_findings(item.job, legs.legs, legs.runner_paths, verdict, policy, today)
            if legs.error:
                found.insert(
                    0, finding("invalid-workflow", item.job.line, f"job '{item.job.id}': {legs.error}")
                )
        reports[item.path].jobs.append(
            JobReport(
                item.job,
                verdict,
                legs.legs,
                legs.runner_keys,
                legs.runner_paths,
                found,
                job_purpose(legs),
            )
        )
    for report in reports.values():
        error = report.workflow.error
        if error is not None:
            report.findings.append(finding("invalid-workflow", error.line, error.message))
    return list(reports.values())


def judge_claimed(
    files: Mapping[str, bytes | str],
    claim: Callable[[], Group | None],
    policy: Policy,
    today: date,
    read: Reader | None = None,
) -> Iterator[list[WorkflowReport]]:
    """The portable reports of each group `claim` gives until it gives None, each group's
    as soon as they are made, reading only those workflows and the ones they call:
    `analyze`'s work for them, in another process."""
    get, lookup = _workflows(files, read)
    while (group := claim()) is not None:
        yield [report.portable() for report in _judged(group, get, lookup, policy, today)]


def analyze(
    files: Mapping[str, bytes | str],
    policy: Policy | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    read: Reader | None = None,
    elsewhere: Elsewhere | None = None,
) -> Report:
    """Judge every job of every file; `files` maps a display path to the file's content, and
    `read` gives the repository's other files by their path from its root (scripts, Makefiles,
    composite actions a step hands its work to), when they can be read. `elsewhere` shares
    the work with other processes, a group of files at a time."""
    policy = policy or Policy()
    today = today or date.today()
    paths = sorted(files)
    get, lookup = _workflows(files, read)
    if elsewhere is None:
        for done, path in enumerate(paths, 1):  # every file first: progress names each one read
            get(path)
            if progress is not None:
                progress(done, len(paths), path)
        return Report(policy, _judged(paths, get, lookup, policy, today))

    reports: dict[str, WorkflowReport] = {}

    def take(made: Iterable[WorkflowReport]) -> None:
        for report in made:
            reports[report.path] = report
            if progress is not None:
                progress(len(reports), len(paths), report.path)

    while (claimed := elsewhere.claim()) is not None:
        take(_judged(claimed, get, lookup, policy, today))
    answered = elsewhere.collect()
    for group in groups(paths):
        if any(path in reports for path in group):
            continue
        if all(path in answered for path in group):
            take(answered[path] for path in group)
        else:
            take(_judged(group, get, lookup, policy, today))
    return Report(policy, [reports[path] for path in paths])
