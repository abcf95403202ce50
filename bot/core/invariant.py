"""What a fix must not change: every leg a job had before keeps its matrix values, runner,
container and the job settings that reach it (env, services, defaults, timeout,
continue-on-error), the steps that run on it (as evaluated for that leg), its check name and
the names of the artifacts it uploads. The only new legs are arm64 ones, at most one per
judged amd64 leg that had no twin; they carry no amd64 value, take no existing check name,
and the workflow gets no error finding it did not have.

A fix is accepted only when `changes(before, after)` is empty, or holds nothing but check
renames (then it is shown as a patch that says so, never as a one-click suggestion).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.core.analysis import JobReport
from bot.core.config import Policy
from bot.core.emulation import ARM64_PLATFORM, SETUP_QEMU, bake_platforms, platform_items, step_condition
from bot.core.expressions import render_text
from bot.core.findings import ERROR
from bot.core.legs import Leg
from bot.core.names import check_name, leaves
from bot.core.runners import AMD64, ARM64, arm64_counterpart, arm64_twin
from bot.core.verdicts import judged
from bot.core.words import count, verb
from bot.core.workflow import Job, Step
from bot.core.yamlnodes import plain

RENAME = "rename"
_FIXED_RULES = ("missing-arm64-leg",)  # what a fix takes away; its wording changes with it
# Job settings every leg runs with, evaluated per leg.
_JOB_SETTINGS = ("env", "container", "services", "defaults", "timeout-minutes", "continue-on-error")
_STEP_SETTINGS = ("uses", "shell", "working-directory", "timeout-minutes", "continue-on-error")


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "rename", "leg", "lost", "extra", "finding"
    text: str
    old_name: str = ""
    new_name: str = ""


@dataclass(frozen=True, slots=True)
class Shape:
    """A leg as far as a fix must keep it."""

    matrix: str  # the values of the keys the job had before, as JSON
    os: str
    arch: str
    runner: tuple[str, ...]
    settings: str  # the job's settings, as evaluated for the leg
    steps: tuple[tuple[int, str], ...]  # each step that may run, as evaluated for the leg
    artifacts: tuple[str, ...]
    check_name: str
    origin: str = ""  # the called workflow's job, for a leg of one


def shape(job: Job, leg: Leg, keys: list[str], settings_keys: tuple[str, ...] = _JOB_SETTINGS) -> Shape:
    contexts = leg.contexts
    steps: list[tuple[int, str]] = []
    artifacts: list[str] = []
    for step in job.steps:
        runs = step_condition(step, contexts)
        if runs is False:
            continue
        uploads = (step.uses or "").lower().startswith("actions/upload-artifact")
        parts = [str(runs), render_text(step.run, contexts) if step.run else ""]
        parts += [f"{key}={_evaluated(step.node.get(key), contexts)}" for key in _STEP_SETTINGS]
        # An upload's name is compared as an artifact name, where no name is `artifact`.
        parts += [
            f"{key}={render_text(value, contexts)}"
            for key, value in step.with_.items()
            if not (uploads and key == "name")
        ]
        parts += [f"{key}={render_text(value, contexts)}" for key, value in step.env.items()]
        steps.append((step.index, "\n".join(parts)))
        if uploads:
            name = step.with_.get("name")
            artifacts.append(render_text(name, contexts) if name is not None else "artifact")
    settings = "\n".join(f"{key}={_evaluated(job.node.get(key), contexts)}" for key in settings_keys)
    return Shape(
        _key_values(leg, keys),
        leg.os,
        leg.arch,
        tuple(leg.runner),
        settings,
        tuple(steps),
        tuple(artifacts),
        check_name(job, leg) or _called_name(job, leg),
        leg.origin,
    )


def _called_name(job: Job, leg: Leg) -> str:
    """A called workflow's leg by the caller's part of its check name and the called job."""
    return f"{check_name(job, leg, caller=True) or ''} / {leg.origin}" if leg.origin else ""


def _evaluated(node: Any, contexts: dict[str, Any]) -> str:
    if node is None:
        return ""
    value = plain(node)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return render_text(text, contexts)


def new_legs(before: JobReport, after: JobReport) -> list[Leg]:
    """The legs of `after` that are none of `before`'s (matched by values and arch)."""
    keys = _keys(before)
    old = [(_key_values(leg, keys), leg.arch) for leg in before.legs]
    found: list[Leg] = []
    for leg in after.legs:
        mark = (_key_values(leg, keys), leg.arch)
        if mark in old:
            old.remove(mark)
        else:
            found.append(leg)
    return found


