"""Test-level results: JUnit artifacts given to their legs and compared across twins."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from bot.core.junit import TestCase, TestDiff, compare, failures
from bot.core.pairing import Pair, Pairing, RunJob
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
            result.comparisons.append(Comparison(label, amd, arm, compare(amd.cases, arm.cases)))
    return result
