"""Matrix expansion exactly as GitHub does it.

GitHub's builder takes the cartesian product of the dimensions (in the order written),
drops every combination an `exclude` entry matches, then for each `include` entry: its
keys that are dimensions form a filter, the others are extra values; the extras are added
to every combination the filter matches (later includes overwrite earlier extras, never
an original value), and an entry that matched nothing becomes a combination of its own.
Filters compare leaf by leaf (`matrix.a.b == 1`) with the expression `==`, so an
unquoted `3.9` matches `'3.9'` and object values match by subset.

A dimension computed at run time (`python: ${{ fromJSON(needs.setup.outputs.versions) }}`)
is kept as one opaque value (an `Unknown`) when no include or exclude filters on it: every
leg then carries that value, and whatever it turns out to be, the legs' runners and their
twins are decided by the other keys. An include or exclude that depends on an unknown
value makes the whole matrix unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.core.expressions import (
    ExpressionError,
    Unknown,
    evaluate_template,
    has_expression,
    loose_equal,
)
from bot.core.records import record

MAX_LEGS = 256  # GitHub's limit on jobs a matrix may generate
_MAX_PRODUCT = 100_000  # refuse to build larger products before excludes shrink them

Combination = dict[str, Any]


class MatrixError(Exception):
    """A matrix GitHub itself would reject."""


@record(frozen=True)
class Expansion:
    combinations: list[Combination]
    unknown: str | None = None  # why the combinations cannot be known statically


def expand(matrix: Any, contexts: Mapping[str, Any] | None = None) -> Expansion:
    """Expand a job's `strategy.matrix` (plain data) into its combinations."""
    if matrix is None:
        return Expansion([{}])
    contexts = contexts or {}
    if isinstance(matrix, str):
        if has_expression(matrix):
            value = _evaluate(matrix, contexts)
            if isinstance(value, Unknown):
                return Expansion([], f"the matrix is computed from {value.reason}")
            matrix = value
        if not isinstance(matrix, dict):
            raise MatrixError("strategy.matrix must be a mapping")
    if not isinstance(matrix, dict):
        raise MatrixError("strategy.matrix must be a mapping")

    vectors: dict[str, list[Any]] = {}
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        values = _evaluate_leaves(values, contexts)
        if isinstance(values, Unknown):
            values = [values]  # opaque: one value standing for whatever the run computes
        if not isinstance(values, list):
            raise MatrixError(f"matrix dimension '{key}' must be a list")
        if not values:
            raise MatrixError(f"matrix dimension '{key}' has no values")
        vectors[key] = values

    entries: dict[str, list[dict[str, Any]]] = {}
    for name in ("include", "exclude"):
        raw = _evaluate_leaves(matrix.get(name), contexts)
        if isinstance(raw, Unknown):
            return Expansion([], f"matrix {name} is computed from {raw.reason}")
        if raw is None:
            raw = []
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise MatrixError(f"matrix {name} must be a list of mappings")
        if any(not item for item in raw):
            raise MatrixError(f"a matrix {name} entry is empty")
        entries[name] = raw
        for item in raw:
            filter_part = item if name == "exclude" else {k: v for k, v in item.items() if k in vectors}
            dynamic = _first_dynamic(filter_part)
            if dynamic is not None:
                return Expansion([], f"matrix {name} uses {dynamic}")
            for key in filter_part:
                dynamic = _first_dynamic(vectors.get(key))
                if dynamic is not None:
                    return Expansion(
                        [], f"matrix {name} filters on dimension '{key}', which is computed from {dynamic}"
                    )

    if not vectors and not entries["include"]:
        raise MatrixError("the matrix defines no dimensions and no include entries")

    for key in (k for item in entries["exclude"] for k in item):
        if key not in vectors:
            raise MatrixError(f"matrix exclude key '{key}' does not match any dimension")

    size = 1
    for values in vectors.values():
        size *= len(values)
    if vectors and size > _MAX_PRODUCT:
        raise MatrixError(f"the matrix product has {size} combinations; GitHub allows {MAX_LEGS}")

    excludes = [_leaves(item) for item in entries["exclude"]]
    includes = []
    for item in entries["include"]:
        filter_part = {k: v for k, v in item.items() if k in vectors}
        extra = {k: v for k, v in item.items() if k not in vectors}
        includes.append((_leaves(filter_part), filter_part, extra))
    matched = [False] * len(includes)

    result: list[Combination] = []
    for combination in _product(vectors) if vectors else []:
        if any(_matches(combination, leaves) for leaves in excludes):
            continue
        added: dict[str, Any] = {}
        for index, (leaves, _, extra) in enumerate(includes):
            if _matches(combination, leaves):
                matched[index] = True
                added.update(extra)
        combination.update(added)
        result.append(combination)
    for index, (_, filter_part, extra) in enumerate(includes):
        if not matched[index]:
            result.append({**filter_part, **extra})

    if len(result) > MAX_LEGS:
        raise MatrixError(f"the matrix generates {len(result)} jobs; GitHub allows {MAX_LEGS}")
    return Expansion(result)


