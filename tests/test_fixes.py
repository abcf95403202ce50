"""The fix engine on the real corpus and on hand-made cases: parity after, nothing else moved."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.core.analysis import analyze
from bot.core.config import Policy, policy_from_dict
from bot.core.edits import Edit, apply, unified_diff
from bot.core.fixes import FIXABLE, FilePlan, apply_plans, line_edits, plan
from bot.core.verdicts import PARITY, PARTIAL
from tests.conftest import CORPUS, workflow_files
from tests.test_corpus_verdicts import REAL_UNSURE_GAPS

TODAY = date(2026, 11, 28)
# A strategy without fail-fast gets `fail-fast: false`: a failing arm64 leg must not cancel
# the amd64 legs.
NO_FAIL_FAST = ("    strategy:\n", "    strategy:\n      fail-fast: false\n")
STATES = ["ipfs_kit_py/before", "ipfs_kit_py/after", "ipfs_kit_py/optional", "real"]


def texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in workflow_files(folder)}


def fix_all(files: dict[str, str], policy: Policy | None = None) -> tuple[list[FilePlan], dict[str, str]]:
    policy = policy or Policy()
    plans = plan(files, policy, TODAY)
    return plans, {**files, **apply_plans(plans)}


def statuses(files: dict[str, str], policy: Policy | None = None) -> dict[tuple[str, str], str]:
    report = analyze(files, policy or Policy(), TODAY)
    return {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}


# ------------------------------------------------------------------------------ the corpus

# Jobs fixed per state, and the jobs left unfixed with why. Every amd64-only/partial ipfs job
# runs on a hosted label (or calls a local workflow that does); the full-pipeline.yml callers
# become parity through the workflows they call. Jobs
# that build or test nothing CPU-bound are not-applicable and need no fix; jobs that publish,
# deploy or set outputs must run once and are refused.
# Five image jobs of ipfs_kit_py push (or may) with build-push-action: they get the platforms advice,
# not a second pushing leg.
EXPECTED = {
    "ipfs_kit_py/before": 56,
    "ipfs_kit_py/after": 50,
    "ipfs_kit_py/optional": 57,
    "real": 70,  # lz4's make-driven C builds and tests among them
}
_DEPLOYS = "it deploys to an environment: a second leg would deploy a second time"
# Gaps that are warnings (no rule reads what the missing legs do) get no fix: an arm64 leg
# may only repeat work that needs none (a docs check, a helm publish, a docker-compose run).
_UNRECOGNISED = "what it does is not recognised ("
IPFS_UNFIXED = {
    **dict.fromkeys(
        [
            ("ci-cd-validation.yml", "check-documentation"),
            ("ci-cd-validation.yml", "validate-workflows"),
            ("cluster-tests.yml", "test-summary"),
            ("docker-build.yml", "publish-helm"),
            ("enhanced-ci-cd.yml", "cleanup"),
            ("enhanced-ci-cd.yml", "integration-test"),
            ("final-mcp-server.yml", "docker-compose-test"),
            ("pre_release_deprecation_check.yml", "deprecation-guard"),
        ],
        _UNRECOGNISED,
    ),
    ("blue_green_pipeline.yml", "deploy"): _DEPLOYS,
    ("blue_green_pipeline.yml", "monitor"): _DEPLOYS,
    ("deploy.yml", "deploy"): _DEPLOYS,
    ("docker.yml", "deploy-to-staging"): _DEPLOYS,
    # stores its results on gh-pages with auto-push: a second leg would push them again
    (
        "multi-arch-build.yml",
        "performance-benchmarks",
    ): "it publishes (step 'Store benchmark result' uses benchmark-action/github-action-benchmark",
    # kubo's linux-amd64 tarball: an arm64 leg could not run it
    ("webrtc_benchmark.yml", "benchmark"): ") fetches an x86-64 build (https://dist.ipfs.tech/kubo/",
    # images pushed with build-push-action: the advice is platforms, never a second push
    **dict.fromkeys(
        [
            ("amd64-python-package.yml", "docker-build"),
            ("amd64-release.yml", "amd64-docker-build"),
            ("amd64-release.yml", "amd64-docker-gpu-build"),
            ("blue_green_pipeline.yml", "build"),
            ("final-mcp-server.yml", "publish-docker"),
        ],
        "it pushes an image (step ",
    ),
}
UNFIXED = {
    "ipfs_kit_py/before": IPFS_UNFIXED,
    "ipfs_kit_py/after": IPFS_UNFIXED,
    "ipfs_kit_py/optional": IPFS_UNFIXED,
    "real": {
        # the jobs whose gap is a warning, but for the two that publish (refused for that)
        **dict.fromkeys(
            REAL_UNSURE_GAPS
            - {
                ("napi-rs__napi-rs__test-release.yaml", "release-npm"),
                ("tursodatabase__turso__napi.yml", "publish"),
            },
            _UNRECOGNISED,
        ),
        # builds `--target x86_64-unknown-linux-musl`: on an arm64 runner that is a cross build
        ("PyO3__maturin__test.yml", "build-maturin"): "the edit leaves it amd64-only",
        # runs-on: ${{ matrix.os }}-latest with os: ubuntu
        ("aio-libs__aiohttp__ci-cd.yml", "test"): "no known arm64 counterpart of runner 'ubuntu'",
        ("aio-libs__aiohttp__ci-cd.yml", "autobahn"): "no known arm64 counterpart of runner 'ubuntu'",
        ("aio-libs__aiohttp__ci-cd.yml", "cython-coverage"): "no known arm64 counterpart of runner 'ubuntu'",
        # uploads its benchmark results to CodSpeed: a second leg would upload a second set
        (
            "aio-libs__aiohttp__ci-cd.yml",
            "benchmark",
        ): "it publishes (step 'Run benchmarks' uses CodSpeedHQ/action",
        ("openobserve__openobserve__build-pr-image.yml", "build_frontend"): "it sets outputs",
        (
            "tursodatabase__turso__napi.yml",
            "publish",
        ): "it publishes (step 'Publish' runs `npm publish` (line 495))",
        # publishes through a script: an arm64 leg would publish every package a second time
        (
            "napi-rs__napi-rs__test-release.yaml",
            "release-npm",
        ): "it publishes (step 'Publish' runs `./.github/publish.js` (line 1071))",
        # python 3.12's arm64 leg is in the linux-arm job: an arch dimension would add a second
        ("lancedb__lance__python@2024-09.yml", "linux"): "the edit adds 2 arm64 legs where 1 is missing",
        ("lz4__lz4__ci.yml", "lz4-c-compilers"): "no matrix dimension picks the runner",
        # actions/checkout in an alpine container: GitHub runs JavaScript actions there on x64 only
        ("PyO3__maturin__test.yml", "test-alpine"): "in the Alpine container alpine:latest",
        ("astral-sh__uv__test-smoke.yml", "smoke-test-linux-musl"): "in the Alpine container alpine:latest",
        ("tursodatabase__turso__python.yml", "test"): "the matrix is computed at run time",
    },
}


@pytest.mark.parametrize("state", STATES)
def test_every_fixable_job_is_parity_after_fix(state: str) -> None:
    files = texts(CORPUS / state)
    before = statuses(files)
    plans, fixed = fix_all(files)
    after = statuses(fixed)
    unfixed = {(item.path, job.job_id): job.reason for item in plans for job in item.unfixed}
    callers = {
        (wf.path, job.job.id)
        for wf in analyze(files, Policy(), TODAY).workflows
        for job in wf.jobs
        if job.job.uses is not None
    }
    for key, status in before.items():
        if status in FIXABLE and key not in unfixed:
            assert after[key] == PARITY, key
        elif status == "arm64-only":
            # an arm64 job whose amd64 sibling (test-amd64/test-arm64) was fixed may now twin it
            assert after[key] in (status, PARITY), key
        elif key in callers:
            # its legs are those of the workflow it calls, some of which were fixed
            assert after[key] in (status, PARTIAL, PARITY), key
        else:
            assert after[key] == status, key  # jobs that needed nothing are left alone
    fixed_count = sum(1 for item in plans for job in item.jobs if job.fixed)
    assert fixed_count == EXPECTED[state]
    expected = UNFIXED.get(state, {})
    assert set(unfixed) == set(expected)
    for key, reason in expected.items():
        assert reason in unfixed[key], (key, unfixed[key])


@pytest.mark.parametrize("state", STATES)
def test_fix_is_idempotent(state: str) -> None:
    _, fixed = fix_all(texts(CORPUS / state))
    again = plan(fixed, Policy(), TODAY)
    assert all(item.fixed_source == item.source for item in again)
    assert apply_plans(again) == {}


@pytest.mark.parametrize("state", STATES)
def test_edits_stay_inside_jobs(state: str) -> None:
    files = texts(CORPUS / state)
    plans, _ = fix_all(files)
    report = analyze(files, Policy(), TODAY)
    first_job = {wf.path: min((job.job.line for job in wf.jobs), default=1) for wf in report.workflows}
    for item in plans:
        edits = item.edits
        assert apply(item.source, edits) == item.fixed_source
        # Everything above the first job (triggers, permissions, env) is byte-identical.
        assert all(edit.start >= first_job[item.path] for edit in edits), item.path
        assert sorted(edit for job in item.jobs for edit in job.edits) == sorted(edits)


def test_before_state_diff_size_is_close_to_the_hand_written_change() -> None:
    files = texts(CORPUS / "ipfs_kit_py/before")
    plans, _ = fix_all(files)
    ours = {item.path: item for item in plans}
    # The hand-written change (before-to-after.patch) on cluster-unit-tests: name, runs-on,
    # fail-fast and the arch dimension. Ours: runs-on and the dimension, plus the artifact.
    cluster = [
        edit
        for job in ours["cluster-tests.yml"].jobs
        if job.job_id == "cluster-unit-tests"
        for edit in job.edits
    ]
    changed = "".join(edit.text for edit in cluster)
    assert "runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-22.04-arm' || 'ubuntu-20.04' }}" in changed
    assert "arch: [amd64, arm64]" in changed


def _schema_errors(tool: str, folder: Path) -> set[tuple[str, str]]:
    """(file, JSON path) of every place SchemaStore's workflow schema rejects."""
    result = subprocess.run(
        [
            tool,
            "--builtin-schema",
            "vendor.github-workflows",
            "-o",
            "json",
            *sorted(str(path) for path in folder.iterdir()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return {(Path(error["filename"]).name, error["path"]) for error in json.loads(result.stdout)["errors"]}


def test_fixed_corpus_validates_against_the_workflow_schema(tmp_path: Path) -> None:
    # Some real files are outside the schema before any fix (ghostty's `strategy` without a
    # `matrix`, which GitHub accepts): a fix must add no error, not remove those.
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert tool is not None, "check-jsonschema is a test dependency"
    checked = 0
    for state in STATES:
        files = texts(CORPUS / state)
        _, fixed = fix_all(files)
        for kind, contents in (("original", files), ("fixed", fixed)):
            folder = tmp_path / state.replace("/", "_") / kind
            folder.mkdir(parents=True)
            for name, text in contents.items():
                (folder / name).write_text(text, encoding="utf-8")
        before = _schema_errors(tool, tmp_path / state.replace("/", "_") / "original")
        after = _schema_errors(tool, tmp_path / state.replace("/", "_") / "fixed")
        assert after <= before, sorted(after - before)
        checked += len(fixed)
    assert checked > 100


def test_unified_diff_applies_with_git(tmp_path: Path) -> None:
    files = texts(CORPUS / "ipfs_kit_py/optional")
    plans, fixed = fix_all(files)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    patch = "".join(unified_diff(item.path, item.source, item.fixed_source) for item in plans)
    (tmp_path / "fix.patch").write_text(patch, encoding="utf-8")
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True, capture_output=True)
    for name, text in fixed.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text, name


# ------------------------------------------------------------------------ hand-made cases


def fix_one(source: str, policy: Policy | None = None) -> tuple[str, FilePlan]:
    plans, fixed = fix_all({"ci.yml": source}, policy)
    assert len(plans) == 1
    return fixed["ci.yml"], plans[0]


def test_constant_runner_gets_an_arch_dimension_in_the_files_own_indentation() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "    test:   # the unit tests\n"
        "        name: 'Unit tests'\n"
        "        runs-on: ubuntu-24.04  # pinned\n"
        "        steps:\n"
        "            - run: pytest\n"
    )
    fixed, item = fix_one(source)
    assert fixed == (
        "on: push\n"
        "jobs:\n"
        "    test:   # the unit tests\n"
        "        name: \"${{ matrix.arch == 'arm64' && 'Unit tests (arm64)' || 'Unit tests' }}\"\n"
        "        runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-24.04' }}"
        "  # pinned\n"
        "        strategy:\n"
        "            fail-fast: false\n"
        "            matrix:\n"
        "                arch: [amd64, arm64]\n"
        "        steps:\n"
        "            - run: pytest\n"
    )
    assert item.edits == [Edit(4, 5, "".join(fixed.splitlines(keepends=True)[3:9]))]


def test_runner_dimension_gets_the_twin_label_in_its_own_style() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ${{ matrix.os }}\n"
        "    strategy:\n"
        "      matrix:\n"
        "        os:\n"
        "        - 'ubuntu-latest'   # linux\n"
        "        - 'windows-latest'\n"
        "        python: ['3.11', '3.12']\n"
        "    steps:\n"
        "    - run: pytest\n"
    )
    fixed, _ = fix_one(source)
    # Windows is not judged by default: only the Linux label gets its twin.
    assert fixed == source.replace(*NO_FAIL_FAST).replace(
        "        - 'windows-latest'\n", "        - 'windows-latest'\n        - 'ubuntu-24.04-arm'\n"
    )