@dataclass(frozen=True, slots=True)
class StepGap:
    """A step that does not run on an added arm64 leg as it runs on that leg's amd64 twin."""

    step: Step  # as the fixed file has it
    line: int  # where the user's file has it
    what: str  # "skips", "runs", or the input that differs
    swaps: tuple[tuple[str, str], ...]  # (amd64 value, arm64 value) of what the fix changed
    leg: dict[str, Any] = field(default_factory=dict, compare=False)  # the new leg's matrix
    twin: dict[str, Any] = field(default_factory=dict, compare=False)  # its amd64 twin's


def twins(before: JobReport, after: JobReport) -> list[tuple[Leg, Leg]]:
    """Each leg the fix adds, with the amd64 leg it is the twin of (most values shared)."""
    old = [leg for leg in before.legs if leg.arch == AMD64]
    pairs: list[tuple[Leg, Leg]] = []
    for leg in new_legs(before, after):

        def likeness(item: Leg, leg: Leg = leg) -> tuple[bool, bool, int, int]:
            moved = [arm64_twin(label) for label in item.runner]
            mine, theirs = _flat(leg.matrix), _flat(item.matrix)
            # most values shared, then fewest values either has alone (`{rustc: stable}`
            # twins the entry without `extra_args`, not the one with it)
            return item.os == leg.os, moved == list(leg.runner), len(mine & theirs), -len(mine ^ theirs)

        twin = max(old, key=likeness, default=None)
        if twin is not None:
            pairs.append((leg, twin))
    return pairs


def _swaps(leg: Leg, twin: Leg) -> tuple[tuple[str, str], ...]:
    """The values that tell the twins apart (runner labels, the matrix values the fix gave
    its arm64 counterpart, the runner's arch): text that differs only by them is the same."""
    pairs = {(str(old), str(new)) for old, new in zip(twin.runner, leg.runner, strict=False) if old != new}
    theirs = dict(_leaves(twin.matrix))
    for path, new in _leaves(leg.matrix):
        old = theirs.get(path)
        if old is not None and old != new and not isinstance(old, bool) and not isinstance(new, bool):
            pairs.add((str(old), str(new)))
    pairs |= {("X64", "ARM64"), ("x64", "arm64")}
    return tuple(sorted(pairs, key=lambda pair: -len(pair[1])))


def _neutral(text: str, swaps: tuple[tuple[str, str], ...]) -> str:
    """The text with each value that tells the twins apart, on either side, made one mark."""
    for old, new in swaps:
        text = text.replace(new, "\0").replace(old, "\0")
    return text


def _inputs(step: Step, contexts: dict[str, Any] | None) -> dict[str, str]:
    """A step's run, with and env as the leg gets them (as written when `contexts` is None)."""

    def text(value: Any) -> str:
        return str(value) if contexts is None else render_text(value, contexts)

    found = {"run": text(step.run)} if step.run else {}
    found.update({f"with.{key}": text(value) for key, value in step.with_.items()})
    found.update({f"env.{key}": text(value) for key, value in step.env.items()})
    return found


