"""Findings: one rule each, with the line a maintainer should look at."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.core import purpose
from bot.core.config import IMAGES_PLATFORMS, IMAGES_REFUSE, Policy
from bot.core.emulation import step_runs
from bot.core.expressions import ExpressionError, Unknown, evaluate_template, to_string
from bot.core.lazyre import lazy
from bot.core.legs import Leg
from bot.core.matrix import is_opaque
from bot.core.records import record
from bot.core.runners import AMD64, ARM64, HOSTED, UNKNOWN
from bot.core.verdicts import (
    AMD64_ONLY,
    PARITY,
    PARTIAL,
    RunnerPaths,
    Verdict,
    counts_as_arm64,
    judged,
    judges_purpose,
    shown_matrix,
)
from bot.core.workflow import Job, float_scalars, scalar_line
from bot.core.yamlnodes import Map, plain

ERROR, WARNING, NOTE = "error", "warning", "note"
SEVERITIES = (ERROR, WARNING, NOTE)  # worst first
NEVER = "never"


def fails(severity: str, fail_on: str | None, mode: str) -> bool:
    """Whether a finding of `severity` fails the run: `--fail-on` when given (`never`: none
    does), else errors when the config's mode is required. `check` and `fix` share it, so
    the pre-commit hooks agree on one file."""
    if fail_on is None:
        return mode == "required" and severity == ERROR
    if fail_on == NEVER:
        return False
    return SEVERITIES.index(severity) <= SEVERITIES.index(fail_on)


# rule -> (default severity, one-line description for SARIF and --help)
RULES: dict[str, tuple[str, str]] = {
    "missing-arm64-leg": (ERROR, "An amd64 leg has no arm64 twin"),
    "non-blocking-arm64": (WARNING, "arm64 legs are continue-on-error, so their failures pass"),
    "retired-runner": (WARNING, "The runner label was retired by GitHub; jobs on it do not run"),
    "unknown-runner": (WARNING, "The runner's architecture cannot be told from its labels"),
    "arch-gated-step": (WARNING, "A step runs on one architecture only"),
    "artifact-name-collision": (ERROR, "amd64 and arm64 legs upload artifacts with one name"),
    "float-version": (WARNING, "An unquoted matrix value YAML reads as a number (3.10 is 3.1)"),
    "invalid-workflow": (ERROR, "The workflow or job is not valid"),
    "emulated-only": (NOTE, "arm64 is covered only through emulation"),
}


@record(frozen=True)
class Finding:
    rule: str
    severity: str
    line: int | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "line": self.line, "message": self.message}


def finding(rule: str, line: int | None, message: str, severity: str | None = None) -> Finding:
    return Finding(rule, severity or RULES[rule][0], line, message)


_TESTS = lazy(
    r"\b(pytest|tox|nox|unittest|go test|cargo (?:test|nextest)|ctest|npm (?:run )?test|"
    r"yarn test|make (?:check|test)|mvn (?:test|verify)|gradle\w* test|dotnet test|"
    r"rspec|phpunit|run-tests?)\b",
    re.IGNORECASE,
)


def job_findings(
    job: Job, legs: list[Leg], runner_paths: RunnerPaths, verdict: Verdict, policy: Policy, today: date
) -> list[Finding]:
    found: list[Finding] = []
    if verdict.status in (PARTIAL, AMD64_ONLY):
        found.append(_missing_legs(job, legs, verdict, policy.fix_images))
    found += _non_blocking(job, legs, runner_paths, policy)
    found += _retired(job, legs, today)
    found += _unknown_runner(job, legs, policy)
    found += _arch_gated_steps(job, legs, policy)
    found += _artifact_collisions(job, legs, policy)
    found += _float_versions(job)
    if verdict.status in (PARITY, PARTIAL):
        counted = [leg for leg in legs if judged(leg, policy) and counts_as_arm64(leg, policy)]
        if counted and all(leg.emulated for leg in counted) and not verdict.twins_from:
            found.append(
                finding(
                    "emulated-only",
                    job.line,
                    f"job '{job.id}' reaches arm64 only through QEMU emulation; "
                    "a native arm64 runner (ubuntu-24.04-arm) is faster and real",
                )
            )
    return found


def unrecognised_gap(verdict: Verdict) -> str | None:
    """What no rule could read, when that is true of every missing leg (and no `require:`
    names the job): the gap is then a warning, and no fix is offered for it."""
    missing = verdict.missing
    if not missing or any(leg.purpose.name != purpose.UNKNOWN or leg.required for leg in missing):
        return None
    unknown = next((item for item in missing[0].purpose.evidence if item.purpose == purpose.UNRECOGNISED), None)
    return str(unknown) if unknown is not None else "no step matched a purpose rule"


def pushed_images(legs: list[Leg]) -> tuple[purpose.Evidence, ...]:
    """The steps that push the images a job builds, when pushing images is all it publishes:
    such a job gets arm64 from its build's platforms, never from a second leg."""
    publishing = {item for leg in legs for item in leg.purpose.publishing}
    if not publishing or any(item.tag != purpose.IMAGE_PUSH for item in publishing):
        return ()
    return tuple(sorted(publishing, key=lambda item: (item.line, item.what)))


