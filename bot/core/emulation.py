"""Which architectures a leg builds or tests for under emulation.

A job on an amd64 host reaches arm64 through QEMU, written in many ways:
- a platform list: the `platforms` input of any build action (docker, depot, buildah's
  `archs`), `docker|podman run|build --platform`;
- cibuildwheel's `CIBW_ARCHS*`, `uraimo/run-on-arch-action`;
- user-mode QEMU run directly (`qemu-aarch64-static ./test`) or by a test runner for a
  foreign target (`cross test --target aarch64-unknown-linux-gnu`, `cargo test --target …`
  with a QEMU runner).
binfmt registration (`tonistiigi/binfmt`, `multiarch/qemu-user-static`, setup-qemu-action)
only makes those work and targets nothing by itself. Every signal is evaluated with the
leg's own matrix and env, so `--platform linux/${{ matrix.arch }}` or `--platform
linux/$ARCH` targets one architecture per leg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from bot.core import records
from bot.core.expressions import (
    ExpressionError,
    evaluate_condition,
    has_expression,
    render_script,
    render_text,
)
from bot.core.lazyre import lazy
from bot.core.purpose import foreign_runs
from bot.core.records import field, record
from bot.core.runners import AMD64, ARM64, OTHER, arch_of_word, arches_named
from bot.core.shell import MAX_COMMAND_CHARS
from bot.core.targets import X86, kind_of
from bot.core.workflow import Job, Step

# The image actions whose inputs say which platforms an image is built for, and the ones that
# make such a build work on an amd64 host (fixes.py edits the first with the second).
BUILD_PUSH = "docker/build-push-action"
BAKE = "docker/bake-action"
SETUP_BUILDX = "docker/setup-buildx-action"
SETUP_QEMU = "docker/setup-qemu-action"
# setup-qemu-action's majors, each released beside setup-buildx-action's of the same number:
# a fix pins QEMU to the major of the file's buildx (one era of runtime), else the newest.
SETUP_QEMU_MAJORS = ("v1", "v2", "v3", "v4")
ARM64_PLATFORM = "linux/arm64"  # what an image fix adds to a build's platforms

_PLATFORM_FLAG = lazy(r"--platform[= ]+[\"']?([A-Za-z0-9_/,.\-]+)")
_CONTAINER_TOOL = lazy(r"\b(docker|podman|buildah|nerdctl)\b")
_CIBW_NATIVE = {"auto", "native", "auto64"}


@record()
class Targets:
    """Architectures a leg targets beyond its host, and whether it also runs natively."""

    arches: set[str] = field(default_factory=set)
    native: bool = False
    qemu: bool = False

    @property
    def any(self) -> bool:
        return bool(self.arches)


def action_name(step: Step) -> str:
    """`docker/build-push-action` for `uses: Docker/build-push-action@v6`."""
    return (step.uses or "").split("@", 1)[0].strip().lower()


def registers_qemu(step: Step) -> bool:
    """Whether a step sets QEMU up for foreign binaries (setup-qemu-action or binfmt)."""
    return action_name(step) == SETUP_QEMU or bool(step.run and _runs_binfmt(step.run))


@lru_cache(maxsize=4096)  # asked for every step of every leg
def _runs_binfmt(script: str) -> bool:
    lowered = script.lower()
    return any(word in lowered for word in _BINFMT)


# bake-action's `set:` overrides, one per line: `*.platform=linux/amd64,linux/arm64`.
BAKE_PLATFORM = lazy(r"^(\s*[\w*.-]+\.platform=)(.*?)\s*$", re.MULTILINE)


def bake_platforms(text: str) -> list[str]:
    """The platform lists a bake-action's `set:` gives its targets."""
    return [match.group(2) for match in BAKE_PLATFORM.finditer(text)]


_PLATFORM_SEPARATOR = lazy(r"[\s,]+")


def platform_items(text: str) -> list[str]:
    """`linux/amd64, linux/arm64` (or one a line) as its platforms."""
    return [item for item in _PLATFORM_SEPARATOR.split(text) if item]


def _add_platforms(targets: Targets, text: str) -> None:
    for item in platform_items(text):
        arch = arch_of_word(item)
        if arch is not None:
            targets.arches.add(arch)
        elif item.lower() == "all":
            targets.arches.update((AMD64, ARM64, OTHER))


