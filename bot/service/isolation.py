"""Untrusted workflows are analysed in worker processes, never in the service's own.

Anyone who can open a pull request chooses the files the analysis reads. A parser crash,
a runaway allocation or a pathological input must end that one job with a reason, not the
process serving every repository. So the analysis runs in a few long-lived children
started with a fresh interpreter ('spawn': no inherited locks, threads or secrets), each
under an address-space limit, each call under a wall-clock limit. A child that crashes,
runs out of memory or time is killed and replaced; an exception raised by the analysis
itself is an answer, and the child is kept.

The children run the tasks at the end of this module, compositions of core functions, and
`bot.core.joblog.read` for the CI logs of a pull request (as hostile as its workflows), so
the analysis stays in `bot.core` and this module only moves data. It imports nothing
from the GitHub side, which keeps the children small.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from bot.core.analysis import Report, analyze
from bot.core.config import Policy
from bot.core.delegates import Gathered, Reader
from bot.core.fixes import FilePlan, plan
from bot.core.scans import fixable
from bot.core.yamlnodes import decoded
from bot.render import check_run, markdown, review
from bot.render.safe import code

T = TypeVar("T")

DEFAULT_PROCESSES = 2
DEFAULT_MEMORY_MB = 512  # a 1 MB workflow of 6,000 jobs peaks near 110 MB
DEFAULT_TIMEOUT = 60.0  # seconds; the same workflow takes about 3


class AnalysisFailed(Exception):
    """The analysis did not finish: `path` is the file it was reading, when known."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path

    def describe(self) -> str:
        where = code(self.path) if self.path else "the workflows"
        return f"could not analyse {where}: {self.reason}"


class _Fatal(AnalysisFailed):
    """The child cannot be trusted with another call (it died, or is out of memory)."""


class _Worker:
    def __init__(self, context: Any, memory_bytes: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, memory_bytes), daemon=True)
        self.process.start()
        child.close()

    def call(self, task: Callable[..., Any], args: tuple[Any, ...], timeout: float, memory_mb: int) -> Any:
        """Blocking: run in a thread. Raises AnalysisFailed; _Fatal when the child is lost."""
        path: str | None = None
        deadline = time.monotonic() + timeout
        try:
            self.conn.send((task, args))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.conn.poll(remaining):
                    self.kill()
                    raise _Fatal(f"the analysis took longer than {timeout:g} seconds", path)
                kind, value = self.conn.recv()
                if kind == "at":
                    path = value
                elif kind == "done":
                    return value
                elif kind == "memory":
                    self.kill()
                    raise _Fatal(f"the analysis needed more than {memory_mb} MB", path)
                else:
                    raise AnalysisFailed(f"the analysis failed: {value}", path)
        except (EOFError, OSError):
            self.process.join(5)
            raise _Fatal(f"the analysis process {_death(self.process.exitcode)}", path) from None

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"crashed ({signal.Signals(-code).name})"
    return f"exited (status {code})"


class Isolation:
    """Up to `processes` analyses at once, each in a child of its own."""

    def __init__(
        self,
        processes: int = DEFAULT_PROCESSES,
        memory_mb: int = DEFAULT_MEMORY_MB,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.processes = processes
        self.memory_mb = memory_mb
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._slots: asyncio.Semaphore | None = None
        self.replaced = 0  # children lost to a crash, a limit or a cancelled call

    async def run(self, task: Callable[..., T], *args: Any) -> T:
        """`task(*args)` in a child; AnalysisFailed when it cannot finish."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.processes)
        async with self._slots:
            worker = self._idle.pop() if self._idle else None
            if worker is None or not worker.process.is_alive():
                worker = await asyncio.to_thread(self._spawn)
            try:
                result: T = await asyncio.to_thread(worker.call, task, args, self.timeout, self.memory_mb)
            except AnalysisFailed as exc:
                if isinstance(exc, _Fatal):
                    self.replaced += 1
                else:
                    self._keep(worker)
                raise
            except BaseException:
                # Cancelled (shutdown, a lost lease) or worse: the thread may still be
                # waiting on this child, so it is killed rather than handed to another call.
                self.replaced += 1
                worker.kill()
                raise
            self._keep(worker)
            return result

    async def start(self) -> None:
        """Start the children ahead of the first job (a spawn takes a second or two)."""
        started = await asyncio.gather(
            *(
                asyncio.to_thread(_Worker, self._context, self.memory_mb * 1024 * 1024)
                for _ in range(self.processes)
            )
        )
        for worker in started:
            self._keep(worker)

    def _spawn(self) -> _Worker:
        return _Worker(self._context, self.memory_mb * 1024 * 1024)

    def _keep(self, worker: _Worker) -> None:
        if len(self._idle) < self.processes:
            self._idle.append(worker)
        else:
            worker.kill()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().kill()


_default: Isolation | None = None


def configure(processes: int, memory_mb: int, timeout: float) -> Isolation:
    """The service's isolation, from its settings (before the workers start)."""
    global _default
    if _default is not None:
        _default.close()
    _default = Isolation(processes, memory_mb, timeout)
    return _default


def isolation() -> Isolation:
    """The one the service configured; defaults for tools that never called `configure`."""
    global _default
    if _default is None:
        _default = Isolation()
    return _default


async def analyse(task: Callable[..., T], *args: Any) -> T:
    return await isolation().run(task, *args)


# ---------------------------------------------------------------- in the child

_conn: Connection | None = None


def _serve(conn: Connection, memory_bytes: int) -> None:
    global _conn
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Batch work: the service's own process (webhooks, health checks) comes first.
    os.nice(10)
    # A parent that dies leaves us reading EOF, and we go with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _conn = conn
    while True:
        try:
            task, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] | None = ("done", task(*args))
        except MemoryError:
            answer = None
        except Exception as exc:
            answer = _failed(exc)
        if answer is not None:
            try:
                conn.send(answer)
                continue
            except MemoryError:  # an answer too large to send
                answer = None
            except Exception as exc:  # an answer that cannot be sent (not picklable): say so
                conn.send(_failed(exc))
                continue
        # Out of memory. Reported only here, past the except clauses: their tracebacks held
        # the failed call's frames and all they had built, and sending the report needs memory
        # too (sent from inside the clause, it sometimes failed and the parent saw only an
        # exit). The heap may be half-built: let the parent replace us.
        with contextlib.suppress(Exception):
            conn.send(("memory", None))
        os._exit(1)


