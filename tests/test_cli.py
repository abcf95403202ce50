"""The installed `parity-bot` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS

AFTER = CORPUS / "ipfs_kit_py" / "after"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        timeout=120,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ${{ matrix.os }}\n    strategy:\n"
        "      matrix:\n        os: [ubuntu-latest, ubuntu-24.04-arm]\n"
        "    steps: [{run: pytest}]\n"
    )
    return tmp_path


def test_json_output_contract_and_exit_1_on_violations():
    result = run("check", str(AFTER), "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == 1
    assert data["policy"] == {
        "platforms": ["linux"],
        "allow_emulated": True,
        "require_blocking": False,
        "judge": ["build", "test", "unknown"],
    }
    assert data["summary"]["workflows"] == 38 and data["summary"]["jobs"] == 138
    assert set(data["summary"]["by_status"]) == {
        "parity",
        "partial",
        "amd64-only",
        "arm64-only",
        "unknown",
        "ignored",
        "not-applicable",
    }
    run_tests = next(w for w in data["workflows"] if w["path"] == "run-tests.yml")
    test = run_tests["jobs"][0]
    assert set(test) == {
        "id",
        "name",
        "line",
        "status",
        "reason",
        "purpose",
        "evidence",
        "legs",
        "missing",
        "findings",
    }
    assert test["purpose"] == "test"
    assert set(test["evidence"][0]) == {"purpose", "where", "line", "what"}
    leg = test["legs"][0]
    assert leg.pop("evidence")[0]["what"].startswith("runs `")
    assert leg == {
        "matrix": {"arch": "amd64", "python-version": 3.8},
        "os": "linux",
        "arch": "amd64",
        "runner": ["ubuntu-20.04"],
        "emulated": False,
        "blocking": True,
        "purpose": "test",
    }
    assert {leg["matrix"]["python-version"] for leg in test["legs"]} >= {"3.10", 3.9}
    assert set(test["findings"][0]) == {"rule", "severity", "line", "message"}


def test_repository_root_uses_its_parity_yml_and_exit_0(repo: Path):
    result = run("check", str(repo))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parity" in result.stdout
    (repo / ".github" / "parity.yml").write_text("allow_emulation: false\n")
    result = run("check", str(repo))
    assert result.returncode == 2
    assert "allow_emulation" in result.stderr and "parity.yml" in result.stderr


def test_parity_yaml_is_read_too_and_both_names_are_an_error(repo: Path):
    (repo / ".github" / "parity.yaml").write_text("allow_emulation: false\n")
    result = run("check", str(repo))
    assert result.returncode == 2
    assert "allow_emulation" in result.stderr and "parity.yaml:1" in result.stderr
    (repo / ".github" / "parity.yaml").write_text("mode: advisory\n")
    (repo / ".github" / "parity.yml").write_text("mode: advisory\n")
    for command in ("check", "fix"):
        both = run(command, str(repo))
        assert both.returncode == 2
        assert ".github/parity.yml and " in both.stderr and ".github/parity.yaml both exist" in both.stderr
    # a workflow file finds its repository's parity.yaml as it finds parity.yml
    (repo / ".github" / "parity.yml").unlink()
    (repo / ".github" / "parity.yaml").write_text("allow_emulation: false\n")
    alone = run("check", str(repo / ".github" / "workflows" / "ci.yml"))
    assert alone.returncode == 2 and "parity.yaml:1" in alone.stderr


def test_paths_are_relative_to_the_checked_root(repo: Path):
    data = json.loads(run("check", "--format", "json", cwd=repo).stdout)
    assert [w["path"] for w in data["workflows"]] == [".github/workflows/ci.yml"]
    data = json.loads(run("check", ".github/workflows", "--format", "json", cwd=repo).stdout)
    assert [w["path"] for w in data["workflows"]] == [".github/workflows/ci.yml"]


def test_a_workflow_linked_from_outside_the_folder_goes_by_its_own_name(repo: Path, tmp_path_factory):
    """A symlink in the folder to a file elsewhere is judged under the name it has here."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "shared.yml"
    elsewhere.write_text((repo / ".github" / "workflows" / "ci.yml").read_text())
    (repo / ".github" / "workflows" / "linked.yml").symlink_to(elsewhere)
    for given in (".github/workflows", str(repo / ".github" / "workflows")):
        done = run("check", given, "--format", "json", cwd=repo)
        assert done.returncode == 0, done.stderr
        paths = [w["path"] for w in json.loads(done.stdout)["workflows"]]
        assert paths == [".github/workflows/ci.yml", ".github/workflows/linked.yml"]


