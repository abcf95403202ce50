"""GitHub's response shapes, from githubkit, for the fake GitHub and the contract test.

githubkit is generated from GitHub's OpenAPI description: each REST operation names its
method, its path template (in the docstring: `GET /repos/{owner}/{repo}/pulls`) and its
response model. `operations()` reads that table from githubkit's own source, so an endpoint
in `bot.service.rest` is checked against the model GitHub documents for it, not one we
picked. `complete()` gives a body every required field a model has (the fake answers with
the fields parity-bot reads; GitHub sends many more), and `violations()` validates it.
"""

from __future__ import annotations

import ast
import datetime
import enum
import importlib
import re
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union

import pydantic
from githubkit.versions import LATEST_VERSION

from bot.service.rest import Endpoint

_VERSION = "v" + LATEST_VERSION.replace("-", "_")
_MODELS = importlib.import_module(f"githubkit_schemas.{_VERSION}.models")
_REST = Path(importlib.import_module(f"githubkit_schemas.{_VERSION}.rest").__file__ or "").parent
_OPERATION = re.compile(r"^\s*(GET|POST|PATCH|PUT|DELETE) (/\S*)\s*$", re.MULTILINE)


@cache
def operations() -> dict[tuple[str, str], str | None]:
    """(method, path template) -> the source of githubkit's response model (None: no body)."""
    found: dict[tuple[str, str], str | None] = {}
    for module in sorted(_REST.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.AsyncFunctionDef):
                continue
            match = _OPERATION.search(ast.get_docstring(node) or "")
            if match is None:
                continue
            model = None
            for call in ast.walk(node):
                if isinstance(call, ast.keyword) and call.arg == "response_model":
                    model = ast.unparse(call.value)
            found[(match.group(1), match.group(2))] = model
    return found


@cache
def model_of(endpoint: Endpoint) -> Any:
    """The type githubkit parses the endpoint's answer into; KeyError for an unknown one."""
    source = operations()[(endpoint.method, endpoint.path)]
    if source is None:
        return None
    return eval(source, {}, _Namespace())


class _Namespace(dict[str, Any]):
    """The names a response model's source uses: typing's and githubkit's models."""

    def __missing__(self, name: str) -> Any:
        return {"Union": Union, "list": list, "Literal": Literal}.get(name) or getattr(_MODELS, name)


@cache
def _adapter(model: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(model)


def violations(endpoint: Endpoint, body: Any) -> list[str]:
    """What in a 2xx answer githubkit's model for the endpoint rejects."""
    model = model_of(endpoint)
    if model is None:
        return []
    try:
        _adapter(model).validate_python(body)
    except pydantic.ValidationError as exc:
        return [
            f"{endpoint}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:10]
        ]
    return []


# -------------------------------------------------------------------- completing bodies
_TIME = "2026-01-01T00:00:00Z"


def complete(endpoint: Endpoint, body: Any) -> Any:
    """The body with every required field of the endpoint's model present (the fake's own
    values kept; a missing one gets the plainest value of its type)."""
    model = model_of(endpoint)
    return body if model is None else _fill(model, body)


def _fill(tp: Any, value: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _fill(args[0], value)
    if origin in (Union, types.UnionType):
        return _fill_union(args, value)
    if origin is list and isinstance(value, list):
        return [_fill(args[0], item) if args else item for item in value]
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel) and isinstance(value, dict):
        filled = dict(value)
        for name, field in tp.model_fields.items():
            key = field.alias or name
            if key in filled:
                filled[key] = _fill(field.annotation, filled[key])
            elif field.is_required():
                filled[key] = _blank(field.annotation)
        return filled
    return value


def _fill_union(members: tuple[Any, ...], value: Any) -> Any:
    if not isinstance(value, dict | list):
        return value
    candidates = [m for m in members if m is not type(None) and not _is_unset(m)]
    for member in candidates:  # the first member the value fits once completed
        filled = _fill(member, value)
        try:
            _adapter(member).validate_python(filled)
        except pydantic.ValidationError:
            continue
        return filled
    return _fill(candidates[0], value) if candidates else value


def _is_unset(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal and all(isinstance(a, enum.Enum) for a in typing.get_args(tp))


def _blank(tp: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _blank(args[0])
    if origin in (Union, types.UnionType):
        if type(None) in args:
            return None
        return _blank(next(a for a in args if not _is_unset(a)))
    if origin is Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict or tp is dict:
        return {}
    if isinstance(tp, type):
        if issubclass(tp, pydantic.BaseModel):
            return _fill(tp, {})
        if issubclass(tp, bool):
            return False
        if issubclass(tp, int | float):
            return 0
        if issubclass(tp, str):
            return ""
        if issubclass(tp, datetime.datetime):
            return _TIME
        if issubclass(tp, datetime.date):
            return _TIME[:10]
        if issubclass(tp, enum.Enum):
            return next(iter(tp)).value
    return None
