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
from bot.core.legs import Leg
from bot.core.runners import ARM64
from bot.core.workflow import Job

RENAME = "rename"


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "rename", "leg", "lost", "extra"
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
    """The check GitHub shows for a leg: the job's `name` (or id) with expressions evaluated;
    a matrix leg whose name reads no matrix value gets the leg's values appended,
    `test (3.12, ubuntu-latest)`, in the matrix's order."""
    name = job.name if job.name is not None else job.id
    text = render_text(name, leg.contexts) if isinstance(name, str) else to_string(name)
    if not leg.matrix or (has_expression(name) and "matrix" in str(name)):
        return text
    values = ", ".join(_shown(value) for value in leg.matrix.values())
    return f"{text} ({values})"


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=False)
    return to_string(value)


def shape(job: Job, leg: Leg, keys: list[str]) -> Shape:
    contexts = leg.contexts
    steps: list[tuple[int, str]] = []
    artifacts: list[str] = []
    for step in job.steps:
        runs = step_condition(step, contexts)
        if runs is False:
            continue
        parts = [str(runs), render_text(step.run, contexts) if step.run else ""]
        parts += [f"{key}={render_text(value, contexts)}" for key, value in step.with_.items()]
        parts += [f"{key}={render_text(value, contexts)}" for key, value in step.env.items()]
        steps.append((step.index, "\n".join(parts)))
        if (step.uses or "").lower().startswith("actions/upload-artifact"):
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