def step_gaps(before: JobReport, after: JobReport) -> list[StepGap]:
    """The step-set invariant: an added arm64 leg runs the steps its amd64 twin runs, with the
    same matrix-derived inputs, apart from the values that are about the architecture itself
    (a cache key naming the runner). A step whose `if:` or input tests the arch
    (`runner.arch`) is the project's own choice and is not a gap."""
    found: dict[tuple[int, str], StepGap] = {}
    for leg, twin in twins(before, after):
        swaps = _swaps(leg, twin)
        for step, original in zip(after.job.steps, before.job.steps, strict=False):
            runs = step_condition(step, leg.contexts) is not False
            ran = step_condition(original, twin.contexts) is not False
            if runs != ran:
                if tests_arch(original):
                    continue
                what = "runs" if runs else "skips"
            elif not runs:
                continue
            else:
                new, old = _inputs(step, leg.contexts), _inputs(original, twin.contexts)
                # an input the fix edited (an artifact's name) is the leg invariant's to judge
                written = _inputs(step, None), _inputs(original, None)
                differs = [
                    key
                    for key in old
                    if written[0].get(key) == written[1][key]
                    and not _ARCH_TEST.search(written[1][key])
                    and _neutral(new.get(key, ""), swaps) != _neutral(old[key], swaps)
                ]
                if not differs:
                    continue
                what = f"gets another `{differs[0]}`"
            found.setdefault(
                (step.index, what), StepGap(step, original.line, what, swaps, leg.matrix, twin.matrix)
            )
    return [found[key] for key in sorted(found)]


_ARCH_TEST = re.compile(r"\brunner\.arch\b|\bmatrix\.[\w.-]*\barch\w*\b", re.IGNORECASE)