def test_text_output_is_findings_then_aligned_summary():
    result = run("check", str(AFTER))
    lines = result.stdout.splitlines()
    assert any(line.startswith("run-tests.yml:16: warning: runner label ubuntu-20.04") for line in lines)
    summary = lines[lines.index("") + 1 :]
    assert summary[0].split() == ["workflows", "38"]
    # publish-package.yml's only arm64 leg is macOS: not multi-arch on the judged platform.
    assert summary[1].split()[:2] == ["multi-arch", "16"]
    counts = [re.match(r"^\s*\S+(?: \S+)*?\s+(\d+)\b", line) for line in summary]
    assert all(counts)
    assert len({match.end(1) for match in counts if match}) == 1  # counts in one column
    # Jobs not judged, one line per purpose with what it means.
    rows = {
        line.split()[0]: line
        for line in summary[
            summary.index(next(line for line in summary if line.startswith("not judged"))) + 1 :
        ]
        if line.startswith("  ")
    }
    assert rows["publish"].split()[1:] == ["11", "publishes"]
    assert rows["gate"].split()[1:5] == ["11", "gates", "on", "other"]
    assert "lint" in rows and "docs" in rows


def test_github_and_sarif_formats():
    github = run("check", str(AFTER / "run-tests.yml"), "--format", "github").stdout
    assert "::error file=" in github and ",line=" in github and "title=missing-arm64-leg" in github
    sarif = json.loads(run("check", str(AFTER), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    rule_ids = [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    assert {r["level"] for r in results} <= {"error", "warning", "note"}


def test_markdown_format():
    out = run("check", str(AFTER), "--format", "markdown").stdout
    assert out.startswith("## Arch parity")
    assert "| `test` | ✅ parity |" in out


def test_usage_and_io_errors_exit_2(tmp_path: Path):
    assert run("check", str(tmp_path / "missing")).returncode == 2
    assert run("check", "--format", "xml").returncode == 2
    bad = tmp_path / "x.yml"
    bad.write_bytes(b"jobs: [\n")
    result = run("check", str(bad), "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["workflows"][0]["error"]["line"] == 2  # where input ended


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_folder_without_workflows_is_an_error_not_a_pass(tmp_path: Path, command: str) -> None:
    (tmp_path / "README.md").write_text("no workflows here\n")
    (tmp_path / ".github").mkdir()  # a repository whose workflows folder is missing
    for where in (tmp_path, tmp_path / ".github"):
        result = run(command, str(where))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "no workflow files found" in result.stderr and result.stdout == ""


def test_check_does_not_import_the_github_side():
    code = (
        f"import sys; from bot.cli import main; main(['check', {str(AFTER)!r}, '--format', 'json']);"
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('githubkit', 'starlette', 'uvicorn')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1], timeout=60
    )
    assert result.stdout.rstrip().endswith("[]")


def test_progress_goes_to_stderr_only_when_asked():
    quiet = run("check", str(AFTER), "--format", "json")
    assert "analyzing" not in quiet.stderr
    loud = run("check", str(AFTER), "--format", "json", "--progress")
    assert "analyzing 38/38" in loud.stderr
    assert json.loads(loud.stdout)["version"] == 1


def test_console_script_is_installed():
    script = shutil.which("parity-bot", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . should install the parity-bot script"
    result = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert result.stdout.startswith("parity-bot ")


# ---------------------------------------------------------------------------------- fix


def _amd64_repo(tmp_path: Path, runs_on: str = "ubuntu-latest") -> Path:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "ci.yml").write_text(
        f"on: push\njobs:\n  test:  # unit tests\n    runs-on: {runs_on}\n    steps:\n      - run: pytest\n"
    )
    return tmp_path


def test_fix_prints_a_diff_and_changes_nothing(tmp_path: Path) -> None:
    repo = _amd64_repo(tmp_path)
    before = (repo / ".github/workflows/ci.yml").read_text()
    result = run("fix", str(repo), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n")
    assert (
        "+    runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-latest' }}" in result.stdout
    )
    assert "would fix 1 job in 1 file" in result.stderr
    assert (repo / ".github/workflows/ci.yml").read_text() == before


def test_fix_write_then_check_passes(tmp_path: Path) -> None:
    repo = _amd64_repo(tmp_path)
    assert run("check", str(repo)).returncode == 1
    result = run("fix", "--write", str(repo))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "fixed 1 job in 1 file" in result.stderr
    assert "# unit tests" in (repo / ".github/workflows/ci.yml").read_text()
    assert run("check", str(repo)).returncode == 0
    again = run("fix", str(repo))
    assert (again.returncode, again.stdout) == (0, "")


def test_fix_exit_1_lists_what_it_could_not_fix(tmp_path: Path) -> None:
    repo = _amd64_repo(tmp_path, "[self-hosted, linux, x64]")
    result = run("fix", str(repo))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "1 left unfixed" in result.stderr
    assert ".github/workflows/ci.yml:3" in result.stderr and "arm64_runner" in result.stderr
    config = tmp_path / "parity.yml"
    config.write_text("arm64_runner: linux-arm64\n")
    result = run("fix", "--config", str(config), str(repo))
    assert result.returncode == 0, result.stderr
    assert "'linux-arm64'" in result.stdout


def test_fix_fails_on_what_check_fails_on(tmp_path: Path) -> None:
    """The pre-commit hooks run both: a job whose only gap is a warning passes both or neither."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: someone/mystery-action@v1\n"
    )
    for fail_on, status in ((None, 0), ("error", 0), ("warning", 1), ("never", 0)):
        option = [] if fail_on is None else ["--fail-on", fail_on]
        check, fix = run("check", *option, str(tmp_path)), run("fix", *option, str(tmp_path))
        assert (check.returncode, fix.returncode) == (status, status), (fail_on, fix.stderr)
    assert "1 left unfixed" in fix.stderr


def test_fix_bad_config_is_exit_2(tmp_path: Path) -> None:
    repo = _amd64_repo(tmp_path)
    (repo / ".github/parity.yml").write_text("arm64_runners: x\n")
    result = run("fix", str(repo))
    assert result.returncode == 2
    assert "arm64_runners" in result.stderr


def _amd64_only(tmp_path: Path, config: str | None = None) -> Path:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: pytest}]\n"
    )
    if config is not None:
        (tmp_path / ".github" / "parity.yml").write_text(config)
    return workflows / "ci.yml"


@pytest.mark.parametrize(
    ("fail_on", "mode", "status"),
    [
        (None, "required", 1),
        (None, "advisory", 0),
        ("error", "advisory", 1),
        ("warning", "advisory", 1),
        ("never", "required", 0),
    ],
)
def test_fail_on_sets_the_exit_status_by_severity_whatever_the_mode(
    tmp_path: Path, fail_on: str | None, mode: str, status: int
) -> None:
    _amd64_only(tmp_path, f"mode: {mode}\n")
    args = ["check", str(tmp_path), *(["--fail-on", fail_on] if fail_on else [])]
    assert run(*args).returncode == status


def test_a_workflow_file_finds_its_repositorys_config(tmp_path: Path) -> None:
    """As pre-commit passes them: the file alone, and the repository's parity.yml applies."""
    workflow = _amd64_only(tmp_path, "ignore:\n  - job: test\n")
    result = run("check", "--format", "json", ".github/workflows/ci.yml", cwd=tmp_path)
    assert result.returncode == 0
    job = json.loads(result.stdout)["workflows"][0]["jobs"][0]
    assert job["status"] == "ignored"
    assert workflow.is_file()


def test_output_writes_more_renderings_of_the_same_check(tmp_path: Path) -> None:
    _amd64_only(tmp_path)
    sarif, summary = tmp_path / "out.sarif", tmp_path / "summary.md"
    result = run(
        "check",
        "--format",
        "github",
        "--output",
        f"sarif={sarif}",
        "--output",
        f"markdown={summary}",
        str(tmp_path),
    )
    assert result.returncode == 1 and result.stdout.startswith("::error file=.github/workflows/ci.yml")
    assert json.loads(sarif.read_text())["runs"][0]["results"]
    assert summary.read_text().startswith("## Arch parity")
    assert run("check", "--output", "xml=x", str(tmp_path)).returncode == 2


# ------------------------------------------------------------------------------- report


def _report(*args: str, cwd: Path, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_report_never_creates_a_database_and_names_the_setting(tmp_path: Path) -> None:
    unset = _report(cwd=tmp_path)
    assert unset.returncode == 2 and "DATABASE_URL" in unset.stderr and "does not exist" in unset.stderr
    given = _report("--database", str(tmp_path / "x.db"), cwd=tmp_path)
    assert given.returncode == 2 and given.stderr.startswith("parity-bot: --database:")
    from_env = _report(cwd=tmp_path, database_url=f"sqlite:///{tmp_path / 'y.db'}")
    assert from_env.returncode == 2 and "DATABASE_URL" in from_env.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was created
    for wrong in ("mysql://db/parity", "sqlite:relative.db", "sqlite://"):
        refused = _report("--database", wrong, cwd=tmp_path)
        assert refused.returncode == 2, wrong
        assert refused.stderr.count("\n") == 1 and "sqlite:///PATH or postgresql://" in refused.stderr
        assert "Traceback" not in refused.stderr and "DSN" not in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_report_reads_a_database_given_as_a_path_or_a_url(tmp_path: Path) -> None:
    import asyncio

    from bot.core.scans import SCANNED, RepoScan
    from bot.service.store import Store

    database = tmp_path / "service.db"

    async def one_scan() -> None:
        store = Store(f"sqlite:///{database}")
        await store.open()
        scan = RepoScan(1, "octo/app", SCANNED, 1.0e9, "c0", 2, 1, 3, {"parity": 1, "amd64-only": 2})
        await store.record_scan(1, scan, "{}")
        await store.close()

    asyncio.run(one_scan())
    before = database.read_bytes()
    as_path = _report("--database", str(database), "--format", "json", cwd=tmp_path)
    assert as_path.returncode == 0, as_path.stderr
    assert [row["repository"] for row in json.loads(as_path.stdout)["repositories"]] == ["octo/app"]
    relative = _report("--database", "service.db", "--format", "json", cwd=tmp_path)
    as_url = _report("--format", "json", cwd=tmp_path, database_url=f"sqlite:///{database}")
    assert relative.stdout == as_url.stdout == as_path.stdout
    assert database.read_bytes() == before  # only read


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_fix_diff_of_a_subfolder_applies_at_the_repository_top_level(tmp_path: Path) -> None:
    project = _amd64_repo(tmp_path / "services" / "api")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "ci"]):
        subprocess.run([*git, *command], cwd=tmp_path, check=True, capture_output=True)
    path = "services/api/.github/workflows/ci.yml"
    for given, cwd in (
        ("services/api", tmp_path),
        (".", project),
        (".github/workflows", project),
        (str(project / ".github/workflows/ci.yml"), project / ".github"),
    ):
        diff = run("fix", given, cwd=cwd)
        assert diff.returncode == 0, diff.stderr
        assert diff.stdout.startswith(f"--- a/{path}\n+++ b/{path}\n"), (given, diff.stdout[:200])
    patch = tmp_path / "fix.patch"
    patch.write_text(diff.stdout)
    applied = subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert run("check", "services/api", cwd=tmp_path).returncode == 0
