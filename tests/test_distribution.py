"""parity-bot where people use it without the App: the GitHub Action, the pre-commit hooks,
the package as PyPI would ship it, and this repository's own CI, judged by itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLES = ROOT / "examples"
AMD64_ONLY = b"""\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
AT_PARITY = AMD64_ONLY.replace(
    b"runs-on: ubuntu-latest",
    b"""\
runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-24.04, ubuntu-24.04-arm]""",
)


def _run(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_the_action_and_the_workflows_follow_schemastores_schemas() -> None:
    action = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-actions", ROOT / "action.yml")
    assert action.returncode == 0, action.stdout + action.stderr
    workflows = [
        *sorted((ROOT / ".github/workflows").glob("*.yml")),
        *sorted((EXAMPLES / ".github/workflows").glob("*.yml")),
    ]
    checked = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The Action's install step, run as the runner runs it: parity-bot installed from the
    action's checkout into a fresh venv (so `pip install .` works), its path in GITHUB_ENV."""
    temp = tmp_path_factory.mktemp("runner")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(temp),
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ENV": str(temp / "github_env"),
    }
    done = _run("bash", ROOT / "action/install.sh", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().startswith("parity-bot 0.")  # `parity-bot --version`
    exported = dict(line.split("=", 1) for line in Path(env["GITHUB_ENV"]).read_text().split())
    return {**env, **exported}


def _check_step(
    installed: dict[str, str], tmp: Path, path: Path, fail_on: str, sarif: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **installed,
        "INPUT_PATH": ".",
        "INPUT_CONFIG": "",
        "INPUT_SARIF_FILE": sarif,
        "INPUT_FAIL_ON": fail_on,
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_OUTPUT": str(tmp / "output"),
    }
    return _run("bash", ROOT / "action/check.sh", env=env, cwd=path)


def test_the_action_installs_only_what_check_needs_and_reuses_a_restored_install(
    installed: dict[str, str],
) -> None:
    python = Path(installed["PARITY_BOT"]).parent / "python"
    assert _run(python, "-c", "import ruamel.yaml, jsonschema").returncode == 0
    for service_only in ("githubkit", "starlette", "uvicorn", "asyncpg"):
        assert _run(python, "-c", f"import {service_only}").returncode == 1, service_only
    again = _run("bash", ROOT / "action/install.sh", env=installed)  # as after a cache hit
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("parity-bot restored from the cache\nparity-bot 0.")


def _install_key(action_path: Path, tmp_path: Path) -> dict[str, str]:
    output = tmp_path / "output"
    output.unlink(missing_ok=True)
    env = {"PATH": os.environ["PATH"], "GITHUB_ACTION_PATH": str(action_path), "GITHUB_OUTPUT": str(output)}
    env["RUNNER_TEMP"] = str(tmp_path)
    done = _run("bash", ROOT / "action/install.sh", "--key", env=env)
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in output.read_text().split())


