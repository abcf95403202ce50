"""Verdicts: does every judged amd64 leg have an arm64 twin?

Two legs are twins when they run on the same OS and their matrix values are equal apart
from what only chooses the architecture or runner: the matrix keys `runs-on` reads are
dropped, and architecture words inside values are blanked (`linux-intel` ~ `linux-arm`,
`manylinux_x86_64` ~ `manylinux_aarch64`). Jobs whose ids differ only by an
architecture word or `cross` (`test-amd64`/`test-arm64`, also across `amd64-ci.yml`/
`arm64-ci.yml`; `linux`/`linux-cross`) form a family, and a leg's twin may be in a sibling job.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

from bot.core import records
from bot.core.config import ANY_LEG, EVERY_VALUE, Policy
from bot.core.lazyre import lazy
from bot.core.legs import JobLegs, Leg
from bot.core.matrix import canonical
from bot.core.purpose import BUILD, CROSS
from bot.core.purpose import UNKNOWN as UNKNOWN_PURPOSE_NAME
from bot.core.records import field, record
from bot.core.runners import (
    AMD64,
    ARM64,
    OTHER,
    UNKNOWN,
    arch_of_word,
    arm64_word,
    hosted_arm64_twin,
    names_amd64,
    without_arch_words,
)
from bot.core.workflow import Job

PARITY = "parity"
PARTIAL = "partial"
AMD64_ONLY = "amd64-only"
ARM64_ONLY = "arm64-only"
UNKNOWN_STATUS = "unknown"
IGNORED = "ignored"
NOT_APPLICABLE = "not-applicable"
STATUSES = (PARITY, PARTIAL, AMD64_ONLY, ARM64_ONLY, UNKNOWN_STATUS, IGNORED, NOT_APPLICABLE)
# Why a job is not-applicable when it is not its purpose.
OTHER_PLATFORM = "other platform"
OTHER_ARCH = "other architecture"


@record()
class JobInput:
    path: str
    job: Job
    resolved: JobLegs
    ignored: bool = False
    required: bool = False  # config `require:`: judged whatever its purpose


@record()
class Verdict:
    status: str
    reason: str | None = None
    missing: list[Leg] = field(default_factory=list)
    twins_from: list[str] = field(default_factory=list)  # sibling jobs that supplied twins
    not_judged: str | None = None  # not-applicable: the purpose, OTHER_PLATFORM or OTHER_ARCH


def judges_purpose(leg: Leg, policy: Policy) -> bool:
    """Whether a leg's purpose can make its result depend on the CPU (config `judge:`)."""
    return leg.required or leg.purpose.name in policy.judge


def judged(leg: Leg, policy: Policy) -> bool:
    return leg.os in policy.platforms and leg.arch in (AMD64, ARM64) and judges_purpose(leg, policy)


def twins_a_build(leg: Leg, policy: Policy) -> bool:
    """A cross build for arm64 on a judged platform: the arm64 twin of a native build leg."""
    return (
        leg.purpose.name == CROSS
        and ARM64 in leg.purpose.cross_targets
        and leg.os in policy.platforms
        and (leg.blocking or not policy.require_blocking)
    )


def counts_as_arm64(leg: Leg, policy: Policy) -> bool:
    return (
        leg.arch == ARM64
        and (policy.allow_emulated or not leg.emulated)
        and (leg.blocking or not policy.require_blocking)
    )


_PLATFORM_FLAG = lazy(r"--platform[= ]+\S+")


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        # `--platform linux/arm64` and arch words only choose the architecture.
        return without_arch_words(_PLATFORM_FLAG.sub("", value)).strip().casefold()
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    return value


RunnerPaths = set[tuple[str, ...]]


def _without(value: Any, path: tuple[str, ...]) -> Any:
    """`value` without what `path` points at: a runner choice (a copy; the leg keeps its
    matrix). Only that path: the rest of a `matrix.settings` object tells legs apart."""
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        key = next((k for k in value if k.casefold() == head.casefold()), None)
        if key is None:
            return value
        if not rest:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _without(value[key], rest)}
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        index = int(head)
        if not rest:
            return [*value[:index], *value[index + 1 :]]
        return [*value[:index], _without(value[index], rest), *value[index + 1 :]]
    return value


def _runner_free(matrix: dict[str, Any], runner_paths: RunnerPaths) -> dict[str, Any]:
    for path in sorted(runner_paths, key=len, reverse=True):
        matrix = _without(matrix, path)
    return matrix


