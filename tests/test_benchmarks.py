"""The benchmarks run on a plain clone: their input is generated or shipped here, they refuse
a folder with nothing to measure in one line, and fix_size reports every changed job of the
shipped pair. The timing loops themselves are not run (they take minutes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import fix_size, workflows
from benchmarks.repositories import PAIR, org_repositories, pull_request_repository
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    workflows.generate(folder)
    return folder


def test_the_generated_repository_has_a_large_projects_size(generated: Path) -> None:
    files = workflows.workflow_files(generated)
    lines = [len(path.read_text(encoding="utf-8").splitlines()) for path in files]
    size = sum(path.stat().st_size for path in files)
    assert len(files) == 40
    assert 400_000 < size < 600_000
    assert min(lines) >= 30 and max(lines) <= 800


def test_the_generated_repository_is_the_same_bytes_every_time(generated: Path, tmp_path: Path) -> None:
    again = workflows.generate(tmp_path)
    first = {p.name: p.read_bytes() for p in workflows.workflow_files(generated)}
    assert {p.name: p.read_bytes() for p in again} == first


def test_check_judges_every_generated_file(generated: Path) -> None:
    result = _run("-m", "bot", "check", "--format", "json", "--no-progress", str(generated))
    assert result.returncode == 1, result.stderr  # the input has gaps on purpose
    report = json.loads(result.stdout)
    assert len(report["workflows"]) == 40
    assert [w["path"] for w in report["workflows"] if w["error"]] == []
    jobs = [job for w in report["workflows"] for job in w["jobs"]]
    assert len(jobs) > 60
    statuses = {job["status"] for job in jobs}
    assert {"parity", "partial", "amd64-only", "not-applicable"} <= statuses
    # The jobs that call a reusable workflow on an arm64 runner are judged through it.
    callers = [
        job
        for w in report["workflows"]
        if w["path"].endswith(("calls-0.yml", "calls-2.yml"))
        for job in w["jobs"]
        if job["id"] == "arm64"
    ]
    assert len(callers) == 2
    assert all(any(leg["arch"] == "arm64" for leg in job["legs"]) for job in callers)


@pytest.mark.parametrize("script", ["benchmarks/check.py", "benchmarks/floor.py"])
def test_timing_benchmarks_refuse_a_folder_without_workflows(script: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no workflows here\n")
    args = ["-m", "benchmarks.floor"] if script.endswith("floor.py") else [script]
    result = _run(*args, str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"nothing to measure: no workflow files (.yml, .yaml) in {tmp_path}"
    ]


def test_check_benchmark_refuses_a_missing_folder_named_in_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    result = subprocess.run(
        [sys.executable, "benchmarks/check.py"],
        cwd=ROOT,
        env={**ENV, workflows.ENV_FOLDER: str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "ratio" not in result.stdout + result.stderr
    assert result.stderr.strip() == f"nothing to measure: no workflow files (.yml, .yaml) in {missing}"


def test_the_shipped_pair_mends_every_gap_by_hand() -> None:
    before = fix_size._statuses(fix_size._read(PAIR / "before"))
    after = fix_size._statuses(fix_size._read(PAIR / "after"))
    assert before.keys() == after.keys()
    gaps = {key for key, status in before.items() if status == "amd64-only"}
    assert len(gaps) == 5
    assert {after[key] for key in gaps} == {"parity"}


def test_fix_size_prints_a_row_per_changed_job_of_the_shipped_pair() -> None:
    result = _run("benchmarks/fix_size.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in lines[1:] if line.strip() and "/" in line}
    rows.pop(("5", "jobs"), None)
    assert set(rows) == {
        ("cmake.yml", "build"),
        ("go.yml", "test"),
        ("integration.yml", "integration"),
        ("rust.yml", "build"),
        ("tests.yml", "test"),
    }
    for before, hand, hand_result, fix, fix_result in rows.values():
        assert before == "amd64-only"
        assert hand_result == fix_result == "parity"
        assert hand != "0/0" and fix != "0/0"
    assert lines[-1].startswith("5 jobs changed in ")


def test_fix_size_refuses_a_pair_without_workflows(tmp_path: Path) -> None:
    (tmp_path / "before").mkdir()
    result = _run("benchmarks/fix_size.py", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr.strip() == f"nothing to measure: no workflow files (.yml, .yaml) in {tmp_path / 'before'}"
    )


def test_service_benchmarks_build_their_repositories_from_shipped_input() -> None:
    github = FakeGitHub(4242, b"")
    repos = org_repositories(github, 40)
    assert len(repos) == 40
    paths = {path for repo in repos.values() for path in repo.files.get("main", {})}
    generated_names = {f".github/workflows/{name}" for name in workflows._files()}
    assert generated_names <= paths  # every generated workflow lives in some repository
    repo, sha = pull_request_repository(github)
    changed = {f["filename"] for f in repo.pulls[7].files}
    assert changed == {f".github/workflows/{p.name}" for p in (PAIR / "before").glob("*.yml")}
    assert repo.files[sha] != repo.files["main"]
