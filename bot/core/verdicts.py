"""Verdicts: does every judged amd64 leg have an arm64 twin?

Two legs are twins when they run on the same OS and their matrix values are equal apart
from what only chooses the architecture or runner: the matrix keys `runs-on` reads are
dropped, and architecture words inside values are blanked (`linux-intel` ~ `linux-arm`,
`manylinux_x86_64` ~ `manylinux_aarch64`). Jobs whose ids differ only by an
architecture word (`test-amd64`/`test-arm64`, also across `amd64-ci.yml`/`arm64-ci.yml`)
form a family, and a leg's twin may be in a sibling job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bot.core.config import Policy
from bot.core.legs import JobLegs, Leg
from bot.core.matrix import canonical
from bot.core.runners import AMD64, ARM64, UNKNOWN, arch_of_word, without_arch_words
from bot.core.workflow import Job

PARITY = "parity"
PARTIAL = "partial"
AMD64_ONLY = "amd64-only"
ARM64_ONLY = "arm64-only"
UNKNOWN_STATUS = "unknown"
IGNORED = "ignored"
NOT_APPLICABLE = "not-applicable"
STATUSES = (PARITY, PARTIAL, AMD64_ONLY, ARM64_ONLY, UNKNOWN_STATUS, IGNORED, NOT_APPLICABLE)


@dataclass(slots=True)
class JobInput:
    path: str
    job: Job
    resolved: JobLegs
    ignored: bool = False


@dataclass(slots=True)
class Verdict:
    status: str
    reason: str | None = None
    missing: list[Leg] = field(default_factory=list)
    twins_from: list[str] = field(default_factory=list)  # sibling jobs that supplied twins


def judged(leg: Leg, policy: Policy) -> bool:
    return leg.os in policy.platforms and leg.arch in (AMD64, ARM64)


def counts_as_arm64(leg: Leg, policy: Policy) -> bool:
    return (leg.arch == ARM64
            and (policy.allow_emulated or not leg.emulated)
            and (leg.blocking or not policy.require_blocking))


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return without_arch_words(value).casefold()
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    return value


def twin_key(leg: Leg, runner_keys: set[str]) -> tuple[str, str, str]:
    values = {key: _normal(value) for key, value in leg.matrix.items() if key not in runner_keys}
    return leg.os, _normal(leg.origin), canonical(values)


def shown_matrix(leg: Leg, runner_keys: set[str]) -> dict[str, Any]:
    """A leg's matrix without the keys that only pick its runner or architecture."""
    return {key: value for key, value in leg.matrix.items()
            if key not in runner_keys and arch_of_word(value) is None}


def family_key(path: str, job_id: str) -> tuple[str, str]:
    name = path.rsplit("/", 1)[-1]
    return without_arch_words(name).casefold(), without_arch_words(job_id).casefold()


def describe_missing(legs: list[Leg], runner_keys: set[str]) -> str:
    """'no arm64 leg for python-version 3.8, 3.9' (or key=value groups when they vary)."""
    origins = sorted({leg.origin for leg in legs if leg.origin})
    if origins:
        return "no arm64 leg in " + ", ".join(origins)
    items = [shown_matrix(leg, runner_keys) for leg in legs]
    if not items or all(not item for item in items):
        return "no arm64 leg"
    keys = {key for item in items for key in item}
    if len(keys) == 1:
        key = next(iter(keys))
        return f"no arm64 leg for {key} " + ", ".join(_show(item.get(key)) for item in items)
    groups = ["(" + ", ".join(f"{k}={_show(v)}" for k, v in item.items()) + ")" for item in items]
    return "no arm64 leg for " + "; ".join(groups)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return canonical(value)


def judge(inputs: list[JobInput], policy: Policy) -> list[Verdict]:
    """One verdict per input, in order; siblings (see module doc) lend each other twins."""
    families: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, item in enumerate(inputs):
        if not item.ignored and not item.resolved.unknown and not item.resolved.error:
            families[family_key(item.path, item.job.id)].append(index)
    return [_judge_one(index, inputs, families, policy) for index in range(len(inputs))]