def twin_key(leg: Leg, runner_paths: RunnerPaths) -> tuple[str, str, str]:
    # `arch: amd64` only chooses the architecture: the key goes, not just its value, so a
    # leg of `test` with an arch dimension twins the leg of `test-arm64` without one.
    values = {
        key: _normal(value)
        for key, value in _runner_free(leg.matrix, runner_paths).items()
        if arch_of_word(value) not in (AMD64, ARM64)
    }
    return leg.os, _normal(leg.origin), canonical(values)


_WHERE_FIELD = lazy(r"docker|container|image|runner|host|runs|platform|arch|manylinux|musllinux", re.I)


def _loose_twins(left: Leg, left_paths: RunnerPaths, right: Leg, right_paths: RunnerPaths) -> bool:
    """Twins whose objects differ only in fields one side lacks: `settings: {target, docker}`
    (the amd64 build runs in a container) ~ `settings: {target}` (the arm64 one does not).
    Top-level keys and every shared field must still agree."""
    if left.os != right.os or _normal(left.origin) != _normal(right.origin):
        return False
    a = _normal(_runner_free(left.matrix, left_paths))
    b = _normal(_runner_free(right.matrix, right_paths))
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, dict) and isinstance(other, dict):
            shared = value.keys() & other.keys()
            if not shared or any(value[k] != other[k] for k in shared):
                return False
            # only a field about where the leg runs may be missing on one side (a container
            # for the amd64 build); a build option one side lacks (`CONFIGURE_FLAGS`) is a
            # different configuration
            if any(not _WHERE_FIELD.search(str(k)) for k in value.keys() ^ other.keys()):
                return False
        elif value != other:
            return False
    return True


def shown_matrix(leg: Leg, runner_paths: RunnerPaths) -> dict[str, Any]:
    """A leg's matrix without what only picks its runner or architecture (an `arch: amd64`)."""
    return {
        key: value
        for key, value in _runner_free(leg.matrix, runner_paths).items()
        if arch_of_word(value) not in (AMD64, ARM64)
    }


def missing_matrix(leg: Leg, runner_paths: RunnerPaths) -> dict[str, Any]:
    """The matrix of the arm64 leg that is missing: what tells it apart from the others;
    when only the runner or arch does, that choice as arm64 would make it."""
    shown = shown_matrix(leg, runner_paths)
    if shown or not leg.matrix:
        return shown
    return {key: _arm64_value(value) for key, value in leg.matrix.items()}


def _arm64_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return hosted_arm64_twin(value) or arm64_word(value) or value


# `linux-cross` beside `linux`: the job that cross-builds (and tests under QEMU) the other targets.
_CROSS_WORD = lazy(r"[-_]cross\b|\bcross[-_]", re.IGNORECASE)


def _cross(job_id: str) -> bool:
    return _CROSS_WORD.search(job_id) is not None


@lru_cache(maxsize=4096)  # asked for every leg of every job of a family, again and again
def family_key(path: str, job_id: str) -> tuple[str, str]:
    return file_family(path), _CROSS_WORD.sub("", without_arch_words(job_id)).casefold()


def file_family(path: str) -> str:
    """What a file's jobs' families are named by: its name without arch words
    (`arm64-ci.yml` and `ci-amd64.yml` are one). A job is judged against the jobs of its
    family alone, so files of different file families are judged independently."""
    return without_arch_words(path.rsplit("/", 1)[-1]).casefold()


