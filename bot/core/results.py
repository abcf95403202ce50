"""Test-level results of twins: JUnit artifacts given to their legs and compared, and the
logs of the jobs that differ read for their failing step and tests.

Logs cost one request each and can be large, so they are read only where they can explain
something: the failed side(s) of a pair whose outcomes differ, or of a pair that failed on
both architectures (the failing tests may still differ). Twins that both pass cost nothing.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from bot.core.dialects.base import Failure
from bot.core.joblog import Reading, Step
from bot.core.junit import TestCase, TestDiff, compare, failures
from bot.core.pairing import FAILING, Pair, Pairing, RunJob
from bot.core.runners import AMD64, ARM64, arches_named, without_arch_words


@dataclass(slots=True)
class Artifact:
    id: int
    name: str
    run_id: int
    size: int
    cases: dict[str, TestCase] | None = None
    error: str | None = None  # why its reports could not be read
    arch: str | None = None


def wanted(name: str, pattern: str) -> bool:
    """`results.junit_artifacts` is a glob over artifact names (several, comma-separated)."""
    return any(fnmatch.fnmatchcase(name, glob.strip()) for glob in pattern.split(",") if glob.strip())


@dataclass(slots=True)
class Comparison:
    label: str  # the artifact name without its architecture
    amd64: Artifact
    arm64: Artifact
    diff: TestDiff
    jobs: frozenset[int] = frozenset()  # the jobs that uploaded the two artifacts, when known


@dataclass(slots=True)
class Swallowed:
    job: RunJob
    arch: str
    artifact: str
    failed: int


@dataclass(slots=True)
class TestResults:
    comparisons: list[Comparison] = field(default_factory=list)
    swallowed: list[Swallowed] = field(default_factory=list)
    unreadable: list[Artifact] = field(default_factory=list)
    unattributed: list[Artifact] = field(default_factory=list)
    logs: list[LogComparison] = field(default_factory=list)


@dataclass(slots=True)
class LogComparison:
    """A pair whose outcomes differ (or that failed on both sides), explained by its logs:
    a side that passed has no reading (its log is not read)."""

    pair: Pair
    readings: dict[str, Reading]  # arch -> the failed side's log, read
    failed_only_on: dict[str, list[Failure]] = field(default_factory=dict)
    junit: str | None = None  # a JUnit comparison of these jobs names the tests instead

    @property
    def differs(self) -> bool:
        return self.pair.outcome_differs or any(self.failed_only_on.values())

    def step_outcome(self, arch: str) -> tuple[str | None, str | None]:
        """(the step that failed on `arch`, what the same step did on the other side)."""
        other = self.pair.arm64 if arch == AMD64 else self.pair.amd64
        reading = self.readings.get(arch)
        if reading is None or reading.step is None:
            return None, None
        twin = _same_step(reading.step, other.steps if other else ())
        return reading.step, twin.conclusion if twin is not None else None


def _same_step(name: str, steps: tuple[Step, ...]) -> Step | None:
    return next((step for step in steps if step.name == name), None)


def logs_wanted(pair: Pair) -> list[RunJob]:
    """The jobs of a pair whose logs can explain a difference: the failed side of a pair
    whose outcomes differ, both sides of one that failed on both; none for twins that pass."""
    if not pair.ready:
        return []
    sides = [job for job in (pair.amd64, pair.arm64) if job is not None and job.conclusion in FAILING]
    return sides if pair.outcome_differs or len(sides) == 2 else []


def compare_logs(pair: Pair, readings: dict[str, Reading], comparisons: list[Comparison]) -> LogComparison:
    """A pair's logs compared: the tests that failed on one architecture only. A side that
    passed failed no test; a side whose log named no test, or was not read whole (only its
    end, or more failures than are kept), leaves the question open: no test is said to fail
    on one side only because the other's log could not tell."""
    result = LogComparison(pair, readings)
    ids = {job.id for job in (pair.amd64, pair.arm64) if job is not None}
    runs = {job.run_id for job in (pair.amd64, pair.arm64) if job is not None}
    # JUnit reports of these jobs, or of their run when no job could be told as the uploader
    covering = next(
        (c for c in comparisons if c.jobs & ids or (not c.jobs and {c.amd64.run_id, c.arm64.run_id} & runs)),
        None,
    )
    if covering is not None:
        result.junit = covering.label
        return result
    failed: dict[str, dict[str, Failure]] = {}  # what each side's log names as failed
    whole: dict[str, dict[str, Failure]] = {}  # and the sides that name every failure
    for arch, job in ((AMD64, pair.amd64), (ARM64, pair.arm64)):
        reading = readings.get(arch)
        if reading is not None and reading.runners:
            failed[arch] = reading.failures
            if reading.complete:
                whole[arch] = reading.failures
        elif reading is None and job is not None and job.conclusion == "success":
            failed[arch] = whole[arch] = {}
    for arch, other in ((AMD64, ARM64), (ARM64, AMD64)):
        mine, theirs = failed.get(arch), whole.get(other)
        if mine and theirs is not None:
            result.failed_only_on[arch] = [failure for test, failure in mine.items() if test not in theirs]
    return result


