from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.expressions import (
    ExpressionError,
    Unknown,
    evaluate,
    evaluate_condition,
    evaluate_template,
    loose_equal,
    parse,
    referenced_keys,
    to_string,
)


def ev(text: str, **contexts):
    return evaluate(parse(text), contexts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 == '1'", True),
        ("3.9 == '3.9'", True),
        ("'3.10' == 3.1", True),  # GitHub compares as numbers when the types differ
        ("'3.10' == '3.1'", False),
        ("'ABC' == 'abc'", True),  # strings ignore case
        ("null == 0", True),
        ("true == 1", True),
        ("'' == 0", True),
        ("'abc' == 0", False),  # NaN
        ("1 != 2", True),
        ("2 > 1 && 'b' > 'A'", True),
        ("!''", True),
        ("!'x'", False),
        ("0x10 == 16", True),
        ("-1.5 < 0", True),
    ],
)
def test_operators_follow_github(text, expected):
    assert ev(text) is expected


def test_and_or_return_operands():
    assert (
        ev("matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-latest'", matrix={"arch": "arm64"})
        == "ubuntu-24.04-arm"
    )
    assert (
        ev("matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-latest'", matrix={"arch": "amd64"})
        == "ubuntu-latest"
    )
    assert ev("'' || 0") == 0
    assert ev("'a' && ''") == ""


def test_fromjson_runner_pattern_from_the_corpus():
    text = "matrix.arch == 'arm64' && fromJSON('[\"self-hosted\", \"arm64\", \"dgx\"]') || 'ubuntu-20.04'"
    assert ev(text, matrix={"arch": "arm64"}) == ["self-hosted", "arm64", "dgx"]
    assert ev(text, matrix={"arch": "amd64"}) == "ubuntu-20.04"


def test_index_and_property_access():
    matrix = {"buildplat": ["ubuntu-22.04-arm", "manylinux_aarch64"], "Os": "linux"}
    assert ev("matrix.buildplat[0]", matrix=matrix) == "ubuntu-22.04-arm"
    assert ev("matrix['buildplat'][1]", matrix=matrix) == "manylinux_aarch64"
    assert ev("matrix.os", matrix=matrix) == "linux"  # property names ignore case
    assert ev("matrix.buildplat[5]", matrix=matrix) is None
    assert ev("matrix.missing.deeper", matrix=matrix) is None
    assert ev("fromJSON('{\"a\":[1,2]}').a.*") == [1, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains('Hello world', 'WORLD')", True),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("startsWith('ubuntu-latest', 'UBUNTU')", True),
        ("endsWith('ubuntu-24.04-arm', '-arm')", True),
        ("format('{0}-{1}', 'linux', 3.10)", "linux-3.1"),
        ("format('{{literal}} {0}', 1)", "{literal} 1"),
        ("join(fromJSON('[\"a\", \"b\"]'), '+')", "a+b"),
        ('join(fromJSON(\'["a", "b"]\'))', "a,b"),
        ("toJSON(fromJSON('[1]'))", "[\n  1\n]"),
        ("fromJSON('true')", True),
    ],
)
def test_functions(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "vars.ARM_RUNNER",
        "secrets.X || 'x'",
        "github.event_name == 'push'",
        "needs.setup.outputs.matrix",
        "format('{0}', env.X)",
        "contains(steps.a.outputs.b, 'x')",
        "fromJSON(needs.a.outputs.m)",
        "!runner.os",
    ],
)
def test_runtime_contexts_are_unknown_and_propagate(text):
    assert isinstance(ev(text), Unknown)


def test_unknown_reason_names_the_path():
    assert ev("vars.ARM_RUNNER") == Unknown("vars.ARM_RUNNER")
    assert ev("needs.setup.outputs.runner") == Unknown("needs.setup.outputs.runner")


def test_and_short_circuits_past_unknown():
    assert ev("false && vars.X") is False
    assert ev("'x' || vars.X") == "x"
    assert isinstance(ev("vars.X && 'a'"), Unknown)


@pytest.mark.parametrize(
    "text", ["matrix.", "a ==", "format('{0}')", "foo(1)", "'open", "1 +", "fromJSON('{')", "unknownctx.x"]
)
def test_errors_are_expression_errors(text):
    with pytest.raises(ExpressionError):
        ev(text, matrix={})


def test_templates_keep_type_or_make_strings():
    contexts = {"matrix": {"v": 3.1, "list": ["a"]}}
    assert evaluate_template("${{ matrix.list }}", contexts) == ["a"]
    assert evaluate_template("py-${{ matrix.v }}-x", contexts) == "py-3.1-x"
    assert evaluate_template("${{ '}}' }}", contexts) == "}}"
    assert evaluate_template("${{ 'it''s }}' }}-${{ matrix.v }}", contexts) == "it's }}-3.1"
    with pytest.raises(ExpressionError):
        evaluate_template("${{ 'open }}", contexts)
    assert isinstance(evaluate_template("a-${{ vars.x }}", contexts), Unknown)
    assert evaluate_template(["x", "${{ matrix.v }}"], contexts) == ["x", 3.1]


def test_conditions_accept_bare_expressions():
    assert evaluate_condition("matrix.arch == 'arm64'", {"matrix": {"arch": "ARM64"}}) is True
    assert evaluate_condition("${{ matrix.arch != 'amd64' }}", {"matrix": {"arch": "amd64"}}) is False
    assert evaluate_condition(None, {}) is True
    assert isinstance(evaluate_condition("github.ref == 'x'", {}), Unknown)


def test_referenced_keys():
    assert referenced_keys("${{ matrix.arch == 'arm64' && 'a' || matrix['os'] }}") == {"arch", "os"}
    assert referenced_keys(["${{ matrix.buildplat[0] }}"]) == {"buildplat"}
    assert referenced_keys("${{ inputs.runner }}", "inputs") == {"runner"}
    assert referenced_keys("plain") == set()


def test_number_printing():
    assert to_string(3.0) == "3"
    assert to_string(3.10) == "3.1"
    assert to_string(math.inf) == "Infinity"
    assert to_string(None) == ""
    assert to_string(False) == "false"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)


@given(scalars, scalars)
def test_loose_equality_is_symmetric(a, b):
    assert loose_equal(a, b) == loose_equal(b, a)


@given(scalars)
def test_loose_equality_is_reflexive_for_scalars(a):
    assert loose_equal(a, a) is True


@given(st.text(alphabet="abcXYZ-_. 0123456789", max_size=12))
def test_string_literals_round_trip(text):
    literal = "'" + text.replace("'", "''") + "'"
    assert ev(literal) == text
    assert ev(f"format('{{0}}', {literal})") == text


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100 + "1" + ")" * 100,
        "format(" * 40 + "'x'" + ")" * 40,
        "!" * 40 + "true",
        "matrix" + "[matrix" * 40 + "]" * 40,
        " && ".join(["true"] * 300),
    ],
)
def test_hostile_expressions_are_expression_errors_not_crashes(text: str):
    with pytest.raises(ExpressionError, match=r"nested deeper|more than 400 tokens"):
        parse(text)