def _short(value: Any) -> str:
    """A matrix value for a sentence: an object by its name or id, when it has one."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(next(iter(value.values())), str):
            return str(next(iter(value.values())))
        for key in ("name", "id", "target", "platform", "tag", "image"):
            label = next((v for k, v in value.items() if k.casefold() == key), None)
            if isinstance(label, str):
                return label
    return _show(value)


MAX_SHOWN = 6


def describe_missing(legs: list[Leg], runner_paths: RunnerPaths) -> str:
    """'no arm64 leg for python-version 3.8, 3.9' (or key=value groups when they vary)."""
    origins = sorted({leg.origin for leg in legs if leg.origin})
    if origins:
        return "no arm64 leg in " + ", ".join(origins)
    items: list[dict[str, Any]] = []
    for leg in legs:
        item = missing_matrix(leg, runner_paths)
        if item not in items:
            items.append(item)
    if not items or all(not item for item in items):
        return "no arm64 leg"
    more = f" and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    items = items[:MAX_SHOWN]
    keys = {key for item in items for key in item}
    if len(keys) == 1:
        key = next(iter(keys))
        return f"no arm64 leg for {key} " + ", ".join(_short(item.get(key)) for item in items) + more
    groups = ["(" + ", ".join(f"{k}={_short(v)}" for k, v in item.items()) + ")" for item in items]
    return "no arm64 leg for " + "; ".join(groups) + more


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


def _judge_one(
    index: int, inputs: list[JobInput], families: dict[tuple[str, str], list[int]], policy: Policy
) -> Verdict:
    item = inputs[index]
    resolved = item.resolved
    if item.ignored:
        return Verdict(
            IGNORED,
            "ignored by " + ("a '# parity: ignore' comment" if item.job.ignored_by_comment else "config"),
        )
    if resolved.error:
        return Verdict(UNKNOWN_STATUS, resolved.error)
    if resolved.unknown:
        purpose = resolved.purpose
        if purpose is not None and not item.required and purpose.name not in policy.judge:
            return Verdict(NOT_APPLICABLE, purpose.describe(), not_judged=purpose.name)
        if resolved.os != UNKNOWN and resolved.os not in policy.platforms:
            return Verdict(NOT_APPLICABLE, _other_platform({resolved.os}, policy), not_judged=OTHER_PLATFORM)
        return Verdict(UNKNOWN_STATUS, resolved.unknown)

    undecided = [
        leg
        for leg in resolved.legs
        if judges_purpose(leg, policy)
        and (leg.os == UNKNOWN or (leg.os in policy.platforms and leg.arch == UNKNOWN))
    ]
    if undecided:
        either = _whichever_arch(index, inputs, families, policy, undecided)
        if either is not None:
            return either
        return Verdict(UNKNOWN_STATUS, undecided[0].reason or "the runner cannot be resolved")

    own = [leg for leg in resolved.legs if judged(leg, policy)]
    if not own:
        unjudged = [
            leg
            for leg in resolved.legs
            if not judges_purpose(leg, policy) and leg.os in (*policy.platforms, UNKNOWN) and leg.arch != OTHER
        ]
        if unjudged:
            return Verdict(NOT_APPLICABLE, unjudged[0].purpose.describe(), not_judged=unjudged[0].purpose.name)
        if any(leg.os in policy.platforms for leg in resolved.legs):
            elsewhere = next(leg for leg in resolved.legs if leg.os in policy.platforms)
            reason = "targets neither amd64 nor arm64"
            if elsewhere.purpose.evidence:
                reason += f": {elsewhere.purpose.describe()}"
            return Verdict(NOT_APPLICABLE, reason, not_judged=OTHER_ARCH)
        return Verdict(
            NOT_APPLICABLE,
            _other_platform({leg.os for leg in resolved.legs}, policy),
            not_judged=OTHER_PLATFORM,
        )

    siblings = [i for i in families.get(family_key(item.path, item.job.id), []) if i != index]
    pool: list[tuple[Leg, RunnerPaths, str]] = [(leg, resolved.runner_paths, "") for leg in own]
    arm64_siblings: set[str] = set()  # a `-cross` sibling all of whose judged legs are arm64
    # a sibling named for the other arch (`test-arm64`) whose arm64 legs have this job's
    # matrix keys: the same work on arm64, with other values (`partial`, not `amd64-only`)
    arm64_twin_job = False
    own_keys = {frozenset(shown_matrix(leg, resolved.runner_paths)) for leg in own if leg.arch == AMD64}
    for sibling in siblings:
        other = inputs[sibling]
        theirs = [leg for leg in other.resolved.legs if judged(leg, policy)]
        pool.extend((leg, other.resolved.runner_paths, _job_ref(other, item.path)) for leg in theirs)
        cross_sibling = _cross(other.job.id) and not _cross(item.job.id)
        if not cross_sibling and any(
            counts_as_arm64(leg, policy)
            and frozenset(shown_matrix(leg, other.resolved.runner_paths)) in own_keys
            for leg in theirs
        ):
            arm64_twin_job = True
        if cross_sibling and theirs and all(counts_as_arm64(leg, policy) for leg in theirs):
            arm64_siblings.add(_job_ref(other, item.path))

    arm_keys: dict[tuple[str, str, str], str] = {}
    for leg, keys, source in pool:
        if counts_as_arm64(leg, policy):
            arm_keys.setdefault(twin_key(leg, keys), source)
    # Cross builds for arm64 twin native builds (not tests): the arm64 artifact is built.
    cross_keys = {twin_key(leg, resolved.runner_paths) for leg in resolved.legs if twins_a_build(leg, policy)}
    amd = [leg for leg in own if leg.arch == AMD64]

    if not amd:
        mine = {twin_key(leg, resolved.runner_paths) for leg in own if counts_as_arm64(leg, policy)}
        # as plain_siblings below: a job with no matrix, or a `-cross` one all of whose legs
        # are arm64 (test-arm64 beside test-amd64 twins value by value, never wholesale)
        plain = all(not leg.matrix for leg in own) or (
            _cross(item.job.id) and all(counts_as_arm64(leg, policy) for leg in own)
        )
        twinned = sorted(
            {
                source
                for leg, keys, source in pool
                if source and leg.arch == AMD64 and (twin_key(leg, keys) in mine or (plain and _wholesale(leg)))
            }
        )
        if twinned:
            return Verdict(PARITY, "arm64 twin of " + ", ".join(twinned), twins_from=twinned)
        return Verdict(ARM64_ONLY, "every judged leg runs on arm64")

    missing: list[Leg] = []
    seen: set[tuple[str, str, str]] = set()
    sources: set[str] = set()
    cross_built = False
    # A sibling job without a matrix (`linux-aarch64` beside `linux` with a target matrix), or
    # a `-cross` one that runs on arm64 alone (aarch64 and armv7 targets under QEMU), is the
    # arm64 side of the legs that name amd64 (`target: x86_64-unknown-linux-gnu`).
    plain_siblings = sorted(
        {source for other, _, source in pool if source and not other.matrix and counts_as_arm64(other, policy)}
        | arm64_siblings
    )
    for leg in amd:
        key = twin_key(leg, resolved.runner_paths)
        if key in arm_keys:
            if arm_keys[key]:
                sources.add(arm_keys[key])
        elif plain_siblings and _wholesale(leg):
            sources.add(plain_siblings[0])
        elif leg.purpose.name == BUILD and key in cross_keys:
            cross_built = True
        elif (loose := _loose_twin(leg, resolved.runner_paths, pool, policy)) is not None:
            if loose:
                sources.add(loose)
        elif key not in seen:
            seen.add(key)
            missing.append(leg)
    twins_from = sorted(sources)
    if not missing:
        reason = "every amd64 leg has an arm64 twin"
        if sources:
            reason += " (in " + ", ".join(sorted(sources)) + ")"
        if cross_built:
            reason += "; the arm64 builds are cross-compiled"
        return Verdict(PARITY, reason, twins_from=twins_from)
    own_arm64 = any(counts_as_arm64(leg, policy) for leg in own)
    if (not arm_keys or not (own_arm64 or sources or arm64_twin_job)) and not cross_built:
        # no arm64 leg, or only cross builds that twin none of these legs (they test)
        arm_present = not arm_keys and any(leg.arch == ARM64 for leg, _, _ in pool)
        reason = f"no arm64 leg on {'/'.join(policy.platforms)}"
        if arm_present:
            reason = "no arm64 leg counts under the policy: " + _why_not_counted(pool, policy)
        return Verdict(AMD64_ONLY, reason, missing, twins_from)
    return _partial(item, policy, pool, amd, missing, twins_from)


def _values(leg: Leg, runner_paths: RunnerPaths) -> set[tuple[str, str]]:
    """A leg's matrix values, without what only picks its runner or architecture."""
    return {(key, canonical(_normal(value))) for key, value in shown_matrix(leg, runner_paths).items()}


