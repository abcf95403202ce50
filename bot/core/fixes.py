"""Fixes: the smallest edits that give a job an arm64 twin for every judged amd64 leg.

Each strategy rewrites the file's text through an `Editor`, and the analyzer checks the
result: a candidate counts only when the job comes out `parity`. The smallest passing candidate
wins. The jobs of a file are fixed one after another on the evolving text. The file's
`Edit`s are then the line diff between the original and the final text, so whatever the
strategies did, what a user sees is exactly what changes.

Strategies (README, "Fixes"):
- runs-on picks the runner from a matrix key (`${{ matrix.os }}`): add the arm64 twin of each
  judged amd64 value to that dimension (`ubuntu-latest` -> `ubuntu-24.04-arm`, `amd64` -> `arm64`);
- a constant runs-on: add an `arch: [amd64, arm64]` dimension and pick the runner from it:
  `runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-latest' }}`.
  A combination that has no `arch` (a standalone include) keeps the amd64 runner;
- a partial job: drop the excludes that remove arm64 legs, or add include entries for the
  missing legs;
- then, for the jobs that become multi-arch:
  - an explicit `name:` without the arch gets ` (${{ matrix.<key> }})`;
  - colliding `upload-artifact` names get `-${{ matrix.<key> }}`, and literal downloads of that
    name elsewhere in the workflow get the amd64 suffix;
  - with `require_blocking`, a one-line `continue-on-error` is dropped.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.core import runners
from bot.core.analysis import JobReport, Progress, Report, WorkflowReport, analyze
from bot.core.config import Policy
from bot.core.edits import Edit, EditConflict, Editor, apply
from bot.core.expressions import referenced_keys, to_string
from bot.core.matrix import is_opaque
from bot.core.runners import AMD64, ARM64
from bot.core.verdicts import AMD64_ONLY, PARITY, PARTIAL, judged
from bot.core.workflow import Job, local_calls
from bot.core.yamlnodes import Map, Node, Scalar, Seq, plain, reads_as_string

FIXABLE = (AMD64_ONLY, PARTIAL)
ARCH_KEY = "arch"
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./ +-]*$")


class Unfixable(Exception):
    """Why a job gets an explanation instead of an edit."""


@dataclass(slots=True)
class JobFix:
    """The outcome for one job: fixed (its edits are in the file's plan) or why not."""

    job_id: str
    line: int
    status: str
    fixed: bool
    reason: str
    notes: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)


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


def plan(files: Mapping[str, str], policy: Policy, today: date,
         report: Report | None = None, progress: Progress | None = None) -> list[FilePlan]:
    """A plan per file with a fixable or unfixable job; files without one are left out."""
    report = report or analyze(files, policy, today)
    plans: list[FilePlan] = []

    def reanalyze(path: str, text: str) -> WorkflowReport:
        # Only the file and what it calls: verdicts of one job don't depend on the rest
        # except through families, which an added arm64 leg cannot make worse.
        result = analyze({**_called(files, path, text), path: text}, policy, today)
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
        renames: dict[str, Rename] = {}
        for job in targets:
            if any(is_opaque(leg.matrix) for leg in job.legs):
                outcomes.append(JobFix(job.job.id, job.job.line, job.status, False,
                                       "n/a: the matrix is computed at run time"))
                continue
            try:
                text, notes, renamed = _fix_job(workflow.path, text, job.job.id, policy,
                                                reanalyze)
            except Unfixable as exc:
                outcomes.append(JobFix(job.job.id, job.job.line, job.status, False, str(exc)))
                continue
            outcome = JobFix(job.job.id, job.job.line, job.status, True,
                             "gives every amd64 leg an arm64 twin", notes + _arch_specific(job))
            outcomes.append(outcome)
            renames.update({old: (rename, outcome) for old, rename in renamed.items()})
        if renames:
            text = _rename_downloads(text, reanalyze(workflow.path, text), renames)
        file_plan = FilePlan(workflow.path, source, text, outcomes)
        _attribute(file_plan, workflow)
        plans.append(file_plan)
    _recheck(plans, files, policy, today)
    return plans