def _judge_one(index: int, inputs: list[JobInput],
               families: dict[tuple[str, str], list[int]], policy: Policy) -> Verdict:
    item = inputs[index]
    resolved = item.resolved
    if item.ignored:
        return Verdict(IGNORED, "ignored by " + ("a '# parity: ignore' comment"
                                                 if item.job.ignored_by_comment else "config"))
    if resolved.error:
        return Verdict(UNKNOWN_STATUS, resolved.error)
    if resolved.unknown:
        return Verdict(UNKNOWN_STATUS, resolved.unknown)

    undecided = [leg for leg in resolved.legs
                 if leg.os == UNKNOWN or (leg.os in policy.platforms and leg.arch == UNKNOWN)]
    if undecided:
        return Verdict(UNKNOWN_STATUS, undecided[0].reason or "the runner cannot be resolved")

    own = [leg for leg in resolved.legs if judged(leg, policy)]
    if not own:
        if any(leg.os in policy.platforms for leg in resolved.legs):
            return Verdict(NOT_APPLICABLE, "targets neither amd64 nor arm64")
        systems = ", ".join(sorted({leg.os for leg in resolved.legs})) or "no runner"
        return Verdict(NOT_APPLICABLE, f"runs on {systems}; judged: {', '.join(policy.platforms)}")

    siblings = [i for i in families.get(family_key(item.path, item.job.id), []) if i != index]
    pool: list[tuple[Leg, set[str], str]] = [(leg, resolved.runner_keys, "") for leg in own]
    for sibling in siblings:
        other = inputs[sibling]
        pool.extend((leg, other.resolved.runner_keys, _job_ref(other, item.path))
                    for leg in other.resolved.legs if judged(leg, policy))

    arm_keys: dict[tuple[str, str, str], str] = {}
    for leg, keys, source in pool:
        if counts_as_arm64(leg, policy):
            arm_keys.setdefault(twin_key(leg, keys), source)
    amd = [leg for leg in own if leg.arch == AMD64]

    if not amd:
        mine = {twin_key(leg, resolved.runner_keys) for leg in own if counts_as_arm64(leg, policy)}
        twinned = sorted({source for leg, keys, source in pool
                          if source and leg.arch == AMD64 and twin_key(leg, keys) in mine})
        if twinned:
            return Verdict(PARITY, "arm64 twin of " + ", ".join(twinned), twins_from=twinned)
        return Verdict(ARM64_ONLY, "every judged leg runs on arm64")

    missing: list[Leg] = []
    seen: set[tuple[str, str, str]] = set()
    sources: set[str] = set()
    for leg in amd:
        key = twin_key(leg, resolved.runner_keys)
        if key in arm_keys:
            if arm_keys[key]:
                sources.add(arm_keys[key])
        elif key not in seen:
            seen.add(key)
            missing.append(leg)
    twins_from = sorted(sources)
    if not missing:
        reason = "every amd64 leg has an arm64 twin"
        if twins_from:
            reason += " (in " + ", ".join(twins_from) + ")"
        return Verdict(PARITY, reason, twins_from=twins_from)
    if not arm_keys:
        arm_present = any(leg.arch == ARM64 for leg, _, _ in pool)
        reason = f"no arm64 leg on {'/'.join(policy.platforms)}"
        if arm_present:
            reason = "no arm64 leg counts under the policy: " + _why_not_counted(pool, policy)
        return Verdict(AMD64_ONLY, reason, missing, twins_from)
    text = describe_missing(missing, resolved.runner_keys)
    return Verdict(PARTIAL, text, missing, twins_from)


def _why_not_counted(pool: list[tuple[Leg, set[str], str]], policy: Policy) -> str:
    arm = [leg for leg, _, _ in pool if leg.arch == ARM64]
    if not policy.allow_emulated and all(leg.emulated for leg in arm):
        return "its arm64 legs are emulated (allow_emulated: false)"
    return "its arm64 legs are continue-on-error (require_blocking: true)"


def _job_ref(item: JobInput, own_path: str) -> str:
    return item.job.id if item.path == own_path else f"{item.path}:{item.job.id}"

