"""Matrix expansion, including GitHub's documented include/exclude examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.expressions import Unknown
from bot.core.matrix import MAX_LEGS, MatrixError, expand


def test_no_matrix_is_one_leg():
    assert expand(None).combinations == [{}]


def test_cartesian_product_in_written_order():
    result = expand({"os": ["a", "b"], "v": [1, 2]}).combinations
    assert result == [{"os": "a", "v": 1}, {"os": "a", "v": 2}, {"os": "b", "v": 1}, {"os": "b", "v": 2}]


def test_docs_example_expanding_with_include():
    # docs.github.com "Expanding or adding matrix configurations"
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert expand(matrix).combinations == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_docs_example_exclude():
    matrix = {
        "os": ["macos-latest", "windows-latest"],
        "version": [12, 14, 16],
        "environment": ["staging", "production"],
        "exclude": [
            {"os": "macos-latest", "version": 12, "environment": "production"},
            {"os": "windows-latest", "version": 16},
        ],
    }
    result = expand(matrix).combinations
    assert len(result) == 12 - 1 - 2
    assert {"os": "windows-latest", "version": 16, "environment": "staging"} not in result


def test_docs_example_include_does_not_overwrite_original_values():
    matrix = {
        "os": ["windows-latest", "ubuntu-latest"],
        "node": [14, 16],
        "include": [{"os": "windows-latest", "node": 16, "npm": 6}],
    }
    result = expand(matrix).combinations
    assert {"os": "windows-latest", "node": 16, "npm": 6} in result
    assert len(result) == 4


def test_include_only_matrix():
    result = expand({"include": [{"os": "a", "x": 1}, {"os": "b"}]}).combinations
    assert result == [{"os": "a", "x": 1}, {"os": "b"}]


def test_exclude_compares_like_github_equality():
    matrix = {"py": ["3.9", "3.10", "pypy3.11"], "os": ["mac", "linux"], "exclude": [{"os": "MAC", "py": 3.9}]}
    result = expand(matrix).combinations
    assert {"py": "3.9", "os": "mac"} not in result
    assert len(result) == 5


def test_exclude_matches_objects_by_subset():
    matrix = {
        "cfg": [{"os": "a", "cc": "gcc"}, {"os": "b", "cc": "clang"}],
        "v": [1, 2],
        "exclude": [{"cfg": {"cc": "clang"}, "v": 2}],
    }
    assert len(expand(matrix).combinations) == 3


def test_later_include_overwrites_earlier_added_value():
    matrix = {"a": [1], "include": [{"x": "first"}, {"a": 1, "x": "second"}]}
    assert expand(matrix).combinations == [{"a": 1, "x": "second"}]


@pytest.mark.parametrize(
    ("matrix", "reason"),
    [
        ("${{ fromJSON(needs.setup.outputs.matrix) }}", "needs.setup.outputs.matrix"),
        ({"include": "${{ fromJSON(inputs.include) }}"}, "inputs.include"),
        ({"os": "${{ fromJSON(vars.OSES) }}", "exclude": [{"os": "b"}]}, "vars.OSES"),
        ({"os": ["a", "b"], "include": [{"os": "${{ vars.B }}", "x": 1}]}, "vars.B"),
    ],
)
def test_dynamic_matrices_are_unknown_with_a_reason(matrix, reason):
    expansion = expand(matrix, {"inputs": Unknown("inputs")})
    assert expansion.combinations == []
    assert reason in (expansion.unknown or "")


def test_a_dimension_computed_at_run_time_is_one_opaque_value():
    expansion = expand(
        {"os": ["ubuntu-latest", "ubuntu-24.04-arm"], "python": "${{ fromJSON(needs.setup.outputs.versions) }}"}
    )
    assert expansion.unknown is None
    assert [c["os"] for c in expansion.combinations] == ["ubuntu-latest", "ubuntu-24.04-arm"]
    assert {c["python"] for c in expansion.combinations} == {Unknown("needs.setup.outputs.versions")}


def test_a_value_that_depends_on_the_run_stays_as_written():
    runner = "${{ github.repository == 'o/r' && 'big-arm' || 'ubuntu-24.04-arm' }}"
    expansion = expand(
        {"os": ["a"], "py": ["3.12", "${{ vars.B }}"], "include": [{"os": "a", "runner": runner}]}
    )
    assert expansion.combinations == [
        {"os": "a", "py": "3.12", "runner": runner},
        {"os": "a", "py": "${{ vars.B }}", "runner": runner},
    ]


def test_matrix_from_known_inputs_expands():
    expansion = expand("${{ fromJSON(inputs.m) }}", {"inputs": {"m": '{"os": ["a", "b"]}'}})
    assert [c["os"] for c in expansion.combinations] == ["a", "b"]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({"os": []}, "no values"),
        ({"os": "plain"}, "must be a list"),
        ({"os": ["a"], "exclude": [{"arch": "x"}]}, "does not match"),
        ({"include": [{}]}, "empty"),
        ({}, "no dimensions"),
        ({"a": list(range(20)), "b": list(range(20))}, "allows 256"),
        ({"a": list(range(1000)), "b": list(range(1000))}, "allows 256"),
    ],
)
def test_matrices_github_rejects(matrix, message):
    with pytest.raises(MatrixError, match=message):
        expand(matrix)


dimension = st.lists(
    st.one_of(st.integers(0, 5), st.sampled_from(["a", "b", "3.10"])), min_size=1, max_size=4, unique=True
)


@given(st.dictionaries(st.sampled_from(["os", "py", "arch"]), dimension, min_size=1))
def test_product_size_and_uniqueness(matrix):
    size = 1
    for values in matrix.values():
        size *= len(values)
    result = expand(matrix).combinations
    assert len(result) == size <= MAX_LEGS
    assert len({tuple(sorted(c.items(), key=str)) for c in result}) == size


@given(st.dictionaries(st.sampled_from(["os", "py"]), dimension, min_size=1), st.data())
def test_exclude_removes_exactly_the_matching_combinations(matrix, data):
    key = data.draw(st.sampled_from(sorted(matrix)))
    value = data.draw(st.sampled_from(matrix[key]))
    before = expand(matrix).combinations
    after = expand({**matrix, "exclude": [{key: value}]}).combinations
    assert after == [c for c in before if c[key] != value]