def _recheck(plans: list[FilePlan], files: Mapping[str, str], policy: Policy,
             today: date) -> None:
    """Judge all fixed files together: a job calling a reusable workflow that was fixed in
    the same run now has its arm64 legs, and every fix must still hold in the full set."""
    fixed = {**files, **{item.path: item.fixed_source for item in plans}}
    final = analyze(fixed, policy, today)
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
    return {other: content for other, content in files.items()
            if other != path and other.rsplit("/", 1)[-1] in names}


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
    return {item.path: apply(item.source, item.edits) for item in plans
            if item.fixed_source != item.source}


# ------------------------------------------------------------------------------ one job

def _job_report(workflow: WorkflowReport, job_id: str) -> JobReport:
    for job in workflow.jobs:
        if job.job.id == job_id:
            return job
    raise Unfixable("the edit made the job disappear")


def _fix_job(path: str, text: str, job_id: str, policy: Policy,
             reanalyze: Analyzer) -> tuple[str, list[str], dict[str, tuple[str, str]]]:
    """The fixed text of the file (smallest passing candidate), with notes for the user."""
    report = _job_report(reanalyze(path, text), job_id)
    job = report.job
    if job.uses is not None:
        raise Unfixable(f"its runners come from {job.uses}; fix that workflow instead")
    candidates: list[tuple[int, str, list[str], dict[str, tuple[str, str]]]] = []
    reasons: list[str] = []
    for strategy in (_add_twin_values, _add_arch_dimension, _drop_excludes, _add_includes):
        notes: list[str] = []
        renamed: dict[str, tuple[str, str]] = {}
        try:
            candidate, key = strategy(text, report, policy, notes)
            candidate = _finish(path, candidate, job_id, key, policy, reanalyze, renamed)
        except (Unfixable, EditConflict) as exc:
            reasons.append(str(exc))
            continue
        after = _job_report(reanalyze(path, candidate), job_id)
        if after.status == PARITY:
            size = sum(edit.size for edit in line_edits(text, candidate))
            candidates.append((size, candidate, notes, renamed))
        else:
            reasons.append(f"the edit leaves it {after.status}: {after.verdict.reason}")
    if not candidates:
        raise Unfixable(_best_reason(reasons))
    _, best, notes, renamed = min(candidates, key=lambda item: item[0])
    return best, notes, renamed


def _best_reason(reasons: list[str]) -> str:
    # The first strategy that applied explains best; "not applicable" reasons come last.
    specific = [reason for reason in reasons if not reason.startswith("n/a")]
    return (specific or reasons or ["no strategy applies"])[0].removeprefix("n/a: ")


def _finish(path: str, text: str, job_id: str, key: str, policy: Policy,
            reanalyze: Analyzer, renamed: dict[str, tuple[str, str]]) -> str:
    """After the legs exist: blocking, the job's name, artifact names."""
    report = _job_report(reanalyze(path, text), job_id)
    if policy.require_blocking:
        text = _drop_continue_on_error(text, report)
        report = _job_report(reanalyze(path, text), job_id)
    text = _name_with_arch(text, report, key)
    workflow = reanalyze(path, text)
    return _artifact_names(text, _job_report(workflow, job_id), key, renamed)


# --------------------------------------------------------------------------- strategies

def _arm64_runner(label: str, policy: Policy, notes: list[str]) -> str:
    if policy.arm64_runner:
        return policy.arm64_runner
    twin = runners.arm64_twin(label)
    if twin is None:
        raise Unfixable(f"no known arm64 counterpart of runner '{label}': set arm64_runner "
                        "in .github/parity.yml")
    entry = runners.HOSTED.get(label.lower())
    if entry is not None and entry.retired is not None:
        notes.append(f"{label} was retired on {entry.retired.isoformat()}; the arm64 leg uses "
                     f"{twin}, and the amd64 leg should move off {label} too")
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


def _add_twin_values(text: str, report: JobReport, policy: Policy,
                     notes: list[str]) -> tuple[str, str]:
    """runs-on reads `matrix.K` and K is a dimension: append the twins of amd64 values."""
    matrix = _matrix_node(report.job)
    keys = [key for key in sorted(report.runner_keys)
            if matrix is not None and isinstance(matrix.get(key), Seq)]
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
    return apply(text, editor.edits()), keys[0]


