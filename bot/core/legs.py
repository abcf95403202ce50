"""A job's legs: each matrix combination with the OS and architecture it runs on."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from bot.core import emulation, records, runners
from bot.core import purpose as purpose_module
from bot.core.expressions import (
    ExpressionError,
    Unknown,
    evaluate_template,
    has_expression,
    possible_values,
    referenced_keys,
    referenced_paths,
    render_text,
    split_template,
    to_string,
    truthy,
)
from bot.core.lazyre import lazy
from bot.core.matrix import MatrixError, expand, is_opaque
from bot.core.purpose import UNKNOWN_PURPOSE, Purpose
from bot.core.records import field, record
from bot.core.runners import AMD64, ARM64, LINUX, OTHER, UNKNOWN
from bot.core.workflow import Job, Step, Workflow

MAX_CALL_DEPTH = 10  # GitHub allows ten levels of nested reusable workflows

WorkflowLookup = Callable[[str], Workflow | None]


@record()
class Leg:
    matrix: dict[str, Any]
    os: str
    arch: str
    runner: tuple[str, ...]
    emulated: bool = False
    blocking: bool = True
    reason: str | None = None  # why os/arch is unknown
    label_problem: bool = False  # unknown because of the labels themselves (not a context)
    inferred: bool = False  # arch read from words inside a custom label
    retired: tuple[str, date] | None = None
    origin: str = ""  # 'x.yml:job' for a leg of a called reusable workflow
    purpose: Purpose = UNKNOWN_PURPOSE
    required: bool = False  # config `require:` judges it whatever its purpose
    contexts: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "matrix": shown_value(self.matrix),
            "os": self.os,
            "arch": self.arch,
            "runner": list(self.runner),
            "emulated": self.emulated,
            "blocking": self.blocking,
            "purpose": self.purpose.name,
            "evidence": [item.as_json() for item in self.purpose.evidence],
        }


@record()
class JobLegs:
    legs: list[Leg] = field(default_factory=list)
    unknown: str | None = None  # the whole job cannot be expanded
    runner_keys: set[str] = field(default_factory=set)  # matrix keys runs-on reads
    runner_paths: set[tuple[str, ...]] = field(default_factory=set)  # ... that become labels
    error: str | None = None  # GitHub would reject the job
    calls: str | None = None  # the reusable workflow this job calls
    purpose: Purpose | None = None  # when there are no legs: read with the matrix unknown
    os: str = UNKNOWN  # when there are no legs: the OS runs-on names whatever the matrix


def at_run_time(value: Any) -> Any:
    """A matrix value as the run's expressions see it: a value kept as written because it
    depends on the run (`${{ github.event_name == 'push' }}`) is unknown, not that text."""
    if isinstance(value, str) and has_expression(value):
        parts = split_template(value)
        if len(parts) == 1:
            return Unknown(parts[0][1])
        # `app-${{ github.ref_name }}-simd`: the text around the unknown part still tells
        # `contains(matrix.file_name, '-simd')`.
        return render_text(value, {})
    if isinstance(value, dict):
        return {key: at_run_time(item) for key, item in value.items()}
    if isinstance(value, list):
        return [at_run_time(item) for item in value]
    return value


def shown_value(value: Any) -> Any:
    """A matrix value for output: a value computed at run time shows as its expression."""
    if isinstance(value, Unknown):
        return "${{ " + value.reason + " }}"
    if isinstance(value, dict):
        return {key: shown_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shown_value(item) for item in value]
    return value


def _input_defaults(workflow: Workflow) -> dict[str, Any]:
    return {
        name: spec.get("default") if isinstance(spec, dict) else None for name, spec in workflow.inputs.items()
    }


def resolve(
    job: Job,
    workflow: Workflow,
    user_runners: Mapping[str, str],
    lookup: WorkflowLookup,
    inputs: Any = None,
    depth: int = 0,
    chain: tuple[str, ...] = (),
    caller: Mapping[str, Any] | None = None,
) -> JobLegs:
    """The legs of a job; `caller` is the calling leg's matrix when this job is in a
    reusable workflow (what it names, `qemu: s390x`, says what the called job targets)."""
    caller = caller or {}
    if inputs is None:
        inputs = Unknown("inputs")
    contexts = {"inputs": inputs}
    try:
        expansion = expand(job.matrix, contexts)
    except MatrixError as exc:
        return JobLegs(error=str(exc))
    if expansion.unknown:
        unknown_matrix = {**contexts, "matrix": Unknown("matrix")}
        os = _runs_on(job, unknown_matrix, user_runners).os if job.uses is None else UNKNOWN
        return JobLegs(
            unknown=expansion.unknown, os=os, purpose=_purpose(job, workflow, unknown_matrix, UNKNOWN)
        )
    if job.uses is not None:
        called = _resolve_call(
            job, workflow, user_runners, lookup, expansion.combinations, inputs, depth, chain, caller
        )
        if called.unknown and called.purpose is None:
            called.purpose = _purpose(job, workflow, contexts, UNKNOWN)
        return called

    result = JobLegs(runner_keys=referenced_keys(job.runs_on), runner_paths=referenced_paths(job.runs_on))
    total = len(expansion.combinations)
    for index, combo in enumerate(expansion.combinations):
        leg_contexts: dict[str, Any] = {
            "matrix": at_run_time(combo),
            "inputs": inputs,
            "strategy": {"job-index": index, "job-total": total},
        }
        try:
            result.legs.extend(_legs_for(job, workflow, combo, leg_contexts, user_runners, caller))
        except ExpressionError as exc:
            return JobLegs(error=f"invalid expression: {exc}")
    return result


def _runs_on(job: Job, contexts: Mapping[str, Any], user_runners: Mapping[str, str]) -> runners.Resolution:
    if job.runs_on is None:
        return runners.Resolution(UNKNOWN, UNKNOWN, (), reason="the job has no runs-on")
    if _RUNS_ON_VENDOR.search(str(job.runs_on)):
        # RunsOn labels embed `${{ github.run_id }}`, which says nothing about the machine.
        items = job.runs_on if isinstance(job.runs_on, list) else [job.runs_on]
        return runners.resolve([render_text(item, contexts) for item in items], None, dict(user_runners))
    values: list[Any] = []
    for value in possible_values(job.runs_on, contexts):
        # A matrix value may itself be an expression (`runner: ${{ github.repository ... }}`).
        values.extend(possible_values(value, contexts) if has_expression(value) else [value])
    resolutions = [_resolve_value(value, user_runners) for value in values]
    if len(resolutions) == 1:
        return resolutions[0]
    return _agreed(resolutions, values)


_RUNS_ON_VENDOR = lazy(r"(^|[\s'\[,\"])runs-on[=/]")


def _resolve_value(value: Any, user_runners: Mapping[str, str]) -> runners.Resolution:
    group: str | None = None
    if isinstance(value, dict):
        group_value = value.get("group")
        group = None if group_value is None else to_string(group_value)
        value = value.get("labels", [])
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Unknown):
        return runners.Resolution(UNKNOWN, UNKNOWN, (), reason=f"runs-on depends on {value.reason}")
    if not isinstance(value, list):
        return runners.Resolution(UNKNOWN, UNKNOWN, (), reason="runs-on is not a label or list")
    for label in value:
        if isinstance(label, Unknown):
            return runners.Resolution(UNKNOWN, UNKNOWN, (), reason=f"runs-on depends on {label.reason}")
        if has_expression(label):
            return runners.Resolution(UNKNOWN, UNKNOWN, (), reason="runs-on is computed")
    if isinstance(group, str) and has_expression(group):
        group = None
    return runners.resolve([to_string(label) for label in value], group, dict(user_runners))


def _agreed(resolutions: list[runners.Resolution], values: list[Any]) -> runners.Resolution:
    """One runner from the values an expression may take: decided where they all agree."""
    last = resolutions[-1]  # the fallback branch: what forks and most pull requests get
    oses = {item.os for item in resolutions}
    arches = {item.arch for item in resolutions}
    if len(oses) == 1 and len(arches) == 1 and UNKNOWN not in oses | arches:
        return last
    shown = " or ".join(_show_value(value) for value in values)
    return records.replace(
        last,
        os=next(iter(oses)) if len(oses) == 1 else UNKNOWN,
        arch=next(iter(arches)) if len(arches) == 1 else UNKNOWN,
        labels=(),
        reason=f"runs-on is {shown}, depending on the run",
        retired=None,
        hosted_label=None,
    )


def _show_value(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.reason
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(item) for item in value) + "]"
    return str(value)


def _blocking(job: Job, contexts: Mapping[str, Any]) -> bool:
    value = job.continue_on_error
    if value is None:
        return True
    try:
        result = evaluate_template(value, contexts)
    except ExpressionError:
        return True
    # An unknown continue-on-error (vars, inputs) may well be false: count the leg as blocking.
    return isinstance(result, Unknown) or not truthy(result)


def _legs_for(
    job: Job,
    workflow: Workflow,
    combo: dict[str, Any],
    contexts: dict[str, Any],
    user_runners: Mapping[str, str],
    caller: Mapping[str, Any],
) -> list[Leg]:
    # runs-on sees matrix values that depend on the run as written, to follow their branches.
    resolution = _runs_on(job, {**contexts, "matrix": combo}, user_runners)
    runner_ctx = runners.runner_context(resolution)
    contexts["runner"] = runner_ctx if runner_ctx is not None else Unknown("runner")
    retired = None
    if resolution.retired is not None and resolution.hosted_label is not None:
        retired = (resolution.hosted_label, resolution.retired)
    base = Leg(
        matrix=combo,
        os=resolution.os,
        arch=resolution.arch,
        runner=resolution.labels,
        blocking=_blocking(job, contexts),
        reason=resolution.reason,
        label_problem=resolution.reason is not None and bool(resolution.labels),
        inferred=resolution.inferred,
        retired=retired,
        contexts=contexts,
    )
    steps, maybe = _running_steps(job, contexts)
    steps = emulation.with_env_writes(job, contexts, workflow.env, steps)
    base.purpose = purpose_module.decide(
        job, contexts, resolution.arch, steps, workflow.env, maybe, caller, workflow.files
    )
    if resolution.os != LINUX or resolution.arch not in (AMD64, ARM64):
        return [base]
    if base.purpose.name == purpose_module.CROSS and base.purpose.cross_targets <= {OTHER}:
        base.arch = OTHER  # builds only for ppc64le, s390x, armv7 ...: never judged
        return [base]
    run_time = emulation.target_set_at_run_time(job, contexts, workflow.env, steps)
    if run_time is not None:
        return [records.replace(base, arch=UNKNOWN, reason=run_time)]
    targets = emulation.targets(job, contexts, workflow.env, steps)
    host = resolution.arch
    opaque_arch = next(
        (key for key, value in combo.items() if _ARCH_KEY.match(str(key)) and is_opaque(value)), None
    )
    if opaque_arch is not None and targets.qemu:
        # QEMU set up for `arch: ${{ fromJSON(needs.x.outputs.archs) }}`: only the run knows
        reason = f"QEMU runs the leg for matrix.{opaque_arch}, which is computed at run time"
        return [records.replace(base, arch=UNKNOWN, reason=reason)]
    # What the leg's matrix (or, in a called workflow, its caller's) names: `arch: aarch64`.
    named = _arch_named_by_matrix({**caller, **combo})
    if named is not None and targets.qemu and not targets.any:
        return [_as_arch(base, named, host)]  # QEMU registered for the arch the leg names
    if not targets.any:
        return [base]
    if named is not None and (named in targets.arches or named == host):
        return [_as_arch(base, named, host)]
    legs: list[Leg] = []
    if targets.native or host in targets.arches:
        legs.append(base)
    for arch in sorted(targets.arches & {AMD64, ARM64} - {host}):
        legs.append(_as_arch(base, arch, host))
    if not legs:
        legs.append(_as_arch(base, runners.OTHER, host))
    return legs


def _running_steps(job: Job, contexts: Mapping[str, Any]) -> tuple[list[Step], set[int]]:
    """The steps that may run on a leg, and the indexes of those whose `if:` depends on
    the run (each `if:` evaluated once per leg)."""
    runs = {step.index: emulation.step_condition(step, contexts) for step in job.steps}
    steps = [step for step in job.steps if runs[step.index] is not False]
    return steps, {index for index, condition in runs.items() if condition is None}


def packages_for_pypi(workflow: Workflow, by_job: Mapping[str, JobLegs]) -> None:
    """A job that only builds a Python package, for a job after it (through `needs:`) that
    uploads to PyPI, made an sdist and a pure wheel (`purpose.for_pypi`): not judged."""
    needs = {job.id: job.needs for job in workflow.jobs if job.id in by_job}
    for job in workflow.jobs:
        if job.id not in by_job or not any(leg.purpose.to_pypi for leg in by_job[job.id].legs):
            continue
        before: set[str] = set()
        stack = list(needs[job.id])
        while stack:  # every job this one waits for, directly or not (a cycle ends here too)
            name = stack.pop()
            if name in needs and name not in before:
                before.add(name)
                stack.extend(needs[name])
        for name in sorted(before):
            for leg in by_job[name].legs:
                if leg.os == LINUX:
                    leg.purpose = purpose_module.for_pypi(leg.purpose, f"job '{job.id}'") or leg.purpose


def _purpose(job: Job, workflow: Workflow, contexts: dict[str, Any], host: str) -> Purpose:
    """The purpose of a job whose legs cannot be listed (dynamic matrix, unknown call)."""
    steps, maybe = _running_steps(job, contexts)
    return purpose_module.decide(job, contexts, host, steps, workflow.env, maybe, read=workflow.files)


def _as_arch(base: Leg, arch: str, host: str) -> Leg:
    if arch == host:
        return base
    return records.replace(base, arch=arch, emulated=True)


_ARCH_KEY = lazy(r"^(arch|architecture|cpu|platform|target[-_]?arch)$", re.IGNORECASE)


def _arch_named_by_matrix(combo: Mapping[str, Any]) -> str | None:
    """The architecture a leg's matrix names outright, if exactly one: a value that is an
    arch (`arch: aarch64`), or an arch key's value inside an object (`settings:
    {architecture: riscv64}`)."""
    named = {arch for value in combo.values() if (arch := runners.arch_of_word(value)) is not None}
    for value in combo.values():
        if isinstance(value, Mapping):
            named |= {
                arch
                for key, inner in value.items()
                if _ARCH_KEY.match(str(key)) and (arch := runners.arch_of_word(inner)) is not None
            }
    return next(iter(named)) if len(named) == 1 else None


def _resolve_call(
    job: Job,
    workflow: Workflow,
    user_runners: Mapping[str, str],
    lookup: WorkflowLookup,
    combos: list[dict[str, Any]],
    outer_inputs: Any,
    depth: int,
    chain: tuple[str, ...],
    caller: Mapping[str, Any],
) -> JobLegs:
    uses = job.uses or ""
    if not uses.startswith("./"):
        return JobLegs(
            unknown=f"calls the remote reusable workflow {uses}, whose runners are not visible here", calls=uses
        )
    path = uses[2:].split("@", 1)[0]
    if path in chain or depth >= MAX_CALL_DEPTH:
        return JobLegs(error=f"reusable workflow {uses} calls itself (or nests too deep)")
    callee = lookup(path)
    if callee is None:
        return JobLegs(unknown=f"calls {uses}, which is not among the analyzed files", calls=uses)
    if callee.error is not None:
        return JobLegs(unknown=f"calls {uses}, which does not parse", calls=uses)

    result = JobLegs(calls=uses)
    defaults = _input_defaults(callee)
    used_inputs: set[str] = set()
    for callee_job in callee.jobs:
        used_inputs |= referenced_keys(callee_job.runs_on, "inputs")
    for name in used_inputs:
        result.runner_keys |= referenced_keys(job.with_.get(name))
        result.runner_paths |= referenced_paths(job.with_.get(name))
    for combo in combos:
        contexts = {"matrix": at_run_time(combo), "inputs": outer_inputs}
        try:
            given = evaluate_template(job.with_, contexts)
        except ExpressionError as exc:
            return JobLegs(error=f"invalid expression: {exc}")
        inputs = {**defaults, **(given if isinstance(given, dict) else {})}
        subs: dict[str, JobLegs] = {}
        for callee_job in callee.jobs:
            sub = resolve(
                callee_job,
                callee,
                user_runners,
                lookup,
                inputs,
                depth + 1,
                (*chain, workflow.path),
                {**caller, **combo},
            )
            if sub.unknown or sub.error:
                return JobLegs(unknown=f"{uses} job '{callee_job.id}': {sub.unknown or sub.error}", calls=uses)
            subs[callee_job.id] = sub
        packages_for_pypi(callee, subs)
        for callee_job in callee.jobs:
            sub = subs[callee_job.id]
            result.runner_keys |= sub.runner_keys
            result.runner_paths |= sub.runner_paths
            for leg in sub.legs:
                leg.matrix = {**combo, **leg.matrix}
                leg.origin = leg.origin or f"{callee.path.rsplit('/', 1)[-1]}:{callee_job.id}"
                result.legs.append(leg)
    return result