def test_the_actions_cache_key_names_the_interpreter_and_changes_with_the_sources(tmp_path: Path) -> None:
    copy = tmp_path / "action"
    shutil.copytree(ROOT / "bot", copy / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    first = _install_key(copy, tmp_path)
    assert first["venv"] == str(tmp_path / "parity-bot-venv")
    assert f"-py{sys.version_info.major}.{sys.version_info.minor}." in first["key"]
    assert _install_key(copy, tmp_path) == first
    (copy / "bot" / "core" / "verdicts.py").write_text("# changed\n", encoding="utf-8")
    assert _install_key(copy, tmp_path)["key"] != first["key"]


def test_the_action_brings_its_own_python_and_caches_the_install_it_keys() -> None:
    from ruamel.yaml import YAML

    steps = YAML(typ="safe").load((ROOT / "action.yml").read_text())["runs"]["steps"]
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    python = uses["actions/setup-python"]["with"]
    assert tuple(int(part) for part in str(python["python-version"]).split(".")) >= (3, 11)
    assert python["update-environment"] is False  # the job's own Python stays first on PATH
    cache = uses["actions/cache"]["with"]
    assert (cache["path"], cache["key"]) == (
        "${{ steps.install-key.outputs.venv }}",
        "${{ steps.install-key.outputs.key }}",
    )
    installs = [step for step in steps if "install.sh" in step.get("run", "")]
    assert [step["id"] for step in installs[:1]] == ["install-key"]
    assert all(step["env"]["PARITY_PYTHON"] == "${{ steps.python.outputs.python-path }}" for step in installs)


def test_the_action_annotates_summarises_and_fails_on_errors(installed: dict[str, str], tmp_path: Path) -> None:
    step = _check_step(installed, tmp_path, EXAMPLES, "error", str(tmp_path / "parity.sarif"))
    assert step.returncode == 1, step.stderr
    assert "::error file=.github/workflows/rust.yml,line=12" in step.stdout
    assert "::error file=.github/workflows/integration.yml,line=15" in step.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## Arch parity") and "`integration`" in summary
    sarif = json.loads((tmp_path / "parity.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert f"sarif-file={tmp_path / 'parity.sarif'}" in (tmp_path / "output").read_text()


@pytest.mark.parametrize(("fail_on", "status"), [("never", 0), ("warning", 1), ("error", 1)])
def test_fail_on_decides_the_steps_exit(
    installed: dict[str, str], tmp_path: Path, fail_on: str, status: int
) -> None:
    assert _check_step(installed, tmp_path, EXAMPLES, fail_on).returncode == status


def test_the_action_passes_this_repository_and_refuses_a_bad_input(
    installed: dict[str, str], tmp_path: Path
) -> None:
    assert _check_step(installed, tmp_path, ROOT, "warning").returncode == 0
    wrong = _check_step(installed, tmp_path, ROOT, "sometimes")
    assert wrong.returncode == 2 and "fail-on must be" in wrong.stdout


def test_the_actions_sarif_follows_the_sarif_schema(installed: dict[str, str], tmp_path: Path) -> None:
    import jsonschema

    from tests.conftest import SHARED

    _check_step(installed, tmp_path, EXAMPLES, "never", str(tmp_path / "parity.sarif"))
    schema = json.loads((SHARED / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "parity.sarif").read_text()), schema)


def _scratch_repository(path: Path, workflow: bytes) -> None:
    (path / ".github/workflows").mkdir(parents=True)
    (path / ".github/workflows/ci.yml").write_bytes(workflow)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "ci"]):
        subprocess.run([*git, *command], cwd=path, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_the_pre_commit_hook_fails_on_a_gap_and_passes_at_parity(tmp_path: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    bad, good = tmp_path / "bad", tmp_path / "good"
    _scratch_repository(bad, AMD64_ONLY)
    _scratch_repository(good, AT_PARITY)
    failed = _run(BIN / "pre-commit", "try-repo", ROOT, "parity-check", "--all-files", env=env, cwd=bad)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "job 'test': no arm64 leg on linux; it tests: " in failed.stdout  # and why it is judged
    assert "[missing-arm64-leg]" in failed.stdout
    passed = _run(BIN / "pre-commit", "try-repo", ROOT, "parity-check", "--all-files", env=env, cwd=good)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_the_development_hooks_are_a_valid_pre_commit_config() -> None:
    for name, command in (
        (".pre-commit-config.yaml", "validate-config"),
        (".pre-commit-hooks.yaml", "validate-manifest"),
    ):
        checked = _run(BIN / "pre-commit", command, ROOT / name)
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built from this tree as PyPI would get them."""
    out = tmp_path_factory.mktemp("dist")
    done = _run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sdist, wheel_path = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdist) == len(wheel_path) == 1
    return {"sdist": sdist[0], "wheel": wheel_path[0]}


def test_the_package_builds_and_the_wheel_carries_the_config_schema(built: dict[str, Path]) -> None:
    checked = _run(BIN / "twine", "check", "--strict", built["sdist"], built["wheel"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
    assert "bot/schema/parity.schema.json" in names
    assert "bot/app.yml" in names  # the App manifest setup mode registers from
    assert "bot/samples/pull_request.opened.json" in names  # what `deliver` posts
    assert any(name.endswith("licenses/LICENSE") for name in names)
    from bot import __version__

    assert built["wheel"].name.startswith(f"parity_bot-{__version__}-")


def _setup_page(parity_bot: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str] | str:
    """`parity-bot serve` with no credentials, run in an empty folder: the setup page's
    HTML, or the finished process when it did not serve."""
    import httpx

    from tests.service_harness import free_port, wait_until

    work = tmp_path / "work"
    work.mkdir(parents=True)
    port = free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ENV_FILE": str(work / ".env"),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite'}",
        **env,
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([parity_bot, "serve"], cwd=work, env=environment, stdout=log, stderr=log)
    try:

        def page() -> str | None:
            if process.poll() is not None:
                return "exited"
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            except httpx.HTTPError:
                return None
            return response.text if response.status_code == 200 else None

        text = wait_until(page, 60, "the setup page")
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    if text == "exited":
        return subprocess.CompletedProcess([], process.returncode, "", (tmp_path / "serve.log").read_text())
    return str(text)


def _manifest_on(page: str) -> dict[str, object]:
    import html
    import re

    found = re.search(r"value='([^']+)'", page)
    assert found is not None, page
    manifest: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return manifest


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_setup_mode_serves_its_page_from_a_regular_install(
    built: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    """`pip install` of the wheel or the sdist (not this tree), then `serve` with no
    credentials in a folder with nothing in it: the manifest comes from the package."""
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    installed = _run(venv / "bin/python", "-m", "pip", "install", "--quiet", f"{built[kind]}[service]")
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    where = _run(venv / "bin/python", "-c", "import bot; print(bot.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr  # not this tree
    page = _setup_page(venv / "bin/parity-bot", tmp_path)
    assert isinstance(page, str), page.stderr
    assert "Register the GitHub App" in page
    manifest = _manifest_on(page)
    assert manifest["name"] == "parity-bot" and "pull_request" in manifest["default_events"]  # type: ignore[operator]


def test_a_plain_install_checks_fixes_and_reports_and_names_the_extra_the_app_needs(
    built: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    installed = _run(venv / "bin/python", "-m", "pip", "install", "--quiet", built["wheel"])
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    assert _run(venv / "bin/python", "-c", "import githubkit").returncode == 1
    parity_bot = venv / "bin/parity-bot"
    checked = _run(parity_bot, "check", EXAMPLES, cwd=tmp_path)
    assert checked.returncode == 1 and "missing-arm64-leg" in checked.stdout, checked.stderr
    assert _run(parity_bot, "fix", EXAMPLES, cwd=tmp_path).stdout.startswith("--- ")
    for command in (
        ["serve"],
        ["report", "--live", "--org", "octo"],
        ["report", "--database", "postgresql://h/db"],
    ):
        refused = _run(parity_bot, *command, cwd=tmp_path, env={**os.environ, "APP_ID": ""})
        assert refused.returncode == 2, command
        assert refused.stderr.count("\n") == 1 and "pip install 'parity-bot[service]'" in refused.stderr


def test_app_manifest_overrides_the_packaged_one_and_a_missing_one_is_named(tmp_path: Path) -> None:
    script = shutil.which("parity-bot", path=str(BIN))
    assert script is not None  # this tree's editable install
    custom = tmp_path / "ours.yml"
    custom.write_text("name: our-parity\ndefault_events: [pull_request]\n")
    page = _setup_page(Path(script), tmp_path / "a", APP_MANIFEST=str(custom))
    assert isinstance(page, str), page.stderr
    assert _manifest_on(page)["name"] == "our-parity"
    plain = _setup_page(Path(script), tmp_path / "b")  # editable install, nothing set
    assert isinstance(plain, str) and _manifest_on(plain)["name"] == "parity-bot"
    missing = _setup_page(Path(script), tmp_path / "c", APP_MANIFEST=str(tmp_path / "nope.yml"))
    assert isinstance(missing, subprocess.CompletedProcess)
    assert missing.returncode == 2
    assert f"parity-bot: APP_MANIFEST={tmp_path / 'nope.yml'}: No such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_this_repository_judges_itself_at_parity() -> None:
    result = _run(BIN / "parity-bot", "check", "--format", "json", ROOT)
    report = json.loads(result.stdout)
    jobs = {job["id"]: job for workflow in report["workflows"] for job in workflow["jobs"]}
    assert result.returncode == 0
    assert {job["status"] for job in jobs.values()} <= {"parity", "not-applicable"}
    judged = {name for name, job in jobs.items() if job["status"] == "parity"}
    assert judged == {"test", "image"}
    # the tests run natively on both architectures for every Python
    legs = {(leg["matrix"]["python"], leg["arch"], leg["emulated"]) for leg in jobs["test"]["legs"]}
    assert legs == {(python, arch, False) for python in ("3.11", "3.12", "3.13") for arch in ("amd64", "arm64")}


def _fake_python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")  # what `-c 'print(version)'` prints
    path.chmod(0o755)
    return path


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_refuses_an_old_python_in_one_line_before_installing(tmp_path: Path, target: str) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci")
    old = _fake_python(tmp_path / "bin" / "python3.10", "3.10")
    done = _run("make", target, f"PYTHON={old}", cwd=tmp_path)
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "parity-bot needs Python 3.11 or newer" in lines[0] and "PYTHON=python3.12" in lines[0]
    assert not (tmp_path / ".venv").exists()  # nothing was installed
    # .ci/run says the same when called directly, as CI does
    direct = _run("bash", tmp_path / ".ci/run", env={**os.environ, "PYTHON": str(old)}, cwd=tmp_path)
    assert direct.returncode == 1 and "needs Python 3.11 or newer" in direct.stderr
    assert not (tmp_path / ".venv").exists()


def test_the_python_check_passes_a_new_python_and_names_an_old_venv(tmp_path: Path) -> None:
    shutil.copytree(ROOT / ".ci", tmp_path / ".ci")
    fine = _run("bash", tmp_path / ".ci/python-check", sys.executable)
    assert (fine.returncode, fine.stdout) == (0, "")
    _fake_python(tmp_path / ".venv" / "bin" / "python", "3.10")
    stale = _run("bash", tmp_path / ".ci/python-check", sys.executable)
    assert stale.returncode == 1 and "remove .venv" in stale.stdout


def test_one_version_names_the_release_everywhere_users_pin_it() -> None:
    """RELEASING.md: `bot.__version__` is the version; the docs pin its tags."""
    import re

    from bot import __version__

    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()
    readme = (ROOT / "README.md").read_text()
    assert re.findall(r"rev: (v\S+)", readme) == [f"v{__version__}"]
    assert set(re.findall(r"parity-bot/parity-bot@(\S+)", readme)) == {f"v{__version__.split('.')[0]}"}
    assert (ROOT / "CHANGELOG.md").read_text().count(f"## {__version__}\n") == 1
    releasing = (ROOT / "RELEASING.md").read_text()
    assert "git tag -a vX.Y.Z" in releasing and "git push -f origin vX" in releasing
