"""Nesting bombs are refused before ruamel's C composer, which recurses without a limit.

The bombs themselves run in a child interpreter: without the pre-scan they kill the process
that parses them (signal 11), and a test must fail, not take pytest down with it.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.yamlnodes import MAX_DEPTH, YamlError, _scan_nesting, check_nesting, parse

BOMBS = {
    "flow sequences": "'[' * 50_000 + ']' * 50_000",
    "flow mappings": "'{a: ' * 50_000 + '}' * 50_000",
    "block sequences on one line": "'- ' * 50_000 + 'x\\n'",
    "a bomb behind a normal start": "'on: push\\njobs:\\n  a:\\n    runs-on: ' + '[' * 50_000 + ']' * 50_000",
    "brackets after a quoted string of closers": "'x: [\\'' + ']' * 60_000 + '\\', ' + '[' * 50_000",
}


@pytest.mark.parametrize("expression", BOMBS.values(), ids=list(BOMBS))
def test_a_nesting_bomb_is_a_clear_error_not_a_crash(expression: str) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                from bot.core.yamlnodes import YamlError, parse
                try:
                    parse({expression})
                except YamlError as exc:
                    print(exc.message, exc.line)
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.returncode == 0, f"the parser died: status {child.returncode}\n{child.stderr[-2000:]}"
    message, _, line = child.stdout.strip().rpartition(" ")
    assert message == f"nesting deeper than {MAX_DEPTH} levels"
    assert line == "1" or line.isdigit()


def test_the_error_names_the_line_where_nesting_went_too_deep() -> None:
    text = "on: push\njobs:\n  a:\n    steps:\n      - run: x\n        with:\n          v: " + "[" * 2000
    with pytest.raises(YamlError) as info:
        parse(text)
    assert info.value.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert info.value.line == 7


def test_brackets_inside_scripts_quotes_and_comments_are_not_nesting() -> None:
    # Enough brackets to leave the cheap bound: the exact scan must read them as text.
    script = "\n".join("          if [[ -f x ]]; then echo '{'; fi # [[[" for _ in range(400))
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n"
        f"{script}\n"
        '      - run: echo "' + "[" * 500 + '"\n'
        "      - run: echo '" + "{" * 500 + "'  # " + "[" * 500 + "\n"
        "      - with: {a: [1, [2, {b: 3}]]}\n"
    )
    root = parse(text)
    assert root is not None


CParser: Any = importlib.import_module("ruamel.yaml.cyaml").CParser


def open_collections(text: str) -> int:
    """The deepest the composer would recurse: libyaml's own events, up to any error."""
    parser = CParser(text)
    depth = deepest = 0
    try:
        while True:
            kind = type(parser.get_event()).__name__
            if kind in ("SequenceStartEvent", "MappingStartEvent"):
                depth += 1
                deepest = max(deepest, depth)
            elif kind in ("SequenceEndEvent", "MappingEndEvent"):
                depth -= 1
            elif kind == "StreamEndEvent":
                return deepest
    except Exception:
        return deepest


def scanned_levels(text: str) -> int:
    for limit in range(200):
        try:
            _scan_nesting(text, limit)
        except YamlError:
            continue
        return limit
    raise AssertionError("more than 200 levels")


PIECES = [
    *["- ", "? ", ": ", "a", "b: ", "a:", ":", "-", "?", "c", "%", "x'y", "x #c", "a\n  "],
    *["[", "]", "{", "}", ", ", ",", "{a: [", "]]", "'[", "'", '"', "''", '"\\"', '"\\\n'],
    *["#", "\n", "\n", "\n", "  ", " ", "    ", "\t", "\r\n", "\u2028", "---\n", "...\n"],
    *["|", ">", "|2", "|-", "&x ", "*x", "!t ", "!t[", "\\"],
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=80).map("".join))
def test_the_scan_never_counts_fewer_collections_than_libyaml_opens(text: str) -> None:
    # Each counted level is at most two levels of nodes (an indentless sequence under its
    # mapping, a single-pair mapping inside a flow sequence): the bound the limit relies on.
    assert open_collections(text) <= 2 * scanned_levels(text)


def test_the_cheap_bound_leaves_a_normal_workflow_to_the_converter() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: ${{ matrix.os }}\n    strategy: {matrix: {os: [a, b]}}\n"
    check_nesting(text)
    assert scanned_levels(text) == open_collections(text) == 6


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_the_scan_counts_exactly_on_real_workflows() -> None:
    files = [path for path in CORPUS.rglob("*.y*ml") if path.is_file() and "/before/" not in str(path)]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert scanned_levels(text) <= open_collections(text), path
