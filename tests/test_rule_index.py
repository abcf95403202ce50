"""The rule index searches a command only with rules it may match: words every match holds,
and one of the words of a group every match passes through, gate the rules; gating must
never leave out a rule that matches."""

from __future__ import annotations

import pytest

from bot.core.prefilter import required_words, words
from bot.core.purpose import _RUN_INDEX, _compile, _run_rule_match

COMMANDS = (
    "icx -O2 -o main main.c",
    "ifort -c solver.f90",
    "tox -e changelog",
    "nox -s release-notes",
    "rstcheck README.rst",
    "doc8 docs/",
    "npm run test:unit",
    "yarn test",
    "cabal test",
    "stack test --fast",
    "./scripts/smoke-test.sh",
    "GOOS=windows go build ./...",
    "cargo clippy --all-targets",
    "python -m build --sdist",
    "gh release upload v1 dist/*",
    "docker run --platform linux/386 alpine uname -m",
    "make lint",
    "./tests/run_tests.sh",
    "pytest -x tests",
    "echo done",
)


def test_every_rule_that_matches_a_command_is_among_its_candidates() -> None:
    for command in COMMANDS:
        candidates = set(_RUN_INDEX.candidates(command))
        matching = {
            index for index, rule in enumerate(_RUN_INDEX.rules) if _compile(rule.source).search(command)
        }
        assert matching <= candidates, command


def test_rules_that_require_one_of_some_words_are_gated_by_them() -> None:
    """Rules with no word of their own were searched for every command."""
    assert _RUN_INDEX.always == []
    assert _run_rule_match("icpx -fsycl kernel.cpp") is not None
    assert _run_rule_match("rstcheck README.rst") is not None
    gated = [_RUN_INDEX.rules[index].source for index in _RUN_INDEX.candidates("echo done")]
    assert not any("rstcheck" in source or "icpx" in source for source in gated)


@pytest.mark.parametrize(
    ("source", "every", "one_of"),
    [
        (r"\b(rstcheck|doc8)\b", (), ("rstcheck", "doc8")),
        (r"\bcabal (new-)?test\b", ("cabal", "test"), ()),  # optional: no group word
        (r"\b(tox|nox)?xyz\b", ("xyz",), ()),
        (r"(?<![\w-])(smoke|e2e)[-_]?tests?", ("test",), ("smoke", "e2e")),
        (r"(?:foo.bar|baz)\b", (), ()),  # a bare `.`: any character, no word
        (r"(?:foo\.bar|baz)\b", (), ("foo.bar", "baz")),
        (r"(?=abc|abd)ab", ("ab",), ()),  # a lookahead
        (r"(a|b)c|d", (), ()),  # an alternation at the top
        (r"(x{2}|yy)zz", ("zz",), ()),
        (r"(?P<tool>mypy|pyright) \.", (), ("mypy", "pyright")),
        # what the reading cannot follow requires no word at all
        (r"(?:a|[])](foo|bar))", (), ()),  # `]` first in a class
        (r"(?x)(?:foo|bar) ?baz", (), ()),  # verbose: the space before `?` is not literal
        (r"make\x2dtest", (), ()),  # a character by its number
        (r"ab\u0063de", (), ()),
        (r"(ab)\1cd", (), ()),  # a back-reference
    ],
)
def test_required_words(source: str, every: tuple[str, ...], one_of: tuple[str, ...]) -> None:
    assert required_words(source) == (every, one_of)
    assert words(source) == (every, one_of)  # not in the table: read the same way
