"""`check` shares its work with forked processes and says exactly what one process says."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from benchmarks.workflows import generate
from bot import cli, workers
from bot.core.analysis import Elsewhere, Group, Report, WorkflowReport, analyze, groups, judge_claimed
from bot.core.config import Policy
from bot.core.workflow import Workflow
from bot.render import json_format, text
from tests.conftest import TODAY

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only")


# A job whose arm64 twin is in another file of its file family: judged apart, it would be
# amd64-only.
TWINS = {
    "test-amd64.yml": "on: push\njobs:\n  test-amd64:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - run: pytest\n",
    "test-arm64.yml": "on: push\njobs:\n  test-arm64:\n    runs-on: ubuntu-24.04-arm\n    steps:\n"
    "      - run: pytest\n",
    "broken.yml": "on: push\njobs: [1, 2\n",
}


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's generated repository (40 workflows, reusable ones called by others)
    and a job whose twin is in another file."""
    root = tmp_path_factory.mktemp("repository")
    generate(root)
    for name, text_ in TWINS.items():
        (root / ".github" / "workflows" / name).write_text(text_)
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
def test_check_shares_the_work_with_children(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --jobs 2` on the repository above really has children judge part of it."""
    answered: list[str] = []
    collect = workers._Team.collect

    def watched(team: workers._Team) -> dict[str, WorkflowReport]:
        found = collect(team)
        answered.extend(found)
        return found

    monkeypatch.setattr(workers._Team, "collect", watched)
    assert cli.main(["check", "--no-progress", "--format", "json", "--jobs", "2", str(repository)]) == 1
    shared = capsys.readouterr().out
    assert answered
    assert cli.main(["check", "--no-progress", "--format", "json", "--jobs", "1", str(repository)]) == 1
    assert capsys.readouterr().out == shared


def _shared(files: Mapping[str, bytes]) -> tuple[Report, list[Group], list[str]]:
    """`analyze` sharing its work with one child: the report, the groups the parent claimed,
    and the paths the child answered for."""
    claimed: list[Group] = []
    answered: list[str] = []
    with workers.sharing(files, Policy(), TODAY, None, 2) as share:
        assert share is not None

        def claim() -> Group | None:
            group = share.claim()
            if group is not None:
                claimed.append(group)
            return group

        def collect() -> Mapping[str, WorkflowReport]:
            found = share.collect()
            answered.extend(found)
            return found

        report = analyze(files, Policy(), TODAY, elsewhere=Elsewhere(claim, collect))
    return report, claimed, answered


def test_a_portable_report_renders_as_the_report_it_was_made_from(repository: Path) -> None:
    report = analyze(_files(repository), Policy(), TODAY)
    platforms = report.policy.platforms
    assert any(workflow.error for workflow in report.workflows)  # broken.yml: its error travels too
    for workflow in report.workflows:
        received = pickle.loads(pickle.dumps(workflow.portable()))
        assert received.as_json(platforms) == workflow.as_json(platforms)
        assert received.all_findings() == workflow.all_findings()


def test_files_are_grouped_by_file_family() -> None:
    paths = ["b/ci.yml", "a/test-arm64.yml", "a/test-amd64.yml", "a/TEST.yml", "a/lint.yml"]
    assert groups(paths) == [
        ("a/TEST.yml", "a/test-amd64.yml", "a/test-arm64.yml"),
        ("a/lint.yml",),
        ("b/ci.yml",),
    ]


@linux_only
def test_children_judge_part_of_the_files(repository: Path) -> None:
    files = _files(repository)
    shared, claimed, answered = _shared(files)
    mine = [path for group in claimed for path in group]
    assert mine and answered and sorted(mine + answered) == sorted(files)
    assert json_format.render(shared) == json_format.render(analyze(files, Policy(), TODAY))
    twin = next(report for report in shared.workflows if report.path.endswith("test-amd64.yml"))
    assert twin.jobs[0].status == "parity"  # its twin's file was judged with it
    # the queue hands out the costliest groups first: what the parent took comes in that order
    costs = workers._costs(files)
    order = [(-sum(costs[path] for path in group), group) for group in claimed]
    assert order == sorted(order)
    # what children answer carries no YAML nodes, steps or text
    answered_reports = [report for report in shared.workflows if report.path in answered]
    assert all(not report.workflow.source for report in answered_reports)
    assert all(
        not job.job.steps and not job.job.node.entries for report in answered_reports for job in report.jobs
    )


def test_a_file_costs_its_size_and_that_of_the_local_workflows_it_calls() -> None:
    called = b"on: workflow_call\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
    caller = (
        b"on: push\njobs:\n  a:\n    uses: ./.github/workflows/called.yml\n"
        b"  b:\n    uses: ./.github/workflows/gone.yml\n  c:\n    uses: org/repo/.github/workflows/x.yml@v1\n"
    )
    files = {".github/workflows/called.yml": called * 10, ".github/workflows/caller.yml": caller}
    assert workers._costs(files) == {
        ".github/workflows/called.yml": len(called) * 10,
        ".github/workflows/caller.yml": len(caller) + len(called) * 10,
    }


@linux_only
def test_a_child_that_dies_costs_only_time(repository: Path) -> None:
    """What it claimed is judged by the parent: the report is the one a single process makes."""
    parent = os.getpid()

    class Dying(dict[str, bytes]):
        def __getitem__(self, key: str) -> bytes:
            if os.getpid() != parent:
                os._exit(3)  # the child, loading the first workflow it claimed
            return super().__getitem__(key)

    files = _files(repository)
    shared, claimed, answered = _shared(Dying(files))
    assert len(claimed) == len(groups(files)) - 1 and not answered  # the child claimed one, then died
    assert json_format.render(shared) == json_format.render(analyze(files, Policy(), TODAY))


def _frame(answer: object) -> bytes:
    data = pickle.dumps(answer)
    return len(data).to_bytes(4, "big") + data


@linux_only
def test_answers_written_whole_are_taken_up_to_a_damaged_one() -> None:
    """A child may die while it writes (a signal, no memory): what it wrote whole counts,
    whatever its exit status; from the first answer cut short or damaged on, nothing does."""
    a, b, c = (WorkflowReport(name, Workflow(name, "")) for name in ("a.yml", "b.yml", "c.yml"))
    team = workers._Team([("a.yml",), ("b.yml",), ("c.yml",)])
    for status, written in (
        (3, _frame([a]) + _frame([b])[:-1]),  # the second cut short
        (0, len(b"not a pickle").to_bytes(4, "big") + b"not a pickle" + _frame([c])),
        (0, _frame([c.path]) + _frame([c])),  # not reports
        (0, b""),
        (0, b"\x00\x00"),  # a length cut short
    ):
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(receive)
            os.write(send, written)
            os._exit(status)
        os.close(send)
        team.children.append((pid, receive))
    pids = [pid for pid, _ in team.children]
    assert team.collect() == {"a.yml": a}
    assert team.children == [] and team.answered == pids
    team.stop()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped once the analysis is over


@linux_only
def test_children_reaped_by_the_kernel_still_answer(repository: Path) -> None:
    """Started with SIGCHLD ignored (as some supervisors start commands), waitpid finds no
    child: the answers alone tell."""
    one = _check(repository, "--format", "json", "--jobs", "1")
    ignoring = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "check",
            "--no-progress",
            "--format",
            "json",
            "--jobs",
            "2",
            str(repository),
        ],
        capture_output=True,
        check=False,
        cwd=repository,
        preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN),
    )
    assert (ignoring.returncode, ignoring.stdout, ignoring.stderr) == (one.returncode, one.stdout, one.stderr)
    # and the children did answer (not only the parent, judging everything itself)
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        files = _files(repository)
        shared, _, answered = _shared(files)
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert answered
    assert json_format.render(shared) == json_format.render(analyze(files, Policy(), TODAY))


@linux_only
def test_children_left_running_are_stopped_when_the_analysis_fails(repository: Path) -> None:
    files = _files(repository)
    pids: list[int] = []
    with pytest.raises(RuntimeError), workers.sharing(files, Policy(), TODAY, None, 3) as share:
        assert share is not None
        pids.extend(pid for pid, _ in share.claim.__self__.children)  # type: ignore[attr-defined]
        raise RuntimeError("the analysis failed")
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # stopped and reaped


def _queue(items: list[Group]) -> Callable[[], Group | None]:
    left = iter(items)
    return lambda: next(left, None)


def test_groups_claimed_elsewhere_but_not_answered_whole_are_judged_here(repository: Path) -> None:
    files = _files(repository)
    every = groups(files)
    serial = text.render(analyze(files, Policy(), TODAY))
    # another process claimed every other group and answered for only some of them, and for
    # the group of twins, one file of two
    theirs = [group for group in every[1::2] if len(group) == 1][:5] + [g for g in every if len(g) > 1]
    reports = [report for answer in judge_claimed(files, _queue(theirs), Policy(), TODAY) for report in answer]
    answered = {report.path: report for report in reports if not report.path.endswith("test-arm64.yml")}
    partial = Elsewhere(_queue([group for group in every if group not in theirs]), lambda: answered)
    assert text.render(analyze(files, Policy(), TODAY, elsewhere=partial)) == serial
    nothing = Elsewhere(_queue(every[:3]), dict)  # a process that answered nothing
    assert text.render(analyze(files, Policy(), TODAY, elsewhere=nothing)) == serial


def test_small_input_stays_in_one_process(repository: Path) -> None:
    files = _files(repository)
    small = dict(list(files.items())[:2])
    assert sum(map(len, small.values())) < workers.MIN_BYTES
    with workers.sharing(small, Policy(), TODAY, None, 4) as share:
        assert share is None
    with workers.sharing(files, Policy(), TODAY, None, 1) as share:
        assert share is None


@pytest.mark.parametrize("value", ["0", "-1", "two", "", "²"])
def test_jobs_must_be_a_number_of_processes(repository: Path, value: str) -> None:
    done = _check(repository, f"--jobs={value}")
    assert done.returncode == 2
    assert b"--jobs" in done.stderr and b"Traceback" not in done.stderr
