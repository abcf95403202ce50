"""`check`'s work shared with forked worker processes, on machines with more than one CPU.

Resolving the jobs of a repository (matrix, runners, purposes) is most of what `check` costs
and each workflow's is independent. Children forked after start-up (imports, compiled
patterns and the parser are shared, nothing is loaded again) and the parent take files from
one queue until it is empty, so a file's cost, whatever it is, never leaves one process
waiting for another: the parent first reads every file (the report needs them all) while
the children start on the queue, then joins them. The children send back their legs
(pickled plain data, about 1 KB a job); verdicts, findings and output are made once, in the
parent, from the same legs one process would make: the output is byte-identical.

The queue is a pipe holding each file's index in two bytes, written whole before the fork:
a read of two bytes from a pipe is atomic, so each index goes to exactly one process, and
the closed write end ends every reader's loop. A child that fails in any way (an exception,
a signal, a damaged answer) costs only time: the parent resolves what it had claimed. Used
on Linux only (`os.fork` after imports is what makes a worker cheap; macOS warns against
fork without exec), and only for enough input to pay for a fork.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from bot.core import analysis

if TYPE_CHECKING:
    from bot.core.config import Policy
    from bot.core.delegates import Reader
    from bot.core.legs import JobLegs

MAX_WORKERS = 8
# Below this much workflow text a second process costs more than it saves (`make bench`).
MIN_BYTES = 48 * 1024
# The queue is written whole before the fork, so it must fit in a pipe's buffer (64 KB).
MAX_FILES = 16 * 1024
_INDEX = 2  # bytes


def available() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def elsewhere(
    files: Mapping[str, bytes], policy: Policy, read: Reader | None, jobs: int | None
) -> analysis.Elsewhere | None:
    """Fork children that resolve files taken from a queue the parent shares, or None when
    one process is best. `jobs` is the number of processes asked for (None: one per CPU)."""
    workers = min(jobs if jobs is not None else available(), MAX_WORKERS, len(files))
    size = sum(len(data) for data in files.values())
    if workers < 2 or size < MIN_BYTES or len(files) > MAX_FILES or sys.platform != "linux":
        return None
    import pickle  # noqa: F401 -- imported before the fork, not by each child

    from bot.core import yamlnodes

    yamlnodes.prepare()
    paths = sorted(files)
    queue, fill = os.pipe()
    os.write(fill, b"".join(index.to_bytes(_INDEX, "big") for index in range(len(paths))))
    os.close(fill)
    claim = _claimer(queue, paths)
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, the read end of its answer)
    for _ in range(workers - 1):
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: resolve, answer, leave without running the parent's exit code
            os.close(receive)
            _answer(send, files, claim, policy, read)
        os.close(send)
        children.append((pid, receive))

    def collect() -> dict[str, dict[str, JobLegs]]:
        os.close(queue)
        return _collect(children)

    return analysis.Elsewhere(claim, collect)


def _claimer(queue: int, paths: list[str]) -> Callable[[], str | None]:
    def claim() -> str | None:
        index = os.read(queue, _INDEX)
        return paths[int.from_bytes(index, "big")] if len(index) == _INDEX else None

    return claim


def _answer(
    send: int,
    files: Mapping[str, bytes],
    claim: Callable[[], str | None],
    policy: Policy,
    read: Reader | None,
) -> None:
    import pickle

    status = 1
    try:
        data = pickle.dumps(analysis.resolve_claimed(files, claim, policy, read), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(send, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # any failure: the parent resolves what this child had claimed
        pass
    finally:
        os._exit(status)


def _collect(children: list[tuple[int, int]]) -> dict[str, dict[str, JobLegs]]:
    """Every child's legs; a child that failed contributes nothing."""
    import pickle

    found: dict[str, dict[str, JobLegs]] = {}
    for pid, receive in children:
        with os.fdopen(receive, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            continue
        try:
            answer = pickle.loads(data)  # from this process's own fork: trusted
        except Exception:  # a damaged answer: that share is resolved here
            continue
        if isinstance(answer, dict):
            found.update(answer)
    return found