def _add_arch_dimension(text: str, report: JobReport, policy: Policy,
                        notes: list[str]) -> tuple[str, str]:
    """A constant runs-on: add `arch: [amd64, arm64]` and choose the runner from it."""
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
        raise Unfixable(f"runs on [{', '.join(labels)}]: set arm64_runner in .github/parity.yml "
                        "to say which runner the arm64 legs use")
    matrix = _matrix_node(job)
    if matrix is not None and ARCH_KEY in matrix.entries:
        raise Unfixable(f"the matrix already has an '{ARCH_KEY}' key")
    editor = Editor(text)
    expression = f"${{{{ matrix.{ARCH_KEY} == 'arm64' && {_quote_expr(arm)} || {amd64_text} }}}}"
    last = _last_line(value, editor)
    one_line = value.line == key_node.line == last
    if one_line and (isinstance(value, Scalar) or (isinstance(value, Seq) and value.flow)):
        editor.replace_span(value.line, value.col, value.end_col, expression)
    else:
        line = editor.line(key_node.line).rstrip("\n")
        editor.rewrite(key_node.line, line[: key_node.end_col - 1] + ": " + expression)
        editor.remove(key_node.line + 1, last)
    _insert_dimension(editor, job, key_node, last)
    return apply(text, editor.edits()), ARCH_KEY


def _insert_dimension(editor: Editor, job: Job, runs_on_key: Scalar, runs_on_last: int) -> None:
    dimension = f"{ARCH_KEY}: [amd64, arm64]"
    indent = " " * (runs_on_key.col - 1)
    # One level of this file's indentation: from the job's key to its entries.
    step = " " * max(1, runs_on_key.col - 1 - editor.indent_of(job.line))
    strategy_entry = job.node.entries.get("strategy")
    if strategy_entry is None:
        # fail-fast: false, so that an arm64 failure does not cancel the amd64 legs.
        editor.insert_after(runs_on_last, [f"{indent}strategy:", f"{indent}{step}fail-fast: false",
                                           f"{indent}{step}matrix:", f"{indent}{step * 2}{dimension}"])
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


def _drop_excludes(text: str, report: JobReport, policy: Policy,
                   notes: list[str]) -> tuple[str, str]:
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
    key = next(iter(sorted(report.runner_keys)), ARCH_KEY)
    return apply(text, editor.edits()), key


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


def _add_includes(text: str, report: JobReport, policy: Policy,
                  notes: list[str]) -> tuple[str, str]:
    """Add an include entry per missing leg, with the runner keys set to their arm64 twins."""
    matrix = _matrix_node(report.job)
    if matrix is None or not report.runner_keys:
        raise Unfixable("n/a: runs-on does not read the matrix")
    entries: list[dict[str, str]] = []
    for combo in _missing_amd64(report, policy):
        entry = {}
        for name, value in combo.items():
            if name in report.runner_keys:
                entry[name] = _twin_value(value, policy, notes)
            else:
                entry[name] = _scalar_text(value)
        entries.append(entry)
    if not entries:
        raise Unfixable("n/a: nothing is missing")
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
    return apply(text, editor.edits()), sorted(report.runner_keys)[0]


# ------------------------------------------------------------------------ finishing edits

def _drop_continue_on_error(text: str, report: JobReport) -> str:
    entry = report.job.node.entries.get("continue-on-error")
    if entry is None or not any(leg.arch == ARM64 and not leg.blocking for leg in report.legs):
        return text
    key, value = entry
    editor = Editor(text)
    last = _last_line(value, editor)
    if value.line != key.line:
        raise Unfixable("continue-on-error spans several lines")
    editor.remove(key.line, last)
    return apply(text, editor.edits())


def _name_with_arch(text: str, report: JobReport, key: str) -> str:
    entry = report.job.node.entries.get("name")
    if entry is None:
        return text  # GitHub appends the matrix values to the job id
    _, node = entry
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        return text
    if referenced_keys(node.value) & (report.runner_keys | {key}):
        return text
    return _append_to_scalar(text, node, f" (${{{{ matrix.{key} }}}})")


