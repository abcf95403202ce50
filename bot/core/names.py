"""The name GitHub gives a leg's job, which is its check's name: required status checks
are matched by it, and results are paired by it.

A leg is named by the job's `name` (or its id), with `${{ }}` evaluated. A matrix leg whose
name holds no expression gets its values appended, `test (3.12, ubuntu-latest)`: the
dimensions' values in written order (keys an include adds to a combination are left out),
or all of a standalone include entry's values; objects show their scalar leaves. GitHub does
not document this; it is what runner-compatible emulators (nektos/act's runner.server)
implement and what users report. A job of a called workflow is `caller / callee`, which is
not predicted here.
"""

from __future__ import annotations

from typing import Any

from bot.core.expressions import (
    ExpressionError,
    Unknown,
    evaluate_template,
    has_expression,
    to_string,
)
from bot.core.legs import Leg
from bot.core.workflow import Job


def check_name(job: Job, leg: Leg, caller: bool = False) -> str | None:
    """The leg's job name on GitHub, or None when it depends on the run. A leg of a called
    workflow is named `<the caller's name> / <the called job's name>`: with `caller`, the
    caller's part (what the caller's matrix tells apart), else None."""
    if leg.origin and not caller:
        return None
    name = job.name if job.name is not None else job.id
    if has_expression(name):
        # a called workflow's leg carries the called workflow's contexts; the caller's name
        # reads the caller's matrix
        contexts = {**leg.contexts, "matrix": leg.matrix} if leg.origin else leg.contexts
        try:
            value = evaluate_template(name, contexts)
        except ExpressionError:
            return None
        return None if isinstance(value, Unknown) else to_string(value)
    text = to_string(name)
    if not leg.matrix:
        return text
    keys = shown_keys(job, leg)
    return f"{text} ({', '.join(leaf for key in keys for leaf in leaves(leg.matrix[key]))})"


def dimensions(job: Job) -> list[str]:
    """The matrix keys that are dimensions, in written order."""
    matrix = job.matrix
    if not isinstance(matrix, dict):
        return []
    return [key for key in matrix if key not in ("include", "exclude")]


def shown_keys(job: Job, leg: Leg) -> list[str]:
    """The keys whose values a leg's automatic name shows."""
    keys = dimensions(job)
    if keys and all(key in leg.matrix for key in keys):
        return keys
    return list(leg.matrix)  # a standalone include entry


def leaves(value: Any) -> list[str]:
    """The scalar values inside a matrix value, as text (empty ones left out)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    text = to_string(value) if value is not None else ""
    return [text] if text else []
