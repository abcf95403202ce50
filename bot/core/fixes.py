"""Fixes: the smallest edits that give a job an arm64 twin for every judged amd64 leg, and
change nothing that already runs.

Each strategy rewrites the file's text through an `Editor`; the analyzer checks the result.
A candidate counts only when the job comes out `parity`, `invariant.changes` finds every
existing leg unchanged (values, runner, container, steps, check name, artifact names), and
each new leg runs the steps its twin runs (`invariant.step_gaps`, after comparisons on a
changed value are widened); a candidate that only renames checks becomes a patch to apply by
hand. Of the rest, the smallest wins. The jobs of a file
are fixed one after another on the evolving text; the file's `Edit`s are then the line diff
between the original and the final text, so what a user sees is exactly what changes.

Strategies (README, "What a fix does"): twin values in the dimension runs-on reads, twin
objects in a matrix of objects, an `arch` dimension for a constant runs-on, twin include
entries for an include-only matrix, dropped excludes, include entries per missing leg. Then
names: a check or artifact name the new legs would share gets a suffix on those legs only.
Jobs that must run once (publish, deploy, outputs), and jobs no rule can read, are refused
before any strategy.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from bot.core import invariant, runners
from bot.core.analysis import JobReport, Progress, Report, WorkflowReport, analyze
from bot.core.config import IMAGES_PLATFORMS, Policy
from bot.core.edits import Edit, EditConflict, Editor, apply, unified_diff
from bot.core.emulation import (
    ARM64_PLATFORM,
    BAKE,
    BAKE_PLATFORM,
    BUILD_PUSH,
    SETUP_BUILDX,
    SETUP_QEMU,
    SETUP_QEMU_MAJORS,
    action_name,
    bake_platforms,
    platform_items,
    registers_qemu,
    step_condition,
)
from bot.core.expressions import has_expression, render_text, to_string
from bot.core.findings import NOTE, SEVERITIES, pushed_images, refusal
from bot.core.legs import Leg
from bot.core.names import check_name, dimensions
from bot.core.runners import AMD64, ARM64, arch_of_word
from bot.core.verdicts import AMD64_ONLY, PARITY, PARTIAL, judged
from bot.core.words import count, noun, verb
from bot.core.workflow import Job, Step, local_calls
from bot.core.yamlnodes import Map, Node, Scalar, Seq, plain, reads_as_string

if TYPE_CHECKING:
    from bot.core.delegates import Reader

FIXABLE = (AMD64_ONLY, PARTIAL)
ARCH_KEY = "arch"
_PLAIN_NEVER_STARTS = set("[]{}&*!|>%@`'\"#,?:- ")  # indicators YAML reads at a plain scalar's start
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./ +-]*$")


# What a fixed job gets, as the suggestion and fix's summary say it.
LEGS_SUGGESTS = "gets its arm64 legs"
IMAGES_SUGGESTS = "builds its images for linux/arm64 too"
IMAGES_FIXED = "builds its images for linux/arm64 too, in the same job (fix_images: platforms)"


class Unfixable(Exception):
    """Why a job gets an explanation instead of an edit."""


class Renames(Unfixable):
    """The only fix renames checks: shown as a patch to apply by hand, never as a suggestion."""

    def __init__(self, renamed: dict[str, str], patch: str) -> None:
        shown = ", ".join(f"`{old}` → `{new}`" for old, new in sorted(renamed.items()))
        super().__init__(f"this renames the checks {shown}; update branch protection")
        self.patch = patch


@dataclass(slots=True)
class JobFix:
    """The outcome for one job: fixed (its edits are in the file's plan) or why not."""

    job_id: str
    line: int
    status: str
    fixed: bool
    reason: str
    severity: str  # of the job's worst finding before the fix: whether it fails the run unfixed
    notes: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    patch: str = ""  # a fix that renames checks, to apply by hand
    suggests: str = LEGS_SUGGESTS  # what a suggestion of this fix does, after "job `x`"


@dataclass(slots=True)
class FilePlan:
    path: str
    source: str
    fixed_source: str
    jobs: list[JobFix] = field(default_factory=list)

    @property
    def edits(self) -> list[Edit]:
        return line_edits(self.source, self.fixed_source)

    @property
    def unfixed(self) -> list[JobFix]:
        return [job for job in self.jobs if not job.fixed]


def line_edits(before: str, after: str) -> list[Edit]:
    """The replaced line ranges that turn `before` into `after`; every edit replaces at
    least one existing line (an insertion carries the line above it), as a suggestion must."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        text = "".join(new[j1:j2])
        if i1 == i2:  # pure insertion: carry a neighbouring line
            if i1 > 0:
                i1, text = i1 - 1, old[i1 - 1] + text
            else:
                i2, text = 1, text + old[0]
        if edits and edits[-1].end >= i1:
            last = edits.pop()
            text = last.text + text
            i1 = last.start - 1
        edits.append(Edit(i1 + 1, i2, text))
    return edits


# ----------------------------------------------------------------------------- planning

Analyzer = Callable[[str, str], WorkflowReport]


def plan(
    files: Mapping[str, str],
    policy: Policy,
    today: date,
    report: Report | None = None,
    progress: Progress | None = None,
    read: Reader | None = None,
) -> list[FilePlan]:
    """A plan per file with a fixable or unfixable job; files without one are left out.
    `read` gives the repository's other files, as `analyze` takes them."""
    report = report or analyze(files, policy, today, read=read)
    plans: list[FilePlan] = []

    def reanalyze(path: str, text: str) -> WorkflowReport:
        # Only the file and what it calls: verdicts of one job don't depend on the rest
        # except through families, which an added arm64 leg cannot make worse.
        result = analyze({**_called(files, path, text), path: text}, policy, today, read=read)
        return next(wf for wf in result.workflows if wf.path == path)

    for done, workflow in enumerate(report.workflows, 1):
        if progress is not None:
            progress(done, len(report.workflows), workflow.path)
        targets = [job for job in workflow.jobs if job.status in FIXABLE]
        if not targets:
            continue
        source = files[workflow.path]
        text = source
        outcomes: list[JobFix] = []
        # Last job first: a job's edits stay inside it, so every job is read (and its
        # refusal names lines) where the user's file has it.
        for job in sorted(targets, key=lambda item: item.job.line, reverse=True):
            # the one judgement `check` reports with the gap (findings.refusal)
            refused = refusal(job.job, job.legs, job.verdict, policy.fix_images)
            if refused is not None:
                outcomes.append(_refused(job, refused))
                continue
            images = policy.fix_images == IMAGES_PLATFORMS and bool(pushed_images(job.legs))
            try:
                if images:
                    text, notes = _fix_images(workflow.path, text, job, policy, reanalyze)
                else:
                    text, notes = _fix_job(workflow.path, text, job.job.id, policy, reanalyze)
            except Renames as exc:
                outcomes.append(
                    JobFix(
                        job.job.id,
                        job.job.line,
                        job.status,
                        False,
                        str(exc),
                        _worst(job),
                        _arch_specific(job),
                        patch=_renaming_patch(workflow.path, source, job, policy, reanalyze) or exc.patch,
                    )
                )
                continue
            except Unfixable as exc:
                outcomes.append(_refused(job, str(exc)))
                continue
            outcomes.append(
                JobFix(
                    job.job.id,
                    job.job.line,
                    job.status,
                    True,
                    IMAGES_FIXED if images else "gives every amd64 leg an arm64 twin",
                    _worst(job),  # should the recheck find it unfixed after all
                    notes + _arch_specific(job, images),
                    suggests=IMAGES_SUGGESTS if images else LEGS_SUGGESTS,
                )
            )
        outcomes.sort(key=lambda outcome: outcome.line)
        file_plan = FilePlan(workflow.path, source, text, outcomes)
        _attribute(file_plan, workflow)
        plans.append(file_plan)
    _recheck(plans, files, policy, today, read)
    return plans


def _renaming_patch(path: str, source: str, job: JobReport, policy: Policy, reanalyze: Analyzer) -> str:
    """The renaming fix as a patch on the file as it is, without the other jobs' fixes
    (those are suggestions of their own, not yet committed when this one is applied)."""
    try:
        _fix_job(path, source, job.job.id, policy, reanalyze)
    except Renames as exc:
        return exc.patch
    except Unfixable:
        pass
    return ""


def _recheck(
    plans: list[FilePlan], files: Mapping[str, str], policy: Policy, today: date, read: Reader | None
) -> None:
    """Judge all fixed files together: a job calling a reusable workflow that was fixed in
    the same run now has its arm64 legs, and every fix must still hold in the full set."""
    fixed = {**files, **{item.path: item.fixed_source for item in plans}}
    final = analyze(fixed, policy, today, read=read)
    status = {(wf.path, job.job.id): job for wf in final.workflows for job in wf.jobs}
    for item in plans:
        for fix in item.jobs:
            after = status.get((item.path, fix.job_id))
            if after is None:
                continue
            if not fix.fixed and after.status == PARITY:
                fix.fixed = True
                fix.reason = "parity once the workflow it calls is fixed"
            elif fix.fixed and after.status != PARITY:
                fix.fixed = False
                fix.reason = f"still {after.status} with the other fixes: {after.verdict.reason}"


def _called(files: Mapping[str, str], path: str, text: str) -> dict[str, str]:
    """The local reusable workflows `text` calls (by file name), for re-analysis."""
    names = local_calls(text)
    return {
        other: content
        for other, content in files.items()
        if other != path and other.rsplit("/", 1)[-1] in names
    }


def _attribute(file_plan: FilePlan, workflow: WorkflowReport) -> None:
    """Hand each edit to the job whose lines it touches (edits outside any job: the first)."""
    starts = sorted((job.job.line, job.job.id) for job in workflow.jobs)
    by_id = {fix.job_id: fix for fix in file_plan.jobs}
    for edit in file_plan.edits:
        owner = next((job_id for line, job_id in reversed(starts) if line <= edit.start), "")
        fix = by_id.get(owner) or next((item for item in file_plan.jobs if item.fixed), None)
        if fix is not None:
            fix.edits.append(edit)


def apply_plans(plans: list[FilePlan]) -> dict[str, str]:
    """The fixed text of every file that changes."""
    return {item.path: apply(item.source, item.edits) for item in plans if item.fixed_source != item.source}


# ------------------------------------------------------------------------------ one job


def _job_report(workflow: WorkflowReport, job_id: str) -> JobReport:
    for job in workflow.jobs:
        if job.job.id == job_id:
            return job
    raise Unfixable("the edit made the job disappear")


def _fix_job(path: str, text: str, job_id: str, policy: Policy, reanalyze: Analyzer) -> tuple[str, list[str]]:
    """The fixed text of the file (smallest candidate that keeps every existing leg as it
    was), with notes for the user."""
    before = _job_report(reanalyze(path, text), job_id)
    if before.job.uses is not None and not before.runner_keys:
        # A caller whose matrix picks the called workflow's runner (`with: {runner: matrix.os}`)
        # is fixed here like any matrix; otherwise the runners are the called workflow's.
        raise Unfixable(f"its runners come from {before.job.uses}; fix that workflow instead")
    clean: list[tuple[bool, int, str, list[str]]] = []
    renaming: list[tuple[int, str, dict[str, str]]] = []
    reasons: list[str] = []
    for strategy in (
        _add_twin_values,
        _add_twin_objects,
        _add_arch_dimension,
        _twin_entries,
        _drop_excludes,
        _add_includes,
    ):
        notes: list[str] = []
        try:
            candidate = strategy(text, before, policy, notes)
            candidate = _finish(path, candidate, job_id, before, policy, reanalyze, notes)
        except (Unfixable, EditConflict) as exc:
            reasons.append(str(exc))
            continue
        after = _job_report(reanalyze(path, candidate), job_id)
        if after.status != PARITY:
            reasons.append(f"the edit leaves it {after.status}: {after.verdict.reason}")
            continue
        found = invariant.changes(before, after, policy)
        refused = invariant.blocking(found)
        if refused:
            reasons.append(f"the edit {refused[0].text}")
            continue
        size = sum(edit.size for edit in line_edits(text, candidate))
        if found:
            renaming.append((size, candidate, invariant.renames(found)))
            continue
        lacking = _pythons_without_arm64(before, after)
        if lacking:
            reasons.append(
                f"the edit adds arm64 legs on Python {', '.join(lacking)}, which "
                "actions/setup-python has no Linux arm64 build of"
            )
            continue
        try:
            candidate, after = _align_steps(path, candidate, job_id, before, after, policy, reanalyze, notes)
            added = [leg for leg, _ in invariant.twins(before, after)]
            _refuse_x86_artefacts(before, after, added)
            _refuse_alpine_actions(before, after, added)
        except Unfixable as exc:
            reasons.append(str(exc))
            continue
        new = invariant.new_legs(before, after)
        extra = [leg for leg in new if leg.arch == ARM64 and not judged(leg, policy)]
        if extra:
            kinds = ", ".join(sorted({leg.purpose.name for leg in extra}))
            notes.append(
                f"also adds {count(len(extra), 'arm64 leg')} whose work needs none ({kinds}): the matrix "
                "crosses them with the new runner value"
            )
        # an edit that adds only the legs missing beats a smaller one that adds others too
        clean.append(
            (bool(extra), sum(edit.size for edit in line_edits(text, candidate)), candidate, _merged(notes))
        )
    if clean:
        *_, best, notes = min(clean, key=lambda item: item[:2])
        return best, notes
    if renaming:
        _, best, renamed = min(renaming, key=lambda item: item[0])
        raise Renames(renamed, unified_diff(path, text, best))
    raise Unfixable(_best_reason(reasons))


def _align_steps(
    path: str,
    text: str,
    job_id: str,
    before: JobReport,
    after: JobReport,
    policy: Policy,
    reanalyze: Analyzer,
    notes: list[str],
) -> tuple[str, JobReport]:
    """The step-set invariant (invariant.step_gaps): a step the new legs would skip or run
    unlike their twins because its `if:` compares a value the fix changed gets that value's
    arm64 counterpart in the comparison, when that leaves the condition exactly as it was on
    every existing leg (the leg invariant re-checks it); any other gap refuses the edit."""
    gaps = invariant.step_gaps(before, after)
    if not gaps:
        return text, after
    editor = Editor(text)
    widened: list[str] = []
    for gap in gaps:
        node = _gap_node(gap)
        value = node.value if isinstance(node, Scalar) else None
        rewritten = _widened(value, gap.swaps) if isinstance(value, str) else None
        if not isinstance(node, Scalar) or rewritten is None or rewritten == value:
            decides = "its `if:`" if gap.what in ("runs", "skips") else f"its `{gap.what.split('`')[1]}`"
            raise Unfixable(
                f"the arm64 leg {_shown(gap.leg)} would {_gap_text(gap)}, unlike its amd64 twin "
                f"{_shown(gap.twin)}: {decides} is not a comparison the fix can widen to hold for both "
                "(it rewrites `matrix.KEY == 'value'` tests of the values it changed)"
            )
        _rewrite_scalar(editor, node, rewritten)
        widened.append(f"'{_step_title(gap.step)}' (line {gap.line})")
    fixed = apply(text, editor.edits())
    report = _job_report(reanalyze(path, fixed), job_id)
    refused = invariant.blocking(invariant.changes(before, report, policy))
    left = invariant.step_gaps(before, report)
    if report.status != PARITY or refused or left:
        why = (
            f"they would still {_gap_text(left[0])}"
            if left
            else f"the edit {refused[0].text}"
            if refused
            else ""
        )
        raise Unfixable(
            f"the arm64 legs would {_gap_text(gaps[0])}, unlike their amd64 twins; widening its comparisons "
            f"does not align them{': ' + why if why else ''}"
        )
    notes.append(
        f"widens the comparisons in {noun(len(widened), 'step')} {', '.join(widened)} to the arm64 legs, "
        "which would otherwise run differently from their amd64 twins; each reads as before on every old leg"
    )
    return fixed, report


_ASSIGNED = re.compile(r"(?:^|[\s;])([A-Za-z_]\w*)=[\"']?([^\s\"';]+)")
# A download in a step: a URL, or a package or archive named on the command line.
_ARTEFACT = re.compile(
    r"https?://[^\s'\"<>)]+|[^\s'\"/=]+\.(?:deb|rpm|apk|tar\.gz|tgz|tar\.xz|tar\.bz2|zip|AppImage)\b"
)


# An apt source on Ubuntu's primary archive (a country mirror too): it carries amd64 and
# i386 packages only; arm64 packages are on ports.ubuntu.com.
_X86_ARCHIVE = re.compile(
    r"\bdeb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(https?://(?:[\w-]+\.)*(?:archive|security)\.ubuntu\.com/ubuntu)\b"
)


def _refuse_alpine_actions(before: JobReport, after: JobReport, added: list[Leg]) -> None:
    """GitHub's runner runs JavaScript actions inside an Alpine (musl) job container on x64
    only ("JavaScript Actions in Alpine containers are only supported on x64 Linux runners",
    actions/runner#801): such a leg fails at its first action on an arm64 runner."""
    container = after.job.container
    image = container.get("image") if isinstance(container, dict) else container
    for leg in added:
        shown = render_text(image, leg.contexts) if isinstance(image, str) else ""
        if not _ALPINE.search(shown):
            continue
        for step, original in zip(after.job.steps, before.job.steps, strict=False):
            uses = step.uses or ""
            if uses and not uses.startswith("docker://") and step_condition(step, leg.contexts) is not False:
                raise Unfixable(
                    f"the arm64 legs would run {uses} (line {original.line}) in the Alpine container {shown}: "
                    "GitHub's runner runs JavaScript actions (most actions, and those composite ones "
                    "use) in Alpine containers on x64 only; build arm64 with `docker run` of that "
                    "image on the host instead"
                )


_ALPINE = re.compile(r"(?:^|[/:_.-])alpine(?:$|[:_.\d-])", re.IGNORECASE)


def _refuse_x86_artefacts(before: JobReport, after: JobReport, added: list[Leg]) -> None:
    """A fix stands on its own: no new leg runs a step that fetches an x86-64 build of
    something (`cross-x86_64-unknown-linux-musl.tar.gz`, an amd64 .deb), whatever the
    judgement made of the job; a step the project gates on the arch is its own choice."""
    for leg in added:
        for step, original in zip(after.job.steps, before.job.steps, strict=False):
            if step_condition(step, leg.contexts) is False or invariant.tests_arch(step):
                continue
            texts = [render_text(text, leg.contexts) for text in (step.run, *step.with_.values()) if text]
            texts += [f"{name}={render_text(value, leg.contexts)}" for name, value in step.env.items()]
            # `TARGET="x86_64-unknown-linux-musl"` then `…/grcov-${TARGET}.tar.bz2`, unless
            # another branch gives the name an arm64 value (the script follows the arch)
            assigned = [pair for text in texts for pair in _ASSIGNED.findall(text)]
            arm64_names = {name for name, value in assigned if runners.ARM64 in runners.arches_named(value)}
            amd64_names = {name for name, value in assigned if runners.names_amd64(value)} - arm64_names
            for text in texts:
                archive = _X86_ARCHIVE.search(text)
                if archive is not None:
                    raise Unfixable(
                        f"step '{_step_title(step)}' (line {original.line}) adds {archive.group(1)} to apt's "
                        "sources, which has no arm64 packages; make it follow the arch first (arm64 "
                        "packages are on http://ports.ubuntu.com/ubuntu-ports)"
                    )
                for artefact in _ARTEFACT.findall(text):
                    if runners.names_amd64(artefact) or any(
                        f"${name}" in artefact or f"${{{name}}}" in artefact for name in amd64_names
                    ):
                        raise Unfixable(
                            f"step '{_step_title(step)}' (line {original.line}) fetches an x86-64 build "
                            f"({artefact[-80:]}), which the arm64 legs cannot run; make it follow the arch "
                            "(`${{ runner.arch }}`) first"
                        )


def _gap_node(gap: invariant.StepGap) -> Node | None:
    """What decides a gap: the step's `if:`, or the input that differs (`with.flags`)."""
    path = (
        ["if"]
        if gap.what in ("runs", "skips")
        else gap.what.removeprefix("gets another ").strip("`").split(".", 1)
    )
    node: Node | None = gap.step.node
    for key in path:
        entry = node.entries.get(key) if isinstance(node, Map) else None
        node = entry[1] if entry is not None else None
    return node


def _shown(matrix: dict[str, object]) -> str:
    """A leg's matrix as a maintainer finds it in the file: `{os: ubuntu-24.04, python: 3.13}`."""
    shown = ", ".join(f"{key}: {' '.join(to_string(value).split())[:40]}" for key, value in matrix.items())
    return "{" + shown + "}"


def _gap_text(gap: invariant.StepGap) -> str:
    verb = {"runs": "run", "skips": "skip"}.get(gap.what)
    title = f"step '{_step_title(gap.step)}' (line {gap.line})"
    if verb:
        return f"{verb} {title}"
    return f"give {title} another {gap.what.removeprefix('gets another ')}"


_COMPARED = re.compile(
    r"(?P<ref>\b(?:matrix|inputs)\.[\w.-]+)\s*(?P<op>==|!=)\s*'(?P<value>(?:[^']|'')*)'"
    r"|'(?P<value2>(?:[^']|'')*)'\s*(?P<op2>==|!=)\s*(?P<ref2>\b(?:matrix|inputs)\.[\w.-]+)"
)


def _widened(condition: str, swaps: tuple[tuple[str, str], ...]) -> str:
    """`matrix.os == 'ubuntu-latest'` as `(matrix.os == 'ubuntu-latest' || matrix.os ==
    'ubuntu-24.04-arm')` (and `!=` with `&&`) for each value the fix gave a counterpart."""
    counterparts = dict(swaps)

    def widen(match: re.Match[str]) -> str:
        ref = match.group("ref") or match.group("ref2")
        op = match.group("op") or match.group("op2")
        value = (match.group("value") if match.group("ref") else match.group("value2")).replace("''", "'")
        other = counterparts.get(value)
        if other is None:
            return match.group(0)
        join = " || " if op == "==" else " && "
        return f"({ref} {op} {_quote_expr(value)}{join}{ref} {op} {_quote_expr(other)})"

    return _COMPARED.sub(widen, condition)


def _pythons_without_arm64(before: JobReport, after: JobReport) -> list[str]:
    """The Pythons the new Linux legs would ask setup-python for that it has no arm64 build of."""
    found: set[str] = set()
    for leg in invariant.new_legs(before, after):
        if leg.os != runners.LINUX:
            continue
        for step in after.job.steps:
            # only where the step runs: `if: matrix.language == 'python'`
            if (step.uses or "").startswith("actions/setup-python") and step_condition(
                step, leg.contexts
            ) is not False:
                version = render_text(step.with_.get("python-version"), leg.contexts)
                found.update(runners.pythons_without_linux_arm64(version))
    return sorted(found)


def _step_title(step: Step) -> str:
    text = (step.name or step.uses or step.run or "").strip()
    return (text.splitlines() or [""])[0][:50]


def _best_reason(reasons: list[str]) -> str:
    # The first strategy that applied explains best; "not applicable" reasons come last.
    specific = [reason for reason in reasons if not reason.startswith("n/a")]
    return (specific or reasons or ["no strategy applies"])[0].removeprefix("n/a: ")


def _finish(
    path: str, text: str, job_id: str, before: JobReport, policy: Policy, reanalyze: Analyzer, notes: list[str]
) -> str:
    """After the legs exist: blocking, then names that tell the new legs apart while the
    existing legs keep theirs byte for byte. Every edit beyond the legs is said in `notes`."""
    report = _job_report(reanalyze(path, text), job_id)
    editor = Editor(text)  # one pass of edits on the candidate, each on its own lines
    if policy.require_blocking and _drop_continue_on_error(editor, report):
        notes.append("removes continue-on-error: the config's require_blocking asks arm64 legs to fail the run")
    if _without_fail_fast(editor, report):
        notes.append(
            "adds `fail-fast: false`, so a failing arm64 leg cannot cancel the amd64 legs "
            "(GitHub's default cancels the rest of the matrix)"
        )
    condition = _new_leg_condition(before, report)
    _keep_check_names(editor, before, report, condition)
    _keep_artifact_names(editor, report, condition)
    return apply(text, editor.edits())


# ------------------------------------------------------------------------ image platforms

_SHA = re.compile(r"^[0-9a-f]{40}$")
_EXACT = re.compile(r"^v?\d+\.\d+")
_DOCKER_REF = re.compile(r"""\buses:\s*["']?(docker/[\w.-]+)@([\w.\-/]+)""")


def _fix_images(
    path: str, text: str, job: JobReport, policy: Policy, reanalyze: Analyzer
) -> tuple[str, list[str]]:
    """`fix_images: platforms`: a job that pushes the images it builds gets linux/arm64 in
    its builds' platforms (and QEMU before them), never a second pushing leg. Accepted only
    when the job comes out parity and `invariant.platform_changes` finds nothing beyond that
    edit: no leg added but the emulated arm64 ones, no step removed or moved."""
    before = _job_report(reanalyze(path, text), job.job.id)
    notes: list[str] = []
    # steps as the user's file has them: `text` may hold other jobs' fixes above this one
    where = {step.index: f"step '{_step_title(step)}' (line {step.line})" for step in job.job.steps}
    try:
        candidate = _widen_platforms(text, before, where, notes)
    except EditConflict as exc:
        raise Unfixable(f"the edit changes a line twice ({exc})") from None
    after = _job_report(reanalyze(path, candidate), job.job.id)
    if after.status != PARITY:
        if not policy.allow_emulated:
            raise Unfixable(
                "its arm64 image would be built under QEMU, which allow_emulated: false does not count; "
                "build it on native arm64 runners and merge the digests in one job"
            )
        raise Unfixable(f"with linux/arm64 in its platforms it is still {after.status}: {after.verdict.reason}")
    found = invariant.platform_changes(before, after)
    if found:
        raise Unfixable(f"the edit {found[0].text}")
    return candidate, notes


def _widen_platforms(text: str, report: JobReport, where: dict[int, str], notes: list[str]) -> str:
    """Each step that pushes an image gets linux/arm64 in its platforms, written in the
    value's own style (`linux/amd64` -> `linux/amd64,linux/arm64`, a line more in a block);
    a build without platforms builds the runner's, so it gets `linux/amd64,linux/arm64`.
    QEMU is set up before docker/setup-buildx-action, unless something registers it already."""
    job = report.job
    hosts = {leg.arch for leg in report.legs if not leg.emulated}
    if hosts != {AMD64}:
        raise Unfixable(
            f"it runs on {', '.join(sorted(hosts))} runners; the engine widens image builds on amd64 ones only"
        )
    by_line = {step.line: step for step in job.steps}
    builds: list[Step] = []
    for pushed in pushed_images(report.legs):
        step = by_line.get(pushed.line)
        action = action_name(step) if step is not None else ""
        if step is None or action not in (BUILD_PUSH, BAKE):
            named = where[step.index] if step is not None else pushed.where
            how = f"runs {action}" if action else "pushes from a script"
            raise Unfixable(
                f"{named} {how} ({pushed.what}), which the engine does not edit: give it "
                f"linux/arm64 there (and set up QEMU), or build with {BUILD_PUSH}"
            )
        if step not in builds:
            builds.append(step)
    editor = Editor(text)
    widened: list[str] = []
    for step in builds:
        if _load(step):
            raise Unfixable(
                f"{where[step.index]} loads the image into docker (load: true), "
                "which cannot hold a multi-platform image"
            )
        edit = _widen_bake if action_name(step) == BAKE else _widen_build
        had = action_name(step) == BAKE or _platforms_node(step) is not None
        if edit(editor, step, where[step.index]):
            widened.append(
                where[step.index] + ("" if had else f" (it had none: it built the runner's linux/{AMD64})")
            )
    first = min(builds, key=lambda step: step.index)
    buildx = [step for step in job.steps if step.index < first.index and action_name(step) == SETUP_BUILDX]
    if not buildx:
        raise Unfixable(
            f"no {SETUP_BUILDX} runs before {where[first.index]}: docker's own "
            f"driver builds one platform; set up buildx first"
        )
    for step in buildx:
        # `platforms:` of setup-buildx-action fixes what the builder offers
        if _platforms_node(step) is not None and _widen_build(editor, step, where[step.index], insert=False):
            widened.append(where[step.index])
    qemu = ""
    if not any(registers_qemu(step) for step in job.steps if step.index < first.index):
        qemu = _insert_qemu(editor, text, buildx[-1], where[buildx[-1].index])
    if not widened:
        raise Unfixable("every build that pushes already names linux/arm64; something else keeps it amd64-only")
    steps = ", ".join(widened)
    added = f", after a new {qemu} step" if qemu else ""
    notes.append(
        f"the existing job now also builds linux/arm64 under QEMU: {steps} "
        f"{verb(len(widened), 'gains', 'gain')} linux/arm64 in {verb(len(widened), 'its', 'their')} "
        f"platforms{added}; {verb(len(builds), 'it pushes', 'each pushes')} one multi-arch manifest "
        "under the same tags as before, and the emulated arm64 build is several times slower than the amd64 one"
    )
    return apply(text, editor.edits())


def _load(step: Step) -> bool:
    value = step.with_.get("load")
    return isinstance(value, (str, bool)) and str(value).strip().lower() == "true"


def _with_node(step: Step) -> Map | None:
    node = step.node.get("with")
    return node if isinstance(node, Map) else None


def _platforms_node(step: Step) -> Node | None:
    node = _with_node(step)
    return node.get("platforms") if node is not None else None


def _refuse_expression(where: str, value: str, what: str) -> None:
    if not has_expression(value):
        return
    source = "the matrix" if "matrix." in value else "an expression"
    raise Unfixable(
        f"{where} takes its {what} from {source} ({value.strip()[:60]}), "
        "which the engine does not edit: add linux/arm64 where that value is set"
    )


def _widen_build(editor: Editor, step: Step, where: str, insert: bool = True) -> bool:
    """linux/arm64 into a step's `platforms` input (inserted, with the runner's own
    platform, when `insert` and it has none); whether anything changed."""
    node = _platforms_node(step)
    if node is None:
        if not insert:
            return False
        _insert_input(editor, step, where, "platforms", f"linux/{AMD64},{ARM64_PLATFORM}")
        return True
    if isinstance(node, Seq):
        raise Unfixable(f"the platforms of {where} are a YAML list, which GitHub does not take as an input")
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        raise Unfixable(f"the platforms of {where} are not text")
    _refuse_expression(where, node.value, "platforms")
    if ARM64 in {arch_of_word(item) for item in platform_items(node.value)}:
        return False
    _append_platform(editor, node, where)
    return True


def _append_platform(editor: Editor, node: Scalar, where: str) -> None:
    """`linux/amd64` -> `linux/amd64,linux/arm64` (`, ` when the list is written so), or
    one line more in a literal block scalar (one platform a line)."""
    value = str(node.value)
    if node.line == node.end_line:
        separator = ", " if ", " in value else ","
        _rewrite_scalar(editor, node, value.rstrip(", ") + separator + ARM64_PLATFORM)
        return
    if editor.line(node.line)[node.col - 1 : node.col] != "|":
        raise Unfixable(f"the platforms of {where} span several lines in a form the engine does not edit")
    last = _last_line(node, editor)
    editor.insert_after(last, [" " * editor.indent_of(node.line + 1) + ARM64_PLATFORM])


def _widen_bake(editor: Editor, step: Step, where: str) -> bool:
    """bake-action: each `<target>.platform=` override in its `set:` gains linux/arm64.
    Without one, the platforms are the bake file's, which the engine does not read."""
    with_node = _with_node(step)
    node = with_node.get("set") if with_node is not None else None
    value = node.value if isinstance(node, Scalar) else None
    if not isinstance(value, str) or not bake_platforms(value):
        raise Unfixable(
            f"{where} takes its platforms from the bake file: add "
            f"linux/arm64 there, or a `*.platform=` line to its `set:`"
        )
    assert isinstance(node, Scalar)
    for platforms in bake_platforms(value):
        _refuse_expression(where, platforms, "platforms")
    if all(ARM64 in {arch_of_word(item) for item in platform_items(found)} for found in bake_platforms(value)):
        return False

    def widen(match: re.Match[str]) -> str:
        found = match.group(2)
        if ARM64 in {arch_of_word(item) for item in platform_items(found)}:
            return match.group(0)
        return match.group(1) + found.rstrip(", ") + ("," if found.strip() else "") + ARM64_PLATFORM

    if node.line == node.end_line:
        _rewrite_scalar(editor, node, BAKE_PLATFORM.sub(widen, value))
        return True
    if editor.line(node.line)[node.col - 1 : node.col] != "|":
        raise Unfixable(f"the set: of {where} spans several lines in a form the engine does not edit")
    for number in range(node.line + 1, _last_line(node, editor) + 1):
        line = editor.line(number).rstrip("\n")
        rewritten = BAKE_PLATFORM.sub(widen, line)
        if rewritten != line:
            editor.rewrite(number, rewritten)
    return True


def _insert_input(editor: Editor, step: Step, where: str, key: str, value: str) -> None:
    """A `with:` input added after the step's last one (a `with:` block made when it has none)."""
    with_node = _with_node(step)
    if with_node is None:
        if "with" in step.node.entries or step.node.flow:
            raise Unfixable(f"the inputs of {where} are not a block mapping")
        indent = " " * (step.node.col - 1)
        editor.insert_after(_last_line(step.node, editor), [f"{indent}with:", f"{indent}  {key}: {value}"])
        return
    if with_node.flow or not with_node.entries:
        raise Unfixable(f"the inputs of {where} are not a block mapping")
    first = next(iter(with_node.entries.values()))[0]
    editor.insert_after(_last_line(with_node, editor), [" " * (first.col - 1) + f"{key}: {value}"])


def _insert_qemu(editor: Editor, text: str, before: Step, where: str) -> str:
    """A docker/setup-qemu-action step just above `before` (and the comments over it), in its
    shape (`- name:` then `uses:`, or `- uses:`); the `uses:` it wrote."""
    uses = f"{SETUP_QEMU}@{_qemu_ref(text, before, where)}"
    prefix = editor.line(before.line)[: before.node.col - 1]
    if before.node.flow or "-" not in prefix:
        raise Unfixable(f"{where} is not written in a form the engine inserts a step before")
    indent = " " * len(prefix)
    lines = (
        [f"{prefix}name: Set up QEMU", f"{indent}uses: {uses}"]
        if "name" in before.node.entries
        else [f"{prefix}uses: {uses}"]
    )
    anchor = before.line - 1
    while anchor > 1 and editor.line(anchor).lstrip().startswith("#"):
        anchor -= 1
    if not editor.line(anchor).strip():
        lines.append("")  # steps set apart by blank lines stay so
    editor.insert_after(anchor, lines)
    return uses


def _qemu_ref(text: str, buildx: Step, where: str) -> str:
    """setup-qemu-action's ref, pinned as the file pins its docker actions: a major tag
    (buildx's, when setup-qemu-action has it). A file that pins them to a commit or an exact
    release is refused: the engine cannot know which one to trust."""
    for name, ref in _DOCKER_REF.findall(text):
        how = "a commit" if _SHA.match(ref) else "an exact release" if _EXACT.match(ref) else None
        if how is not None:
            raise Unfixable(
                f"the file pins its docker actions to {how} ({name}@{ref[:12]}): add {SETUP_QEMU} pinned "
                f"the same way before {where}, then fix again"
            )
    ref = (buildx.uses or "").partition("@")[2]
    return ref if ref in SETUP_QEMU_MAJORS else SETUP_QEMU_MAJORS[-1]


# --------------------------------------------------------------------------- strategies


def _arm64_runner(label: str, policy: Policy, notes: list[str]) -> str:
    if policy.arm64_runner:
        return policy.arm64_runner
    twin = runners.arm64_twin(label)
    if twin is None:
        raise Unfixable(
            f"no known arm64 counterpart of runner '{label}': set arm64_runner in .github/parity.yml"
        )
    entry = runners.HOSTED.get(label.lower())
    if entry is not None and entry.retired is not None:
        notes.append(
            f"{label} was retired on {entry.retired.isoformat()}; the arm64 leg uses "
            f"{twin}, and the amd64 leg should move off {label} too"
        )
    return twin


def _twin_value(value: object, policy: Policy, notes: list[str]) -> str:
    """What a runner-choosing matrix value becomes on the arm64 leg."""
    if not isinstance(value, str):
        raise Unfixable(f"n/a: the runner is chosen by the non-text matrix value {value!r}")
    word = runners.arm64_word(value)
    if word is not None:
        return word
    return _arm64_runner(value, policy, notes)


def _matrix_node(job: Job) -> Map | None:
    strategy = job.node.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, Map) else None
    return matrix if isinstance(matrix, Map) else None


