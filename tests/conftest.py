from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.core.analysis import JobReport, analyze
from bot.core.config import Policy

if TYPE_CHECKING:
    from tests.fake_github import FakeGitHub
    from tests.service_harness import Service

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


TODAY = date(2026, 11, 28)  # the date retirement dates are judged against in tests


def judge(text: str, policy: Policy | None = None) -> dict[str, JobReport]:
    """The jobs of one workflow written in a test, by id."""
    report = analyze({"ci.yml": textwrap.dedent(text)}, policy, TODAY)
    return {job.job.id: job for wf in report.workflows for job in wf.jobs}


def workflow_files(folder: Path) -> list[Path]:
    """The workflow files of a folder, `.yml` and `.yaml` (napi-rs and ollama use the latter)."""
    return sorted(path for path in folder.iterdir() if path.suffix in (".yml", ".yaml"))


def read_folder(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in workflow_files(folder)}


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The fake GitHub API, running on a loopback port for one test."""
    from tests.fake_github import FakeGitHub
    from tests.service_harness import APP_ID, app_key

    fake = FakeGitHub(APP_ID, app_key()[1]).start()
    yield fake
    fake.stop()
    assert not fake.violations, "the fake's answers drifted from GitHub's shapes:\n" + \
        "\n".join(fake.violations[:20])


@pytest.fixture
def service(tmp_path: Path, github: FakeGitHub) -> Iterator[Service]:
    """`parity-bot serve` as a subprocess, pointed at the fake GitHub."""
    from tests.service_harness import Service

    running = Service(tmp_path, github).start()
    yield running
    running.stop()
