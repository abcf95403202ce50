"""The two ways `yamlnodes` composes a document read it alike.

The fast way has ruamel's C composer make our scalars directly (by swapping the node types
its module names while it runs); the classic way composes ruamel's nodes and converts them.
Whatever the fast way reads must equal what the classic way reads, and whatever it leaves
(an error, an alias bomb, a duplicate key) the classic way must report as it always has.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import nodes as ruamel_nodes

from bot.core import yamlnodes
from bot.core.yamlnodes import Seq, YamlError, parse, plain
from tests.test_yaml_nesting import PIECES

ROOT = Path(__file__).resolve().parent.parent


def classic(text: str) -> Any:
    """The classic way's tree, or its error as (message, line)."""
    try:
        return yamlnodes._parsing().classic_tree(text)
    except YamlError as exc:
        return (exc.message, exc.line)


def parsed(text: str) -> Any:
    """What `parse` gives (the fast way when it can), or its error as (message, line)."""
    try:
        return parse(text)
    except YamlError as exc:
        return (exc.message, exc.line)


def test_the_fast_way_is_used_with_the_installed_ruamel() -> None:
    # If a ruamel release stops taking the swap (or reads the probe otherwise), every parse
    # silently pays the classic way's cost: the benchmark would show it, this says why.
    assert yamlnodes._parsing().fast is not None
    assert yamlnodes._parsing().fast_tree("a: [1, b]\n") is not yamlnodes._UNUSUAL


SCALARS = [
    *["1", "0x1f", "0o17", "-2.5e3", "1_000", ".inf", "-.Inf", ".nan", "~", "null", "", "true"],
    *["False", "yes", "on", "'q'", '"d\\tx"', "!!str 3", "!!int '7'", "!custom x", "2024-01-01"],
    *["|\n  block\n", ">-\n  folded\n  more\n", "plain text", "'a: b'", "-1", "+.5", "0x", "nULL"],
]

DOCUMENTS = {
    "every kind of scalar": "".join(f"k{index}: {value}\n" for index, value in enumerate(SCALARS)),
    "a flow collection": "a: [1, {b: c, d: [e, f]}, 'g']\n",
    "anchors and aliases": "base: &b {os: linux, arch: [x64, arm64]}\nother: *b\nlist: [*b, *b]\n",
    "a merge key": "a: &a {x: 1}\nb:\n  <<: *a\n  y: 2\n",
    "a complex key": "? [a, b]\n: c\n",
    "a duplicate key": "jobs:\n  a: 1\n  a: 2\n",
    "a duplicate anchor": "a: &x 1\nb: &x 2\n",
    "a recursive alias": "- &a [*a]\n",
    "an unclosed bracket": "jobs: [1, 2\nx: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "an empty document": "",
    "a comment only": "# nothing\n",
    "a scalar at the root": "just text\n",
    "a sequence at the root": "- a\n- [b]\n",
    "keys that read as other types": "1: a\ntrue: b\nnull: c\n~: d\n1.5: e\n",
    "an alias bomb": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{before}'] * 10)}]\n"
        for before, name in zip("abcde", "bcdef", strict=True)
    ),
}


# What the fast way leaves to the classic one; it reads every other document itself.
UNUSUAL = {
    "a complex key",
    "a duplicate key",
    "a duplicate anchor",
    "a recursive alias",
    "an unclosed bracket",
    "two documents",
    "an alias bomb",
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_both_ways_read_a_document_alike(name: str) -> None:
    text = DOCUMENTS[name]
    assert parsed(text) == classic(text)
    assert (yamlnodes._parsing().fast_tree(text) is yamlnodes._UNUSUAL) == (name in UNUSUAL)


def test_scalars_read_as_the_yaml_1_2_core_schema() -> None:
    """`on`/`yes` stay strings, no timestamps, underscores make no number, quotes keep text."""
    values = plain(parse(DOCUMENTS["every kind of scalar"]))
    nan = values.pop("k7")
    assert math.isnan(nan)
    assert list(values.values()) == [
        *[1, 31, 15, -2500.0, "1_000", math.inf, -math.inf, None, None, None, True],
        *[False, "yes", "on", "q", "d\tx", "3", "7", "x", "2024-01-01"],
        *["block\n", "folded more", "plain text", "a: b", -1, 0.5, "0x", "nULL"],
    ]


def test_errors_are_the_classic_ways_own() -> None:
    assert parsed(DOCUMENTS["a duplicate key"]) == ("duplicate key 'a' (first on line 2)", 3)
    message, _ = parsed(DOCUMENTS["a duplicate anchor"])
    assert message.startswith("invalid YAML") and "found duplicate anchor" in message
    message, _ = parsed(DOCUMENTS["an alias bomb"])
    assert "alias bomb" in message


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, *SCALARS, "&a ", "*a", "<<: ", "!!int "]), max_size=60).map("".join))
def test_both_ways_read_any_text_alike(text: str) -> None:
    assert parsed(text) == classic(text)


def test_both_ways_read_the_shipped_workflows_alike() -> None:
    files = sorted((ROOT / "examples").rglob("*.yml")) + sorted((ROOT / "tests").rglob("*.y*ml"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert parsed(text) == classic(text), path


def test_ruamel_is_left_as_it_was() -> None:
    module = yamlnodes._parsing().module
    for text in ("a: [1, {b: c}]\n", DOCUMENTS["a duplicate anchor"], DOCUMENTS["an unclosed bracket"]):
        parsed(text)
        assert module.ScalarNode is ruamel_nodes.ScalarNode
        assert module.SequenceNode is ruamel_nodes.SequenceNode
        assert module.MappingNode is ruamel_nodes.MappingNode


def test_a_fast_way_that_reads_the_probe_otherwise_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlnodes, "_built", lambda node, count, depth: Seq([], 1, 1))
    assert yamlnodes._Parsers().fast is None


def test_a_composer_that_does_not_make_what_it_is_given_is_left_not_crashed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ruamel that takes the swap otherwise (a class it no longer calls, other arguments)."""
    parsers = yamlnodes._parsing()

    def confused(node: object, count: list[int], depth: int) -> object:
        raise TypeError("cannot unpack non-iterable Scalar")

    monkeypatch.setattr(yamlnodes, "_built", confused)
    assert parsers.fast_tree("a: [1]\n") is yamlnodes._UNUSUAL
    assert plain(parse("a: [1]\n")) == {"a": [1]}  # read the classic way
    assert yamlnodes._Parsers().fast is None  # and the probe turns the fast way off
