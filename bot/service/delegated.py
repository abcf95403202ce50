"""The repository's own files a judgement hands work to (scripts, Makefiles, composite
actions), fetched through the contents API, so the App reads a workflow as `parity-bot
check` reads a checkout: the pull-request check, scans and fix pull requests alike.

A judgement in a worker process says which files it wanted and did not have; they are
fetched at the same commit (MAX_REMOTE_READS at most, MAX_DELEGATE_BYTES of each) and the
workflows judged again, as many times as delegates call further delegates (JUDGEMENTS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.delegates import MAX_DELEGATE_BYTES, MAX_REMOTE_READS
from bot.service.github import Api

T = TypeVar("T")
JUDGEMENTS = 3  # a workflow, the script it runs, the script that one runs
Delegated = dict[str, str | None]  # path -> text, None when the repository has no such file


async def judged_reading(
    api: Api, repo: str, ref: str, judge: Callable[[Delegated], Awaitable[tuple[T, list[str]]]]
) -> T:
    """`judge(delegated)` (its result, and the paths it wanted) until it wants nothing new."""
    delegated: Delegated = {}
    result, wanted = await judge(delegated)
    for _ in range(JUDGEMENTS - 1):
        if not await _fetch(api, repo, ref, wanted, delegated):
            break
        result, wanted = await judge(delegated)
    return result


async def _fetch(api: Api, repo: str, ref: str, wanted: list[str], delegated: Delegated) -> int:
    """Fetch the files asked for (an absent one is remembered as None, so it is asked for
    once); how many new ones were read."""
    owner, _, name = repo.partition("/")
    room = MAX_REMOTE_READS - len(delegated)
    new = [path for path in wanted if path not in delegated][: max(0, room)]
    for path in new:
        data = await api.file(owner, name, path, ref=ref, max_bytes=MAX_DELEGATE_BYTES)
        delegated[path] = data.decode("utf-8", errors="replace") if data is not None else None
    return sum(1 for path in new if delegated[path] is not None)