def test_flow_dimension_and_windows_when_judged() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ${{ matrix.os }}\n"
        "    strategy:\n"
        "      matrix: {os: [ubuntu-22.04, windows-2022]}\n"
        "    steps: [{run: pytest}]\n"
    )
    policy = policy_from_dict({"platforms": ["linux", "windows"]})
    fixed, item = fix_one(source, policy)
    assert fixed == source.replace(*NO_FAIL_FAST).replace(
        "[ubuntu-22.04, windows-2022]", "[ubuntu-22.04, windows-2022, ubuntu-22.04-arm, windows-11-arm]"
    )
    assert len(item.edits) == 1


def test_partial_job_drops_the_exclude_that_removes_arm64() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ${{ matrix.os }}\n"
        "    strategy:\n"
        "      matrix:\n"
        "        os: [ubuntu-latest, ubuntu-24.04-arm]\n"
        "        python: ['3.9', '3.10']\n"
        "        exclude:\n"
        "          - os: ubuntu-24.04-arm  # no wheels yet\n"
        "            python: '3.9'\n"
        "    steps:\n"
        "      - run: pytest\n"
    )
    assert statuses({"ci.yml": source})[("ci.yml", "test")] == "partial"
    fixed, _ = fix_one(source)
    assert fixed == source.replace(
        "        exclude:\n          - os: ubuntu-24.04-arm  # no wheels yet\n            python: '3.9'\n", ""
    ).replace(*NO_FAIL_FAST)


