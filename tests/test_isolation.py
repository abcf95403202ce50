"""The analysis worker processes: a crash, a memory or time limit ends the call, not us.

Every test runs real child processes; the tasks below are what the children run (they
must be importable by a fresh interpreter, hence module level).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from bot.core.config import Policy
from bot.service import isolation
from bot.service.isolation import AnalysisFailed, Isolation


def crash_in(path: str) -> None:
    isolation._announce(path)
    os.kill(os.getpid(), signal.SIGSEGV)


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def allocate(megabytes: int) -> int:
    isolation._announce(".github/workflows/big.yml")
    return len(bytearray(megabytes * 1024 * 1024))


def fail() -> None:
    raise ValueError("not a workflow")


def pid() -> int:
    return os.getpid()


def unsendable() -> object:
    return lambda: None  # a result pickle refuses


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_a_crash_is_reported_with_the_file_and_the_next_call_gets_a_new_process() -> None:
    pool = Isolation(processes=1, timeout=30)

    async def scenario() -> tuple[AnalysisFailed, int, int]:
        before = await pool.run(pid)
        with pytest.raises(AnalysisFailed) as info:
            await pool.run(crash_in, ".github/workflows/x.yml")
        after = await pool.run(pid)
        return info.value, before, after

    try:
        failure, before, after = run(scenario())
    finally:
        pool.close()
    assert failure.describe() == (
        "could not analyse `.github/workflows/x.yml`: the analysis process crashed (SIGSEGV)"
    )
    assert after != before and after != os.getpid()
    assert pool.replaced == 1


def test_a_call_past_its_time_is_killed() -> None:
    pool = Isolation(processes=1, timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(AnalysisFailed, match=r"took longer than 0\.5 seconds"):
            run(pool.run(sleep, 30))
    finally:
        pool.close()
    assert time.monotonic() - started < 10


def test_a_call_past_its_memory_is_stopped_and_named() -> None:
    pool = Isolation(processes=1, memory_mb=128, timeout=30)

    async def scenario() -> tuple[AnalysisFailed, int]:
        with pytest.raises(AnalysisFailed) as info:
            await pool.run(allocate, 512)
        return info.value, await pool.run(allocate, 8)

    try:
        failure, small = run(scenario())
    finally:
        pool.close()
    assert failure.describe() == (
        "could not analyse `.github/workflows/big.yml`: the analysis needed more than 128 MB"
    )
    assert small == 8 * 1024 * 1024


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (fail, "ValueError: not a workflow"),  # the analysis raised
        (unsendable, r"the analysis failed: .*(pickle|Pickl)"),  # its answer cannot be sent
    ],
    ids=["an exception", "an answer that cannot be sent"],
)
def test_a_failed_analysis_is_an_answer_and_the_process_is_kept(task: object, message: str) -> None:
    pool = Isolation(processes=1, timeout=30)

    async def scenario() -> tuple[int, int]:
        first = await pool.run(pid)
        with pytest.raises(AnalysisFailed, match=message):
            await pool.run(task)
        return first, await pool.run(pid)

    try:
        first, second = run(scenario())
    finally:
        pool.close()
    assert first == second
    assert pool.replaced == 0


def test_the_analysis_runs_in_the_child_and_comes_back_whole() -> None:
    pool = Isolation(processes=2, timeout=60)
    text = b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
    files = {".github/workflows/ci.yml": text}

    async def scenario():  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(pool.run(isolation.judge, files, Policy()) for _ in range(3)))

    try:
        reports = run(scenario())
    finally:
        pool.close()
    statuses = [[job.status for wf in report.workflows for job in wf.jobs] for report in reports]
    assert statuses == [["amd64-only"]] * 3
