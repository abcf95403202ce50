"""The parts of a workflow file the analysis reads, with the lines they were written on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.core.lazyre import lazy
from bot.core.records import field, record
from bot.core.yamlnodes import Map, Node, Scalar, Seq, YamlError, decode, parse, plain

IGNORE_COMMENT = lazy(r"#\s*parity:\s*ignore\b", re.IGNORECASE)
_LOCAL_CALL = lazy(r"uses:\s*['\"]?\./\.github/workflows/([^@\s'\"]+)")


WORKFLOW_SUFFIXES = (".yml", ".yaml")


def is_workflow_path(path: str) -> bool:
    """A file GitHub runs as a workflow: directly in `.github/workflows/`, `.yml` or `.yaml`."""
    folder, _, name = path.rpartition("/")
    return folder == ".github/workflows" and name.endswith(WORKFLOW_SUFFIXES)


def local_calls(text: str) -> set[str]:
    """File names of the local reusable workflows a workflow's text calls.

    GitHub runs only those directly in `.github/workflows/`, so a name with a slash (or a
    `..`) is left out: the caller reads these at the pull request's head with the
    installation's token, and a `../../..` would reach past the contents endpoint."""
    return {
        name
        for name in _LOCAL_CALL.findall(text)
        if "/" not in name and "\\" not in name and name not in (".", "..")
    }


@record()
class Step:
    index: int
    line: int
    name: str | None
    uses: str | None
    run: str | None
    with_: dict[str, Any]
    env: dict[str, Any]
    if_: Any
    node: Map


@record()
class Job:
    id: str
    line: int
    node: Map
    name: Any = None
    runs_on: Any = None
    uses: str | None = None
    with_: dict[str, Any] = field(default_factory=dict)
    matrix: Any = None
    continue_on_error: Any = None
    env: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    ignored_by_comment: bool = False
    container: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    def line_of(self, *path: str) -> int:
        """Line of a key under the job (`strategy`, `matrix`), or the job's own line."""
        node: Node | None = self.node
        line = self.line
        for key in path:
            if not isinstance(node, Map) or key not in node.entries:
                return line
            line = node.entries[key][0].line
            node = node.entries[key][1]
        return line


@record()
class Workflow:
    path: str
    source: str
    name: str | None = None
    triggers: tuple[str, ...] = ()
    env: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)  # workflow_call inputs
    jobs: list[Job] = field(default_factory=list)
    error: YamlError | None = None
    # the repository's other files (scripts, Makefiles, composite actions) that steps hand
    # their work to; None when only the workflow files are known
    files: Callable[[str], str | None] | None = None


def load(path: str, data: bytes | str) -> Workflow:
    """Read one workflow file; a file that cannot be read gets `error` and no jobs."""
    try:
        text = decode(data) if isinstance(data, bytes) else data
    except YamlError as exc:
        return Workflow(path, "", error=exc)
    workflow = Workflow(path, text)
    try:
        root = parse(text)
        _fill(workflow, root)
    except YamlError as exc:
        workflow.error = exc
        workflow.jobs = []
    return workflow


def _fill(workflow: Workflow, root: Node | None) -> None:
    if root is None:
        raise YamlError("the file is empty", 1)
    if not isinstance(root, Map):
        raise YamlError("a workflow must be a mapping", root.line)
    name = root.get("name")
    workflow.name = name.value if isinstance(name, Scalar) and isinstance(name.value, str) else None
    workflow.triggers = _triggers(root.get("on"))
    env = plain(root.get("env"))
    workflow.env = env if isinstance(env, dict) else {}
    workflow.inputs = _call_inputs(root.get("on"))
    jobs = root.get("jobs")
    if jobs is None:
        raise YamlError("the workflow has no 'jobs'", root.line)
    if not isinstance(jobs, Map):
        raise YamlError("'jobs' must be a mapping", jobs.line)
    lines = workflow.source.splitlines()
    for job_id, (key, node) in jobs.entries.items():
        if not isinstance(node, Map):
            raise YamlError(f"job '{job_id}' must be a mapping", key.line)
        workflow.jobs.append(_job(job_id, key, node, lines))


def _triggers(node: Node | None) -> tuple[str, ...]:
    value = plain(node)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, dict):
        return tuple(value)
    return ()


def _call_inputs(node: Node | None) -> dict[str, Any]:
    if not isinstance(node, Map):
        return {}
    call = node.get("workflow_call")
    inputs = call.get("inputs") if isinstance(call, Map) else None
    value = plain(inputs)
    return value if isinstance(value, dict) else {}


def _job(job_id: str, key: Scalar, node: Map, lines: list[str]) -> Job:
    strategy = node.get("strategy")
    matrix = plain(strategy.get("matrix")) if isinstance(strategy, Map) else None
    with_ = plain(node.get("with"))
    env = plain(node.get("env"))
    uses = plain(node.get("uses"))
    outputs = plain(node.get("outputs"))
    needs = plain(node.get("needs"))
    job = Job(
        id=job_id,
        line=key.line,
        node=node,
        name=plain(node.get("name")),
        runs_on=plain(node.get("runs-on")),
        uses=uses if isinstance(uses, str) else None,
        with_=with_ if isinstance(with_, dict) else {},
        matrix=matrix,
        continue_on_error=plain(node.get("continue-on-error")),
        env=env if isinstance(env, dict) else {},
        ignored_by_comment=bool(IGNORE_COMMENT.search(lines[key.line - 1]))
        if key.line <= len(lines)
        else False,
        container=plain(node.get("container")),
        outputs=outputs if isinstance(outputs, dict) else {},
        needs=(needs,) if isinstance(needs, str) else tuple(map(str, needs)) if isinstance(needs, list) else (),
    )
    steps = node.get("steps")
    if isinstance(steps, Seq):
        for index, step in enumerate(steps.items):
            if isinstance(step, Map):
                job.steps.append(_step(index, step))
    return job


def _step(index: int, node: Map) -> Step:
    def text(key: str) -> str | None:
        value = plain(node.get(key))
        return value if isinstance(value, str) else None

    with_ = plain(node.get("with"))
    env = plain(node.get("env"))
    return Step(
        index=index,
        line=node.line,
        name=text("name"),
        uses=text("uses"),
        run=text("run"),
        with_=with_ if isinstance(with_, dict) else {},
        env=env if isinstance(env, dict) else {},
        if_=plain(node.get("if")),
        node=node,
    )


def scalar_line(node: Node, text: str) -> int | None:
    """The first line under `node` holding a scalar written as `text`."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Scalar):
            if current.raw == text or current.value == text:
                return current.line
        elif isinstance(current, Seq):
            stack.extend(reversed(current.items))
        else:
            for _, value in reversed(list(current.entries.values())):
                stack.append(value)
    return None


def float_scalars(node: Node | None) -> list[Scalar]:
    """Unquoted scalars that YAML reads as floats under `node`."""
    found: list[Scalar] = []
    stack: list[Node] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Scalar):
            if isinstance(current.value, float):
                found.append(current)
        elif isinstance(current, Seq):
            stack.extend(current.items)
        else:
            stack.extend(value for _, value in current.entries.values())
    return sorted(found, key=lambda scalar: scalar.line)