def _arch_from_name(name: str) -> str | None:
    arches = arches_named(name)
    return next(iter(arches)) if len(arches) == 1 else None


def _jobs_by_run(pairing: Pairing) -> dict[int, list[tuple[str, RunJob, Pair]]]:
    runs: dict[int, list[tuple[str, RunJob, Pair]]] = {}
    for pair in pairing.pairs:
        for arch, job in ((AMD64, pair.amd64), (ARM64, pair.arm64)):
            if job is not None:
                runs.setdefault(job.run_id, []).append((arch, job, pair))
    return runs


def _job_of(artifact: Artifact, runs: dict[int, list[tuple[str, RunJob, Pair]]]) -> RunJob | None:
    """The job that uploaded an artifact: the only one of its arch in its run, or the one
    whose matrix values all appear in the artifact's name."""
    candidates = [(job, pair) for arch, job, pair in runs.get(artifact.run_id, []) if arch == artifact.arch]
    if len({job.id for job, _ in candidates}) == 1:
        return candidates[0][0]
    named = [
        job
        for job, pair in candidates
        if pair.matrix and all(str(v).lower() in artifact.name.lower() for v in pair.matrix.values())
    ]
    return named[0] if len({job.id for job in named}) == 1 else None


def analyse(artifacts: list[Artifact], pairing: Pairing) -> TestResults:
    result = TestResults()
    runs = _jobs_by_run(pairing)
    groups: dict[str, dict[str, Artifact]] = {}
    for artifact in artifacts:
        if artifact.error is not None:
            result.unreadable.append(artifact)
            continue
        artifact.arch = _arch_from_name(artifact.name)
        if artifact.arch is None:
            arches = {arch for arch, _, _ in runs.get(artifact.run_id, [])}
            artifact.arch = next(iter(arches)) if len(arches) == 1 else None
        if artifact.arch is None:
            result.unattributed.append(artifact)
            continue
        label = " ".join(without_arch_words(artifact.name).split()).strip("-_. ") or artifact.name
        groups.setdefault(label, {})[artifact.arch] = artifact
        if artifact.cases and failures(artifact.cases):
            job = _job_of(artifact, runs)
            if job is not None and job.conclusion == "success":
                result.swallowed.append(Swallowed(job, artifact.arch, artifact.name, failures(artifact.cases)))
    for label, sides in sorted(groups.items()):
        amd, arm = sides.get(AMD64), sides.get(ARM64)
        if amd is not None and arm is not None and amd.cases is not None and arm.cases is not None:
            jobs = frozenset(job.id for job in (_job_of(amd, runs), _job_of(arm, runs)) if job is not None)
            result.comparisons.append(Comparison(label, amd, arm, compare(amd.cases, arm.cases), jobs))
    return result