def tests_arch(step: Step) -> bool:
    return isinstance(step.if_, str) and _ARCH_TEST.search(step.if_) is not None


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """A matrix's scalar leaves with their paths (`.settings.target`)."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{path}.{key}")]
    if isinstance(value, (str, int, float)):
        return [(path, value)]
    return [(path, json.dumps(value, sort_keys=True, default=str))]


def _flat(value: Any) -> set[tuple[str, str]]:
    """The leaves as comparable pairs: twins share all but those about the arch."""
    return {(path, str(leaf)) for path, leaf in _leaves(value)}


def _keys(report: JobReport) -> list[str]:
    return list(dict.fromkeys(key for leg in report.legs for key in leg.matrix))


def _key_values(leg: Leg, keys: list[str]) -> str:
    return json.dumps({key: leg.matrix[key] for key in keys if key in leg.matrix}, sort_keys=True, default=str)


def changes(before: JobReport, after: JobReport, policy: Policy) -> list[Change]:
    """How `after` (the job once fixed) differs from `before` beyond new arm64 legs."""
    keys = _keys(before)
    # require_blocking asks the fix to drop continue-on-error, which the arm64 legs read
    settings = tuple(
        key for key in _JOB_SETTINGS if not (policy.require_blocking and key == "continue-on-error")
    )
    old = [shape(before.job, leg, keys, settings) for leg in before.legs]
    unmatched = [shape(after.job, leg, keys, settings) for leg in after.legs]
    found: list[Change] = []
    for item in old:
        if item in unmatched:
            unmatched.remove(item)
            continue
        twin = _closest(item, unmatched)
        if twin is None:
            found.append(Change("lost", f"drops the leg {item.matrix} on {_runner(item)}"))
            continue
        unmatched.remove(twin)
        found.extend(_differences(item, twin))
    names = {item.check_name for item in old}
    for item in unmatched:
        if item.arch != ARM64:
            found.append(
                Change(
                    "extra",
                    f"adds the {item.arch} leg {item.matrix} on {_runner(item)}, which is not an arm64 twin",
                )
            )
        elif item.check_name in names:
            found.append(Change("extra", f"gives an arm64 leg the existing check name `{item.check_name}`"))
    for leg in new_legs(before, after):
        named = [value for value in leaves(leg.matrix) if arm64_counterpart(value)]
        if leg.arch == ARM64 and named:
            found.append(Change("extra", f"gives an arm64 leg the amd64 value {named[0]}"))
    found += _new_errors(before, after)
    # A caller's matrix value runs every job of the called workflow: it is counted once.
    wanted = _units([(_matrix(leg), leg.origin) for leg in before.verdict.missing if judged(leg, policy)])
    # Legs whose work needs no arm64 twin (a lint leg a matrix crosses with the new runner
    # value) are extra runs, not wrong ones: the fix says so (fixes.py) and they are not counted.
    added = _units(
        [
            (_matrix(leg), leg.origin)
            for leg in new_legs(before, after)
            if leg.arch == ARM64 and judged(leg, policy)
        ]
    )
    if added > wanted:
        found.append(
            Change(
                "extra", f"adds {count(added, 'arm64 leg')} where {wanted} {verb(wanted, 'is', 'are')} missing"
            )
        )
    return found


def _closest(item: Shape, candidates: list[Shape]) -> Shape | None:
    """The new leg that is the old one, altered: same values of the old keys and arch."""
    for candidate in candidates:
        if candidate.matrix == item.matrix and candidate.arch == item.arch:
            return candidate
    return None


def _differences(old: Shape, new: Shape) -> list[Change]:
    found: list[Change] = []
    where = f"the leg {old.matrix}"
    if old.check_name != new.check_name:
        found.append(
            Change(
                RENAME,
                f"renames the check `{old.check_name}` to `{new.check_name}`",
                old.check_name,
                new.check_name,
            )
        )
    for name, label in (
        ("runner", "runner"),
        ("os", "OS"),
        ("settings", "job settings"),
        ("artifacts", "artifact names"),
    ):
        if getattr(old, name) != getattr(new, name):
            found.append(Change("leg", f"changes the {label} of {where}"))
    if old.steps != new.steps:
        indexes = sorted({index for index, _ in set(old.steps) ^ set(new.steps)})
        found.append(Change("leg", f"changes what step #{indexes[0] + 1} runs on {where}"))
    return found


def _new_errors(before: JobReport, after: JobReport) -> list[Change]:
    """The error findings the fixed job has that the job did not (but the gap it fixes)."""
    had = {(item.rule, item.message) for item in before.findings}
    return [
        Change("finding", f"adds the error {problem.rule}: {problem.message}")
        for problem in after.findings
        if problem.severity == ERROR
        and problem.rule not in _FIXED_RULES
        and (problem.rule, problem.message) not in had
    ]


def _matrix(leg: Leg) -> str:
    return json.dumps(leg.matrix, sort_keys=True, default=str)


def _units(legs: list[tuple[str, str]]) -> int:
    """How many legs (matrix, origin) are: a caller's combination counts once, whatever
    number of the called workflow's jobs it runs."""
    return sum(1 for _, origin in legs if not origin) + len({matrix for matrix, origin in legs if origin})


def _runner(item: Shape) -> str:
    return ", ".join(item.runner) or item.arch


def renames(found: list[Change]) -> dict[str, str]:
    return {item.old_name: item.new_name for item in found if item.kind == RENAME}


def blocking(found: list[Change]) -> list[Change]:
    """The changes no fix may make (anything but a check rename)."""
    return [item for item in found if item.kind != RENAME]


