"""`@record`: the slotted dataclasses `check` needs, without the `dataclasses` module.

`parity-bot check` is a one-shot process: `import dataclasses` pulls in `inspect` (and `dis`,
`ast`, `tokenize`), and each `@dataclass` runs `inspect.signature` for a docstring and one
`exec` per generated method. On the check path that was about a fifth of the start-up
(`make bench`). This builds the same methods (`__init__` with defaults and default factories,
`__repr__`, `__eq__`, `__hash__` for frozen classes, ordering, frozen `__setattr__`, pickling
of frozen slotted instances), always with `__slots__`: only `__init__` is generated as source,
the other methods are closures over the class's fields. Compiling that source was still most
of what the records cost at start-up (one `exec` per class, about 0.1 ms each), so the
core's are compiled ahead of time: `recordcode.py`, generated with the regular-expression
tables (`bot.core.regexgen`), holds each `__init__`'s source as a function Python caches
bytecode for, and a class whose source it lacks (a new record before `make regexcode`, or
one outside the core) compiles its own.

Only what the core uses is supported: no inheritance between records, no `ClassVar`, no
`InitVar`, fields declared by annotation with a plain default or `field(default_factory=…)`.
mypy reads the decorator as a dataclass (`dataclass_transform`).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, ge, gt, le, lt
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

# Every `__init__` source built in this process: what `recordcode.py` is generated from.
DECLARED: dict[str, None] = {}


def _init_source(fields: list[str], defaults: dict[str, Any], frozen: bool) -> str:
    """`__init__`, the one method generated as source: every instance runs it, so it assigns
    each field by name instead of looping over them."""
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
    return "\n".join([f"def __init__({', '.join(params)}):", *(body or ["  pass"])])


def _init(fields: list[str], defaults: dict[str, Any], frozen: bool) -> Callable[..., None]:
    source = _init_source(fields, defaults, frozen)
    DECLARED[source] = None
    try:
        from bot.core.recordcode import INITS
    except ImportError:  # a checkout without the generated module
        INITS = {}
    make: Callable[..., Callable[..., None]] | None = INITS.get(source)
    if make is not None:
        return make(defaults, _MISSING, object.__setattr__)
    scope: dict[str, Any] = {"_defaults": defaults, "_MISSING": _MISSING, "_set": object.__setattr__}
    exec(source, scope)
    made: Callable[..., None] = scope["__init__"]
    return made


def _methods(fields: list[str], defaults: dict[str, Any], frozen: bool, order: bool) -> dict[str, Any]:
    """The other methods, as closures over the fields: compiling them as source for every
    class cost more at start-up than they ever run."""
    get = attrgetter(*fields) if fields else None

    def values(self: Any) -> tuple[Any, ...]:  # a tuple whatever the number of fields
        if get is None:
            return ()
        return get(self) if len(fields) > 1 else (get(self),)

    hidden = {item for item, value in defaults.items() if isinstance(value, _Factory) and not value.repr}
    shown = [item for item in fields if item not in hidden]

    def __repr__(self: Any) -> str:
        parts = ", ".join(f"{item}={getattr(self, item)!r}" for item in shown)
        return f"{self.__class__.__qualname__}({parts})"

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    methods: dict[str, Any] = {"__repr__": __repr__, "__eq__": __eq__}
    if frozen:

        def __hash__(self: Any) -> int:
            return hash(values(self))

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        def __getstate__(self: Any) -> list[Any]:
            return list(values(self))

        def __setstate__(self: Any, state: list[Any]) -> None:
            for name, value in zip(fields, state, strict=False):
                object.__setattr__(self, name, value)

        methods.update(
            __hash__=__hash__,
            __setattr__=__setattr__,
            __delattr__=__delattr__,
            __getstate__=__getstate__,
            __setstate__=__setstate__,
        )
    if order:
        for method, compare in (("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)):
            methods[method] = _ordering(values, compare)
    return methods


def _ordering(values: Callable[[Any], tuple[Any, ...]], compare: Callable[[Any, Any], Any]) -> Any:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(values(self), values(other))
        return NotImplemented

    return method


def _build(cls: type, frozen: bool, order: bool) -> type:
    namespace = dict(cls.__dict__)
    fields = list(namespace.get("__annotations__", {}))  # this class's own, in order
    defaults = {item: namespace.pop(item) for item in fields if item in namespace}
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    methods = {"__init__": _init(fields, defaults, frozen), **_methods(fields, defaults, frozen, order)}
    for name, method in methods.items():
        method.__name__ = name
        method.__qualname__ = f"{cls.__qualname__}.{name}"
    namespace.update(methods)
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