def _partial(
    item: JobInput,
    policy: Policy,
    pool: list[tuple[Leg, RunnerPaths, str]],
    amd: list[Leg],
    missing: list[Leg],
    twins_from: list[str],
) -> Verdict:
    """A job some of whose amd64 legs lack a twin, under its `coverage:` level."""
    paths = item.resolved.runner_paths
    arm_values = set().union(*(_values(leg, keys) for leg, keys, _ in pool if counts_as_arm64(leg, policy)))
    own_arm = set().union(
        *(_values(leg, keys) for leg, keys, source in pool if not source and counts_as_arm64(leg, policy))
    )
    amd_values = set().union(*(_values(leg, paths) for leg in amd))
    uncovered = amd_values - arm_values
    level = policy.coverage_for(item.path, item.job.id)
    if level == ANY_LEG:
        return Verdict(PARITY, "an arm64 leg runs (coverage: any-leg)", twins_from=twins_from)
    if level == EVERY_VALUE:
        if not uncovered:
            return Verdict(
                PARITY, "every matrix value runs on an arm64 leg (coverage: every-value)", twins_from=twins_from
            )
        missing = [leg for leg in missing if _values(leg, paths) & uncovered]
        shown = ", ".join(f"{key}={_short(json.loads(value))}" for key, value in sorted(uncovered))
        return Verdict(PARTIAL, f"no arm64 leg runs {shown} (coverage: every-value)", missing, twins_from)
    text = describe_missing(missing, paths)
    if not uncovered:
        text += (
            "; the arm64 legs run every value of each matrix key, as a chosen subset does: "
            "`coverage: every-value` accepts that"
        )
    elif own_arm - amd_values:
        text += (
            "; the arm64 legs run values the amd64 legs do not, as a deliberate split does: "
            "`coverage: any-leg` accepts that"
        )
    return Verdict(PARTIAL, text, missing, twins_from)


