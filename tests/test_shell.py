"""Splitting scripts into commands: strings, comments and here-documents are data, not
commands, so that a release note mentioning `make test` does not make a job a test job."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.shell import _COMMAND, MAX_COMMAND_CHARS, commands
from tests.conftest import judge


def stripped(script: str) -> list[str]:
    return [command.strip() for command in commands(script) if command.strip()]


def test_separators_split_and_redirections_do_not():
    script = "make -j4 2>&1 | tee log; ./configure && make || exit 1\ncargo test &\necho done"
    assert stripped(script) == [
        "make -j4 2>&1",
        "tee log",
        "./configure",
        "make",
        "exit 1",
        "cargo test &",
        "echo done",
    ]


def test_quoted_strings_are_one_command_even_across_lines():
    script = "python -c \"import sys\nprint(sys.version); print(1)\"\necho 'a;b && c'"
    assert stripped(script) == ['python -c "import sys\nprint(sys.version); print(1)"', "echo 'a;b && c'"]


def test_an_apostrophe_in_a_comment_opens_no_string():
    script = "# don't run the slow ones\npytest -m 'not slow'\n# it's done\nls"
    assert stripped(script) == ["# don't run the slow ones", "pytest -m 'not slow'", "# it's done", "ls"]


def test_line_continuations_join_lines():
    assert stripped("docker build \\\n  --platform linux/arm64 .\nls") == [
        "docker build    --platform linux/arm64 .",
        "ls",
    ]


@pytest.mark.parametrize(
    "opener", ["cat > notes.md <<EOF", "python3 - <<'PY'", 'tee -a "$GITHUB_STEP_SUMMARY" <<-"END"']
)
def test_here_document_bodies_fed_to_programs_are_data(opener: str):
    word = opener.rsplit("<<", 1)[1].strip("-'\"")
    script = f"{opener}\nmake test\npytest; cargo build\n{word}\necho next"
    assert stripped(script) == [opener, "echo next"]


@pytest.mark.parametrize(
    "opener", ["bash <<EOF", "docker exec -i box sh -s <<'EOF'", "ssh runner@host <<EOF", "cat <<EOF | bash"]
)
def test_here_document_bodies_read_by_a_shell_are_commands(opener: str):
    script = f"{opener}\ncd src && make test\nEOF\nls"
    assert stripped(script)[-4:] == [opener.split(" | ")[-1], "cd src", "make test", "ls"]


def test_a_shift_or_a_string_with_angle_brackets_is_not_a_here_document():
    script = 'python -c "print(1 << x)"\necho "a <<b"\nmake test'
    assert stripped(script) == ['python -c "print(1 << x)"', 'echo "a <<b"', "make test"]


def test_release_notes_that_mention_tests_do_not_make_a_job_a_test_job():
    jobs = judge("""\
        on: push
        jobs:
          release:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  cat > notes.md <<'EOF'
                  Run `make test` and `pytest` before upgrading.
                  EOF
                  gh release create "$GITHUB_REF_NAME" --notes-file notes.md
        """)
    assert jobs["release"].verdict.status == "not-applicable"
    assert jobs["release"].purpose.name == "publish"


@pytest.mark.parametrize(
    "script",
    [
        '"\\' * 100_000,  # a quote that never closes, escapes to the end
        "a'b\n" * 50_000,  # apostrophes in words
        "cat <<EOF\n" * 50_000,  # here-documents that never end
    ],
)
def test_hostile_scripts_split_in_linear_time(script: str):
    start = time.perf_counter()
    commands(script)
    assert time.perf_counter() - start < 5  # quadratic splitting took minutes on these


def test_an_unclosed_quote_runs_to_the_end_and_commands_are_capped():
    assert stripped('echo "unclosed\nmake test\nls') == ['echo "unclosed\nmake test\nls']
    assert [len(command) for command in commands("make " * 10_000)] == [MAX_COMMAND_CHARS]


def test_hostile_commands_are_judged_not_crashed_on():
    # nested command substitutions deeper than anyone writes, and a line the length of a file
    jobs = judge(
        "on: push\njobs:\n  deep:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: " + "a=$(" * 5_000 + "\n"
        "  long:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: " + "make test " * 50_000 + "\n"
    )
    assert jobs["deep"].purpose.name == "unknown"
    assert jobs["long"].purpose.name == "test"


# The double-quoted string as first written, one character (or escape) per repetition.
_ONE_BY_ONE = re.compile(
    r"""(?:'[^']*+(?:'|\Z)|"(?:[^"\\]|\\.?)*+(?:"|\Z)|(?:(?<=[\s;&|(])|^)\#[^\n]*"""
    r"""|[^\n;&|'"]++|(?<!&)&(?!&))+""",
    re.DOTALL,
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(['"', "\\", "'", "a", " ", "\n", ";", "&", "|", "#", "(", "é"]), max_size=40))
def test_double_quoted_strings_are_read_by_runs_as_one_character_at_a_time(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _COMMAND.findall(text) == _ONE_BY_ONE.findall(text)