def refusal(job: Job, legs: list[Leg], verdict: Verdict, images: str = IMAGES_REFUSE) -> str | None:
    """Why no arm64 leg may be added to this job as it is, whatever its verdict: the one
    judgement that `check` reports with the gap and that `fix` (and fix pull requests) obey.
    With `images` (`fix_images:`) set to platforms, a job that only pushes images is not
    refused here: it gets no leg, so what stops a second leg does not apply, and the fix
    engine says which build it cannot widen."""
    if any(is_opaque(leg.matrix) for leg in legs):
        return "the matrix is computed at run time"
    if images == IMAGES_PLATFORMS and pushed_images(legs):
        return None
    published = next((leg.purpose.publishes for leg in legs if leg.purpose.publishes), None)
    if published is not None and published.tag == purpose.IMAGE_PUSH:
        return (
            f"it pushes an image ({published}): an arm64 leg would push the same tags again and "
            "still build no arm64 image; add linux/arm64 to the build's platforms (with "
            "docker/setup-qemu-action, or native runners whose digests one job merges), or let "
            f"fix do it: `fix_images: {IMAGES_PLATFORMS}` in .github/parity.yml or "
            f"`parity-bot fix --images {IMAGES_PLATFORMS}`"
        )
    if published is not None:
        return (
            f"it publishes ({published}): an arm64 leg would publish a second time; "
            "build and test arm64 in a job that does not publish"
        )
    if job.outputs:
        return "it sets outputs for other jobs: with a second leg, whichever finishes last would set them"
    if "environment" in job.node.entries:
        return "it deploys to an environment: a second leg would deploy a second time"
    concurrency = job.node.get("concurrency")
    if concurrency is not None and "matrix" not in str(plain(concurrency)):
        return (
            "its concurrency group is the same on every leg: the arm64 legs would wait "
            "for or cancel the amd64 ones"
        )
    unsure = unrecognised_gap(verdict)
    if unsure is not None:
        return (
            f"what it does is not recognised ({unsure}): an arm64 leg may only repeat work "
            "that needs none; `require:` the job to have it fixed"
        )
    return None


def _missing_legs(job: Job, legs: list[Leg], verdict: Verdict, images: str) -> Finding:
    """An error when a missing leg builds or tests, naming what makes it judged; a warning
    when no rule knows what the missing legs do (they are judged, but a confident error there
    could be a false alarm). Either says when `fix` cannot add the legs, and why."""
    where = job.line_of("strategy", "matrix") if job.matrix is not None else job.line_of("runs-on")
    unsure = unrecognised_gap(verdict)
    blocked = refusal(job, legs, verdict, images)
    if unsure is None:
        judged_for = verdict.missing[0].purpose.describe() if verdict.missing else ""
        message = f"job '{job.id}': {verdict.reason}"
        if judged_for:
            message += f"; it {judged_for}"
        if blocked is not None:
            message += f"; fix cannot add it: {blocked}"
        return finding("missing-arm64-leg", where, message)
    message = f"job '{job.id}': {verdict.reason} (a warning: what the job does is not recognised; {unsure})"
    if blocked is not None and not blocked.startswith("what it does is not recognised"):
        message += f"; fix cannot add it: {blocked}"
    return finding("missing-arm64-leg", where, message, WARNING)


def _non_blocking(job: Job, legs: list[Leg], runner_paths: RunnerPaths, policy: Policy) -> list[Finding]:
    soft = [leg for leg in legs if leg.arch == ARM64 and judged(leg, policy) and not leg.blocking]
    if not soft:
        return []
    which = sorted({_describe(shown_matrix(leg, runner_paths)) for leg in soft})
    detail = f" ({'; '.join(which)})" if any(which) else ""
    severity = ERROR if policy.require_blocking else WARNING
    return [
        finding(
            "non-blocking-arm64",
            job.line_of("continue-on-error"),
            f"job '{job.id}': arm64 legs{detail} are continue-on-error, so an arm64 failure "
            "does not fail the run",
            severity,
        )
    ]


def _describe(matrix: dict[str, Any]) -> str:
    return ", ".join(f"{key}={to_string(value)}" for key, value in matrix.items())


def _retired(job: Job, legs: list[Leg], today: date) -> list[Finding]:
    found: list[Finding] = []
    for label, when in sorted({leg.retired for leg in legs if leg.retired is not None}):
        if when > today:
            continue
        entry = HOSTED[label]
        successor = _successor(label, entry.os)
        line = scalar_line(job.node, label) or job.line_of("runs-on")
        found.append(
            finding(
                "retired-runner",
                line,
                f"runner label {label} was retired on {when.isoformat()}; jobs on it no longer "
                f"start. Use {successor}",
            )
        )
    return found