def test_partial_job_with_an_arch_dimension_gets_arm64_back() -> None:
    source = (CORPUS / "ipfs_kit_py/optional/run-tests.yml").read_text(encoding="utf-8")
    fixed, item = fix_one(source)
    test_edits = next(job for job in item.jobs if job.job_id == "test").edits
    assert test_edits == [
        Edit(
            21,
            21,
            "        arch: [amd64, arm64]  # Only AMD64 by default - ARM64 requires self-hosted runners\n",
        )
    ]
    assert statuses({"ci.yml": fixed})[("ci.yml", "test")] == PARITY


def test_require_blocking_drops_continue_on_error() -> None:
    source = (CORPUS / "ipfs_kit_py/optional/run-tests.yml").read_text(encoding="utf-8")
    policy = policy_from_dict({"require_blocking": True})
    fixed, _ = fix_one(source, policy)
    assert "continue-on-error" not in fixed
    assert statuses({"ci.yml": fixed}, policy)[("ci.yml", "test")] == PARITY


def test_missing_legs_become_include_entries_when_that_is_smaller() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ${{ matrix.runner }}\n"
        "    strategy:\n"
        "      matrix:\n"
        "        include:\n"
        "          - {runner: ubuntu-latest, python: '3.12'}\n"
        "          - {runner: ubuntu-latest, python: '3.13'}\n"
        "          - {runner: ubuntu-24.04-arm, python: '3.12'}\n"
        "    steps:\n"
        "      - run: pytest\n"
    )
    fixed, _ = fix_one(source)
    assert fixed == source.replace(
        "          - {runner: ubuntu-24.04-arm, python: '3.12'}\n",
        "          - {runner: ubuntu-24.04-arm, python: '3.12'}\n"
        "          - {runner: ubuntu-24.04-arm, python: '3.13'}\n",
    ).replace(*NO_FAIL_FAST)


