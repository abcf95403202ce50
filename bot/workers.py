"""`check`'s work shared with forked worker processes, on machines with more than one CPU.

Resolving the jobs of a repository (matrix, runners, purposes) is most of what `check` costs
and each workflow's is independent, so a share of the files is resolved in children forked
after start-up (imports and compiled patterns are shared, nothing is loaded again); the
parent reads every file itself, resolves the rest, then receives the children's legs
(pickled plain data, about 1 KB a job). Verdicts, findings and output are made once, in the
parent, from the same legs a single process would make: the output is byte-identical.

A child that fails in any way (an exception, a signal, a damaged answer) costs only time: the
parent resolves its share itself. Used on Linux only (`os.fork` after imports is what makes a
worker cheap; macOS warns against fork without exec), and only for enough input to pay for a
fork (about 2 ms).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.core import analysis

if TYPE_CHECKING:
    from bot.core.config import Policy
    from bot.core.delegates import Reader
    from bot.core.legs import JobLegs

MAX_WORKERS = 8
# Below this much workflow text a second process costs more than it saves (`make bench`).
MIN_BYTES = 48 * 1024


def available() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def shares(sizes: Mapping[str, int], workers: int) -> list[list[str]]:
    """The paths (in sorted order, in contiguous runs) for the parent, then for each child,
    of about the same size each. The parent also reads every file, but a child pays as much
    again in pages copied on write and its answer (measured on ipfs_kit_py/latest: equal
    shares finish within 2 ms of each other)."""
    total = sum(sizes.values()) or 1
    out: list[list[str]] = [[] for _ in range(workers)]
    done = 0.0
    for path in sorted(sizes):
        middle = done + sizes[path] / 2  # a file goes where most of it falls
        out[min(int(middle * workers / total), workers - 1)].append(path)
        done += sizes[path]
    return out


def elsewhere(
    files: Mapping[str, bytes], policy: Policy, read: Reader | None, jobs: int | None
) -> analysis.Elsewhere | None:
    """Fork children resolving their shares of `files`, or None when one process is best.
    `jobs` is the number of processes asked for (None: as many as there are CPUs)."""
    workers = min(jobs if jobs is not None else available(), MAX_WORKERS, len(files))
    size = sum(len(data) for data in files.values())
    if workers < 2 or size < MIN_BYTES or sys.platform != "linux":
        return None
    plan = shares({path: len(data) for path, data in files.items()}, workers)
    import pickle  # noqa: F401 -- imported before the fork, not by each child

    from bot.core import yamlnodes

    yamlnodes.prepare()

    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, read end)
    away: set[str] = set()
    for share in plan[1:]:
        if not share:
            continue
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: resolve, answer, leave without running the parent's exit code
            os.close(receive)
            _answer(send, files, share, policy, read)
        os.close(send)
        children.append((pid, receive))
        away.update(share)
    return analysis.Elsewhere(frozenset(away), lambda: _collect(children))


def _answer(
    send: int, files: Mapping[str, bytes], share: list[str], policy: Policy, read: Reader | None
) -> None:
    import pickle

    status = 1
    try:
        data = pickle.dumps(analysis.resolve_share(files, share, policy, read), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(send, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # any failure: the parent resolves this share itself
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
