"""`@record`: the slotted dataclasses `check` needs, without the `dataclasses` module.

`parity-bot check` is a one-shot process: `import dataclasses` pulls in `inspect` (and `dis`,
`ast`, `tokenize`), and each `@dataclass` runs `inspect.signature` for a docstring and one
`exec` per generated method. On the check path that was about a fifth of the start-up
(`make bench`). This builds the same methods (`__init__` with defaults and default factories,
`__repr__`, `__eq__`, `__hash__` for frozen classes, ordering, frozen `__setattr__`, pickling
of frozen slotted instances) with one `exec` per class, always with `__slots__`.

Only what the core uses is supported: no inheritance between records, no `ClassVar`, no
`InitVar`, fields declared by annotation with a plain default or `field(default_factory=…)`.
mypy reads the decorator as a dataclass (`dataclass_transform`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as `dataclasses.FrozenInstanceError`)."""


class _Factory:
    __slots__ = ("make", "repr")

    def __init__(self, make: Callable[[], Any], repr: bool) -> None:
        self.make = make
        self.repr = repr


def field(*, default_factory: Callable[[], Any], repr: bool = True) -> Any:
    """A field whose default is made afresh for every instance (left out of the repr with
    `repr=False`)."""
    return _Factory(default_factory, repr)


_MISSING = object()


def _methods(name: str, fields: list[str], defaults: dict[str, Any], frozen: bool, order: bool) -> str:
    params, body = ["self"], []
    for item in fields:
        default = defaults.get(item, _MISSING)
        if isinstance(default, _Factory):
            params.append(f"{item}=_MISSING")
            value = f"_defaults[{item!r}].make() if {item} is _MISSING else {item}"
        elif default is not _MISSING:
            params.append(f"{item}=_defaults[{item!r}]")
            value = item
        else:
            params.append(item)
            value = item
        body.append(f"  _set(self, {item!r}, {value})" if frozen else f"  self.{item} = {value}")
    values = "".join(f"self.{item}," for item in fields)
    others = "".join(f"other.{item}," for item in fields)
    hidden = {item for item, value in defaults.items() if isinstance(value, _Factory) and not value.repr}
    shown = ", ".join(f"{item}={{self.{item}!r}}" for item in fields if item not in hidden)
    lines = [f"def __init__({', '.join(params)}):", *(body or ["  pass"])]
    lines += ["def __repr__(self):", f"  return f'{{self.__class__.__qualname__}}({shown})'"]
    lines += [
        "def __eq__(self, other):",
        "  if other.__class__ is self.__class__:",
        f"    return ({values}) == ({others})",
        "  return NotImplemented",
    ]
    if frozen:
        lines += ["def __hash__(self):", f"  return hash(({values}))"]
        lines += [
            "def __setattr__(self, name, value):",
            "  raise FrozenInstanceError(f'cannot assign to field {name!r}')",
            "def __delattr__(self, name):",
            "  raise FrozenInstanceError(f'cannot delete field {name!r}')",
            "def __getstate__(self):",
            f"  return [{values}]",
            "def __setstate__(self, state):",
            f"  for name, value in zip({tuple(fields)!r}, state):",
            "    _set(self, name, value)",
        ]
    if order:
        for method, op in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">=")):
            lines += [
                f"def {method}(self, other):",
                "  if other.__class__ is self.__class__:",
                f"    return ({values}) {op} ({others})",
                "  return NotImplemented",
            ]
    return "\n".join(lines)


def _build(cls: type, frozen: bool, order: bool) -> type:
    namespace = dict(cls.__dict__)
    fields = list(namespace.get("__annotations__", {}))  # this class's own, in order
    defaults = {item: namespace.pop(item) for item in fields if item in namespace}
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    scope: dict[str, Any] = {
        "_defaults": defaults,
        "_MISSING": _MISSING,
        "_set": object.__setattr__,
        "FrozenInstanceError": FrozenInstanceError,
    }
    exec(_methods(cls.__name__, fields, defaults, frozen, order), scope)
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        if method in scope:
            scope[method].__qualname__ = f"{cls.__qualname__}.{method}"
    namespace.update({key: value for key, value in scope.items() if key.startswith("__") and callable(value)})
    if not frozen:
        namespace["__hash__"] = None  # eq without frozen: unhashable, as a dataclass
    namespace["__slots__"] = tuple(fields)
    namespace["__match_args__"] = tuple(fields)
    namespace["__record_fields__"] = tuple(fields)
    made = type(cls)(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    return made


@dataclass_transform(field_specifiers=(field,))
def record(*, frozen: bool = False, order: bool = False) -> Callable[[type[T]], type[T]]:
    """A slotted dataclass: `@record()`, `@record(frozen=True)`, `@record(frozen=True, order=True)`."""

    def wrap(cls: type[T]) -> type[T]:
        return _build(cls, frozen, order)

    return wrap


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of a record with some fields changed (as `dataclasses.replace`)."""
    values = {item: getattr(obj, item) for item in obj.__record_fields__}  # type: ignore[attr-defined]
    unknown = changes.keys() - values.keys()
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)
