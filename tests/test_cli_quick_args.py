"""`check`'s quick argument reading gives what argparse gives, or leaves the line to it."""

from __future__ import annotations

import itertools

import pytest

from bot.cli import _quick_check, build_parser

PIECES = [
    ["a.yml"],
    ["a.yml", "b"],
    ["--format", "json"],
    ["--format=sarif"],
    ["--no-progress"],
    ["--progress"],
    ["--fail-on", "warning"],
    ["--config", "p.yml"],
    ["--config="],
    ["--output", "json=out.json"],
    ["--output=text=t.txt"],
    ["--jobs", "2"],
]
ODD = [
    ["check", "--format", "yaml"],
    ["check", "--form", "json"],
    ["check", "--format"],
    ["check", "--config", "-x"],
    ["check", "-h"],
    ["check", "--", "a"],
    ["check", "a", "--format", "json", "b"],
    ["check", "-"],
    ["fix", "a"],
    [],
]


def _lines() -> list[list[str]]:
    lines = [["check"]]
    for size in (1, 2, 3):
        for combo in itertools.permutations(PIECES, size):
            lines.append(["check", *itertools.chain.from_iterable(combo)])
    return lines


@pytest.mark.parametrize("argv", _lines(), ids=" ".join)
def test_the_quick_reading_matches_argparse(argv: list[str]) -> None:
    quick = _quick_check(argv)
    try:
        expected = vars(build_parser().parse_args(argv))
    except SystemExit:
        assert quick is None
        return
    if quick is not None:
        assert vars(quick) == expected


@pytest.mark.parametrize("value", ["0", "-1", "x", "²", "٣", ""])
def test_a_jobs_value_argparse_refuses_goes_to_argparse(value: str) -> None:
    for argv in (["check", "--jobs", value], ["check", f"--jobs={value}", "a.yml"]):
        assert _quick_check(argv) is None
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", ODD, ids=" ".join)
def test_anything_unusual_goes_to_argparse(argv: list[str]) -> None:
    assert _quick_check(argv) is None


def test_the_usual_lines_are_read_quickly() -> None:
    assert _quick_check(["check", "--format", "json", "--no-progress", "a.yml", "b.yml"]) is not None
    assert _quick_check(["check"]) is not None


def test_paths_are_spelt_as_pathlib_spells_them() -> None:
    """The CLI reads and names files without importing pathlib, in the same spelling."""
    from pathlib import PurePosixPath

    from bot.cli import _spelt

    given = [
        "",
        ".",
        "./",
        "a",
        "a/",
        "./a//b/./c/",
        "/x",
        "//x",
        "///x",
        "////x/../y",
        "../a",
        "a/../b",
        "//",
        "/",
    ]
    for path in given:
        assert _spelt(path) == str(PurePosixPath(path)), path