def _whichever_arch(
    index: int,
    inputs: list[JobInput],
    families: dict[tuple[str, str], list[int]],
    policy: Policy,
    undecided: list[Leg],
) -> Verdict | None:
    """The verdict a job gets whatever arch its unresolved runners have, when that is one
    verdict (a leg whose twin is known either way); None when the arch would change it."""
    if any(leg.os not in policy.platforms for leg in undecided):
        return None
    item = inputs[index]
    found: list[Verdict] = []
    unresolved = {id(leg) for leg in undecided}
    for arch in (AMD64, ARM64):
        legs = [records.replace(leg, arch=arch) if id(leg) in unresolved else leg for leg in item.resolved.legs]
        trial = list(inputs)
        trial[index] = records.replace(item, resolved=records.replace(item.resolved, legs=legs))
        found.append(_judge_one(index, trial, families, policy))
    first, second = found
    if first.status != second.status or first.status == UNKNOWN_STATUS:
        return None
    if [missing_matrix(leg, set()) for leg in first.missing] != [
        missing_matrix(leg, set()) for leg in second.missing
    ]:
        return None
    note = f"{undecided[0].reason}; either arch gives this verdict"
    first.reason = f"{first.reason} ({note})" if first.reason else note
    return first


def _wholesale(leg: Leg) -> bool:
    """Whether an amd64 leg may take its twin from an arm64 sibling as a whole: it names
    amd64 and what it does is known (a leg that runs what no rule reads may do anything)."""
    return _names_amd64(leg.matrix) and leg.purpose.name != UNKNOWN_PURPOSE_NAME


def _names_amd64(value: Any) -> bool:
    if isinstance(value, str):
        return names_amd64(value)
    if isinstance(value, dict):
        return any(_names_amd64(item) for item in value.values())
    if isinstance(value, list):
        return any(_names_amd64(item) for item in value)
    return False


def _loose_twin(
    leg: Leg, paths: RunnerPaths, pool: list[tuple[Leg, RunnerPaths, str]], policy: Policy
) -> str | None:
    """Where a loose twin of an amd64 leg whose matrix holds objects is ('' for its own job)."""
    if not any(isinstance(value, dict) for value in leg.matrix.values()):
        return None
    return next(
        (
            source
            for other, keys, source in pool
            if counts_as_arm64(other, policy) and _loose_twins(leg, paths, other, keys)
        ),
        None,
    )


def _other_platform(systems: set[str], policy: Policy) -> str:
    shown = ", ".join(sorted(systems)) or "no runner"
    return f"runs on {shown}; judged: {', '.join(policy.platforms)}"


def _why_not_counted(pool: list[tuple[Leg, RunnerPaths, str]], policy: Policy) -> str:
    arm = [leg for leg, _, _ in pool if leg.arch == ARM64]
    if not policy.allow_emulated and all(leg.emulated for leg in arm):
        return "its arm64 legs are emulated (allow_emulated: false)"
    return "its arm64 legs are continue-on-error (require_blocking: true)"


def _job_ref(item: JobInput, own_path: str) -> str:
    return item.job.id if item.path == own_path else f"{item.path}:{item.job.id}"
