"""The client's reads of untrusted content against the fake: contents stop at the size the
analysis takes, downloads keep to their limit and to https (or loopback) redirects, and the
workflow cache is bounded by bytes."""

from __future__ import annotations

import io

import pytest

from bot.core.yamlnodes import MAX_FILE_BYTES
from bot.service import rest
from bot.service.events import Repo
from bot.service.github import FILE_READ_BYTES, Clients, Rejected, redirect_target
from bot.service.metrics import Registry
from bot.service.results import WorkflowCache
from tests.fake_github import FakeGitHub, Repository
from tests.service_harness import APP_ID, INSTALLATION, app_key


@pytest.mark.parametrize(
    ("location", "followed"),
    [
        (
            "https://pipelines.actions.githubusercontent.com/x.zip",
            "https://pipelines.actions.githubusercontent.com/x.zip",
        ),
        ("http://127.0.0.1:8080/b", "http://127.0.0.1:8080/b"),
        ("http://localhost/b", "http://localhost/b"),
        ("http://[::1]:9/b", "http://[::1]:9/b"),
        ("/_blobs/1", "https://api.github.com/_blobs/1"),  # relative to where it was said
    ],
)
def test_https_and_loopback_http_redirects_are_followed(location: str, followed: str) -> None:
    assert (
        redirect_target("https://api.github.com/repos/o/r/actions/artifacts/1/zip", location, "GET") == followed
    )


@pytest.mark.parametrize(
    "location",
    [
        "http://example.com/x.zip",
        "http://10.0.0.1/x.zip",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1.example.com/x",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "gopher://localhost/x",
    ],
)
def test_other_redirects_are_refused(location: str) -> None:
    with pytest.raises(Rejected, match="only https is followed"):
        redirect_target("https://api.github.com/a", location, "GET")


def _repo(github: FakeGitHub, files: dict[str, bytes]) -> Repository:
    repo = Repository("octo", "big")
    repo.files["main"] = files
    github.repos["octo/big"] = repo
    return repo


async def test_a_file_is_read_only_up_to_the_size_the_analysis_takes(github: FakeGitHub) -> None:
    _repo(github, {".github/workflows/big.yml": b"#" * (5 * MAX_FILE_BYTES), "small.yml": b"on: push\n"})
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        big = await api.file("octo", "big", ".github/workflows/big.yml")
        assert big is not None and len(big) == FILE_READ_BYTES == MAX_FILE_BYTES + 1
        assert await api.file("octo", "big", "small.yml") == b"on: push\n"
        assert await api.file("octo", "big", "small.yml", max_bytes=4) == b"on: "
        assert await api.file("octo", "big", "absent.yml") is None


async def test_a_download_over_its_limit_is_refused(github: FakeGitHub) -> None:
    repo = _repo(github, {})
    repo.artifacts.append(
        {
            "id": 9,
            "name": "a",
            "size_in_bytes": 1,
            "expired": False,
            "workflow_run": {"id": 1},
            "data": b"x" * 5000,
        }
    )
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    async with clients.installation(INSTALLATION) as api:
        spool = io.BytesIO()
        with pytest.raises(Rejected, match="over the 4096-byte limit"):  # by its Content-Length
            await api.download(
                rest.ARTIFACT_ARCHIVE, 4096, spool, repo="octo/big", artifact_id=9, archive_format="zip"
            )
        assert spool.getvalue() == b""
        assert (
            await api.download(
                rest.ARTIFACT_ARCHIVE, 5000, spool, repo="octo/big", artifact_id=9, archive_format="zip"
            )
            == 5000
        )
        assert spool.getvalue() == b"x" * 5000


async def test_the_workflow_cache_is_bounded_by_bytes_not_files(github: FakeGitHub) -> None:
    _repo(github, {f".github/workflows/w{i}.yml": bytes([65 + i]) * MAX_FILE_BYTES for i in range(12)})
    cache = WorkflowCache(max_bytes=4 * MAX_FILE_BYTES)
    clients = Clients(str(APP_ID), app_key()[0], github.url, 5.0, Registry())
    repo = Repo(owner="octo", name="big", default_branch="main")
    async with clients.installation(INSTALLATION) as api:
        for i in range(12):
            data = await cache.get(api, repo, "main", f".github/workflows/w{i}.yml")
            assert data == bytes([65 + i]) * MAX_FILE_BYTES
    assert cache.items.currsize <= 4 * MAX_FILE_BYTES and len(cache.items) == 3
