"""What a fix must not change: every leg a job had before keeps its matrix values, runner,
container, the steps that run on it (as evaluated for that leg), its check name and the names
of the artifacts it uploads; the only new legs are arm64 ones.

A fix is accepted only when `changes(before, after)` is empty, or holds nothing but check
renames (then it is shown as a patch that says so, never as a one-click suggestion).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core.analysis import JobReport
from bot.core.emulation import step_condition
from bot.core.expressions import has_expression, render_text, to_string
from bot.core.findings import ERROR
from bot.core.legs import Leg
from bot.core.runners import AMD64, ARM64, arm64_counterpart
from bot.core.workflow import Job, Step

RENAME = "rename"
_FIXED_RULES = ("missing-arm64-leg",)  # what a fix takes away; its wording changes with it


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
    container: str
    steps: tuple[tuple[int, str], ...]  # each step that may run, as evaluated for the leg
    artifacts: tuple[str, ...]
    check_name: str


def check_name(job: Job, leg: Leg) -> str:
    """The check GitHub shows for a leg: the job's `name` (or id), expressions evaluated.

    A matrix leg whose name has no expression gets its values appended, `test (3.12,
    ubuntu-latest)`: the dimensions' values in written order (keys an include adds are left
    out), or all of a standalone include entry's; objects show their scalar leaves. GitHub
    does not document this; it is what runner-compatible emulators do and users report."""
    name = job.name if job.name is not None else job.id
    if has_expression(name):
        return render_text(name, leg.contexts)
    text = to_string(name)
    if not leg.matrix:
        return text
    dimensions = matrix_dimensions(job)
    keys = dimensions if dimensions and all(key in leg.matrix for key in dimensions) else \
        list(leg.matrix)
    values = [leaf for key in keys for leaf in _leaves(leg.matrix.get(key))]
    return f"{text} ({', '.join(values)})"


def matrix_dimensions(job: Job) -> list[str]:
    matrix = job.matrix
    if not isinstance(matrix, dict):
        return []
    return [key for key in matrix if key not in ("include", "exclude")]


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    text = to_string(value) if value is not None else ""
    return [text] if text else []


def shape(job: Job, leg: Leg, keys: list[str]) -> Shape:
    contexts = leg.contexts
    steps: list[tuple[int, str]] = []
    artifacts: list[str] = []
    for step in job.steps:
        runs = step_condition(step, contexts)
        if runs is False:
            continue
        uploads = (step.uses or "").lower().startswith("actions/upload-artifact")
        parts = [str(runs), render_text(step.run, contexts) if step.run else ""]
        # An upload's name is compared as an artifact name, where no name is `artifact`.
        parts += [f"{key}={render_text(value, contexts)}" for key, value in step.with_.items()
                  if not (uploads and key == "name")]
        parts += [f"{key}={render_text(value, contexts)}" for key, value in step.env.items()]
        steps.append((step.index, "\n".join(parts)))
        if uploads:
            name = step.with_.get("name")
            artifacts.append(render_text(name, contexts) if name is not None else "artifact")
    container = render_text(_plain(job.container), contexts) if job.container else ""
    return Shape(_key_values(leg, keys), leg.os, leg.arch,
                 tuple(leg.runner), container, tuple(steps), tuple(artifacts),
                 check_name(job, leg))


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


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


def steps_left_out(before: JobReport, after: JobReport) -> list[Step]:
    """Steps that run on an amd64 leg but not on the arm64 leg the fix adds beside it
    (`if: matrix.os == 'ubuntu-latest'` when the fix changed `os`)."""
    old = [leg for leg in before.legs if leg.arch == AMD64]
    found: dict[int, Step] = {}
    for leg in new_legs(before, after):
        twin = max(old, key=lambda item: _shared(item.matrix, leg.matrix), default=None)
        if twin is None:
            continue
        for step in after.job.steps:
            if step_condition(step, leg.contexts) is False and \
                    step_condition(step, twin.contexts) is not False:
                found.setdefault(step.index, step)
    return [found[index] for index in sorted(found)]


def _shared(one: dict[str, Any], other: dict[str, Any]) -> int:
    return sum(1 for key, value in one.items() if other.get(key) == value)


def _keys(report: JobReport) -> list[str]:
    return list(dict.fromkeys(key for leg in report.legs for key in leg.matrix))


def _key_values(leg: Leg, keys: list[str]) -> str:
    return json.dumps({key: leg.matrix[key] for key in keys if key in leg.matrix},
                      sort_keys=True, default=str)


def changes(before: JobReport, after: JobReport) -> list[Change]:
    """How `after` (the job once fixed) differs from `before` beyond new arm64 legs."""
    keys = _keys(before)
    old = [shape(before.job, leg, keys) for leg in before.legs]
    unmatched = [shape(after.job, leg, keys) for leg in after.legs]
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
    for item in unmatched:
        if item.arch != ARM64:
            found.append(Change("extra", f"adds the {item.arch} leg {item.matrix} on "
                                         f"{_runner(item)}, which is not an arm64 twin"))
    for leg in new_legs(before, after):
        named = [value for value in _leaves(leg.matrix) if arm64_counterpart(value)]
        if leg.arch == ARM64 and named:
            found.append(Change("extra", f"gives an arm64 leg the amd64 value {named[0]}"))
    had = {(item.rule, item.message) for item in before.findings}
    for problem in after.findings:
        if problem.severity == ERROR and problem.rule not in _FIXED_RULES and \
                (problem.rule, problem.message) not in had:
            found.append(Change("finding", f"adds the error {problem.rule}: {problem.message}"))
    wanted = len(before.verdict.missing)
    added = len([item for item in unmatched if item.arch == ARM64])
    if added > wanted:
        found.append(Change("extra", f"adds {added} arm64 legs where "
                                     f"{wanted} {'is' if wanted == 1 else 'are'} missing"))
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
        found.append(Change(RENAME, f"renames the check `{old.check_name}` to "
                                    f"`{new.check_name}`", old.check_name, new.check_name))
    for field, label in (("runner", "runner"), ("os", "OS"), ("container", "container"),
                         ("artifacts", "artifact names"), ("steps", "steps that run")):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            found.append(Change("leg", f"changes the {label} of {where}: "
                                       f"{_brief(before)} -> {_brief(after)}"))
    return found


def _brief(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return f"{len(value)} steps"
    text = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text[:80]


def _runner(item: Shape) -> str:
    return ", ".join(item.runner) or item.arch


def renames(found: list[Change]) -> dict[str, str]:
    return {item.old_name: item.new_name for item in found if item.kind == RENAME}


def blocking(found: list[Change]) -> list[Change]:
    """The changes no fix may make (anything but a check rename)."""
    return [item for item in found if item.kind != RENAME]