def test_an_entry_that_leaves_its_runner_to_a_default_gets_the_arm64_runner_named() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    name: ${{ matrix.name || matrix.python }}\n"
        "    runs-on: ${{ matrix.os || 'ubuntu-latest' }}\n"
        "    strategy:\n"
        "      fail-fast: false\n"
        "      matrix:\n"
        "        include:\n"
        "          - {python: '3.13'}\n"
        "          - {name: Windows, python: '3.13', os: windows-latest}\n"
        "    steps:\n"
        "      - run: pytest\n"
    )
    fixed, item = fix_one(source)
    assert fixed == source.replace(
        "          - {name: Windows, python: '3.13', os: windows-latest}\n",
        "          - {name: Windows, python: '3.13', os: windows-latest}\n"
        "          - {python: '3.13', os: ubuntu-24.04-arm}\n",
    ).replace(
        "    name: ${{ matrix.name || matrix.python }}\n",
        "    name: ${{ matrix.name || matrix.python }}"
        "${{ matrix.os == 'ubuntu-24.04-arm' && ' (arm64)' || '' }}\n",
    )
    assert [job.fixed for job in item.jobs] == [True]


def test_a_multi_line_matrix_value_keeps_its_line_breaks_in_the_twin_entry() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ${{ matrix.os }}\n"
        "    strategy:\n"
        "      fail-fast: true\n"
        "      matrix:\n"
        "        include:\n"
        "          - os: ubuntu-24.04\n"
        "            env: |\n"
        "              PYTHONDEVMODE=1\n"
        "    steps:\n"
        "      - if: ${{ matrix.env }}\n"
        '        run: echo "${{ matrix.env }}" >> "$GITHUB_ENV"\n'
        "      - run: pytest\n"
    )
    fixed, item = fix_one(source)
    assert fixed == source.replace(
        "              PYTHONDEVMODE=1\n",
        '              PYTHONDEVMODE=1\n          - {os: ubuntu-24.04-arm, env: "PYTHONDEVMODE=1\\n"}\n',
    )
    assert [job.fixed for job in item.jobs] == [True]