def _missing_amd64(report: JobReport, policy: Policy) -> list[dict[str, object]]:
    return [leg.matrix for leg in report.verdict.missing if judged(leg, policy)]


def _add_twin_values(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """runs-on reads `matrix.K` and K is a dimension: append the twins of amd64 values."""
    matrix = _matrix_node(report.job)
    keys = [
        key for key in sorted(report.runner_keys) if matrix is not None and isinstance(matrix.get(key), Seq)
    ]
    if not keys:
        raise Unfixable("n/a: no matrix dimension picks the runner")
    editor = Editor(text)
    for key in keys:
        seq = matrix.get(key) if matrix is not None else None
        assert isinstance(seq, Seq)
        present = [item.value for item in seq.items if isinstance(item, Scalar)]
        additions: list[str] = []
        for combo in _missing_amd64(report, policy):
            twin = _twin_value(combo.get(key), policy, notes)
            if twin not in present and twin not in additions:
                additions.append(twin)
        if additions:
            _append_items(editor, seq, additions)
    if not editor.edits():
        raise Unfixable("n/a: the twins are already in the matrix")
    return apply(text, editor.edits())


def _add_arch_dimension(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """A constant runs-on: add `arch: [amd64, arm64]` and choose the runner from it."""
    job = report.job
    matrix = _matrix_node(job)
    if matrix is not None and _include_only(matrix):
        # A new dimension would merge every include entry into both of its values.
        raise Unfixable("n/a: an include-only matrix gets twin entries, not a dimension")
    editor = Editor(text)
    key_node, last = _runs_on_by_arch(editor, report, policy, notes)
    _insert_dimension(editor, job, key_node, last)
    return apply(text, editor.edits())


def _twin_entries(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """An include-only matrix and a constant runs-on: each entry that runs a judged amd64
    leg without a twin gets a twin entry with `arch: arm64`, and runs-on reads it."""
    matrix = _matrix_node(report.job)
    include = matrix.get("include") if matrix is not None else None
    if matrix is None or not _include_only(matrix) or not isinstance(include, Seq):
        raise Unfixable("n/a: not an include-only matrix")
    missing = _missing_amd64(report, policy)
    entries = [item for item in include.items if isinstance(item, Map) and plain(item) in missing]
    if not entries:
        raise Unfixable("n/a: no include entry runs a missing leg")
    editor = Editor(text)
    _runs_on_by_arch(editor, report, policy, notes)
    twins = [
        _flow_map(
            {
                **{key: _twin_text(editor, node, notes) for key, (_, node) in entry.entries.items()},
                ARCH_KEY: "arm64",
            }
        )
        for entry in entries
    ]
    _append_items(editor, include, twins, raw=True)
    return apply(text, editor.edits())


def _twin_text(editor: Editor, node: Node, notes: list[str]) -> str:
    """A value of a twin include entry as written, amd64 made arm64 (`goarch: amd64`)."""
    if not isinstance(node, Scalar) or node.line != node.end_line:
        return json.dumps(plain(node))
    twin = _arm64_value(node.value, notes)
    if twin is not None:
        return _scalar_text(twin, _quote_of(editor, node))
    if node.quoted:
        return editor.line(node.line)[node.col - 1 : node.end_col - 1]
    # A plain block value may not be plain in a flow map (`features: a,b`).
    return _scalar_text(node.value) if isinstance(node.value, str) else node.raw


_TRIPLE = re.compile(r"^(x86_64|amd64)-(unknown|pc|apple|linux)-")


def _arm64_value(value: object, notes: list[str]) -> str | None:
    """What a matrix value that names amd64 becomes on the arm64 twin: an arch word or a
    target triple for sure (`amd64` -> `arm64`, `x86_64-unknown-linux-gnu` -> `aarch64-…`),
    a name that embeds one by guess, with a note (`fedora-43-amd64` -> `fedora-43-arm64`,
    which the project may spell `arm64v8`)."""
    if not isinstance(value, str):
        return None
    if runners.arch_of_word(value) == AMD64:
        return runners.arm64_word(value)
    twin = runners.arm64_counterpart(value)
    if twin is not None and not _TRIPLE.match(value):
        notes.append(f"{_GUESSED}`{twin}` for `{value}`")
    return twin


_GUESSED = "the arm64 legs use names made from the amd64 ones, check that they exist: "


def _merged(notes: list[str]) -> list[str]:
    """The notes, with every guessed name in one."""
    guesses = [note.removeprefix(_GUESSED) for note in notes if note.startswith(_GUESSED)]
    rest = [note for note in notes if not note.startswith(_GUESSED)]
    return rest + ([_GUESSED + ", ".join(dict.fromkeys(guesses))] if guesses else [])


def _add_twin_objects(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """runs-on reads a path inside a matrix of objects (`matrix.settings.host`): each object
    that runs a missing leg gets a twin written after the last one, as the original is
    written, with the runner and every amd64 word in it (`target: x86_64-…`) made arm64."""
    matrix = _matrix_node(report.job)
    paths = [path for path in report.runner_paths if len(path) >= 2]
    dimensions = {path[0] for path in paths}
    if matrix is None or len(dimensions) != 1:
        raise Unfixable("n/a: the runner is not chosen by a field of matrix objects")
    key = next(iter(dimensions))
    seq = matrix.get(key)
    if not isinstance(seq, Seq) or seq.flow or not seq.items:
        raise Unfixable(f"n/a: matrix {key} is not a block list of objects")
    missing = [combo.get(key) for combo in _missing_amd64(report, policy)]
    items = [item for item in seq.items if isinstance(item, Map) and plain(item) in missing]
    if not items:
        raise Unfixable("n/a: no matrix object runs a missing leg")
    editor = Editor(text)
    lines: list[str] = []
    for item in items:
        lines += _twin_object(editor, item, {path[1:] for path in paths if path[0] == key}, policy, notes)
    editor.insert_after(_last_line(seq.items[-1], editor), lines)
    return apply(text, editor.edits())


def _twin_object(
    editor: Editor, item: Map, runner_paths: set[tuple[str, ...]], policy: Policy, notes: list[str]
) -> list[str]:
    """The lines of a matrix object, with its runner and amd64 words made arm64."""
    first, last = item.line, _last_line(item, editor)
    if "-" not in editor.line(first)[: item.col - 1]:
        raise Unfixable(f"n/a: the matrix object on line {first} starts below its dash")
    lines = [editor.line(number).rstrip("\n") for number in range(first, last + 1)]
    replacements: list[tuple[int, int, int, str]] = []
    stack: list[tuple[tuple[str, ...], Node]] = [((), item)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Map):
            stack.extend(((*path, name), child) for name, (_, child) in node.entries.items())
        elif isinstance(node, Seq):
            stack.extend(((*path, str(index)), child) for index, child in enumerate(node.items))
        elif isinstance(node, Scalar) and isinstance(node.value, str):
            twin = (
                _twin_value(node.value, policy, notes)
                if path in runner_paths
                else _arm64_value(node.value, notes)
            )
            if twin is None or twin == node.value:
                continue
            if node.line != node.end_line:
                raise Unfixable(f"the matrix value on line {node.line} spans several lines")
            replacements.append(
                (node.line - first, node.col, node.end_col, _scalar_text(twin, _quote_of(editor, node)))
            )
    for index, start, end, new in sorted(replacements, reverse=True):
        line = lines[index]
        lines[index] = line[: start - 1] + new + line[end - 1 :]
    return lines


def _include_only(matrix: Map) -> bool:
    return "include" in matrix.entries and all(key in ("include", "exclude") for key in matrix.entries)


def _runs_on_by_arch(editor: Editor, report: JobReport, policy: Policy, notes: list[str]) -> tuple[Scalar, int]:
    """Rewrite a constant runs-on to `${{ matrix.arch == 'arm64' && ARM || AMD }}`; the
    runs-on key and its last line."""
    job = report.job
    if report.runner_keys:
        raise Unfixable("n/a: runs-on already depends on the matrix")
    entry = job.node.entries.get("runs-on")
    if entry is None:
        raise Unfixable("the job has no runs-on")
    key_node, value = entry
    labels = _constant_labels(value)
    if len(labels) == 1:
        amd64_text = _quote_expr(labels[0])
        arm = _arm64_runner(labels[0], policy, notes)
    elif policy.arm64_runner:
        amd64_text = f"fromJSON({_quote_expr(json.dumps(labels, separators=(',', ':')))})"
        arm = policy.arm64_runner
    else:
        raise Unfixable(
            f"runs on [{', '.join(labels)}]: set arm64_runner in .github/parity.yml "
            "to say which runner the arm64 legs use"
        )
    matrix = _matrix_node(job)
    include = matrix.get("include") if matrix is not None else None
    entries = [matrix, *include.items] if matrix is not None and isinstance(include, Seq) else [matrix]
    if any(isinstance(entry, Map) and ARCH_KEY in entry.entries for entry in entries):
        raise Unfixable(f"the matrix already has an '{ARCH_KEY}' key")
    expression = f"${{{{ matrix.{ARCH_KEY} == 'arm64' && {_quote_expr(arm)} || {amd64_text} }}}}"
    last = _last_line(value, editor)
    one_line = value.line == key_node.line == last
    if one_line and (isinstance(value, Scalar) or (isinstance(value, Seq) and value.flow)):
        editor.replace_span(value.line, value.col, value.end_col, expression)
    else:
        line = editor.line(key_node.line).rstrip("\n")
        editor.rewrite(key_node.line, line[: key_node.end_col - 1] + ": " + expression)
        editor.remove(key_node.line + 1, last)
    return key_node, last


def _insert_dimension(editor: Editor, job: Job, runs_on_key: Scalar, runs_on_last: int) -> None:
    dimension = f"{ARCH_KEY}: [amd64, arm64]"
    indent = " " * (runs_on_key.col - 1)
    # One level of this file's indentation: from the job's key to its entries.
    step = " " * max(1, runs_on_key.col - 1 - editor.indent_of(job.line))
    strategy_entry = job.node.entries.get("strategy")
    if strategy_entry is None:
        # fail-fast: false, so that an arm64 failure does not cancel the amd64 legs.
        editor.insert_after(
            runs_on_last,
            [
                f"{indent}strategy:",
                f"{indent}{step}fail-fast: false",
                f"{indent}{step}matrix:",
                f"{indent}{step * 2}{dimension}",
            ],
        )
        return
    strategy_key, strategy = strategy_entry
    if not isinstance(strategy, Map) or strategy.flow or not strategy.entries:
        raise Unfixable("strategy is not a block mapping")
    matrix_entry = strategy.entries.get("matrix")
    inner = " " * (next(iter(strategy.entries.values()))[0].col - 1)
    if matrix_entry is None:
        editor.insert_after(strategy_key.line, [f"{inner}matrix:", f"{inner}{step}{dimension}"])
        return
    matrix_key, matrix = matrix_entry
    if not isinstance(matrix, Map) or matrix.flow or not matrix.entries:
        raise Unfixable("the matrix is not a block mapping")
    first_key = next(iter(matrix.entries.values()))[0]
    editor.insert_after(matrix_key.line, [" " * (first_key.col - 1) + dimension])


def _constant_labels(value: Node) -> list[str]:
    if isinstance(value, Scalar) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, Seq) and all(isinstance(item, Scalar) for item in value.items):
        return [to_string(item.value) for item in value.items if isinstance(item, Scalar)]
    raise Unfixable("runs-on is not a label or a list of labels")


def _drop_excludes(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """A partial job whose excludes remove arm64 legs: drop those excludes."""
    matrix = _matrix_node(report.job)
    excludes = matrix.get("exclude") if matrix is not None else None
    if report.status != PARTIAL or not isinstance(excludes, Seq) or excludes.flow:
        raise Unfixable("n/a: no excludes to drop")
    editor = Editor(text)
    dropped = 0
    for item in excludes.items:
        if isinstance(item, Map) and _names_arm64(item, report.runner_keys):
            editor.remove(item.line, _last_line(item, editor))
            dropped += 1
    if not dropped:
        raise Unfixable("n/a: no exclude removes an arm64 leg")
    if dropped == len(excludes.items):
        exclude_key = matrix.entries["exclude"][0] if matrix is not None else None
        if exclude_key is not None:
            editor.remove(exclude_key.line, exclude_key.line)
    return apply(text, editor.edits())


def _names_arm64(entry: Map, runner_keys: set[str]) -> bool:
    for name, (_, node) in entry.entries.items():
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            continue
        if runners.arch_of_word(node.value) == ARM64:
            return True
        if name in runner_keys:
            hosted = runners.HOSTED.get(node.value.lower())
            if hosted is not None and hosted.arch == ARM64:
                return True
    return False


def _add_includes(text: str, report: JobReport, policy: Policy, notes: list[str]) -> str:
    """Add an include entry per missing leg, with the runner keys set to their arm64 twins."""
    matrix = _matrix_node(report.job)
    if matrix is None or not report.runner_keys:
        raise Unfixable("n/a: runs-on does not read the matrix")
    entries: list[dict[str, str]] = []
    for leg in report.verdict.missing:
        if not judged(leg, policy):
            continue
        entry = {}
        for name, value in leg.matrix.items():
            if name in report.runner_keys:
                entry[name] = _twin_value(value, policy, notes)
            else:
                entry[name] = _scalar_text(_arm64_value(value, notes) or value)
        for name in sorted(report.runner_keys - set(leg.matrix)):
            # runs-on falls back to a default without the key (`matrix.os || 'ubuntu-latest'`):
            # the new entry names the arm64 twin of the runner that default gave the leg.
            if len(leg.runner) != 1:
                raise Unfixable(
                    f"runs-on reads matrix.{name}, which the leg {_flow_map(entry)} does not set, and its "
                    f"runner [{', '.join(leg.runner)}] has no one arm64 twin"
                )
            entry[name] = _arm64_runner(leg.runner[0], policy, notes)
        if entry not in entries:  # a caller's combination is a missing leg of each called job
            entries.append(entry)
    if not entries:
        raise Unfixable("n/a: nothing is missing")
    _refuse_merging_entries(matrix, entries)
    editor = Editor(text)
    include_entry = matrix.entries.get("include")
    flows = [_flow_map(entry) for entry in entries]
    if include_entry is None:
        first_key = next(iter(matrix.entries.values()))[0]
        indent = " " * (first_key.col - 1)
        last = max(_last_line(node, editor) for _, node in matrix.entries.values())
        editor.insert_after(last, [f"{indent}include:"] + [f"{indent}  - {flow}" for flow in flows])
    else:
        include = include_entry[1]
        if not isinstance(include, Seq):
            raise Unfixable("include is not a list")
        _append_items(editor, include, flows, raw=True)
    return apply(text, editor.edits())


def _refuse_merging_entries(matrix: Map, entries: list[dict[str, str]]) -> None:
    """GitHub adds an include entry to every combination whose original values it matches
    (and overwrites only values other entries added): such an entry changes existing legs
    instead of making a new one."""
    dimensions: dict[str, list[str]] = {}
    for name, (_, node) in matrix.entries.items():
        if name in ("include", "exclude"):
            continue
        if not isinstance(node, Seq):
            return  # a dimension computed at run time: which combination it matches is not known
        dimensions[name] = [_scalar_text(plain(item)) for item in node.items]
    for entry in entries:
        shared = {name: value for name, value in entry.items() if name in dimensions}
        if shared and all(value in dimensions[name] for name, value in shared.items()):
            where = ", ".join(f"{name}: {value}" for name, value in shared.items())
            raise Unfixable(
                f"the include entry {_flow_map(entry)} would not add a leg: GitHub would merge it into "
                f"the existing legs with {where} (an include entry extends every combination whose values "
                "it matches)"
            )


# ------------------------------------------------------------------------ finishing edits


def _without_fail_fast(editor: Editor, report: JobReport) -> bool:
    """`fail-fast: false` in a strategy that has no fail-fast (GitHub's default is true): a
    new arm64 leg that fails must not cancel the amd64 legs. Whether it was added."""
    entry = report.job.node.entries.get("strategy")
    if entry is None:
        return False
    key, strategy = entry
    if (
        not isinstance(strategy, Map)
        or strategy.flow
        or not strategy.entries
        or "fail-fast" in strategy.entries
    ):
        return False
    first = next(iter(strategy.entries.values()))[0]
    editor.insert_after(key.line, [" " * (first.col - 1) + "fail-fast: false"])
    return True


def _drop_continue_on_error(editor: Editor, report: JobReport) -> bool:
    entry = report.job.node.entries.get("continue-on-error")
    if entry is None or not any(leg.arch == ARM64 and not leg.blocking for leg in report.legs):
        return False
    key, value = entry
    last = _last_line(value, editor)
    if value.line != key.line:
        raise Unfixable("continue-on-error spans several lines")
    editor.remove(key.line, last)
    return True


def _new_leg_condition(before: JobReport, after: JobReport) -> str | None:
    """An expression true on exactly the legs the fix adds: `matrix.arch == 'arm64'`, or
    with the existing legs that share that value left out (`… && !(matrix.python ==
    '3.11')`); None when the matrix values cannot tell them apart."""
    added = invariant.new_legs(before, after)
    if not added:
        return None
    others = [leg for leg in after.legs if not any(leg is new for new in added)]
    paths: list[tuple[str, ...]] = [(key,) for key in dict.fromkeys(key for leg in added for key in leg.matrix)]
    paths += sorted(path for path in after.runner_paths if len(path) > 1)
    paths.sort(key=lambda path: (path != (ARCH_KEY,), path[0] not in after.runner_keys))
    for path in paths:
        values = _values(added, path)
        if not values:
            continue
        shared = [leg for leg in others if _at(leg.matrix, path) in values]
        if not shared:
            return _one_of(path, values)
        for other in paths:
            excluded = _values(shared, other)
            if other != path and excluded and not excluded & _values(added, other):
                return f"{_one_of(path, values)} && !({_one_of(other, excluded)})"
    return None


def _at(value: object, path: tuple[str, ...]) -> object:
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


PlainValue = str | int | float | bool


def _values(legs: list[Leg], path: tuple[str, ...]) -> set[PlainValue]:
    """The values at a matrix path on legs, when each is text, a number or a boolean (an
    expression can compare those); empty otherwise."""
    values = [_at(leg.matrix, path) for leg in legs]
    if not all(isinstance(value, (str, int, float, bool)) and value != "" for value in values):
        return set()
    return {value for value in values if isinstance(value, (str, int, float, bool))}


def _one_of(path: tuple[str, ...], values: set[PlainValue]) -> str:
    reference = "matrix." + ".".join(path)
    tests = [f"{reference} == {_literal(value)}" for value in sorted(values, key=str)]
    return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"


def _literal(value: PlainValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _quote_expr(value) if isinstance(value, str) else to_string(value)


def _keep_check_names(editor: Editor, before: JobReport, after: JobReport, condition: str | None) -> None:
    """Existing legs keep their check names (`bot.core.names`); new legs get ` (arm64)`.
    A job that gains a matrix, or a key its legs did not have, would rename every check."""
    names = [check_name(after.job, leg) for leg in after.legs]
    renamed = bool({check_name(before.job, leg) for leg in before.legs} - set(names))
    if not renamed and len(set(names)) == len(names):
        return
    entry = after.job.node.entries.get("name")
    node = entry[1] if entry is not None else None
    written = node.value if isinstance(node, Scalar) else after.job.id if node is None else None
    if condition is None or not isinstance(written, str):
        return  # names this edit cannot keep: the fix becomes a patch that says so
    if has_expression(written):
        if not renamed and isinstance(node, Scalar):
            # The expression is the whole name, so only the new legs collide.
            _add_suffix(editor, node, f"${{{{ {condition} && ' (arm64)' || '' }}}}")
        return
    keys = _name_keys(before)
    if keys is None:
        return
    if keys:
        holes = ", ".join(f"{{{index}}}" for index in range(len(keys)))
        args = ", ".join(f"matrix.{key}" for key in keys)
        base = written.replace("{", "{{").replace("}", "}}")
        amd64 = f"format({_quote_expr(f'{base} ({holes})')}, {args})"
        arm64 = f"format({_quote_expr(f'{base} ({holes}, arm64)')}, {args})"
    else:
        amd64, arm64 = _quote_expr(written), _quote_expr(f"{written} (arm64)")
    value = _scalar_text(f"${{{{ {condition} && {arm64} || {amd64} }}}}", '"')
    if isinstance(node, Scalar):
        if node.line == node.end_line:
            editor.replace_span(node.line, node.col, node.end_col, value)
    else:
        first = next(iter(after.job.node.entries.values()))[0]
        editor.insert_after(after.job.line, [" " * (first.col - 1) + f"name: {value}"])


def _name_keys(report: JobReport) -> list[str] | None:
    """The matrix keys GitHub shows in the check names of a job's legs, in order; None when
    a leg is not a plain combination of the dimensions' text values (a key an include adds,
    a standalone include entry, an object), whose name an expression may not repeat."""
    keys = dimensions(report.job)
    for leg in report.legs:
        if list(leg.matrix) != keys and set(leg.matrix) != set(keys):
            return None
        if not all(
            isinstance(leg.matrix[key], (str, int, float, bool)) and leg.matrix[key] != "" for key in keys
        ):
            return None
    return keys


def _keep_artifact_names(editor: Editor, report: JobReport, condition: str | None) -> None:
    """Uploads whose name the new legs share get `-arm64` on those legs only: the existing
    legs' artifacts, and every download of them, keep their names."""
    lines = {item.line for item in report.findings if item.rule == "artifact-name-collision"}
    if not lines:
        return
    if condition is None:
        raise Unfixable("n/a: no matrix value tells the new legs apart for artifact names")
    suffix = f"${{{{ {condition} && '-arm64' || '' }}}}"
    for step in report.job.steps:
        with_node = step.node.get("with")
        name_entry = with_node.entries.get("name") if isinstance(with_node, Map) else None
        if name_entry is None:
            if step.line not in lines:
                continue
            # upload-artifact's default name is `artifact`.
            if not isinstance(with_node, Map) or with_node.flow or not with_node.entries:
                raise Unfixable(f"the upload on line {step.line} has no name to extend")
            first = next(iter(with_node.entries.values()))[0]
            editor.insert_after(
                _last_line(with_node, editor),
                [" " * (first.col - 1) + "name: " + _scalar_text(f"artifact{suffix}", '"')],
            )
            continue
        node = name_entry[1]
        if name_entry[0].line not in lines:
            continue
        if not isinstance(node, Scalar):
            raise Unfixable(f"the artifact name on line {node.line} is not text")
        _add_suffix(editor, node, suffix)


def _refused(report: JobReport, reason: str) -> JobFix:
    return JobFix(report.job.id, report.job.line, report.status, False, reason, _worst(report))


def _worst(report: JobReport) -> str:
    return min((item.severity for item in report.findings), key=SEVERITIES.index, default=NOTE)


def _arch_specific(report: JobReport, images: bool = False) -> list[str]:
    """Lines of the job that name amd64 outright: the arm64 leg (or, for `images`, the arm64
    image, whose platforms the fix itself widened) may need its own value."""
    found = []
    for step in report.job.steps:
        inputs = [
            BAKE_PLATFORM.sub("", value) if images and key == "set" and isinstance(value, str) else value
            for key, value in step.with_.items()
            if not (images and key == "platforms")
        ]
        for value in (step.run, step.uses, *map(str, inputs)):
            if isinstance(value, str) and runners.names_amd64(value):
                found.append(step.line)
                break
    container = report.job.node.get("container")
    if container is not None and runners.names_amd64(str(plain(container))):
        found.insert(0, container.line)
    if not found:
        return []
    shown = ", ".join(str(line) for line in found[:5]) + (" …" if len(found) > 5 else "")
    if images:
        return [
            f"the job names x86_64/amd64 on {noun(len(found), 'line')} {shown}; "
            "check that its tags and build arguments fit the multi-arch image"
        ]
    return [
        f"the job names x86_64/amd64 on {noun(len(found), 'line')} {shown}; "
        "check what its arm64 leg should use there"
    ]


# ---------------------------------------------------------------------------- text helpers


def _last_line(node: Node, editor: Editor) -> int:
    """The last line holding the node's content (not the blank lines or comments after it)."""
    if isinstance(node, (Seq, Map)) and not node.flow:
        children = node.items if isinstance(node, Seq) else [v for _, v in node.entries.values()]
        return max((_last_line(child, editor) for child in children), default=node.line)
    end = node.end_line
    if node.end_col == 1 and end > node.line:
        end -= 1  # a block scalar ends at the start of the next line
    while end > node.line and not editor.line(end).strip():
        end -= 1
    return end


def _quote_of(editor: Editor, node: Scalar) -> str | None:
    """The quote character a scalar was written with, if any."""
    char = editor.line(node.line)[node.col - 1 : node.col]
    return char if node.quoted and char in ("'", '"') else None


def _append_items(editor: Editor, seq: Seq, values: list[str], raw: bool = False) -> None:
    """Append items to a sequence in its own style (flow or block, quotes like its last item)."""
    last_item = seq.items[-1] if seq.items else None
    quote = _quote_of(editor, last_item) if isinstance(last_item, Scalar) else None
    texts = values if raw else [_scalar_text(value, quote) for value in values]
    if seq.flow:
        if seq.line != seq.end_line:
            raise Unfixable("n/a: a flow sequence over several lines")
        line = editor.line(seq.line).rstrip("\n")
        close = seq.end_col - 2  # index of `]`
        inner = line[seq.col : close]
        joined = ", ".join(texts)
        addition = joined if not inner.strip() else (", " + joined)
        head = line[:close].rstrip() if inner.strip() else line[:close]
        editor.rewrite(seq.line, head + addition + line[close:])
        return
    if last_item is None:
        raise Unfixable("n/a: an empty block sequence")
    first = editor.line(last_item.line)
    prefix = first[: last_item.col - 1]
    if "-" not in prefix:
        raise Unfixable("n/a: a sequence item that does not start its line")
    dash = prefix[: prefix.index("-")]
    gap = prefix[prefix.index("-") + 1 :]
    editor.insert_after(_last_line(last_item, editor), [f"{dash}-{gap}{text}" for text in texts])


def _add_suffix(editor: Editor, node: Scalar, suffix: str) -> None:
    """Append text to a one-line scalar, inside its quotes (escaped for them)."""
    if node.line != node.end_line:
        raise Unfixable(f"the value on line {node.line} spans several lines")
    written = editor.line(node.line)[node.col - 1 : node.end_col - 1]
    quote = _quote_of(editor, node)
    if quote == "'":
        written = written[:-1] + suffix.replace("'", "''") + "'"
    elif quote == '"':
        written = written[:-1] + suffix.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        written += suffix
    editor.replace_span(node.line, node.col, node.end_col, written)


def _rewrite_scalar(editor: Editor, node: Scalar, value: str) -> None:
    """A one-line scalar given a new value, in the quotes it was written with."""
    if node.line != node.end_line:
        raise Unfixable(f"the value on line {node.line} spans several lines")
    quote = _quote_of(editor, node)
    if quote == "'":
        written = "'" + value.replace("'", "''") + "'"
    elif quote == '"':
        written = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif value[:1] not in _PLAIN_NEVER_STARTS and " #" not in value and ": " not in value:
        written = value
    else:
        written = "'" + value.replace("'", "''") + "'"
    editor.replace_span(node.line, node.col, node.end_col, written)


def _scalar_text(value: object, quote: str | None = None) -> str:
    """`value` as YAML: in `quote` when given, else quoted only when plain would misread it."""
    text = to_string(value)
    if not text.isprintable():
        # A line break or a tab: single quotes or plain text would fold it into a space.
        return json.dumps(text, ensure_ascii=False)
    if quote is None and isinstance(value, str) and (not _PLAIN_SAFE.match(text) or not reads_as_string(text)):
        quote = "'"
    if quote == '"' and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    if quote is not None:
        return "'" + text.replace("'", "''") + "'"
    return text


def _quote_expr(text: str) -> str:
    """A string literal in GitHub's expression syntax."""
    return "'" + text.replace("'", "''") + "'"


def _flow_map(entry: dict[str, str]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in entry.items()) + "}"
