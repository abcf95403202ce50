"""`check`'s work shared with forked worker processes, on machines with more than one CPU.

Judging the jobs of a repository (matrix, runners, purposes, verdicts) is most of what
`check` costs, and files of different file families are judged independently (a job is
judged against its family's jobs alone: `analysis.groups`). Children forked after start-up
(imports, compiled patterns and the parser are shared, nothing is loaded again) and the
parent take groups of files from one queue until it is empty, costliest first (the files'
sizes and those of the workflows they call), so the groups claimed last are small ones and
neither process waits long for the other. Each process reads only the files it judges (and
those they call) and makes their reports whole; a child pickles each group's reports as soon
as they are made (without the workflows' YAML nodes: `WorkflowReport.portable`), so that
pickling them is part of the shared work; the parent reads them once its queue is empty,
orders them with its own and renders the output: byte-identical to what one process makes.

The queue is a pipe holding each group's index in two bytes, written whole before the fork
(without blocking: a pipe too small for it means one process): on Linux a read of two bytes
from a pipe is atomic, so each index goes to exactly one process, and the closed write end
ends every reader's loop. A child that fails in any way (an exception, a signal, a damaged
answer) costs only time: the parent judges what it had claimed and not answered whole; a
fork that fails leaves the work to the processes there are. Children are reaped once the
analysis is over: the parent reads their answers without waiting for their exit (the kernel
takes a millisecond or two to free a child's memory). Used on Linux only (`os.fork` after
imports is what makes a worker cheap; macOS warns against fork without exec), and only for
enough input to pay for a fork.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from bot.core import analysis
from bot.core.workflow import local_calls

if TYPE_CHECKING:
    from datetime import date

    from bot.core.analysis import Group, WorkflowReport
    from bot.core.config import Policy
    from bot.core.delegates import Reader

MAX_WORKERS = 8
# Below this much workflow text a second process costs more than it saves (`make bench`).
MIN_BYTES = 48 * 1024
MAX_GROUPS = 65535  # what two bytes can number
_INDEX = 2  # bytes
_LENGTH = 4  # bytes before each answer: its length
# What an answer pipe holds before a child writing to it waits (Linux gives 64 KB): the parent
# reads the answers only once the queue is empty, and a child that waits claims no more work.
_ANSWER_ROOM = 1024 * 1024


def available() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@contextmanager
def sharing(
    files: Mapping[str, bytes], policy: Policy, today: date, read: Reader | None, jobs: int | None
) -> Iterator[analysis.Elsewhere | None]:
    """Children that judge groups of files taken from a queue the parent shares (None when
    one process is best), for the time of one analysis (of `today`: the same date in every
    process); `jobs` is the number of processes asked for (None: one per CPU). Children still
    running when it ends (the analysis failed) are stopped; all are reaped."""
    groups = analysis.groups(files)
    workers = min(jobs if jobs is not None else available(), MAX_WORKERS, len(groups))
    size = sum(len(data) for data in files.values())
    if workers < 2 or size < MIN_BYTES or len(groups) > MAX_GROUPS or sys.platform != "linux":
        yield None
        return
    costs = _costs(files)
    team = _Team(sorted(groups, key=lambda group: (-sum(costs[path] for path in group), group)))
    try:
        yield team.start(files, policy, today, read, workers - 1)
    finally:
        team.stop()


def _costs(files: Mapping[str, bytes]) -> dict[str, int]:
    """What resolving each file costs, roughly: its size, and the sizes of the local reusable
    workflows it calls, whose jobs are resolved with it (a 2 KB pipeline that calls four
    workflows was among the costliest files of a repository, and by its size came last)."""
    sizes = {path.rsplit("/", 1)[-1]: len(data) for path, data in files.items()}
    costs: dict[str, int] = {}
    for path, data in files.items():
        costs[path] = len(data)
        if b"./.github/workflows/" in data:
            called = local_calls(data.decode("utf-8", "replace"))
            costs[path] += sum(sizes.get(name, 0) for name in called)
    return costs


class _Team:
    def __init__(self, groups: list[Group]) -> None:
        self.groups = groups
        self.queue = -1
        self.children: list[tuple[int, int]] = []  # (pid, the read end of its answers)
        self.answered: list[int] = []  # children whose answers were read, to reap

    def start(
        self, files: Mapping[str, bytes], policy: Policy, today: date, read: Reader | None, count: int
    ) -> analysis.Elsewhere | None:
        import fcntl
        import pickle  # noqa: F401 -- imported before the fork, not by each child

        from bot.core import yamlnodes

        yamlnodes.prepare()
        self.queue, fill = os.pipe()
        try:
            os.set_blocking(fill, False)
            indexes = b"".join(index.to_bytes(_INDEX, "big") for index in range(len(self.groups)))
            written = os.write(fill, indexes)
        except BlockingIOError:
            written = 0
        finally:
            os.close(fill)
        if written != len(indexes):  # a pipe smaller than the queue: no sharing
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        for _ in range(count):
            receive, send = os.pipe()
            with suppress(AttributeError, OSError):  # above the system's maximum: the default
                fcntl.fcntl(send, fcntl.F_SETPIPE_SZ, _ANSWER_ROOM)
            try:
                pid = os.fork()
            except OSError:  # no more processes or memory: the others share the work
                os.close(receive)
                os.close(send)
                break
            if pid == 0:  # the child: judge, answer, leave without the parent's exit code
                for _, other in self.children:
                    os.close(other)
                os.close(receive)
                _answer(send, files, self.claim, policy, today, read)
            os.close(send)
            self.children.append((pid, receive))
        if not self.children:
            return None
        return analysis.Elsewhere(self.claim, self.collect)

    def claim(self) -> Group | None:
        index = os.read(self.queue, _INDEX)
        return self.groups[int.from_bytes(index, "big")] if len(index) == _INDEX else None

    def collect(self) -> dict[str, WorkflowReport]:
        """Every child's reports, by path: each answer it wrote whole."""
        found: dict[str, WorkflowReport] = {}
        while self.children:
            pid, receive = self.children.pop(0)
            self.answered.append(pid)
            with os.fdopen(receive, "rb") as pipe:
                for reports in _answers(pipe.read()):
                    found.update((report.path, report) for report in reports)
        return found

    def stop(self) -> None:
        """Reap the children; stop those the analysis did not collect (it failed) first.
        Close the queue."""
        import signal  # only here: not on the path of a run that went well

        for pid, receive in self.children:
            os.close(receive)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)
        for pid in self.answered:
            _reap(pid)
        self.children, self.answered = [], []
        if self.queue >= 0:
            os.close(self.queue)
            self.queue = -1


