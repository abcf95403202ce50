"""`@record` behaves as the slotted dataclasses it replaces on the check path."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError as DataclassFrozen

import pytest

from bot.core import records
from bot.core.analysis import analyze
from bot.core.config import Policy
from bot.core.records import FrozenInstanceError, field, record


@record(frozen=True, order=True)
class Point:
    x: int
    y: int = 0


@record()
class Bag:
    name: str
    items: list[int] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict, repr=False)


def test_init_defaults_and_factories_are_fresh() -> None:
    first, second = Bag("a"), Bag("b")
    first.items.append(1)
    assert second.items == [] and Point(1) == Point(1, 0)
    assert not hasattr(first, "__dict__")  # slotted


def test_repr_eq_hash_order_as_dataclasses() -> None:
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert repr(Bag("a", [1])) == "Bag(name='a', items=[1])"
    assert Point(1, 2) != (1, 2) and hash(Point(1, 2)) == hash((1, 2))
    assert sorted([Point(2), Point(1, 5), Point(1, 2)]) == [Point(1, 2), Point(1, 5), Point(2)]
    with pytest.raises(TypeError):
        hash(Bag("a"))  # eq without frozen: unhashable


def test_frozen_refuses_assignment_but_pickles() -> None:
    point = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    assert issubclass(FrozenInstanceError, AttributeError)
    assert not issubclass(FrozenInstanceError, DataclassFrozen)
    assert pickle.loads(pickle.dumps(point)) == point
    bag = Bag("a", [1], {"k": 2})
    again = pickle.loads(pickle.dumps(bag))
    assert again == bag and again.hidden == {"k": 2}


def test_replace_copies_with_changes() -> None:
    assert records.replace(Point(1, 2), y=3) == Point(1, 3)
    with pytest.raises(TypeError):
        records.replace(Point(1, 2), z=3)


def test_a_report_pickles() -> None:
    """The service runs analyses in a child process and unpickles their reports."""
    source = b"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    report = analyze({"ci.yml": source}, Policy())
    again = pickle.loads(pickle.dumps(report))
    assert again.as_json() == report.as_json()
    assert again.workflows[0].jobs[0].legs == report.workflows[0].jobs[0].legs


def test_the_cores_records_take_their_init_from_the_table_others_compile_their_own() -> None:
    # recordcode.py is fresh (tests/test_lazyre.py): every record of the core skips the
    # compile at start-up; a record it does not hold still gets the same __init__
    from bot.core import recordcode
    from bot.core.workflow import Job, Step
    from bot.core.yamlnodes import Map, Scalar

    for made in (Scalar, Map, Job, Step):
        assert made.__init__.__code__.co_filename == recordcode.__file__, made
    assert Bag.__init__.__code__.co_filename == "<string>"
    assert Point(1).y == 0 and Bag("a").items == []
    scalar = Scalar("v", 1, 2)
    assert (scalar.raw, scalar.quoted, scalar.end_col) == ("", False, 0)