def _artifact_names(text: str, report: JobReport, key: str,
                    renamed: dict[str, tuple[str, str]]) -> str:
    """Colliding upload names get `-${{ matrix.<key> }}`; `renamed` records literal ones as
    old name -> (key, the key's amd64 value) for the downloads elsewhere in the workflow."""
    lines = {item.line for item in report.findings if item.rule == "artifact-name-collision"}
    if not lines:
        return text
    editor = Editor(text)
    amd64_values = sorted({to_string(leg.matrix.get(key)) for leg in report.legs
                           if leg.arch == AMD64 and key in leg.matrix})
    for step in report.job.steps:
        with_node = step.node.get("with")
        if not isinstance(with_node, Map):
            continue
        name_entry = with_node.entries.get("name")
        if name_entry is None or name_entry[0].line not in lines:
            continue
        node = name_entry[1]
        if not isinstance(node, Scalar) or node.line != node.end_line:
            raise Unfixable(f"the artifact name on line {node.line} is not a one-line value")
        editor.replace_span(node.line, node.col, node.end_col,
                            _with_suffix(editor.line(node.line), node, f"-${{{{ matrix.{key} }}}}"))
        if isinstance(node.value, str) and "${{" not in node.value and len(amd64_values) == 1:
            renamed[node.value] = (key, amd64_values[0])
    return apply(text, editor.edits())


Rename = tuple[tuple[str, str], JobFix]


def _rename_downloads(text: str, workflow: WorkflowReport, renames: dict[str, Rename]) -> str:
    """Downloads of a renamed artifact: a job with both arches of the key takes its own arch's
    artifact; any other job takes the amd64 one, which is what it had before."""
    editor = Editor(text)
    for report in workflow.jobs:
        arches = {leg.arch for leg in report.legs}
        for step in report.job.steps:
            if not (step.uses or "").startswith("actions/download-artifact"):
                continue
            with_node = step.node.get("with")
            node = with_node.get("name") if isinstance(with_node, Map) else None
            if not isinstance(node, Scalar) or node.value not in renames:
                continue
            (key, amd64_value), upload = renames[str(node.value)]
            if {AMD64, ARM64} <= arches and key in (report.job.matrix or {}):
                new = _with_suffix(editor.line(node.line), node, f"-${{{{ matrix.{key} }}}}")
            else:
                new = _scalar_text(f"{node.value}-{amd64_value}", _quote_of(editor, node))
                upload.notes.append(f"job '{report.job.id}' now downloads '{node.value}-"
                                    f"{amd64_value}', the amd64 artifact it had before")
            editor.replace_span(node.line, node.col, node.end_col, new)
    return apply(text, editor.edits())


def _arch_specific(report: JobReport) -> list[str]:
    """Lines of the job that name amd64 outright: the arm64 leg may need its own value."""
    found = []
    for step in report.job.steps:
        for value in (step.run, step.uses, *map(str, step.with_.values())):
            if isinstance(value, str) and runners.names_amd64(value):
                found.append(step.line)
                break
    container = report.job.node.get("container")
    if container is not None and runners.names_amd64(str(plain(container))):
        found.insert(0, container.line)
    if not found:
        return []
    shown = ", ".join(str(line) for line in found[:5]) + (" …" if len(found) > 5 else "")
    return [f"the job names x86_64/amd64 on line{'s' * (len(found) > 1)} {shown}; "
            "check what its arm64 leg should use there"]


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


def _append_to_scalar(text: str, node: Scalar, suffix: str) -> str:
    if node.line != node.end_line:
        return text
    editor = Editor(text)
    editor.replace_span(node.line, node.col, node.end_col,
                        _with_suffix(editor.line(node.line), node, suffix))
    return apply(text, editor.edits())


def _with_suffix(line: str, node: Scalar, suffix: str) -> str:
    written = line[node.col - 1 : node.end_col - 1]
    if node.quoted and written[:1] in ("'", '"'):
        return written[:-1] + suffix + written[-1]
    return written + suffix


def _scalar_text(value: object, quote: str | None = None) -> str:
    """`value` as YAML: in `quote` when given, else quoted only when plain would misread it."""
    text = to_string(value)
    if quote is None and isinstance(value, str) and (
            not _PLAIN_SAFE.match(text) or not reads_as_string(text)):
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