# `tonistiigi/binfmt`, `multiarch/qemu-user-static`, `update-binfmts`
_BINFMT = ("binfmt", "qemu-user-static")
_QEMU_USER = lazy(r"\bqemu-([a-z0-9_]+?)(?:-static)?(?:\s|$)")
_QEMU_ARCH = {"aarch64": ARM64, "arm64": ARM64, "x86_64": AMD64}
_CROSS_HINT = lazy(r"--target|qemu-|\$\{\{")
_SHELL_NAME = lazy(r"\$\{?([A-Za-z_]\w*)")


def _may_set_platform(script: str, envs: tuple[Mapping[str, Any], ...]) -> bool:
    """Cheap pre-check before evaluating a script per leg: most scripts never name a platform.
    Those that may: a platform or target flag, a QEMU binary, or a shell variable whose env
    value depends on the leg (`QEMU_SYS=$XEMU` with `XEMU: ${{ matrix.xemu }}`)."""
    hinted, variables = _platform_hints(script)
    return hinted or any(has_expression(env.get(name)) for name in variables for env in envs)


@lru_cache(maxsize=4096)  # asked for every step of every leg
def _platform_hints(script: str) -> tuple[bool, tuple[str, ...]]:
    """Whether a script may name a platform by itself, else the shell variables it reads."""
    if "--platform" in script or _CROSS_HINT.search(script) is not None:
        return True, ()
    return False, tuple(_SHELL_NAME.findall(script))


def _add_script(found: Targets, script: str) -> None:
    found.arches.update(_script_arches(script))


_CONTAINER_WORDS = ("docker", "podman", "buildah", "nerdctl")


@lru_cache(maxsize=4096)
def _script_arches(script: str) -> frozenset[str]:
    """The architectures a rendered script names, read once per distinct script: every leg
    of a matrix renders most scripts to the same text, and the per-line reading was the
    largest cost of judging a large repository. Each pattern needs a literal (a tool's
    name, `qemu-`, `--target`) that a line cut to MAX_COMMAND_CHARS keeps, so a script
    without it skips that pattern on every line."""
    found = Targets()
    containers = any(word in script for word in _CONTAINER_WORDS)
    qemu = "qemu-" in script
    targets = "--target" in script
    if not (containers or qemu or targets):
        return frozenset()
    for whole in script.splitlines():
        line = whole[:MAX_COMMAND_CHARS]
        if containers and _CONTAINER_TOOL.search(line):
            for match in _PLATFORM_FLAG.finditer(line):
                _add_platforms(found, match.group(1))
        if qemu:
            for match in _QEMU_USER.finditer(line):
                if match.group(1) in ("system", "img", "user"):
                    continue
                found.arches.add(_QEMU_ARCH.get(match.group(1), OTHER))
        if targets:
            for target in foreign_runs(line):
                kind = kind_of(target)
                if kind in (AMD64, ARM64):
                    found.arches.add(kind)
                elif kind is not None and kind != X86:
                    found.arches.add(OTHER)
    return frozenset(found.arches)


def step_runs(step: Step, contexts: Mapping[str, Any]) -> bool:
    """False only when the step's `if:` is known to be false for this leg."""
    return step_condition(step, contexts) is not False


def step_condition(step: Step, contexts: Mapping[str, Any]) -> bool | None:
    """Whether the step runs on this leg; None when its `if:` depends on the run."""
    if step.if_ is None:
        return True
    try:
        result = evaluate_condition(step.if_, contexts)
    except ExpressionError:
        return None
    return result if isinstance(result, bool) else None


# `echo "TARGET_FLAGS=--target aarch64-…" >> $GITHUB_ENV`: a value later steps run with.
_ENV_WRITE = lazy(r"""\becho\s+["']?([A-Za-z_]\w*)=([^\n]*?)["']?\s*>>\s*["']?\$\{?GITHUB_ENV""")
_RUN_TIME_TARGET = lazy(r"--target\b|--platform\b|^cross$|\bqemu")


