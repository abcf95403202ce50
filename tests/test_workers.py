"""`check` shares its work with forked processes and says exactly what one process says."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.workflows import generate
from bot import workers
from bot.core.analysis import Elsewhere, analyze, resolve_claimed
from bot.core.config import Policy
from bot.render import json_format, text
from tests.conftest import TODAY

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only")


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's generated repository: 40 workflows, reusable ones called by others."""
    root = tmp_path_factory.mktemp("repository")
    generate(root)
    return root


def _files(root: Path) -> dict[str, bytes]:
    folder = root / ".github" / "workflows"
    return {f".github/workflows/{path.name}": path.read_bytes() for path in sorted(folder.iterdir())}


def _check(root: Path, *options: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--no-progress", *options, str(root)],
        capture_output=True,
        check=False,
        cwd=root,
    )


@linux_only
@pytest.mark.parametrize("form", ["json", "text", "sarif"])
def test_two_processes_say_what_one_says(repository: Path, form: str) -> None:
    one, two = (
        _check(repository, "--format", form, "--jobs", "1"),
        _check(repository, "--format", form, "--jobs", "2"),
    )
    assert one.returncode == two.returncode == 1  # the generated repository has violations
    assert two.stdout == one.stdout and two.stderr == one.stderr
    assert len(one.stdout) > 5_000


@linux_only
def test_a_child_that_dies_costs_only_time(repository: Path) -> None:
    """Its share is resolved by the parent: the report is the one a single process makes."""
    parent = os.getpid()

    class Dying(dict[str, bytes]):
        def __getitem__(self, key: str) -> bytes:
            if os.getpid() != parent:
                os._exit(3)  # the child, loading its first workflow
            return super().__getitem__(key)

    files = _files(repository)
    share = workers.elsewhere(Dying(files), Policy(), None, 2)
    assert share is not None  # a child was forked
    shared = analyze(Dying(files), Policy(), TODAY, elsewhere=share)
    assert json_format.render(shared) == json_format.render(analyze(files, Policy(), TODAY))


def _queue(paths: list[str]) -> Callable[[], str | None]:
    left = iter(paths)
    return lambda: next(left, None)


def test_files_claimed_elsewhere_but_missing_from_the_answer_are_resolved_here(repository: Path) -> None:
    files = _files(repository)
    paths = sorted(files)
    serial = text.render(analyze(files, Policy(), TODAY))
    # another process claimed every other file and answered for only some of them
    answered = resolve_claimed(files, _queue(paths[1::2][:5]), Policy())
    partial = Elsewhere(_queue(paths[::2]), lambda: answered)
    assert text.render(analyze(files, Policy(), TODAY, elsewhere=partial)) == serial
    nothing = Elsewhere(_queue(paths[:3]), dict)  # a process that answered nothing
    assert text.render(analyze(files, Policy(), TODAY, elsewhere=nothing)) == serial


def test_small_input_stays_in_one_process(repository: Path) -> None:
    files = _files(repository)
    small = dict(list(files.items())[:2])
    assert sum(map(len, small.values())) < workers.MIN_BYTES
    assert workers.elsewhere(small, Policy(), None, 4) is None
    assert workers.elsewhere(files, Policy(), None, 1) is None


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_jobs_must_be_a_number_of_processes(repository: Path, value: str) -> None:
    done = _check(repository, f"--jobs={value}")
    assert done.returncode == 2
    assert b"--jobs" in done.stderr and b"Traceback" not in done.stderr
