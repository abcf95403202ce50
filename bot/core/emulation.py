"""Which architectures a leg builds or tests for under emulation.

A job on an amd64 host reaches arm64 through QEMU: `docker/setup-qemu-action` plus a
platform list (`docker/build-push-action`'s `platforms`, `docker run|build --platform`),
cibuildwheel's `CIBW_ARCHS*`, or `uraimo/run-on-arch-action`. Every signal is evaluated
with the leg's own matrix, so `--platform linux/${{ matrix.arch }}` targets one
architecture per leg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.expressions import (
    ExpressionError,
    Unknown,
    evaluate_condition,
    evaluate_template,
    split_template,
    to_string,
)
from bot.core.runners import AMD64, ARM64, OTHER, arch_of_word
from bot.core.workflow import Job, Step

_PLATFORM_FLAG = re.compile(r"--platform[= ]+[\"']?([A-Za-z0-9_/,.\-]+)")
_CONTAINER_TOOL = re.compile(r"\b(docker|podman|buildah|nerdctl)\b")
_CIBW_NATIVE = {"auto", "native", "auto64"}


@dataclass(slots=True)
class Targets:
    """Architectures a leg targets beyond its host, and whether it also runs natively."""

    arches: set[str] = field(default_factory=set)
    native: bool = False
    qemu: bool = False

    @property
    def any(self) -> bool:
        return bool(self.arches)


def _text(value: Any, contexts: Mapping[str, Any]) -> str:
    """Evaluate a value's expressions; parts that stay unknown become '?'."""
    if not isinstance(value, str):
        return to_string(value) if value is not None else ""
    try:
        parts = split_template(value)
    except ExpressionError:
        return value
    out: list[str] = []
    for is_expr, text in parts:
        if not is_expr:
            out.append(text)
            continue
        try:
            result = evaluate_template("${{ " + text + " }}", contexts)
        except ExpressionError:
            result = Unknown("syntax")
        out.append("?" if isinstance(result, Unknown) else to_string(result))
    return "".join(out)


def _add_platforms(targets: Targets, text: str) -> None:
    for item in re.split(r"[\s,]+", text):
        arch = arch_of_word(item)
        if arch is not None:
            targets.arches.add(arch)
        elif item.lower() == "all":
            targets.arches.update((AMD64, ARM64, OTHER))


def _may_set_platform(script: str) -> bool:
    """Cheap pre-check before evaluating a script per leg: most scripts never name a platform."""
    return "--platform" in script or ("${{" in script and _CONTAINER_TOOL.search(script) is not None)


def step_runs(step: Step, contexts: Mapping[str, Any]) -> bool:
    """False only when the step's `if:` is known to be false for this leg."""
    try:
        result = evaluate_condition(step.if_, contexts)
    except ExpressionError:
        return True
    return result is not False


def targets(job: Job, contexts: Mapping[str, Any], workflow_env: Mapping[str, Any]) -> Targets:
    found = Targets()
    uses_cibuildwheel = False
    for step in job.steps:
        if not step_runs(step, contexts):
            continue
        uses = (step.uses or "").lower()
        if uses.startswith("docker/setup-qemu-action"):
            found.qemu = True
        elif uses.startswith(("docker/build-push-action", "docker/bake-action")):
            platforms = step.with_.get("platforms")
            if platforms is not None:
                _add_platforms(found, _text(platforms, contexts))
        elif uses.startswith("uraimo/run-on-arch-action"):
            arch = arch_of_word(_text(step.with_.get("arch"), contexts))
            if arch is not None:
                found.arches.add(arch)
        elif uses.startswith("pypa/cibuildwheel"):
            uses_cibuildwheel = True
        if step.run:
            if "cibuildwheel" in step.run:
                uses_cibuildwheel = True
            if not _may_set_platform(step.run):
                continue
            script = _text(step.run, contexts).replace("\\\n", " ")
            for line in script.splitlines():
                if _CONTAINER_TOOL.search(line):
                    for match in _PLATFORM_FLAG.finditer(line):
                        _add_platforms(found, match.group(1))
    if uses_cibuildwheel:
        for env in (workflow_env, job.env, *(step.env for step in job.steps)):
            for key in ("CIBW_ARCHS", "CIBW_ARCHS_LINUX"):
                if key in env:
                    for word in _text(env[key], contexts).split():
                        if word.lower() in _CIBW_NATIVE:
                            found.native = True
                        else:
                            _add_platforms(found, word)
    return found
