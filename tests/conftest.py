from __future__ import annotations

import inspect
import os
import re
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

# The team's shared folder beside the checkout: real repositories' workflows and GitHub's
# example payloads. A plain clone has none: the tests that read it are skipped, saying so;
# under CI=true (the team's CI, `.ci/run`) its absence fails the run, so CI can never pass
# by skipping them.
HAVE_SHARED = SHARED.is_dir()
_READS_SHARED = re.compile(
    r"\b(CORPUS|SHARED|WEBHOOKS|STATES|example|ipfs_repository|setup_ci|organisation|"
    r"corpus|texts)\b"
)
_SKIP_REASON = f"needs the shared corpus at {SHARED} (not part of a plain clone)"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not HAVE_SHARED and os.environ.get("CI") == "true":
        pytest.exit(
            f"CI=true but the shared corpus is missing at {SHARED}: its tests would "
            "be skipped, and CI must not pass by skipping them",
            returncode=1,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests import postgres

    postgres.stop()  # the throwaway PostgreSQL, when a test started one


def _source(function: object) -> str:
    try:
        return inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return "CORPUS"  # cannot tell: assume it reads the corpus


def _reads_shared(item: pytest.Item) -> bool:
    """Whether a test, or a helper of its module that it calls, reads the shared folder."""
    if item.get_closest_marker("shared") or "corpus" in getattr(item, "fixturenames", ()):
        return True
    function = getattr(item, "function", None)
    return function is not None and _calls_shared(function, set())


def _calls_shared(function: object, seen: set[object]) -> bool:
    """Whether a function's source names the shared folder, a constant under it, or a
    helper of the tests (followed) that does."""
    seen.add(function)
    source = _source(function)
    if _READS_SHARED.search(source):
        return True
    namespace = getattr(function, "__globals__", {})
    for name in set(re.findall(r"\b[A-Za-z_]\w*\b", source)):
        value = namespace.get(name)
        if isinstance(value, Path) and value.is_relative_to(SHARED):
            return True  # a module constant such as AFTER = CORPUS / "ipfs_kit_py" / "after"
        if (
            inspect.isfunction(value)
            and value not in seen
            and value.__module__.startswith("tests")
            and _calls_shared(value, seen)
        ):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_SHARED:
        return
    for item in items:
        if _reads_shared(item):
            item.add_marker(pytest.mark.skip(reason=_SKIP_REASON))


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
    assert not fake.violations, "the fake's answers drifted from GitHub's shapes:\n" + "\n".join(
        fake.violations[:20]
    )


@pytest.fixture
def service(tmp_path: Path, github: FakeGitHub) -> Iterator[Service]:
    """`parity-bot serve` as a subprocess, pointed at the fake GitHub."""
    from tests.service_harness import Service

    running = Service(tmp_path, github).start()
    yield running
    running.stop()
