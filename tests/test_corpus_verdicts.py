"""Verdicts on real workflows, decided by reading each file and pinned here.

For the ipfs_kit_py states every job not listed is `amd64-only`: a single job on one
amd64 runner (ubuntu-latest, ubuntu-2x.04, [self-hosted, amd64]) with no arm64 twin that
builds or tests. Jobs whose purpose does not depend on the CPU (publish, gate, lint …)
are `not-applicable`, pinned with their purpose in NOT_JUDGED.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.analysis import Report, analyze
from bot.core.config import Policy, load_policy
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
    # test-arm64 runs one QEMU docker test with no python matrix: not a twin of any leg,
    # so test-amd64 (not listed) is amd64-only.
    ("multi-arch-build.yml", "test-arm64"): "arm64-only",
    ("multi-arch-build.yml", "build-multi-arch"): "parity",
    ("multi-arch-ci.yml", "test-multi-arch"): "parity",
    ("multi-arch-ci.yml", "test-arm64-native"): "parity",
    ("multi-arch-ci.yml", "test-amd64-native"): "parity",
    ("multi-arch-ci.yml", "test-riscv"): "not-applicable",  # QEMU riscv64 only
}

# Jobs no CPU difference can break, with the purpose their steps show (README, "Job purpose").
NOT_JUDGED = {
    ("amd64-release.yml", "amd64-create-release"): "publish",  # softprops/action-gh-release
    ("amd64-release.yml", "amd64-notify-completion"): "gate",  # reads needs.*.result
    ("amd64-release.yml", "amd64-publish-pypi"): "publish",  # pypa/gh-action-pypi-publish
    ("amd64-release.yml", "validate-amd64-release"): "meta",  # version -> $GITHUB_OUTPUT
    ("ci-cd-validation.yml", "summary"): "gate",  # echoes after its needs
    ("daemon-config-tests-simple.yml", "report"): "gate",
    ("daemon-config-tests.yml", "report"): "gate",
    ("daemon-tests.yml", "notify-on-failure"): "gate",
    ("dependencies.yml", "check-dependencies"): "lint",  # safety check
    ("docker-arch-tests.yml", "docker-test-summary"): "gate",
    ("docker-enhanced-test.yml", "create-manifest"): "publish",  # docker manifest create
    ("docker-enhanced-test.yml", "test-summary"): "gate",
    ("docker.yml", "docker-lint"): "lint",  # hadolint
    ("docker.yml", "helm-lint"): "lint",  # step 'Lint Helm Chart'
    ("docs.yml", "build-docs"): "docs",  # sphinx-build
    ("docs.yml", "deploy-docs"): "publish",  # github-pages-deploy-action
    ("enhanced-ci-cd.yml", "deploy"): "gate",  # an echo behind `environment: staging`
    ("enhanced-ci-cd.yml", "lint-and-security"): "lint",  # black --check, flake8
    ("enhanced-ci-cd.yml", "release"): "publish",  # actions/create-release
    ("enhanced-ci-cd.yml", "security-scan"): "lint",  # trivy -> codeql-action/upload-sarif
    ("full-pipeline.yml", "integration-summary"): "gate",
    ("gpu-testing.yml", "detect-changes"): "meta",  # dorny/paths-filter
    ("gpu-testing.yml", "report-results"): "gate",
    ("lint.yml", "lint"): "lint",  # pip install -e . only to run black/flake8
    ("multi-arch-build.yml", "security-scan"): "lint",
    ("multi-arch-ci.yml", "test-summary"): "gate",
    ("pages.yml", "build"): "docs",  # actions/configure-pages
    # `python -m build` for the PyPI upload of a job that needs it: an sdist and a pure wheel
    ("publish-package.yml", "build"): "sdist",
    ("workflow.yml", "build"): "sdist",
    ("python-package.yml", "build-and-publish"): "sdist",  # the same job runs twine upload
    ("python-package.yml", "build-and-publish-testpypi"): "sdist",
    ("publish-package.yml", "create-github-release"): "publish",
    ("publish-package.yml", "publish-pypi"): "publish",
    ("publish-package.yml", "publish-test-pypi"): "publish",
    ("release.yml", "prepare-release"): "publish",  # bumps versions with sed, git push
    ("security.yml", "bandit-scan"): "lint",
    ("security.yml", "dependency-check"): "lint",
    ("workflow.yml", "lint"): "lint",
    ("workflow.yml", "publish-to-pypi"): "publish",
    ("workflow.yml", "publish-to-testpypi"): "publish",
}

BEFORE = {**SHARED_PARITY, **dict.fromkeys(NOT_JUDGED, "not-applicable")}

# The parity change: arch: [amd64, arm64] matrices with a fromJSON runner per arch.
AFTER = {
    **BEFORE,
    ("cluster-tests.yml", "cluster-unit-tests"): "parity",
    ("coverage.yml", "coverage"): "parity",
    ("daemon-tests.yml", "daemon-unit-tests"): "parity",
    ("multi-arch-test-parity.yml", "test-parity"): "parity",
    ("multi-arch-test-parity.yml", "test-docker-qemu"): "parity",
    ("multi-arch-test-parity.yml", "report-parity"): "not-applicable",  # downloads results
    ("python-package.yml", "test"): "parity",
    ("run-tests.yml", "test"): "parity",
    # calls python-package.yml, whose tests have their arm64 legs and whose build-and-publish
    # jobs build the pure package they upload to PyPI
    ("full-pipeline.yml", "package-tests"): "parity",
}

# "make ARM64 testing optional": arm64 dropped or kept for a few Python versions.
OPTIONAL = {
    **BEFORE,
    ("multi-arch-test-parity.yml", "report-parity"): "not-applicable",
    ("cluster-tests.yml", "cluster-unit-tests"): "partial",
    ("daemon-tests.yml", "daemon-unit-tests"): "partial",
    ("python-package.yml", "test"): "partial",
    ("run-tests.yml", "test"): "partial",
    ("multi-arch-test-parity.yml", "test-docker-qemu"): "parity",
    ("full-pipeline.yml", "package-tests"): "partial",
}


def _statuses(report: Report) -> dict[tuple[str, str], str]:
    return {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}


@pytest.mark.parametrize(("state", "pinned"), [("before", BEFORE), ("after", AFTER), ("optional", OPTIONAL)])
def test_every_ipfs_job_has_its_pinned_verdict(corpus, state, pinned):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / state), today=TODAY)
    actual = _statuses(report)
    expected = {key: pinned.get(key, "amd64-only") for key in actual}
    assert actual == expected
    assert set(pinned) <= set(actual), "a pinned job disappeared"
    purposes = {
        (wf.path, job.job.id): job.purpose.name
        for wf in report.workflows
        for job in wf.jobs
        if job.status == "not-applicable" and job.job.id != "test-riscv"
    }
    expected_purposes = {**NOT_JUDGED}
    if state != "before":
        expected_purposes[("multi-arch-test-parity.yml", "report-parity")] = "artifacts"
    assert purposes == expected_purposes


def test_not_judged_jobs_name_their_evidence(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "before"), today=TODAY)
    job = _job(report, "publish-package.yml", "publish-pypi")
    assert job.verdict.reason == (
        "publishes: step 'Publish to PyPI' uses pypa/gh-action-pypi-publish (line 123)"
    )
    assert job.findings == []  # no error, so no fix and no suggestion either
    evidence = job.as_json()["evidence"][0]
    assert evidence == {
        "purpose": "publish",
        "where": "step 'Publish to PyPI'",
        "line": 123,
        "what": "uses pypa/gh-action-pypi-publish",
    }


def _job(report: Report, path: str, job_id: str):
    return next(j for wf in report.workflows if wf.path == path for j in wf.jobs if j.job.id == job_id)


@pytest.fixture(scope="module")
def optional(corpus) -> Report:
    return analyze(read_folder(corpus / "ipfs_kit_py" / "optional"), today=TODAY)


@pytest.mark.parametrize(
    ("path", "job", "missing"),
    [
        ("run-tests.yml", "test", [3.8, 3.9, "3.13"]),
        ("python-package.yml", "test", [3.8, 3.9, "3.10", "3.12", "3.13"]),
        ("cluster-tests.yml", "cluster-unit-tests", ["3.9", "3.10", "3.12"]),
        ("daemon-tests.yml", "daemon-unit-tests", ["3.10", "3.12"]),
    ],
)
def test_optional_state_names_the_dropped_arm64_legs(optional, path, job, missing):
    report = _job(optional, path, job)
    assert report.missing_json() == [
        {"matrix": {"python-version": version}, "os": "linux", "arch": "arm64"} for version in missing
    ]
    assert [f.rule for f in report.findings if f.rule != "retired-runner"][:2] == [
        "missing-arm64-leg",
        "non-blocking-arm64",
    ]


def test_optional_state_arm64_legs_are_non_blocking(optional):
    legs = _job(optional, "run-tests.yml", "test").legs
    arm = [leg for leg in legs if leg.arch == "arm64"]
    assert [leg.matrix["python-version"] for leg in arm] == ["3.10", "3.11", "3.12"]
    assert not any(leg.blocking for leg in arm)
    assert all(leg.blocking for leg in legs if leg.arch == "amd64")


def test_optional_state_is_a_regression_of_after(corpus, optional):
    after = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    lost = sorted(
        key
        for key, status in _statuses(after).items()
        if status == "parity" and _statuses(optional)[key] != "parity"
    )
    # lint.yml and security.yml lost their arm64 legs too, but lint runs no CPU-bound code.
    assert lost == [
        ("cluster-tests.yml", "cluster-unit-tests"),
        ("coverage.yml", "coverage"),
        ("daemon-tests.yml", "daemon-unit-tests"),
        ("full-pipeline.yml", "package-tests"),
        ("multi-arch-test-parity.yml", "test-parity"),
        ("python-package.yml", "test"),
        ("run-tests.yml", "test"),
    ]
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
    collisions = sorted(
        (path, item.line) for path, item in report.findings() if item.rule == "artifact-name-collision"
    )
    assert collisions == [("cluster-tests.yml", 81), ("daemon-tests.yml", 75)]


def test_after_state_flags_the_retired_ubuntu_2004_runner(corpus):
    report = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=TODAY)
    job = _job(report, "run-tests.yml", "test")
    retired = [f for f in job.findings if f.rule == "retired-runner"]
    assert len(retired) == 1 and "ubuntu-20.04" in retired[0].message
    assert retired[0].line == 16  # the runs-on expression that names it
    early = analyze(read_folder(corpus / "ipfs_kit_py" / "after"), today=date(2025, 1, 1))
    assert not [f for f in _job(early, "run-tests.yml", "test").findings if f.rule == "retired-runner"]


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

# Every job of every file, read and decided by hand (purpose first, then legs and twins).
# Deliberate calls: `cargo check`/`cargo hack check` are compile-only checks (lint);
# Namespace profiles without an arch word (ghostty) and the bare `linux` label (ollama) are
# unknown until mapped under `runners:`; a reusable workflow outside the folder is unknown.
REAL: dict[str, dict[str, str]] = {
    "PyO3__maturin__test.yml": {
        "lint": "not-applicable",
        "test": "parity",
        "build-maturin": "amd64-only",
        "test-windows-cross": "not-applicable",
        "test-emscripten": "not-applicable",
        "test-alpine": "amd64-only",
        "test-auditwheel": "amd64-only",
        "test-docker": "amd64-only",
        "test-cross-compile": "not-applicable",
        "test-bootstrap": "amd64-only",
        "test-msrv": "amd64-only",
        "test-downstream": "unknown",
        "check": "not-applicable",
        "conclusion": "not-applicable",
    },
    "aio-libs__aiohttp__ci-cd.yml": {
        "pre-setup": "not-applicable",
        "gen-llhttp": "not-applicable",
        # `python -Im build` (AIOHTTP_NO_EXTENSIONS) for the PyPI upload of job 'deploy'
        "build-pure-python-dists": "not-applicable",
        "lint-from-git": "not-applicable",
        "lint-from-sdist": "not-applicable",
        "test": "amd64-only",
        "test-mobile": "not-applicable",
        "autobahn": "amd64-only",
        "benchmark": "amd64-only",
        "cython-coverage": "amd64-only",
        "check": "not-applicable",
        "pre-deploy": "not-applicable",
        "build-wheels": "unknown",
        "deploy": "not-applicable",
    },
    "aio-libs__aiohttp__reusable-cibuildwheel.yml": {
        "build-wheel": "unknown",
    },
    "astral-sh__python-build-standalone__linux.yml": {
        "crate-build": "unknown",
        "image": "unknown",
        "generate-matrix": "not-applicable",
        "build-0": "unknown",
        "build-1": "unknown",
    },
    "astral-sh__ty__build-binaries.yml": {
        "sdist": "not-applicable",
        "macos-x86_64": "not-applicable",
        "macos-aarch64": "not-applicable",
        "windows": "not-applicable",
        "linux": "parity",
        "linux-aarch64": "parity",
        "linux-cross": "not-applicable",
        # musllinux-cross builds aarch64 and tests it under QEMU (run-on-arch): the arm64 side
        "musllinux": "parity",
        "musllinux-cross": "parity",
    },
    "astral-sh__ty__release.yml": {
        "release-gate": "not-applicable",
        "plan": "not-applicable",
        "custom-build-binaries": "unknown",
        "custom-build-docker": "unknown",
        "build-global-artifacts": "not-applicable",
        "host": "not-applicable",
        "custom-publish-pypi": "unknown",
        "announce": "not-applicable",
        "custom-notify-dependents": "unknown",
        "custom-publish-docs": "unknown",
        "custom-publish-versions": "unknown",
        "custom-publish-mirror": "unknown",
    },
    "astral-sh__uv__test-smoke.yml": {
        "smoke-test-linux": "parity",
        "smoke-test-linux-aarch64": "parity",
        "smoke-test-linux-musl": "amd64-only",
        "smoke-test-macos": "not-applicable",
        "smoke-test-windows-x86_64": "not-applicable",
        "smoke-test-windows-aarch64": "not-applicable",
    },
    "denoland__deno__ci@2025-12.yml": {
        "pre_build": "not-applicable",
        "build": "unknown",
        "lint": "not-applicable",
        "libs": "not-applicable",
        "publish-canary": "not-applicable",
    },
    "ghostty-org__ghostty__test.yml": {
        "skip": "not-applicable",
        "required": "not-applicable",
        "build-bench": "unknown",
        "list-examples": "not-applicable",
        "build-examples-zig": "unknown",
        "build-example-zig-vt-macos-no-sdk": "not-applicable",
        "build-examples-cmake": "unknown",
        "build-examples-cmake-windows": "not-applicable",
        "build-examples-swift": "not-applicable",
        "build-cmake": "unknown",
        "test-lib-vt-pkgconfig": "unknown",
        "build-flatpak": "unknown",
        "build-snap": "unknown",
        "build-libghostty-vt": "unknown",
        "build-libghostty-vt-wasm": "not-applicable",
        "build-libghostty-vt-features": "unknown",
        "build-libghostty-vt-macos": "not-applicable",
        "build-libghostty-vt-android": "not-applicable",
        "build-libghostty-vt-windows": "not-applicable",
        "build-libghostty-windows-gnu": "not-applicable",
        "build-linux": "unknown",
        "build-linux-libghostty": "unknown",
        "build-nix": "unknown",
        "build-dist": "unknown",
        "build-dist-lib-vt": "unknown",
        "trigger-snap": "not-applicable",
        "trigger-flatpak": "not-applicable",
        "build-macos": "not-applicable",
        "build-macos-xcode-27": "not-applicable",
        "build-macos-freetype": "not-applicable",
        "test": "unknown",
        "test-lib-vt": "unknown",
        "test-kaitai": "unknown",
        "test-gtk": "unknown",
        "test-simd": "unknown",
        "test-sentry-linux": "unknown",
        "test-macos": "not-applicable",
        "test-windows": "not-applicable",
        "test-i18n": "unknown",
        "test-fuzz-libghostty": "unknown",
        "zig-fmt": "not-applicable",
        "pinact": "not-applicable",
        "prettier": "not-applicable",
        "swiftlint": "not-applicable",
        "alejandra": "not-applicable",
        "typos": "not-applicable",
        "shellcheck": "not-applicable",
        "translations": "not-applicable",
        "blueprint-compiler": "not-applicable",
        "test-pkg-linux": "unknown",
        "test-debian-13": "unknown",
        "valgrind": "unknown",
    },
    "lancedb__lance__java-publish@2024-09.yml": {
        "macos-arm64": "not-applicable",
        "linux-arm64": "parity",
        "linux-x86": "parity",
    },
    "lancedb__lance__python@2024-09.yml": {
        "lint": "amd64-only",
        "linux": "partial",
        "linux-arm": "parity",
        "mac": "not-applicable",
        "windows": "not-applicable",
        "aws-integtest": "amd64-only",
    },
    "lancedb__lance__rust@2024-09.yml": {
        "linux-build": "amd64-only",
        "linux-arm": "arm64-only",
        "clippy_and_benchmark": "amd64-only",
        "mac-build": "not-applicable",
        "windows-build": "not-applicable",
    },
    "libgit2__libgit2__nightly.yml": {
        "build": "partial",
        "test_results": "not-applicable",
        "sonarqube": "not-applicable",
        "codeql": "not-applicable",
    },
    "lz4__lz4__ci.yml": {
        "lz4-c-compilers": "amd64-only",
        "lz4-benchmark": "amd64-only",
        "lz4-fuzzer": "amd64-only",
        "lz4-standard-makefile-variables": "amd64-only",
        "lz4-versions": "amd64-only",
        "lz4-abi": "amd64-only",
        "lz4-frame": "amd64-only",
        "lz4-memory-usage": "amd64-only",
        "lz4-custom-distance": "amd64-only",
        "lz4cli-block-device": "amd64-only",
        "lz4-cppcheck": "not-applicable",
        "lz4-scan-build": "not-applicable",
        "lz4-valgrind": "amd64-only",
        "lz4-ubsan-x64": "amd64-only",
        "lz4-ubsan-x86": "not-applicable",
        "lz4-asan-x64": "amd64-only",
        "lz4-msan-x64": "amd64-only",
        "lz4-tsan-x64": "amd64-only",
        "unicode-lint": "not-applicable",
        "lz4-examples": "amd64-only",
        "oss-fuzz": "amd64-only",
        "lz4-qemu-platforms": "arm64-only",
        "lz4-platform-macos-latest": "not-applicable",
        "lz4-build-cmake": "amd64-only",
        "lz4-build-cmake-static-lib": "amd64-only",
        "lz4-build-make-cmake": "amd64-only",
        "lz4-platform-windows": "not-applicable",
        "lz4-build-meson": "amd64-only",
        "lz4-check-tag": "amd64-only",
        "lz4-env-info": "not-applicable",
    },
    "napi-rs__napi-rs__test-release.yaml": {
        "audit": "amd64-only",
        "lint": "not-applicable",
        "build_and_test": "amd64-only",
        "build-and-test-msys2": "not-applicable",
        "build_only": "not-applicable",
        "build_for_test_in_docker": "parity",
        "build_musl": "parity",
        "test_in_docker": "parity",
        "build-and-test-linux-armv7": "not-applicable",
        "build_binary_crate": "amd64-only",
        "check-all-features": "not-applicable",
        "test-freebsd": "not-applicable",
        "napi-async-runtime": "amd64-only",
        "test-custom-async-runtime-wasi": "amd64-only",
        "test-shared-async-runtime-wasi": "amd64-only",
        "test-node-wasi": "amd64-only",
        "test-latest-bun": "amd64-only",
        "release-npm": "amd64-only",
        "done": "not-applicable",
    },
    "napi-rs__napi-rs__zig.yaml": {
        # x86_64 musl on amd64, aarch64 musl on arm64 (the yarn config naming wasm32 is a
        # setting, not a target)
        "build": "parity",
        "test": "parity",
        "zig-done": "not-applicable",
    },
    "nix-community__nix-eval-jobs__nix-github-actions@2025-03.yml": {
        "nix-matrix": "not-applicable",
        "nix-build": "unknown",
        "tests": "amd64-only",
        "collect": "not-applicable",
    },
    "numpy__numpy__wheels.yml": {
        "build_wheels": "parity",
    },
    "ollama__ollama__release.yaml": {
        "setup-environment": "not-applicable",
        "darwin-build": "not-applicable",
        "windows-depends": "not-applicable",
        "windows-build": "not-applicable",
        "windows-app": "not-applicable",
        "linux-depends": "unknown",
        "docker-build-push": "unknown",
        "docker-merge-push": "not-applicable",
        "release": "not-applicable",
    },
    "openobserve__openobserve__build-pr-image.yml": {
        "build_frontend": "amd64-only",
        "build_pr_image_amd64": "parity",
        "build_pr_image_arm64": "parity",
        "build": "not-applicable",
        "build_pr_image_summary": "not-applicable",
    },
    "openobserve__openobserve__release.yml": {
        "build": "parity",
        "release": "not-applicable",
    },
    "psycopg__psycopg__packages-bin.yml": {
        "linux": "parity",
        "macos": "not-applicable",
        "windows": "not-applicable",
        "merge": "not-applicable",
    },
    "pypa__cibuildwheel__github-deploy.yml": {
        "build_wheels": "parity",
        "build_sdist": "not-applicable",
        "upload_pypi": "not-applicable",
    },
    "pypa__cibuildwheel__github-minimal.yml": {
        "build_wheels": "parity",
    },
    "pypa__cibuildwheel__github-with-qemu@2025-01.yml": {
        "build_wheels": "parity",
    },
    "python-pillow__Pillow__test-docker.yml": {
        "build": "partial",
        "success": "not-applicable",
    },
    "pytorch__pytorch__linux-aarch64.yml": {
        "linux-jammy-aarch64-py3_10-build": "unknown",
        "linux-jammy-aarch64-py3_10-test": "unknown",
    },
    "scipy__scipy__emscripten.yml": {
        "get_commit_message": "unknown",
        "build_wasm": "not-applicable",
    },
    "scipy__scipy__linux.yml": {
        "get_commit_message": "unknown",
        "test_meson": "unknown",
        "test_venv_install": "amd64-only",
        "test_editable_install": "amd64-only",
        "python_debug": "amd64-only",
        "gcc10": "amd64-only",
        "prerelease_deps_coverage_64bit_blas": "amd64-only",
        "linux_32bit": "not-applicable",
        "distro_multiple_pythons": "amd64-only",
        "meson_global_install": "amd64-only",
        "free-threaded": "amd64-only",
        "clang-22-build-only": "arm64-only",
        "test_aarch64": "arm64-only",
    },
    "sharkdp__fd__CICD.yml": {
        "crate_metadata": "not-applicable",
        "ensure_cargo_fmt": "not-applicable",
        "lint_check": "not-applicable",
        "min_version": "amd64-only",
        "build": "parity",
        "winget": "not-applicable",
    },
    "tailscale__tailscale__test.yml": {
        "gomod-cache": "not-applicable",
        "race-root-integration": "amd64-only",
        "test": "amd64-only",
        "windows": "not-applicable",
        "macos": "not-applicable",
        "privileged": "amd64-only",
        "cross": "not-applicable",
        "ios": "not-applicable",
        "crossmin": "not-applicable",
        "android": "not-applicable",
        "wasm": "amd64-only",
        "tailscale_go": "amd64-only",
        "fuzz": "amd64-only",
        "depaware": "not-applicable",
        "go_generate": "not-applicable",
        "make_tidy": "not-applicable",
        "licenses": "amd64-only",
        "staticcheck": "not-applicable",
        "notify_slack": "not-applicable",
        "notify_windows": "not-applicable",
        "merge_blocker": "not-applicable",
        "check_mergeability_strict": "not-applicable",
        "check_mergeability": "not-applicable",
    },
    "tokio-rs__tokio__ci.yml": {
        "basics": "not-applicable",
        "test-tokio-full": "amd64-only",
        "test-workspace-all-features": "amd64-only",
        "test-workspace-all-features-panic-abort": "amd64-only",
        "test-integration-tests-per-feature": "amd64-only",
        "test-parking_lot": "not-applicable",
        "valgrind": "amd64-only",
        "test-unstable": "amd64-only",
        "test-sharded-blocking-queue": "amd64-only",
        "test-unstable-taskdump": "amd64-only",
        "check-unstable-mt-counters": "amd64-only",
        "miri-lib": "amd64-only",
        "miri-test": "amd64-only",
        "miri-doc": "amd64-only",
        "asan": "amd64-only",
        "semver": "not-applicable",
        "cross-check": "not-applicable",
        "cross-check-tier3": "not-applicable",
        "cross-test-with-parking_lot": "arm64-only",
        "cross-test-without-parking_lot": "arm64-only",
        "no-atomic-u64-test": "not-applicable",
        "no-atomic-u64-check": "not-applicable",
        "features": "not-applicable",
        "minrust": "not-applicable",
        "minimal-versions": "not-applicable",
        "fmt": "not-applicable",
        "clippy": "not-applicable",
        "docs": "not-applicable",
        "loom-compile": "amd64-only",
        "check-readme": "not-applicable",
        "test-hyper": "amd64-only",
        "test-quinn": "amd64-only",
        "x86_64-fortanix-unknown-sgx": "not-applicable",
        "check-redox": "not-applicable",
        "wasm32-unknown-unknown": "not-applicable",
        "wasm32-wasip1": "not-applicable",
        "wasm32-wasip2": "not-applicable",
        "check-external-types": "not-applicable",
        "check-fuzzing": "amd64-only",
        "check-spelling": "not-applicable",
        "get-latest-kernel-version": "not-applicable",
        "test-io-uring-on-specific-kernel-versions": "unknown",
        "freebsd-x86_64": "not-applicable",
        "freebsd-docs": "not-applicable",
        "freebsd-i686": "not-applicable",
    },
    "tursodatabase__turso__napi.yml": {
        "build": "parity",
        "test-db-linux-x64-gnu-binding": "amd64-only",
        "test-db-windows-x64-msvc-binding": "not-applicable",
        "test-db-wasm-binding": "amd64-only",
        "test-sync-linux-x64-gnu-binding": "amd64-only",
        "test-sync-windows-x64-msvc-binding": "not-applicable",
        "test-sync-wasm-binding": "amd64-only",
        "publish": "amd64-only",
    },
    "tursodatabase__turso__python.yml": {
        "configure-strategy": "not-applicable",
        "test": "amd64-only",
        "lint": "not-applicable",
        "linux": "parity",
        "macos": "not-applicable",
        "sdist": "not-applicable",
        "release": "not-applicable",
    },
}


@pytest.fixture(scope="module")
def real(corpus) -> Report:
    return analyze(read_folder(corpus / "real"), today=TODAY)


def test_every_real_job_has_its_pinned_verdict(real):
    actual: dict[str, dict[str, str]] = {}
    for wf in real.workflows:
        actual[wf.path] = {job.job.id: job.status for job in wf.jobs}
    assert actual == REAL


# Gaps in jobs whose missing legs no rule can read: warnings, each with what was not recognised.
REAL_UNSURE_GAPS = {
    ("PyO3__maturin__test.yml", "test-bootstrap"),  # `cargo run sdist -o dist`
    ("lancedb__lance__python@2024-09.yml", "aws-integtest"),  # a local action
    ("lz4__lz4__ci.yml", "oss-fuzz"),  # google/oss-fuzz's cifuzz action
    ("napi-rs__napi-rs__test-release.yaml", "audit"),  # Brooooooklyn/script-jail
    ("scipy__scipy__linux.yml", "free-threaded"),  # a local ccache action
    ("tailscale__tailscale__test.yml", "fuzz"),  # cifuzz
    ("tokio-rs__tokio__ci.yml", "check-fuzzing"),  # `cargo fuzz check`
    # a package.json build before publishing: JavaScript only or a native addon?
    ("napi-rs__napi-rs__test-release.yaml", "release-npm"),  # `yarn build`, publish.js
    ("tursodatabase__turso__napi.yml", "publish"),  # `yarn tsc-build`, npm publish
}


def test_real_gaps_are_errors_unless_no_rule_can_read_the_missing_legs(real):
    severities: dict[tuple[str, str], str] = {}
    for wf in real.workflows:
        for job in wf.jobs:
            for item in job.findings:
                if item.rule == "missing-arm64-leg":
                    severities[(wf.path, job.job.id)] = item.severity
                    assert (item.severity == "warning") == (job.purpose.name == "unknown"), (
                        wf.path,
                        job.job.id,
                    )
    assert {key for key, severity in severities.items() if severity == "warning"} == REAL_UNSURE_GAPS
    # lz4's make goals (`make V=1 usan`, `make cmakebuild`) build: make compiles unless a
    # goal's name or its Makefile says otherwise
    assert sum(1 for severity in severities.values() if severity == "error") == 81


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
    assert arches == {
        "x86_64": ("amd64", False),
        "aarch64": ("arm64", True),
        "ppc64le": ("other", True),
        "riscv64": ("other", True),
    }
    finding_rules = {f.rule for f in _real(real, "psycopg__psycopg__packages-bin.yml", "linux").findings}
    assert "emulated-only" in finding_rules


def test_qemu_cibuildwheel_splits_the_linux_leg(real):
    legs = _real(real, "pypa__cibuildwheel__github-with-qemu@2025-01.yml", "build_wheels").legs
    linux = sorted((leg.arch, leg.emulated) for leg in legs if leg.os == "linux")
    assert linux == [("amd64", False), ("arm64", True)]
    assert {
        f.rule for f in _real(real, "pypa__cibuildwheel__github-with-qemu@2025-01.yml", "build_wheels").findings
    } >= {"retired-runner"}


def test_pillow_include_forms_the_arm64_combination(real):
    job = _real(real, "python-pillow__Pillow__test-docker.yml", "build")
    arm = [leg for leg in job.legs if leg.arch == "arm64"]
    assert [leg.matrix for leg in arm] == [
        {"docker": "ubuntu-26.04-resolute-arm64v8", "os": "ubuntu-24.04-arm", "dockerTag": "main"}
    ]
    missing = [m["matrix"]["docker"] for m in job.missing_json()]
    assert "ubuntu-26.04-resolute-amd64" not in missing  # twinned by the arm64v8 image
    # `x86` alone may mean x86_64, so the debian x86 image is judged; it and the amd64 image
    # differ only by an arch word and so ask for one arm64 twin, named once.
    assert "debian-13-trixie-x86" in missing and "debian-13-trixie-amd64" not in missing
    assert "alpine" in missing and len(missing) == 10


def test_cibuildwheel_deploy_android_and_pyodide_legs_are_other_targets(real):
    job = _real(real, "pypa__cibuildwheel__github-deploy.yml", "build_wheels")
    other = {leg.matrix["os"]: leg.purpose.name for leg in job.legs if leg.purpose.name != "build"}
    assert other == {
        "android-intel": "other-target",
        "android-arm": "other-target",
        "ios": "other-target",
        "pyodide": "other-target",
    }
    assert job.status == "parity" and job.missing_json() == []


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


def test_aiohttp_wheels_through_the_local_reusable_workflow(corpus):
    """The corpus names files OWNER__REPO__FILE; as a repository the call resolves."""
    real = corpus / "real"
    files = {
        f".github/workflows/{name}": (real / f"aio-libs__aiohttp__{name}").read_bytes()
        for name in ("ci-cd.yml", "reusable-cibuildwheel.yml")
    }
    report = analyze(files, today=TODAY)
    job = _job(report, ".github/workflows/ci-cd.yml", "build-wheels")
    assert job.status == "parity"
    # QEMU legs name their arch in the caller's matrix (qemu: s390x): other, emulated.
    qemu = {(leg.matrix.get("qemu"), leg.arch, leg.emulated) for leg in job.legs if leg.matrix.get("qemu")}
    assert qemu == {
        ("ppc64le", "other", True),
        ("riscv64", "other", True),
        ("s390x", "other", True),
        ("armv7l", "other", True),
    }
    mobile = {leg.matrix["platform"]: leg.purpose.name for leg in job.legs if leg.matrix.get("platform")}
    assert mobile == {"android": "other-target", "ios": "other-target"}
    # Checked on its own, the called workflow's runner is an input: unknown.
    alone = _job(report, ".github/workflows/reusable-cibuildwheel.yml", "build-wheel")
    assert alone.status == "unknown" and "inputs.runner-vm-os" in (alone.verdict.reason or "")


def test_ghostty_namespace_profiles_are_decided_once_mapped(corpus):
    files = {"test.yml": (corpus / "real" / "ghostty-org__ghostty__test.yml").read_bytes()}
    before = analyze(files, today=TODAY)
    assert _job(before, "test.yml", "build-linux").status == "unknown"
    policy = load_policy(
        'runners: {"namespace-profile-ghostty-windows": windows/amd64, '
        '"namespace-profile-ghostty-macos*": macos/arm64, '
        '"namespace-profile-ghostty-*-arm64": linux/arm64, '
        '"namespace-profile-ghostty-*": linux/amd64}\n'
    )
    after = analyze(files, policy, TODAY)
    assert _job(after, "test.yml", "build-linux").status == "parity"  # [md, md-arm64]
    assert _job(after, "test.yml", "test").status == "amd64-only"
    assert not [job for wf in after.workflows for job in wf.jobs if job.status == "unknown"]