def test_a_caller_whose_matrix_picks_the_called_workflows_runner_gets_the_twin_value() -> None:
    called = (
        "on:\n"
        "  workflow_call:\n"
        "    inputs:\n"
        "      runner: {type: string}\n"
        "jobs:\n"
        "  pytest:\n"
        "    runs-on: ${{ inputs.runner }}\n"
        "    steps:\n"
        "      - run: pytest\n"
        "  mypy:\n"
        "    runs-on: ${{ inputs.runner }}\n"
        "    steps:\n"
        "      - run: mypy src\n"
    )
    caller = (
        "on: push\n"
        "jobs:\n"
        "  tests:\n"
        "    uses: ./.github/workflows/matrix.yml\n"
        '    name: "${{ matrix.os.name }} (Python ${{ matrix.python }})"\n'
        "    with:\n"
        "      runner: ${{ matrix.os.image }}\n"
        "    strategy:\n"
        "      fail-fast: false\n"
        "      matrix:\n"
        "        os:\n"
        "          - name: Ubuntu\n"
        "            image: ubuntu-22.04\n"
        "        python: ['3.12', '3.13']\n"
    )
    files = {".github/workflows/ci.yml": caller, ".github/workflows/matrix.yml": called}
    _, fixed = fix_all(files)
    assert fixed[".github/workflows/ci.yml"] == caller.replace(
        "            image: ubuntu-22.04\n",
        "            image: ubuntu-22.04\n          - name: Ubuntu\n            image: ubuntu-22.04-arm\n",
    ).replace(
        '(Python ${{ matrix.python }})"',
        "(Python ${{ matrix.python }})${{ matrix.os.image == 'ubuntu-22.04-arm' && ' (arm64)' || '' }}\"",
    )
    assert fixed[".github/workflows/matrix.yml"] == called
    assert statuses(fixed)[(".github/workflows/ci.yml", "tests")] == PARITY