def _failed(exc: Exception) -> tuple[str, str]:
    return "error", f"{type(exc).__name__}: {exc}"[:500]


def _announce(path: str | None) -> None:
    """Which file the child is reading: the parent names it if the child dies there."""
    if _conn is not None:
        _conn.send(("at", path))


def _progress(paths: list[str]) -> Callable[[int, int, str], None]:
    """analyze() reports after each file; announce the one it reads next."""
    ordered = sorted(paths)
    _announce(ordered[0] if ordered else None)

    def report(done: int, total: int, path: str) -> None:
        _announce(ordered[done] if done < len(ordered) else None)

    return report


def judge(files: Mapping[str, bytes], policy: Policy, read: Reader | None = None) -> Report:
    return analyze(files, policy, progress=_progress(list(files)), read=read)


@dataclass(frozen=True, slots=True)
class Judged:
    """A pull request's judgement as its check run shows it (the workflows it changed).

    Rendered here, in the worker: the report of a large workflow runs to tens of MB of
    objects, which the service would otherwise unpickle and hold for every such job."""

    conclusion: str
    title: str
    rendered: str  # the summary's report part
    annotations: list[dict[str, Any]]


def judge_pull_request(
    contents: Mapping[str, bytes],
    patches: Mapping[str, str],
    policy: Policy,
    today: date,
    delegated: Mapping[str, str | None] | None = None,
    shown: Collection[str] = (),
) -> tuple[Judged, review.Suggestions, list[str]]:
    """The judgement of a pull request's workflows (`shown`: the changed ones), read with
    the repository files fetched so far (`delegated`), and the files it asked for that
    were not among them."""
    read = Gathered(delegated)
    report = judge(contents, policy, read)
    changed = Report(policy, [wf for wf in report.workflows if wf.path in shown])
    judged = Judged(
        check_run.conclusion(changed, policy),
        check_run.title(changed, policy),
        markdown.render(changed),
        check_run.annotations_for(changed),
    )
    return judged, review.suggestions(contents, patches, policy, report, today, read), read.missing


def judge_repository(
    files: Mapping[str, bytes],
    policy: Policy,
    want_fixable: bool,
    today: date,
    delegated: Mapping[str, str | None] | None = None,
) -> tuple[tuple[Report, dict[str, list[str]]], list[str]]:
    """A repository's judgement (and its fixable jobs), read with the repository files
    fetched so far, and the files it asked for that were not among them."""
    read = Gathered(delegated)
    report = judge(files, policy, read)
    found = fixable(files, policy, report, today, read) if want_fixable else {}
    return (report, found), read.missing


def plan_fix(
    files: Mapping[str, bytes],
    policy: Policy,
    path: str,
    today: date,
    delegated: Mapping[str, str | None] | None = None,
) -> tuple[tuple[FilePlan | None, dict[str, Any]], list[str]]:
    read = Gathered(delegated)
    report = judge(files, policy, read)
    plans = plan(decoded(files), policy, today, report, read=read)
    return (next((item for item in plans if item.path == path), None), report.as_json()), read.missing