def _successor(label: str, os: str) -> str:
    if os == "linux":
        return "ubuntu-24.04 (arm64: ubuntu-24.04-arm)"
    if os == "windows":
        return "windows-2025 (arm64: windows-11-arm)"
    return "macos-15-intel (arm64: macos-15)"


def _unknown_runner(job: Job, legs: list[Leg], policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, ...]] = set()
    for leg in legs:
        if not (leg.label_problem or leg.inferred) or leg.runner in seen:
            continue
        if leg.os not in (*policy.platforms, UNKNOWN) or not judges_purpose(leg, policy):
            continue  # its arch cannot change a verdict: no noise about it
        seen.add(leg.runner)
        custom = [label for label in leg.runner if label.lower() != "self-hosted"] or ["label"]
        line = scalar_line(job.node, leg.runner[-1]) or job.line_of("runs-on")
        if leg.inferred:
            found.append(
                finding(
                    "unknown-runner",
                    line,
                    f"job '{job.id}': runner label {custom[-1]} is not a GitHub-hosted label; taken "
                    f"as {leg.os} {leg.arch} from its name. Confirm in .github/parity.yml:  "
                    f'runners: {{"{custom[-1]}": {leg.os}/{leg.arch}}}',
                    NOTE,
                )
            )
            continue
        found.append(
            finding(
                "unknown-runner",
                line,
                f"job '{job.id}': {leg.reason}. If it is an arm64 machine, add to "
                f'.github/parity.yml:  runners: {{"{custom[-1]}": arm64}}',
            )
        )
    return found


def _arch_gated_steps(job: Job, legs: list[Leg], policy: Policy) -> list[Finding]:
    mine = [leg for leg in legs if judged(leg, policy)]
    if {leg.arch for leg in mine} != {AMD64, ARM64}:
        return []
    found: list[Finding] = []
    for step in job.steps:
        if step.if_ is None:
            continue
        arches = {leg.arch for leg in mine if step_runs(step, leg.contexts)}
        if len(arches) != 1:
            continue
        arch = next(iter(arches))
        label = step.name or step.uses or f"step {step.index + 1}"
        runs_tests = bool(_TESTS.search(" ".join(filter(None, [step.run, step.name, step.uses]))))
        if runs_tests:
            message = f"step '{label}' runs tests on {arch} only"
        else:
            message = f"step '{label}' runs on {arch} legs only"
        found.append(finding("arch-gated-step", step.line, message, WARNING if runs_tests else NOTE))
    return found


_MAJOR = lazy(r"v(\d+)")  # an action ref's major version


def _upload_v4_or_later(uses: str) -> bool:
    name, _, ref = uses.partition("@")
    if name.lower() != "actions/upload-artifact":
        return False
    match = _MAJOR.match(ref)
    return match is None or int(match.group(1)) >= 4  # a pinned SHA is a current release


def _artifact_collisions(job: Job, legs: list[Leg], policy: Policy) -> list[Finding]:
    mine = [leg for leg in legs if judged(leg, policy)]
    if {leg.arch for leg in mine} != {AMD64, ARM64}:
        return []
    found: list[Finding] = []
    for step in job.steps:
        if not step.uses or not _upload_v4_or_later(step.uses):
            continue
        names: dict[str, set[tuple[int, str]]] = {}
        for leg in mine:
            if not step_runs(step, leg.contexts):
                continue
            try:
                value = evaluate_template(step.with_.get("name", "artifact"), leg.contexts)
            except ExpressionError:
                continue
            if isinstance(value, Unknown):
                continue
            # Legs split from one job by emulation share their contexts: one upload.
            names.setdefault(to_string(value), set()).add((id(leg.contexts), leg.arch))
        for name, uploads in names.items():
            if any(a != b and i != j for i, a in uploads for j, b in uploads):
                with_node = step.node.get("with")
                line = with_node.key_line("name") if isinstance(with_node, Map) else None
                found.append(
                    finding(
                        "artifact-name-collision",
                        line or step.line,
                        f"amd64 and arm64 legs both upload artifact '{name}'; with upload-artifact "
                        "v4 the second upload fails. Add the architecture to the name",
                    )
                )
                break
    return found


def _float_versions(job: Job) -> list[Finding]:
    strategy = job.node.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, Map) else None
    found: list[Finding] = []
    for scalar in float_scalars(matrix):
        shown = to_string(scalar.value)
        if shown != scalar.raw:
            found.append(
                finding(
                    "float-version",
                    scalar.line,
                    f"matrix value {scalar.raw} is unquoted, so GitHub reads it as the number "
                    f"{shown}; quote it: '{scalar.raw}'",
                )
            )
    return found