def test_a_caller_with_two_called_jobs_gets_one_include_entry_per_missing_combination() -> None:
    called = (
        "on:\n"
        "  workflow_call:\n"
        "    inputs:\n"
        "      os: {type: string}\n"
        "jobs:\n"
        "  unit:\n"
        "    runs-on: ${{ inputs.os }}\n"
        "    steps:\n"
        "      - run: pytest tests/unit\n"
        "  integration:\n"
        "    runs-on: ${{ inputs.os }}\n"
        "    steps:\n"
        "      - run: pytest tests/integration\n"
    )
    caller = (
        "on: push\n"
        "jobs:\n"
        "  tests:\n"
        "    uses: ./.github/workflows/called.yml\n"
        "    with:\n"
        "      os: ${{ matrix.os }}\n"
        "    strategy:\n"
        "      fail-fast: false\n"
        "      matrix:\n"
        "        include:\n"
        "          - {os: ubuntu-22.04, python: '3.12'}\n"
        "          - {os: ubuntu-22.04, python: '3.13'}\n"
        "          - {os: ubuntu-24.04-arm, python: '3.12'}\n"
    )
    _, fixed = fix_all({".github/workflows/ci.yml": caller, ".github/workflows/called.yml": called})
    assert fixed[".github/workflows/ci.yml"] == caller + "          - {os: ubuntu-22.04-arm, python: '3.13'}\n"
    assert statuses(fixed)[(".github/workflows/ci.yml", "tests")] == PARITY


def test_self_hosted_needs_a_configured_arm64_runner() -> None:
    source = (
        "on: push\njobs:\n  build:\n    runs-on: [self-hosted, linux, x64]\n    steps:\n      - run: make\n"
    )
    fixed, item = fix_one(source)
    assert fixed == source
    assert not item.jobs[0].fixed
    assert "arm64_runner" in item.jobs[0].reason
    policy = policy_from_dict({"arm64_runner": "linux-arm64-large"})
    fixed, item = fix_one(source, policy)
    assert item.jobs[0].fixed
    assert (
        "runs-on: ${{ matrix.arch == 'arm64' && 'linux-arm64-large' || "
        'fromJSON(\'["self-hosted","linux","x64"]\') }}'
    ) in fixed


def test_retired_label_is_noted_with_the_runner_the_fix_uses() -> None:
    source = "on: push\njobs:\n  test:\n    runs-on: ubuntu-20.04\n    steps:\n      - run: pytest\n"
    fixed, item = fix_one(source)
    assert "'ubuntu-22.04-arm' || 'ubuntu-20.04'" in fixed
    assert any("ubuntu-20.04 was retired" in note and "ubuntu-22.04-arm" in note for note in item.jobs[0].notes)


def test_artifact_names_get_the_arch_on_new_legs_only_and_downloads_keep_working() -> None:
    source = (
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: make dist\n"
        "      - uses: actions/upload-artifact@v4\n"
        "        with:\n"
        '          name: "dist"\n'
        "          path: dist/\n"
        "  publish:  # parity: ignore\n"
        "    needs: build\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/download-artifact@v4\n"
        "        with:\n"
        '          name: "dist"\n'
    )
    fixed, _ = fix_one(source)
    # The amd64 leg still uploads `dist`, which the publish job still downloads.
    assert "          name: \"dist${{ matrix.arch == 'arm64' && '-arm64' || '' }}\"\n" in fixed
    assert fixed.endswith('          name: "dist"\n')
    report = analyze({"ci.yml": fixed}, Policy(), TODAY)
    assert not [f for _, f in report.findings() if f.rule == "artifact-name-collision"]


def test_reusable_workflow_caller_is_explained() -> None:
    source = "on: push\njobs:\n  call:\n    uses: ./.github/workflows/other.yml\n"
    callee = (
        "on: workflow_call\njobs:\n  run:\n    runs-on: [self-hosted, x64]\n    steps:\n      - run: make\n"
    )
    plans, _ = fix_all({"ci.yml": source, "other.yml": callee})
    reasons = {job.job_id: job.reason for item in plans for job in item.jobs}
    assert "fix that workflow instead" in reasons["call"]


def test_line_edits_anchor_insertions_on_an_existing_line() -> None:
    assert line_edits("a\nb\n", "a\nx\nb\n") == [Edit(1, 1, "a\nx\n")]
    assert line_edits("a\nb\n", "x\na\nb\n") == [Edit(1, 1, "x\na\n")]
    assert line_edits("a\nb\nc\n", "a\nc\n") == [Edit(2, 2, "")]
    assert line_edits("a\nb", "a\nb\nc") == [Edit(2, 2, "b\nc")]