def _reap(pid: int) -> None:
    """With SIGCHLD ignored (a parent may start this process so) the kernel reaps children
    itself: the answers alone tell, as they always do."""
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _answers(data: bytes) -> Iterator[list[WorkflowReport]]:
    """The answers a child wrote whole, in order, up to one cut short or damaged (the child
    died writing it): the parent judges the groups they leave out."""
    import pickle

    view, at = memoryview(data), 0
    while at + _LENGTH <= len(view):
        end = at + _LENGTH + int.from_bytes(view[at : at + _LENGTH], "big")
        if end > len(view):
            return
        try:
            answer = pickle.loads(view[at + _LENGTH : end])  # from this process's own fork: trusted
        except Exception:
            return
        if not (isinstance(answer, list) and all(isinstance(item, analysis.WorkflowReport) for item in answer)):
            return
        yield answer
        at = end


def _answer(
    send: int,
    files: Mapping[str, bytes],
    claim: Callable[[], Group | None],
    policy: Policy,
    today: date,
    read: Reader | None,
) -> None:
    import pickle

    try:
        with os.fdopen(send, "wb") as pipe:
            for reports in analysis.judge_claimed(files, claim, policy, today, read):
                data = pickle.dumps(reports, pickle.HIGHEST_PROTOCOL)
                pipe.write(len(data).to_bytes(_LENGTH, "big") + data)
    except BaseException:  # any failure: the parent judges what this child did not answer
        pass
    finally:
        os._exit(0)  # the answers alone tell the parent what was done
