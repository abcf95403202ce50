"""Verdicts on real workflows, decided by reading each file and pinned here.

For the ipfs_kit_py states every job not listed is `amd64-only`: a single job on one
amd64 runner (ubuntu-latest, ubuntu-2x.04, [self-hosted, amd64]) with no arm64 twin.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.analysis import Report, analyze
from bot.core.config import Policy
from tests.conftest import read_folder

TODAY = date(2026, 11, 28)

# Jobs whose twin lives in a sibling job or workflow (one job per arch) and QEMU legs.
SHARED_PARITY = {
    ("amd64-ci.yml", "test-amd64"): "parity",
    ("amd64-ci.yml", "build-docker-amd64"): "parity",
    ("arm64-ci.yml", "test-arm64"): "parity",
    ("arm64-ci.yml", "build-docker-arm64"): "parity",
    ("docker-arch-tests.yml", "docker-multi-arch-test"): "parity",  # QEMU per leg
    ("docker-arch-tests.yml", "docker-native-test"): "parity",
    ("docker-build.yml", "build"): "parity",  # build-push-action platforms
    ("docker-enhanced-test.yml", "build-amd64"): "parity",
    ("docker-enhanced-test.yml", "build-arm64"): "parity",
    ("docker.yml", "publish"): "parity",
    ("enhanced-ci-cd.yml", "docker-build"): "parity",
    ("gpu-testing.yml", "gpu-tests"): "unknown",  # [self-hosted, gpu, nvidia]: no arch
    ("gpu-testing.yml", "docker-gpu-tests"): "unknown",
    ("gpu-testing.yml", "memory-leak-tests"): "unknown",
    # test-arm64 runs one QEMU docker test with no python matrix: not a twin of any leg.
    ("multi-arch-build.yml", "test-amd64"): "partial",
    ("multi-arch-build.yml", "test-arm64"): "arm64-only",
    ("multi-arch-build.yml", "build-multi-arch"): "parity",
    ("multi-arch-ci.yml", "test-multi-arch"): "parity",
    ("multi-arch-ci.yml", "test-arm64-native"): "parity",
    ("multi-arch-ci.yml", "test-amd64-native"): "parity",
    ("multi-arch-ci.yml", "test-riscv"): "not-applicable",  # QEMU riscv64 only
}

BEFORE = dict(SHARED_PARITY)

# The parity change: arch: [amd64, arm64] matrices with a fromJSON runner per arch.
AFTER = {
    **SHARED_PARITY,
    ("cluster-tests.yml", "cluster-unit-tests"): "parity",
    ("coverage.yml", "coverage"): "parity",
    ("daemon-tests.yml", "daemon-unit-tests"): "parity",
    ("lint.yml", "lint"): "parity",
    ("multi-arch-test-parity.yml", "test-parity"): "parity",
    ("multi-arch-test-parity.yml", "test-docker-qemu"): "parity",
    ("python-package.yml", "test"): "parity",
    ("run-tests.yml", "test"): "parity",
    ("security.yml", "dependency-check"): "parity",
    ("security.yml", "bandit-scan"): "parity",
    # calls python-package.yml, whose build-and-publish jobs stay amd64-only
    ("full-pipeline.yml", "package-tests"): "partial",
}

# "make ARM64 testing optional": arm64 dropped or kept for a few Python versions.
OPTIONAL = {
    **SHARED_PARITY,
    ("cluster-tests.yml", "cluster-unit-tests"): "partial",
    ("daemon-tests.yml", "daemon-unit-tests"): "partial",
    ("python-package.yml", "test"): "partial",
    ("run-tests.yml", "test"): "partial",
    ("multi-arch-test-parity.yml", "test-docker-qemu"): "parity",
    ("full-pipeline.yml", "package-tests"): "partial",
}


def _statuses(report: Report) -> dict[tuple[str, str], str]:
    return {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}


@pytest.mark.parametrize(("state", "pinned"), [
    ("before", BEFORE), ("after", AFTER), ("optional", OPTIONAL)])
def test_every_ipfs_job_has_its_pinned_verdict(corpus, state, pinned):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / state), today=TODAY)
    actual = _statuses(report)
    expected = {key: pinned.get(key, "amd64-only") for key in actual}
    assert actual == expected
    assert set(pinned) <= set(actual), "a pinned job disappeared"


def _job(report: Report, path: str, job_id: str):
    return next(j for wf in report.workflows if wf.path == path for j in wf.jobs
                if j.job.id == job_id)


@pytest.fixture(scope="module")
def optional(corpus) -> Report:
    return analyze(read_folder(corpus / "ipfs_kit_py" / "optional"), today=TODAY)


@pytest.mark.parametrize(("path", "job", "missing"), [
    ("run-tests.yml", "test", [3.8, 3.9, "3.13"]),
    ("python-package.yml", "test", [3.8, 3.9, "3.10", "3.12", "3.13"]),
    ("cluster-tests.yml", "cluster-unit-tests", ["3.9", "3.10", "3.12"]),
    ("daemon-tests.yml", "daemon-unit-tests", ["3.10", "3.12"]),
])
def test_optional_state_names_the_dropped_arm64_legs(optional, path, job, missing):
    report = _job(optional, path, job)
    assert report.missing_json() == [
        {"matrix": {"python-version": version}, "os": "linux", "arch": "arm64"}
        for version in missing]
    assert [f.rule for f in report.findings if f.rule != "retired-runner"][:2] == [
        "missing-arm64-leg", "non-blocking-arm64"]


def test_optional_state_arm64_legs_are_non_blocking(optional):
    legs = _job(optional, "run-tests.yml", "test").legs
    arm = [leg for leg in legs if leg.arch == "arm64"]
    assert [leg.matrix["python-version"] for leg in arm] == ["3.10", "3.11", "3.12"]
    assert not any(leg.blocking for leg in arm)
    assert all(leg.blocking for leg in legs if leg.arch == "amd64")


def test_optional_state_is_a_regression_of_after(corpus, optional):
    after = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    lost = sorted(key for key, status in _statuses(after).items()
                  if status == "parity" and _statuses(optional)[key] != "parity")
    assert lost == [
        ("cluster-tests.yml", "cluster-unit-tests"), ("coverage.yml", "coverage"),
        ("daemon-tests.yml", "daemon-unit-tests"), ("lint.yml", "lint"),
        ("multi-arch-test-parity.yml", "test-parity"), ("python-package.yml", "test"),
        ("run-tests.yml", "test"), ("security.yml", "bandit-scan"),
        ("security.yml", "dependency-check")]
    assert optional.violations > after.violations


def test_require_blocking_turns_optional_arm64_legs_into_violations(corpus):
    policy = Policy(require_blocking=True)
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "optional"), policy, TODAY)
    job = _job(report, "run-tests.yml", "test")
    assert job.status == "amd64-only"
    assert "continue-on-error" in (job.verdict.reason or "")
    severities = {f.rule: f.severity for f in job.findings}
    assert severities["non-blocking-arm64"] == "error"


def test_after_state_catches_artifact_names_that_collide_across_archs(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    collisions = sorted((path, item.line) for path, item in report.findings()
                        if item.rule == "artifact-name-collision")
    assert collisions == [("cluster-tests.yml", 81), ("daemon-tests.yml", 75)]


def test_after_state_flags_the_retired_ubuntu_2004_runner(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    job = _job(report, "run-tests.yml", "test")
    retired = [f for f in job.findings if f.rule == "retired-runner"]
    assert len(retired) == 1 and "ubuntu-20.04" in retired[0].message
    assert retired[0].line == 16  # the runs-on expression that names it
    early = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=date(2025, 1, 1))
    assert not [f for f in _job(early, "run-tests.yml", "test").findings
                if f.rule == "retired-runner"]


def test_after_state_legs_resolve_the_fromjson_runner(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    legs = _job(report, "run-tests.yml", "test").legs
    assert len(legs) == 12
    arm = [leg for leg in legs if leg.arch == "arm64"]
    assert {leg.runner for leg in arm} == {("self-hosted", "arm64", "dgx")}
    assert {leg.runner for leg in legs if leg.arch == "amd64"} == {("ubuntu-20.04",)}
    assert all(leg.os == "linux" and not leg.emulated for leg in legs)


def test_latest_state_reports_the_unparseable_file_and_goes_on(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "latest"), today=TODAY)
    broken = next(wf for wf in report.workflows if wf.path == "webrtc_benchmark.yml")
    assert broken.error is not None and broken.error["line"] == 72
    assert broken.jobs == []
    assert len(report.workflows) == 54
    assert sum(len(wf.jobs) for wf in report.workflows) > 100


# ------------------------------------------------------------------ other projects

REAL: dict[str, dict[str, str]] = {
    "pypa__cibuildwheel__github-minimal.yml": {"build_wheels": "parity"},
    # android/pyodide legs build on amd64 only: no arm64 twin for them
    "pypa__cibuildwheel__github-deploy.yml": {
        "build_wheels": "partial", "build_sdist": "amd64-only", "upload_pypi": "amd64-only"},
    # arm64 only through QEMU + CIBW_ARCHS_LINUX on the ubuntu leg
    "pypa__cibuildwheel__github-with-qemu@2025-01.yml": {"build_wheels": "parity"},
    "PyO3__maturin__test.yml": {
        "lint": "amd64-only", "test": "parity", "build-maturin": "amd64-only",
        "test-windows-cross": "amd64-only", "test-emscripten": "amd64-only",
        "test-alpine": "amd64-only", "test-auditwheel": "amd64-only",
        "test-docker": "amd64-only", "test-cross-compile": "amd64-only",
        "test-bootstrap": "amd64-only",  # its arm64 leg is macOS
        "test-msrv": "amd64-only", "test-downstream": "unknown",  # called file not here
        "check": "amd64-only", "conclusion": "amd64-only"},
    # one ubuntu-24.04-arm image among many amd64 ones; ppc64le/s390x are "other"
    "python-pillow__Pillow__test-docker.yml": {"build": "partial", "success": "amd64-only"},
    "astral-sh__uv__test-smoke.yml": {
        "smoke-test-linux": "parity", "smoke-test-linux-aarch64": "parity",
        "smoke-test-linux-musl": "amd64-only", "smoke-test-macos": "not-applicable",
        "smoke-test-windows-x86_64": "not-applicable",
        "smoke-test-windows-aarch64": "not-applicable"},
    "psycopg__psycopg__packages-bin.yml": {
        "linux": "parity", "macos": "not-applicable", "windows": "not-applicable",
        "merge": "amd64-only"},
    "numpy__numpy__wheels.yml": {"build_wheels": "parity"},
    "pytorch__pytorch__linux-aarch64.yml": {
        "linux-jammy-aarch64-py3_10-build": "unknown",
        "linux-jammy-aarch64-py3_10-test": "unknown"},
}


@pytest.fixture(scope="module")
def real(corpus) -> Report:
    return analyze(read_folder(corpus / "real"), today=TODAY)


def test_every_real_job_has_its_pinned_verdict(real):
    actual: dict[str, dict[str, str]] = {}
    for wf in real.workflows:
        actual[wf.path] = {job.job.id: job.status for job in wf.jobs}
    assert actual == REAL


def _real(real: Report, path: str, job: str):
    return _job(real, path, job)


def test_maturin_exclude_matches_unquoted_39_like_github(real):
    legs = _real(real, "PyO3__maturin__test.yml", "test").legs
    combos = {(leg.runner[0], str(leg.matrix["python-version"])) for leg in legs}
    assert len(legs) == 24 - 5
    assert ("macos-latest", "3.9") not in combos  # exclude wrote 3.9 unquoted
    assert ("ubuntu-latest", "pypy3.11") not in combos


def test_numpy_runner_from_array_index(real):
    legs = _real(real, "numpy__numpy__wheels.yml", "build_wheels").legs
    by_plat = {leg.matrix["buildplat"][1]: (leg.os, leg.arch) for leg in legs}
    assert by_plat["manylinux_aarch64"] == ("linux", "arm64")
    assert by_plat["manylinux_x86_64"] == ("linux", "amd64")
    assert by_plat["win_arm64"] == ("windows", "arm64")
    assert by_plat["macosx_x86_64"] == ("macos", "amd64")


def test_psycopg_arch_dimension_is_emulated(real):
    legs = _real(real, "psycopg__psycopg__packages-bin.yml", "linux").legs
    arches = {leg.matrix["arch"]: (leg.arch, leg.emulated) for leg in legs}
    assert arches == {"x86_64": ("amd64", False), "aarch64": ("arm64", True),
                      "ppc64le": ("other", True), "riscv64": ("other", True)}
    finding_rules = {f.rule for f in _real(real, "psycopg__psycopg__packages-bin.yml",
                                           "linux").findings}
    assert "emulated-only" in finding_rules


def test_qemu_cibuildwheel_splits_the_linux_leg(real):
    legs = _real(real, "pypa__cibuildwheel__github-with-qemu@2025-01.yml", "build_wheels").legs
    linux = sorted((leg.arch, leg.emulated) for leg in legs if leg.os == "linux")
    assert linux == [("amd64", False), ("arm64", True)]
    assert {f.rule for f in _real(real, "pypa__cibuildwheel__github-with-qemu@2025-01.yml",
                                  "build_wheels").findings} >= {"retired-runner"}


def test_pillow_include_forms_the_arm64_combination(real):
    job = _real(real, "python-pillow__Pillow__test-docker.yml", "build")
    arm = [leg for leg in job.legs if leg.arch == "arm64"]
    assert [leg.matrix for leg in arm] == [{
        "docker": "ubuntu-26.04-resolute-arm64v8", "os": "ubuntu-24.04-arm", "dockerTag": "main"}]
    missing = [m["matrix"]["docker"] for m in job.missing_json()]
    assert "ubuntu-26.04-resolute-amd64" not in missing  # twinned by the arm64v8 image
    assert "alpine" in missing and len(missing) == 11


def test_cibuildwheel_deploy_names_the_android_and_pyodide_legs(real):
    job = _real(real, "pypa__cibuildwheel__github-deploy.yml", "build_wheels")
    assert [m["matrix"]["os"] for m in job.missing_json()] == [
        "android-intel", "android-arm", "pyodide"]


def test_uv_larger_runner_is_inferred_with_a_note(real):
    job = _real(real, "astral-sh__uv__test-smoke.yml", "smoke-test-linux-aarch64")
    assert [(leg.os, leg.arch) for leg in job.legs] == [("linux", "arm64")]
    notes = [f for f in job.findings if f.rule == "unknown-runner"]
    assert notes and notes[0].severity == "note"


def test_pytorch_reusable_workflow_outside_the_set_is_unknown(real):
    job = _real(real, "pytorch__pytorch__linux-aarch64.yml", "linux-jammy-aarch64-py3_10-build")
    assert "_linux-build.yml" in (job.verdict.reason or "")


def test_user_runner_mapping_decides_unknown_self_hosted(corpus):
    files = read_folder(corpus / "ipfs_kit_py" / "after")
    policy = Policy(runners={"gpu": "arm64"})
    report = analyze(files, policy, TODAY)
    job = _job(report, "gpu-testing.yml", "gpu-tests")
    assert job.status == "arm64-only"
    assert {(leg.os, leg.arch) for leg in job.legs} == {("linux", "arm64")}


def test_not_allowing_emulation_drops_qemu_coverage(corpus):
    files = read_folder(corpus / "ipfs_kit_py" / "after")
    report = analyze(files, Policy(allow_emulated=False), TODAY)
    job = _job(report, "docker-arch-tests.yml", "docker-multi-arch-test")
    assert job.status == "amd64-only"
    assert "emulated" in (job.verdict.reason or "")