def platform_changes(before: JobReport, after: JobReport) -> list[Change]:
    """The invariant of an image fix (`fix_images: platforms`), which changes what the
    existing leg builds on purpose and so cannot keep `changes`: the job keeps its legs (no
    matrix value or runner added; the new legs are the emulated arm64 builds), its settings,
    and its steps in order. The only differences are platforms values that gained
    linux/arm64 (a build that had none gets its runner's platform and linux/arm64), and one
    step that sets up QEMU before the first of them. No error finding is new."""
    found: list[Change] = []

    def runs(report: JobReport) -> Counter[tuple[str, tuple[str, ...], str]]:
        return Counter((_matrix(leg), tuple(leg.runner), leg.arch) for leg in report.legs if not leg.emulated)

    old_runs, new_runs = runs(before), runs(after)
    found += [
        Change("lost", f"drops the leg {matrix} on {', '.join(runner)}")
        for matrix, runner, _ in old_runs - new_runs
    ]
    found += [
        Change("extra", f"adds the leg {matrix} on {', '.join(runner)}")
        for matrix, runner, _ in new_runs - old_runs
    ]
    if any(leg.arch != ARM64 for leg in after.legs if leg.emulated):
        found.append(Change("extra", "adds an emulated leg that is not arm64"))
    settings = {key: value for key, value in _plain_map(before.job.node).items() if key != "steps"}
    if settings != {key: value for key, value in _plain_map(after.job.node).items() if key != "steps"}:
        found.append(Change("leg", "changes the job's settings"))
    old = [_plain_map(step.node) for step in before.job.steps]
    new = [_plain_map(step.node) for step in after.job.steps]
    if len(new) == len(old) + 1:
        # the one added step: a QEMU set-up whose removal leaves the old steps in order
        qemu = [index for index, step in enumerate(new) if _action(step) == SETUP_QEMU]
        added = next((index for index in qemu if _aligned(old, new[:index] + new[index + 1 :])), None)
        if added is None:
            found.append(Change("leg", "adds a step that is not docker/setup-qemu-action"))
            return found
        del new[added]
    elif len(new) != len(old):
        found.append(Change("leg", f"changes the number of steps from {len(old)} to {len(new)}"))
        return found
    else:
        added = None
    widened = [index for index, (one, other) in enumerate(zip(old, new, strict=True)) if one != other]
    for index in widened:
        why = _widened_only(old[index], new[index])
        if why:
            found.append(Change("leg", f"changes step #{index + 1} beyond its platforms: {why}"))
    if not widened:
        found.append(Change("leg", "widens no build's platforms"))
    elif added is not None and added > widened[0]:
        found.append(Change("leg", "sets up QEMU after a build it widened"))
    found += _new_errors(before, after)
    return found


def _aligned(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    return len(old) == len(new) and all(
        one == other or not _widened_only(one, other) for one, other in zip(old, new, strict=True)
    )


def _plain_map(node: Any) -> dict[str, Any]:
    value = plain(node)
    return value if isinstance(value, dict) else {}


def _action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0].strip().lower()


def _widened_only(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Why two versions of a step differ by more than linux/arm64 in their platforms
    (`with.platforms`, a bake `*.platform=` in `with.set`); empty when they do not."""
    old_with, new_with = old.get("with") or {}, new.get("with") or {}
    if {key: value for key, value in old.items() if key != "with"} != {
        key: value for key, value in new.items() if key != "with"
    }:
        return "another key than with"
    keys = set(old_with) | set(new_with)
    for key in sorted(keys):
        before, after = old_with.get(key), new_with.get(key)
        if before == after:
            continue
        if key == "platforms":
            if before is None:
                widened = platform_items(str(after)) == [f"linux/{AMD64}", ARM64_PLATFORM]
            else:
                widened = _platforms(after) == [*_platforms(before), ARM64_PLATFORM]
        elif key == "set" and isinstance(before, str) and isinstance(after, str):
            old_lines, new_lines = before.splitlines(), after.splitlines()
            widened = len(old_lines) == len(new_lines) and all(
                one == other
                or [*platform_items("".join(bake_platforms(one))), ARM64_PLATFORM]
                == platform_items("".join(bake_platforms(other)))
                for one, other in zip(old_lines, new_lines, strict=True)
            )
        else:
            widened = False
        if not widened:
            return f"with.{key}"
    return ""


def _platforms(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return platform_items(str(value))