def _evaluate_leaves(value: Any, contexts: Mapping[str, Any]) -> Any:
    """Evaluate a dimension or include list; a value inside it that depends on the run
    (`runner: ${{ github.repository == 'o/r' && 'big' || 'ubuntu-24.04' }}`) stays as
    written, so that what reads it (runs-on) can follow each branch. A whole value that
    is computed (`${{ fromJSON(needs.x.outputs.list) }}`) comes back Unknown."""
    if isinstance(value, str):
        return _evaluate(value, contexts)
    if isinstance(value, list):
        return [_evaluate_leaf(item, contexts) for item in value]
    if isinstance(value, dict):
        return {key: _evaluate_leaf(item, contexts) for key, item in value.items()}
    return value


def _evaluate_leaf(value: Any, contexts: Mapping[str, Any]) -> Any:
    if isinstance(value, list | dict):
        return _evaluate_leaves(value, contexts)
    result = _evaluate(value, contexts)
    return value if isinstance(result, Unknown) and isinstance(value, str) else result


def _evaluate(value: Any, contexts: Mapping[str, Any]) -> Any:
    try:
        return evaluate_template(value, contexts)
    except ExpressionError as exc:
        raise MatrixError(f"invalid expression in matrix: {exc}") from None


def _first_dynamic(value: Any) -> str | None:
    """What makes a filter's value unknowable: an Unknown, or an expression kept as written."""
    unknown = _first_unknown(value)
    if unknown is not None:
        return unknown.reason
    stack = [value]
    while stack:
        item = stack.pop()
        if has_expression(item):
            return str(item)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def is_opaque(value: Any) -> bool:
    """Whether a matrix value (or a leg's matrix) holds a value computed at run time."""
    return _first_unknown(value) is not None


def _first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        found = _first_unknown(child)
        if found is not None:
            return found
    return None


def _product(vectors: dict[str, list[Any]]) -> list[Combination]:
    combos: list[Combination] = [{}]
    for key, values in vectors.items():
        combos = [{**combo, key: value} for combo in combos for value in values]
    return combos


Leaf = tuple[tuple[Any, ...], Any]


def _leaves(mapping: dict[str, Any]) -> list[Leaf]:
    leaves: list[Leaf] = []

    def walk(path: tuple[Any, ...], value: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk((*path, key), child)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk((*path, index), child)
        else:
            leaves.append((path, value))

    for key, value in mapping.items():
        walk((key,), value)
    return leaves


def _lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
            value = value[step]
        elif isinstance(value, dict):
            lowered = step.casefold()
            value = next((v for k, v in value.items() if k.casefold() == lowered), None)
        else:
            return None
    return value


def _matches(combination: Combination, leaves: list[Leaf]) -> bool:
    return all(loose_equal(_lookup(combination, path), literal) is True for path, literal in leaves)


def canonical(value: Any) -> str:
    """A stable text for a matrix value, for grouping legs (types kept: 3.1 vs '3.10')."""
    return json.dumps(value, sort_keys=True, default=str)
