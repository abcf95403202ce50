"""The GitHub client against the fake: background clients keep to their share of the
installation's rate limit, and conditional requests (free when answered 304) still go."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.service import rest
from bot.service.github import Clients, RateLimited
from bot.service.metrics import Registry
from tests.fake_github import FakeGitHub, Repository
from tests.service_harness import APP_ID, INSTALLATION, app_key


async def test_a_background_client_stops_at_its_share_of_the_rate_limit(github: FakeGitHub) -> None:
    repo = Repository("octo", "lib")
    repo.files["main"] = {".github/workflows/ci.yml": b"on: push\n"}
    github.repos["octo/lib"] = repo
    github.rate_limit = github.rate_remaining = 100
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    async with clients.installation(INSTALLATION, share=0.2) as api:
        status, _, etag = await api.conditional(rest.CONTENTS, None, repo="octo/lib", path=".github")
        assert status == 200 and etag
        for _ in range(18):  # the token, the listing and these leave 80: the share's floor
            await api.request(rest.REPOSITORY, repo="octo/lib")
        with pytest.raises(RateLimited) as raised:
            await api.request(rest.REPOSITORY, repo="octo/lib")
        assert "share" in str(raised.value)
        sent = len(github.requests)
        # A conditional request still goes: answered 304, it costs nothing.
        status, _, _ = await api.conditional(rest.CONTENTS, etag, repo="octo/lib", path=".github")
        assert status == 304 and len(github.requests) == sent + 1
    # A foreground client (a pull request's check) is not held back.
    async with clients.installation(INSTALLATION) as api:
        assert (await api.request(rest.REPOSITORY, repo="octo/lib"))["name"] == "lib"


async def test_writes_past_the_installation_budget_wait_for_the_next_window(
    github: FakeGitHub, tmp_path: object
) -> None:
    from bot.service.store import Store

    repo = Repository("octo", "lib")
    repo.files["main"] = {"README.md": b"hi\n"}
    github.repos["octo/lib"] = repo
    store = Store(f"sqlite:///{tmp_path}/budget.db")
    await store.open()
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())

    def budget(installation: int) -> Any:
        async def take() -> float | None:
            return await store.take_write(installation, 60, 2)

        return take

    clients.write_budget = budget
    try:
        async with clients.installation(INSTALLATION) as api:
            for _ in range(2):
                await api.request(rest.CREATE_ISSUE, json={"title": "t"}, repo="octo/lib")
            for _ in range(5):  # reads are not content-creating
                await api.request(rest.REPOSITORY, repo="octo/lib")
            with pytest.raises(RateLimited) as raised:
                await api.request(rest.CREATE_ISSUE, json={"title": "t"}, repo="octo/lib")
        assert len(repo.issues) == 2 and raised.value.retry_at % 60 == 0
    finally:
        await store.close()


async def test_a_revoked_token_is_dropped_and_the_call_retried_once_with_a_new_one(github: FakeGitHub) -> None:
    github.repos["octo/lib"] = Repository("octo", "lib")
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        assert (await api.request(rest.REPOSITORY, repo="octo/lib"))["name"] == "lib"
    github.revoke_tokens()  # the cached token still looks good for an hour
    async with clients.installation(INSTALLATION) as api:
        assert (await api.request(rest.REPOSITORY, repo="octo/lib"))["name"] == "lib"
        assert (await api.request(rest.REPOSITORY, repo="octo/lib"))["name"] == "lib"
    assert len(github.calls("POST", r"/access_tokens$")) == 2
    statuses = [c.status for c in github.calls("GET", r"^/repos/octo/lib$")]
    assert statuses.count(401) == 1  # one refusal, then the new token


async def test_a_token_refused_again_after_renewal_is_a_rejection(github: FakeGitHub) -> None:
    from bot.service.github import Rejected

    github.repos["octo/lib"] = Repository("octo", "lib")
    github.token_seconds = -1  # every token GitHub hands out is already dead
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        with pytest.raises(Rejected) as raised:
            await api.request(rest.REPOSITORY, repo="octo/lib")
    assert raised.value.status == 401
    assert len(github.calls("GET", r"^/repos/octo/lib$")) == 2  # retried once, not forever


async def test_token_life_is_read_on_githubs_clock_not_ours(github: FakeGitHub) -> None:
    """GitHub's clock ten minutes ahead of ours: a token with 302 s to live must be renewed
    after 2 s (five minutes' margin), not trusted for another ten minutes."""
    github.repos["octo/lib"] = Repository("octo", "lib")
    github.clock_offset = 600
    github.token_seconds = 302
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    first = await clients.token(INSTALLATION)
    assert await clients.token(INSTALLATION) == first
    await asyncio.sleep(2.5)
    assert await clients.token(INSTALLATION) != first
