"""Pair the amd64 and arm64 jobs a commit's CI actually ran, by the analyzer's own twins.

Each Actions job is given its leg by name: the analyzer knows what GitHub calls every leg
(an explicit `name:` evaluated with the leg's matrix, else `id (v1, v2)`), and which legs
are twins. A job GitHub names in a way the analyzer cannot predict is paired by its name
with architecture words removed and its runner's architecture.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core import runners
from bot.core.analysis import JobReport, Report
from bot.core.config import Policy
from bot.core.joblog import Step, steps_of
from bot.core.legs import Leg
from bot.core.names import check_name
from bot.core.runners import AMD64, ARM64, without_arch_words
from bot.core.verdicts import (
    IGNORED,
    NOT_APPLICABLE,
    UNKNOWN_STATUS,
    counts_as_arm64,
    family_key,
    judged,
    shown_matrix,
    twin_key,
)
from bot.core.watchdog import RUNNER_WAIT_MINUTES, no_runner, stuck

COMPLETED = "completed"
FAILING = {"failure", "timed_out", "cancelled", "startup_failure", "action_required"}


@dataclass(frozen=True, slots=True)
class RunJob:
    """One job of an Actions run, latest attempt, as `GET /actions/runs/{id}/jobs` lists it."""

    id: int
    run_id: int
    run_attempt: int
    workflow: str  # the run's workflow file, `.github/workflows/ci.yml`
    name: str
    labels: tuple[str, ...]
    status: str
    conclusion: str | None
    created_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None
    html_url: str = ""
    flaky: bool = False  # failed in an earlier attempt of the run, passed in this one
    steps: tuple[Step, ...] = ()

    @property
    def done(self) -> bool:
        return self.status == COMPLETED

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, self.completed_at - self.started_at)


def latest_attempts(jobs: list[RunJob]) -> list[RunJob]:
    """The latest attempt of each job; one that failed before and passes now is flaky."""
    by_name: dict[tuple[int, str], list[RunJob]] = defaultdict(list)
    for job in jobs:
        by_name[(job.run_id, job.name)].append(job)
    latest: list[RunJob] = []
    for attempts in by_name.values():
        attempts.sort(key=lambda job: (job.run_attempt, job.id))
        last = attempts[-1]
        failed_before = any(job.conclusion in FAILING for job in attempts[:-1])
        if failed_before and last.conclusion == "success":
            last = RunJob(**{**{f: getattr(last, f) for f in last.__slots__}, "flaky": True})
        latest.append(last)
    return latest


def arch_of(job: RunJob, policy: Policy) -> str:
    return runners.resolve(list(job.labels), None, dict(policy.runners)).arch


def to_rerun(jobs: list[RunJob], arches: set[str], every: bool, policy: Policy) -> list[RunJob]:
    """The latest attempts on these architectures that a rerun should take: the failed and
    cancelled ones, or all of them with `every`."""
    mine = [job for job in latest_attempts(jobs) if arch_of(job, policy) in arches]
    return mine if every else [job for job in mine if job.conclusion in FAILING]


@dataclass(slots=True)
class Pair:
    workflow: str
    job_id: str
    matrix: dict[str, Any]
    amd64: RunJob | None
    arm64: RunJob | None
    note: str | None = None  # why a side is missing or not finished
    stuck: bool = False  # the arm64 side waits for a runner past the wait limit

    @property
    def ready(self) -> bool:
        return self.amd64 is not None and self.arm64 is not None and self.amd64.done and self.arm64.done

    @property
    def pending(self) -> bool:
        """A side that exists but has not finished yet."""
        return any(side is not None and not side.done for side in (self.amd64, self.arm64))

    @property
    def outcome_differs(self) -> bool:
        if not self.ready:
            return False
        assert self.amd64 is not None and self.arm64 is not None
        return (self.amd64.conclusion in FAILING) != (self.arm64.conclusion in FAILING)

    @property
    def ratio(self) -> float | None:
        if not self.ready:
            return None
        assert self.amd64 is not None and self.arm64 is not None
        amd, arm = self.amd64.seconds, self.arm64.seconds
        return arm / amd if amd and arm is not None else None


@dataclass(slots=True)
class Pairing:
    pairs: list[Pair] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Nothing is still running: every pair is ready or has no second side to wait for."""
        return not any(pair.pending for pair in self.pairs)


def _fallback_key(job: RunJob) -> tuple[str, str]:
    return job.workflow, " ".join(without_arch_words(job.name).casefold().split())