_SHELL_VARIABLE = lazy(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")
_ENV_EXPRESSION = lazy(r"\$\{\{\s*env\.([A-Za-z_]\w*)\s*\}\}")


def with_env_writes(
    job: Job, contexts: Mapping[str, Any], workflow_env: Mapping[str, Any], steps: list[Step]
) -> list[Step]:
    """The steps as they run after earlier steps wrote to $GITHUB_ENV: a value known for
    this leg (`echo "CARGO=cross" >> $GITHUB_ENV`, `TARGET_FLAGS=--target ${{ matrix.target }}`)
    is in every later step's env and in its `${{ env.NAME }}`; a step's own env still wins."""
    written: dict[str, str] = {}
    out: list[Step] = []
    for step in steps:
        if written:
            run = step.run
            if run and "env." in run:
                run = _ENV_EXPRESSION.sub(lambda m: written.get(m.group(1), m.group(0)), run)
            if run and "$" in run and not step.env.keys() & written.keys():
                run = _SHELL_VARIABLE.sub(lambda m: written.get(m.group(1) or m.group(2), m.group(0)), run)
            step = records.replace(step, run=run, env={**written, **step.env})
        out.append(step)
        if step.run and "GITHUB_ENV" in step.run:
            script = render_script(step.run, contexts, (step.env, job.env, workflow_env))
            for name, value in _ENV_WRITE.findall(script):
                value = value.strip()
                if "$" not in value and "${{" not in value:
                    written[name] = value
    return out


def target_set_at_run_time(
    job: Job, contexts: Mapping[str, Any], workflow_env: Mapping[str, Any], steps: list[Step]
) -> str | None:
    """Why a leg's target cannot be read from its workflow: a step that runs on it writes
    into $GITHUB_ENV a target or platform that depends on the run (`TARGET=--target $T`),
    which later steps take whatever the workflow's env says. Known values are read
    (`with_env_writes`)."""
    for step in steps:
        if not step.run or "GITHUB_ENV" not in step.run:
            continue
        script = render_script(step.run, contexts, (step.env, job.env, workflow_env))
        for name, value in _ENV_WRITE.findall(script):
            if "$" in value and _RUN_TIME_TARGET.search(value.strip()):
                return (
                    f"step '{step.name or step.index + 1}' sets {name}={value.strip()} "
                    "through $GITHUB_ENV, which decides what later steps build or test"
                )
    return None


def targets(
    job: Job, contexts: Mapping[str, Any], workflow_env: Mapping[str, Any], steps: list[Step]
) -> Targets:
    """`steps`: the job's steps that run on this leg."""
    found = Targets()
    uses_cibuildwheel = False
    images: list[str] = []  # containers a step runs in (`with: {container: bionic-arm64}`)
    for step in steps:
        uses = (step.uses or "").lower()
        for key in ("container", "image"):
            if isinstance(step.with_.get(key), str):
                images.append(render_text(step.with_[key], contexts))
        if registers_qemu(step):
            found.qemu = True
        elif "platforms" in step.with_ or "archs" in step.with_:
            platforms = step.with_.get("platforms", step.with_.get("archs"))
            _add_platforms(found, render_text(platforms, contexts))
        elif uses.startswith(BAKE) and isinstance(step.with_.get("set"), str):
            for platforms in bake_platforms(render_text(step.with_["set"], contexts)):
                _add_platforms(found, platforms)
        elif uses.startswith("uraimo/run-on-arch-action") or ("qemu" in uses and "arch" in step.with_):
            arch = arch_of_word(render_text(step.with_.get("arch"), contexts))
            if arch is not None:
                found.arches.add(arch)
            elif isinstance(step.with_.get("base_image"), str):
                # `arch: none` with `base_image: --platform=linux/s390x s390x/debian`: the
                # image's platform is the arch the commands run as
                for match in _PLATFORM_FLAG.finditer(render_text(step.with_["base_image"], contexts)):
                    _add_platforms(found, match.group(1))
        elif uses.startswith("pypa/cibuildwheel"):
            uses_cibuildwheel = True
        if step.run:
            if "cibuildwheel" in step.run:
                uses_cibuildwheel = True
            envs = (step.env, job.env, workflow_env)
            if not _may_set_platform(step.run, envs):
                continue
            _add_script(found, render_script(step.run, contexts, envs).replace("\\\n", " "))
    if found.qemu:
        # With binfmt registered, a container named for an arch runs as that arch.
        for image in images:
            named = arches_named(image)
            if len(named) == 1:
                found.arches |= named
    if uses_cibuildwheel:
        for env in (workflow_env, job.env, *(step.env for step in job.steps)):
            for key in ("CIBW_ARCHS", "CIBW_ARCHS_LINUX"):
                if key in env:
                    for word in render_text(env[key], contexts).split():
                        if word.lower() in _CIBW_NATIVE:
                            found.native = True
                        else:
                            _add_platforms(found, word)
    return found