def pair(
    report: Report, jobs: list[RunJob], policy: Policy, now: float, runner_wait: float = RUNNER_WAIT_MINUTES
) -> Pairing:
    """Each judged amd64 leg's run beside its arm64 twin's; `runner_wait` (minutes) is when
    a queued arm64 leg is named as one no runner picked up."""
    latest = latest_attempts(jobs)
    by_name: dict[tuple[str, str], RunJob] = {(job.workflow, job.name): job for job in latest}
    used: set[int] = set()
    result = Pairing()
    reports = [
        (wf.path, job)
        for wf in report.workflows
        for job in wf.jobs
        if job.status not in (IGNORED, NOT_APPLICABLE, UNKNOWN_STATUS)
    ]
    families: dict[tuple[str, str], list[tuple[str, JobReport]]] = defaultdict(list)
    for path, job in reports:
        families[family_key(path, job.job.id)].append((path, job))
    ran = {job.workflow for job in latest}

    for path, job in reports:
        if path not in ran:
            continue
        arm_legs: dict[tuple[str, str, str], tuple[str, JobReport, Leg]] = {}
        for other_path, other in families[family_key(path, job.job.id)]:
            for leg in other.legs:
                if judged(leg, policy) and counts_as_arm64(leg, policy) and not leg.emulated:
                    arm_legs.setdefault(twin_key(leg, other.runner_paths), (other_path, other, leg))
        for leg in job.legs:
            if not judged(leg, policy) or leg.arch != AMD64:
                continue
            name = check_name(job.job, leg)
            amd = by_name.get((path, name)) if name else None
            if amd is None:
                continue  # did not run (an `if:`), or named in a way we cannot predict
            used.add(amd.id)
            shown = shown_matrix(leg, job.runner_paths)
            twin = arm_legs.get(twin_key(leg, job.runner_paths))
            if twin is None:
                result.pairs.append(
                    Pair(path, job.job.id, shown, amd, None, "no arm64 leg: the workflow has none")
                )
                continue
            twin_path, twin_report, twin_leg = twin
            twin_name = check_name(twin_report.job, twin_leg)
            arm = by_name.get((twin_path, twin_name)) if twin_name else None
            note, waiting = None, False
            if arm is None:
                note = "the arm64 leg did not run"
            else:
                used.add(arm.id)
                if arm.status != COMPLETED:
                    waited = now - (arm.created_at or now)
                    waiting = stuck(arm.status, arm.labels, waited, runner_wait)
                    note = (
                        f"arm64 leg {no_runner(arm.labels, waited)}"
                        if waiting
                        else f"arm64 leg {arm.status.replace('_', ' ')} for {_minutes(waited)}"
                    )
            result.pairs.append(Pair(path, job.job.id, shown, amd, arm, note, waiting))

    _pair_the_rest([job for job in latest if job.id not in used], policy, result)
    return result


def _pair_the_rest(jobs: list[RunJob], policy: Policy, result: Pairing) -> None:
    """Jobs the analyzer could not name: pair by name without arch words, arch from labels."""
    groups: dict[tuple[str, str], dict[str, RunJob]] = defaultdict(dict)
    for job in jobs:
        arch = arch_of(job, policy)
        if arch in (AMD64, ARM64):
            groups[_fallback_key(job)].setdefault(arch, job)
    for (path, name), sides in groups.items():
        if AMD64 in sides and ARM64 in sides:
            result.pairs.append(Pair(path, name, {}, sides[AMD64], sides[ARM64]))


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes else f"{int(seconds)} s"


def parse_time(value: Any) -> float | None:
    """GitHub's `2021-08-05T10:34:58Z` as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_job(data: Mapping[str, Any], workflow: str) -> RunJob:
    """A job from the Actions API (or a `workflow_job` payload)."""
    return RunJob(
        id=int(data["id"]),
        run_id=int(data.get("run_id") or 0),
        run_attempt=int(data.get("run_attempt") or 1),
        workflow=workflow,
        name=str(data.get("name") or ""),
        labels=tuple(str(x) for x in data.get("labels") or ()),
        status=str(data.get("status") or ""),
        conclusion=data.get("conclusion"),
        created_at=parse_time(data.get("created_at")),
        started_at=parse_time(data.get("started_at")),
        completed_at=parse_time(data.get("completed_at")),
        html_url=str(data.get("html_url") or ""),
        steps=steps_of(data),
    )
