"""Job purpose: one workflow per rule, written in the forms real projects use, with the
verdict and the evidence pinned. A job none of whose legs builds or tests natively is
not-applicable, gets no finding and so no fix or suggestion."""

from __future__ import annotations

import textwrap

import pytest

from bot.core.analysis import JobReport, analyze
from bot.core.config import Policy, load_policy
from bot.core.fixes import plan
from bot.render import check_run
from tests.conftest import TODAY, judge


def evidence(job: JobReport) -> tuple[str, str, int, str]:
    first = job.purpose.evidence[0]
    return job.purpose.name, first.where, first.line, first.what


# ----------------------------------------------------------------------------- publish

RELEASE = """\
on:
  push:
    tags: ["v*"]
jobs:
  dist:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pipx run build --sdist
      - uses: actions/upload-artifact@v4
        with: {name: sdist, path: dist/*.tar.gz}
  pypi:
    needs: [dist]
    runs-on: ubuntu-latest
    environment: pypi
    permissions: {id-token: write}
    steps:
      - uses: actions/download-artifact@v4
        with: {name: sdist, path: dist}
      - name: Upload to PyPI
        uses: pypa/gh-action-pypi-publish@release/v1
  github-release:
    needs: [pypi]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
      - name: Release
        run: gh release create "$GITHUB_REF_NAME" dist/* --generate-notes
        env:
          GH_TOKEN: ${{ github.token }}
  manifest:
    runs-on: ubuntu-24.04
    steps:
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: x, password: y}
      - run: |
          docker buildx imagetools create -t ghcr.io/o/app:latest \\
            ghcr.io/o/app:amd64 ghcr.io/o/app:arm64
"""


def test_publishing_jobs_are_not_judged_and_name_their_evidence():
    jobs = judge(RELEASE)
    assert {key: job.status for key, job in jobs.items()} == dict.fromkeys(jobs, "not-applicable")
    assert evidence(jobs["dist"]) == ("sdist", "step #2", 9, "runs `build --sdist`")
    assert evidence(jobs["pypi"]) == (
        "publish",
        "step 'Upload to PyPI'",
        20,
        "uses pypa/gh-action-pypi-publish",
    )
    assert jobs["pypi"].verdict.reason == (
        "publishes: step 'Upload to PyPI' uses pypa/gh-action-pypi-publish (line 20)"
    )
    assert evidence(jobs["github-release"]) == ("publish", "step 'Release'", 27, "runs `gh release create`")
    assert evidence(jobs["manifest"])[0::3] == ("publish", "runs `docker buildx imagetools create`")
    assert all(job.findings == [] for job in jobs.values())
    assert plan({"ci.yml": RELEASE}, Policy(), TODAY) == []  # nothing to fix, nothing suggested


def test_a_job_that_builds_natively_and_publishes_is_judged():
    jobs = judge("""\
        on: push
        jobs:
          wheels:
            runs-on: ubuntu-latest
            steps:
              - uses: pypa/cibuildwheel@v3.1
              - uses: pypa/gh-action-pypi-publish@release/v1
        """)
    assert jobs["wheels"].purpose.name == "build"
    assert jobs["wheels"].status == "amd64-only"


# ----------------------------------------------------------------------------- gates, meta


def test_gates_that_only_read_needs_results():
    jobs = judge("""\
        on: pull_request
        jobs:
          tests:
            runs-on: ubuntu-latest
            steps: [{run: pytest}]
          all-green:
            if: always()
            needs: [tests]
            runs-on: ubuntu-latest
            steps:
              - uses: re-actors/alls-green@release/v1
                with:
                  jobs: ${{ toJSON(needs) }}
          required:
            if: always()
            needs: [tests]
            runs-on: ubuntu-latest
            steps:
              - name: Fail when a needed job failed
                run: |
                  result="${{ contains(needs.*.result, 'failure') }}"
                  if [ "$result" = "true" ]; then exit 1; fi
          done:
            needs: [tests]
            runs-on: ubuntu-latest
            steps:
              - run: echo "all done"
        """)
    assert jobs["tests"].status == "amd64-only"
    for name in ("all-green", "required", "done"):
        assert jobs[name].status == "not-applicable" and jobs[name].purpose.name == "gate", name
    assert evidence(jobs["all-green"])[3] == "uses re-actors/alls-green"
    assert evidence(jobs["required"])[1:] == (
        "step 'Fail when a needed job failed'",
        19,
        "reads needs.*.result",
    )
    assert evidence(jobs["done"])[3] == "runs nothing but plumbing after tests"


def test_jobs_that_compute_outputs_are_meta_unless_they_run_something_unknown():
    jobs = judge("""\
        on: push
        jobs:
          plan:
            runs-on: ubuntu-latest
            outputs:
              matrix: ${{ steps.m.outputs.matrix }}
            steps:
              - uses: actions/checkout@v4
              - id: m
                run: echo "matrix=$(python3 ci/matrix.py)" >> "$GITHUB_OUTPUT"
          changes:
            runs-on: ubuntu-latest
            outputs:
              src: ${{ steps.f.outputs.src }}
            steps:
              - uses: dorny/paths-filter@v3
                id: f
                with: {filters: "src: ['src/**']"}
          compute:
            runs-on: ubuntu-latest
            outputs:
              version: ${{ steps.v.outputs.version }}
            steps:
              - run: ./scripts/prepare-everything
              - id: v
                run: echo "version=1.2" >> "$GITHUB_OUTPUT"
        """)
    assert (jobs["plan"].status, jobs["plan"].purpose.name) == ("not-applicable", "meta")
    assert (jobs["changes"].status, jobs["changes"].purpose.name) == ("not-applicable", "meta")
    # An outputs job that also runs a script no rule knows may do real work: judged.
    assert (jobs["compute"].status, jobs["compute"].purpose.name) == ("amd64-only", "unknown")
    assert "which no rule knows" in str(jobs["compute"].purpose.evidence[-1])


def test_artifact_handling_jobs():
    jobs = judge("""\
        on: push
        jobs:
          check-dists:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with: {pattern: "wheels-*", merge-multiple: true, path: dist}
              - run: pipx run twine check --strict dist/*
              - uses: actions/attest-build-provenance@v2
                with: {subject-path: dist/*}
        """)
    assert jobs["check-dists"].purpose.name == "artifacts"
    assert jobs["check-dists"].status == "not-applicable"


# ----------------------------------------------------------------------------- lint, docs


@pytest.mark.parametrize(
    ("steps", "what"),
    [
        ("- run: ruff check .\n- run: ruff format --check .", "runs `ruff`"),
        ("- uses: pre-commit/action@v3.0.1", "uses pre-commit/action"),
        ("- run: cargo clippy --all-targets -- -D warnings", "runs `cargo clippy`"),
        ("- run: cargo +1.70 check --workspace", "runs `cargo +1.70 check`"),
        # the tool that checks is named, not its `--check` flag
        ("- run: cargo fmt --all --check", "runs `cargo fmt`"),
        ("- run: black --check .", "runs `black --check`"),
        ("- uses: golangci/golangci-lint-action@v8", "uses golangci/golangci-lint-action"),
        ("- run: go generate ./... && git diff --exit-code", "runs `git diff --exit-code`"),
        ("- run: pip install -e .[dev]\n- run: mypy src", "runs `mypy`"),
        ("- name: Lint\n  run: deno run -A tools/lint.js", "is named as a lint or format check"),
        (
            "- uses: github/codeql-action/init@v3\n- run: make\n- uses: github/codeql-action/analyze@v3",
            "uses github/codeql-action/analyze@v3",
        ),
    ],
)
def test_lint_jobs(steps: str, what: str):
    body = textwrap.indent(steps, " " * 6)
    jobs = judge(f"on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n{body}\n")
    assert (jobs["lint"].status, jobs["lint"].purpose.name) == ("not-applicable", "lint")
    assert what in [item.what for item in jobs["lint"].purpose.evidence]


def test_docs_jobs():
    jobs = judge("""\
        on: push
        jobs:
          docs:
            runs-on: ubuntu-latest
            steps:
              - run: pip install -r docs/requirements.txt
              - run: sphinx-build -W -b html docs docs/_build
          rustdoc:
            runs-on: ubuntu-latest
            env: {RUSTDOCFLAGS: -Dwarnings}
            steps:
              - run: cargo doc --no-deps --all-features
        """)
    assert jobs["docs"].purpose.name == jobs["rustdoc"].purpose.name == "docs"
    assert jobs["docs"].status == jobs["rustdoc"].status == "not-applicable"


# ----------------------------------------------------------------------------- cross builds


def test_cross_builds_that_already_produce_aarch64_artifacts():
    jobs = judge("""\
        on: push
        jobs:
          wheels:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                target: [x86_64, aarch64]
            steps:
              - uses: actions/checkout@v4
              - uses: PyO3/maturin-action@v1
                with:
                  target: ${{ matrix.target }}
                  args: --release --out dist
                  manylinux: auto
          binaries:
            runs-on: ubuntu-22.04
            steps:
              - uses: goreleaser/goreleaser-action@v6
                with: {args: release --clean}
          musl:
            runs-on: ubuntu-latest
            steps:
              - run: cross build --release --target aarch64-unknown-linux-musl
          go-arm:
            runs-on: ubuntu-latest
            env: {GOOS: linux, GOARCH: arm64}
            steps:
              - run: go build ./cmd/...
        """)
    wheels = jobs["wheels"]
    # The x86_64 leg builds natively; its arm64 twin is the cross-built aarch64 leg.
    assert [leg.purpose.name for leg in wheels.legs] == ["build", "cross"]
    assert wheels.status == "parity" and "cross-compiled" in (wheels.verdict.reason or "")
    for name in ("binaries", "musl", "go-arm"):
        assert (jobs[name].status, jobs[name].purpose.name) == ("not-applicable", "cross"), name
    assert evidence(jobs["go-arm"])[1:] == ("env GOARCH", 26, "is arm64: builds for another architecture")


def test_cross_building_only_other_architectures_is_arch_other():
    jobs = judge("""\
        on: push
        jobs:
          ppc:
            runs-on: ubuntu-latest
            steps:
              - run: cargo build --target powerpc64le-unknown-linux-gnu
        """)
    [leg] = jobs["ppc"].legs
    assert (leg.arch, leg.purpose.name) == ("other", "cross")
    assert jobs["ppc"].status == "not-applicable"


PYPI_RELEASE = """\
on:
  push:
    tags: ["v*"]
jobs:
  dists:
    runs-on: ubuntu-latest
    env:
      FROZENLIST_NO_EXTENSIONS: "1"
    steps:
      - uses: actions/checkout@v4
      - run: python -Im pip install build
      - name: Build the sdist and the pure wheel
        run: python -Im build
      - uses: actions/upload-artifact@v4
        with: {name: dists, path: dist}
  attest:
    needs: dists
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
      - uses: actions/attest-build-provenance@v2
        with: {subject-path: "dist/*"}
  pypi:
    needs: [attest]
    runs-on: ubuntu-latest
    environment: pypi
    steps:
      - uses: actions/download-artifact@v4
      - name: Publish
        uses: pypa/gh-action-pypi-publish@release/v1
  one-job:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: uv build
      - run: uv publish --trusted-publishing always
  manylinux:
    runs-on: ubuntu-latest
    steps:
      - run: python -m build --wheel && auditwheel repair dist/*.whl -w wheelhouse
      - run: twine upload wheelhouse/*
  mac:
    runs-on: macos-15-intel
    steps:
      - run: python -m build
      - run: twine upload dist/*
  check-build:
    runs-on: ubuntu-latest
    steps:
      - run: python -m build
      - run: python -m twine check dist/*
"""


def test_a_python_package_built_for_pypi_on_linux_is_pure_and_not_judged():
    # PyPI takes no plain linux_x86_64 wheel: what `python -m build` makes for it on Linux is
    # an sdist and a pure wheel, the same on every CPU, whether the upload is in the job or
    # in a job after it (through needs:, here two jobs later).
    jobs = judge(PYPI_RELEASE)
    assert (jobs["dists"].status, jobs["dists"].purpose.name) == ("not-applicable", "sdist")
    assert jobs["dists"].verdict.reason == (
        "builds an sdist: step 'Build the sdist and the pure wheel' runs `python -Im build`, which "
        "job 'pypi' uploads to PyPI: an sdist and a pure wheel (PyPI takes no plain linux wheel) "
        "(line 12)"
    )
    assert (jobs["one-job"].status, jobs["one-job"].purpose.name) == ("not-applicable", "sdist")
    assert "which this job uploads to PyPI" in jobs["one-job"].verdict.reason
    # A wheel made a manylinux wheel holds compiled code; macOS wheels are accepted by PyPI;
    # a build nobody uploads may compile extensions: all three stay judged.
    # hynek/build-and-inspect-python-package before an upload reads as the upload says.
    hynek = judge(
        PYPI_RELEASE.replace("run: python -Im build", "uses: hynek/build-and-inspect-python-package@v2")
    )
    assert "which job 'pypi' uploads to PyPI" in hynek["dists"].verdict.reason
    assert "cibuildwheel" not in hynek["dists"].verdict.reason
    assert (jobs["manylinux"].purpose.name, jobs["manylinux"].status) == ("build", "amd64-only")
    assert jobs["manylinux"].purpose.publishes is not None
    assert jobs["mac"].purpose.name == "build"  # (macOS is not a judged platform by default)
    # built and only inspected: judged, but the job does not say whether it compiles
    assert (jobs["check-build"].purpose.name, jobs["check-build"].status) == ("unknown", "amd64-only")


def test_an_upload_to_another_index_or_of_repaired_wheels_keeps_the_build_judged():
    jobs = judge("""\
        on: push
        jobs:
          internal:
            runs-on: ubuntu-latest
            steps:
              - run: python -m build
              - run: twine upload --repository-url https://nexus.example.com/repository/pypi/ dist/*
          internal-action:
            runs-on: ubuntu-latest
            steps:
              - run: uv build
              - uses: pypa/gh-action-pypi-publish@release/v1
                with:
                  repository-url: https://artifacts.example.com/api/pypi/upload
          testpypi:
            runs-on: ubuntu-latest
            steps:
              - run: uv build
              - uses: pypa/gh-action-pypi-publish@release/v1
                with:
                  repository-url: https://test.pypi.org/legacy/
          wheel:
            runs-on: ubuntu-latest
            steps:
              - run: python -m build --wheel
              - uses: actions/upload-artifact@v4
                with: {name: wheel, path: dist}
          repair-and-publish:
            needs: [wheel]
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
              - run: auditwheel repair dist/*.whl -w wheelhouse
              - run: twine upload wheelhouse/*
        """)
    # A private index takes plain linux wheels: the build may be native.
    assert (jobs["internal"].purpose.name, jobs["internal"].status) == ("build", "amd64-only")
    assert jobs["internal"].purpose.publishes is not None
    assert (jobs["internal-action"].purpose.name, jobs["internal-action"].status) == ("build", "amd64-only")
    assert jobs["testpypi"].purpose.name == "sdist"
    # Wheels repaired before the upload are platform wheels: the job that built them stays
    # judged, and repairing beside publishing does not make the uploader a build.
    assert (jobs["wheel"].purpose.name, jobs["wheel"].status) == ("build", "amd64-only")
    assert (jobs["repair-and-publish"].purpose.name, jobs["repair-and-publish"].status) == (
        "publish",
        "not-applicable",
    )


def test_a_reusable_release_workflow_builds_its_pure_package_for_pypi_where_it_is_called():
    release = """\
        on: workflow_call
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: python -m build
              - uses: actions/upload-artifact@v4
                with: {name: dist, path: dist}
          publish:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
              - uses: pypa/gh-action-pypi-publish@release/v1
        """
    caller = """\
        on:
          push:
            tags: ["v*"]
        jobs:
          release:
            uses: ./.github/workflows/release.yml
        """
    report = analyze(
        {
            ".github/workflows/release.yml": textwrap.dedent(release),
            ".github/workflows/tag.yml": textwrap.dedent(caller),
        },
        Policy(),
        TODAY,
    )
    statuses = {(wf.path, job.job.id): job.status for wf in report.workflows for job in wf.jobs}
    assert statuses == {
        (".github/workflows/release.yml", "build"): "not-applicable",
        (".github/workflows/release.yml", "publish"): "not-applicable",
        (".github/workflows/tag.yml", "release"): "not-applicable",
    }


def test_needs_that_loop_end_the_walk():
    jobs = judge("""\
        on: push
        jobs:
          a:
            needs: [b]
            runs-on: ubuntu-latest
            steps:
              - run: python -m build
          b:
            needs: [a]
            runs-on: ubuntu-latest
            steps:
              - run: twine upload dist/*
        """)
    assert jobs["a"].purpose.name == "sdist"


def test_a_package_json_build_before_a_publish_may_be_javascript_only():
    # `yarn build` compiles TypeScript, or a native addon (napi, node-gyp): the workflow does
    # not say which, so the gap is a warning naming it; a napi build says native.
    jobs = judge("""\
        on:
          push:
            tags: ["v*"]
        jobs:
          npm:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with: {pattern: "bindings-*", merge-multiple: true}
              - run: yarn install && yarn build:ts
              - run: npm publish --workspaces --provenance
          script:
            runs-on: ubuntu-latest
            steps:
              - run: pnpm run build
              - run: node ./scripts/publish.mjs
          addon:
            runs-on: ubuntu-latest
            steps:
              - run: napi build --platform --release
              - run: npm publish
        """)
    npm = jobs["npm"]
    assert (npm.purpose.name, npm.status, _missing_leg_finding(npm).severity) == (
        "unknown",
        "amd64-only",
        "warning",
    )
    assert str(npm.purpose.evidence[0]) == (
        "step #2 runs `yarn build:ts`, then publishes: JavaScript only or a native addon, which the "
        "workflow does not say (line 10)"
    )
    assert npm.purpose.publishes is not None  # and so no fix adds a second publishing leg
    assert (jobs["script"].purpose.name, _missing_leg_finding(jobs["script"]).severity) == (
        "unknown",
        "warning",
    )
    assert (jobs["addon"].purpose.name, _missing_leg_finding(jobs["addon"]).severity) == ("build", "error")


def test_commands_run_over_ssh_run_on_another_machine():
    jobs = judge("""\
        on: push
        jobs:
          s390x:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: |
                  rsync -az . ci@s390x.example.org:/tmp/src
                  ssh ci@s390x.example.org "cd /tmp/src && go test ./..."
          deploy-key:
            runs-on: ubuntu-latest
            needs: [s390x]
            steps:
              - run: ssh -T git@github.com || true
        """)
    s390x = jobs["s390x"]
    assert (s390x.purpose.name, s390x.status) == ("unknown", "amd64-only")
    assert s390x.as_json()["evidence"][0]["what"].startswith("runs `ssh ci@s390x.example.org")
    assert _missing_leg_finding(s390x).severity == "warning"
    assert jobs["deploy-key"].status == "not-applicable"


# ----------------------------------------------------------------------------- x86 / others

X86 = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - {name: native}
          - {name: m32, cflags: -m32}
    env:
      CFLAGS: ${{ matrix.cflags }}
    steps:
      - run: make check
  go386:
    runs-on: ubuntu-latest
    steps:
      - run: GOARCH=386 go test ./...
  i686:
    runs-on: ubuntu-latest
    container: quay.io/pypa/manylinux_2_28_i686
    steps:
      - run: pytest
  sde:
    runs-on: ubuntu-latest
    steps:
      - uses: petarpetrovt/setup-sde@v2.4
      - run: sde64 -spr -- ./build/bench
  avx512:
    runs-on: ubuntu-latest
    steps:
      - run: RUSTFLAGS="-C target-feature=+avx512f" cargo build --release
"""


def test_x86_only_work_is_not_judged():
    jobs = judge(X86)
    test = jobs["test"]
    assert [(leg.matrix["name"], leg.purpose.name) for leg in test.legs] == [
        ("native", "test"),
        ("m32", "x86-specific"),
    ]
    assert test.status == "amd64-only"  # the native leg still needs its twin
    assert test.missing_json() == [{"matrix": {"name": "native"}, "os": "linux", "arch": "arm64"}]
    for name in ("go386", "i686", "sde", "avx512"):
        assert (jobs[name].status, jobs[name].purpose.name) == ("not-applicable", "x86-specific"), name
    assert evidence(jobs["i686"])[1:] == ("container", 20, "is quay.io/pypa/manylinux_2_28_i686")


def test_other_targets_are_not_judged():
    jobs = judge("""\
        on: push
        jobs:
          wasm:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                target: [wasm32-unknown-unknown, wasm32-wasip1]
            steps:
              - run: cargo build --target ${{ matrix.target }}
              - run: cargo test --target ${{ matrix.target }}
          pyodide:
            runs-on: ubuntu-latest
            steps:
              - uses: pypa/cibuildwheel@v3.1
                env: {CIBW_PLATFORM: pyodide}
          android:
            runs-on: ubuntu-latest
            steps:
              - uses: nttld/setup-ndk@v1
                with: {ndk-version: r27}
              - run: cargo ndk -t arm64-v8a build
          freebsd:
            runs-on: ubuntu-latest
            steps:
              - uses: vmactions/freebsd-vm@v1
                with:
                  run: cargo test
          ios:
            runs-on: ubuntu-latest
            env: {GOOS: ios, GOARCH: arm64}
            steps:
              - run: go build ./...
        """)
    for name, job in jobs.items():
        assert (job.status, job.purpose.name) == ("not-applicable", "other-target"), name


def test_a_wasm_toolchain_beside_native_tests_keeps_them_judged():
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: rustup target add wasm32-unknown-unknown
              - run: cargo test
              - run: cargo build --target wasm32-unknown-unknown
        """)
    assert (jobs["test"].purpose.name, jobs["test"].status) == ("test", "amd64-only")


def test_a_tox_environment_that_writes_release_notes_builds_docs():
    jobs = judge("""\
        on:
          push:
            tags: ["*"]
        jobs:
          notes:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pipx install tox
              - name: Write the release notes
                run: tox -e generate-gh-release-notes -- "$GITHUB_REF_NAME" notes.md
          changelog:
            runs-on: ubuntu-latest
            steps:
              - run: nox -s changelog
          tests:
            runs-on: ubuntu-latest
            steps:
              - run: tox -e py313
        """)
    assert (jobs["notes"].purpose.name, jobs["notes"].status) == ("docs", "not-applicable")
    assert jobs["changelog"].purpose.name == "docs"
    assert (jobs["tests"].purpose.name, jobs["tests"].status) == ("test", "amd64-only")


# ----------------------------------------------------------------------------- unknown


def test_a_job_no_rule_recognises_is_unknown_and_judged():
    jobs = judge("""\
        on: push
        jobs:
          custom:
            runs-on: ubuntu-latest
            steps:
              - run: ./ci/do-the-thing --all
              - uses: some-org/secret-sauce@v1
        """)
    custom = jobs["custom"]
    assert (custom.purpose.name, custom.status) == ("unknown", "amd64-only")
    assert custom.as_json()["evidence"][0]["what"] == ("runs `./ci/do-the-thing --all`, which no rule knows")


UNRECOGNISED = """\
on: push
jobs:
  version:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: pick
        uses: our-org/actions-pick-version@v2
  integration:
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        suite: [api, cli]
    steps:
      - run: ./ci/run-suite ${{ matrix.suite }}
  mixed:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest]
        kind: [unit, custom]
    steps:
      - if: matrix.kind == 'unit'
        run: go test ./...
      - if: matrix.kind == 'custom'
        run: ./ci/run-suite custom
"""


def _missing_leg_finding(job: JobReport):
    (found,) = [item for item in job.findings if item.rule == "missing-arm64-leg"]
    return found


def test_a_missing_leg_no_rule_can_read_is_a_warning_not_an_error():
    # Judged, so still reported, but without the confidence of an error: what the job does
    # may not depend on the CPU at all (an outputs job calling an action no rule knows).
    jobs = judge(UNRECOGNISED)
    version = _missing_leg_finding(jobs["version"])
    assert (jobs["version"].status, version.severity) == ("amd64-only", "warning")
    assert version.message == (
        "job 'version': no arm64 leg on linux (a warning: what the job does is not recognised; "
        "step 'our-org/actions-pick-version@v2' uses our-org/actions-pick-version, which no rule "
        "knows (line 7))"
    )
    assert _missing_leg_finding(jobs["integration"]).severity == "warning"
    # One missing leg tests: an error, as before.
    assert _missing_leg_finding(jobs["mixed"]).severity == "error"
    assert check_run.title(
        analyze({"ci.yml": UNRECOGNISED.split("  mixed:")[0]}, Policy(), TODAY), Policy()
    ) == ("2 jobs without full arm64 coverage, as warnings")
    # `require:` judges a job whatever its purpose, and so makes its gaps errors.
    required = judge(UNRECOGNISED, load_policy("require: [{workflow: '*', job: integration}]\n"))
    assert _missing_leg_finding(required["integration"]).severity == "error"
    assert _missing_leg_finding(required["version"]).severity == "warning"


def test_an_unknown_step_whose_outputs_are_the_jobs_outputs_computes_them():
    jobs = judge("""\
        on: push
        jobs:
          version:
            runs-on: ubuntu-latest
            outputs:
              version: ${{ steps.pick.outputs.version }}
            steps:
              - uses: actions/checkout@v4
              - id: pick
                uses: our-org/actions-pick-version@v2
        """)
    assert (jobs["version"].status, jobs["version"].purpose.name) == ("not-applicable", "meta")
    assert "it computes the job's outputs" in jobs["version"].purpose.evidence[0].what


def test_a_goarch_matrix_names_the_legs_target():
    # Release smoke tests per GOOS/GOARCH, arm legs under QEMU: the 386 leg is x86-only work,
    # the arm64 leg (emulated) is the amd64 leg's twin.
    jobs = judge("""\
        on: push
        jobs:
          smoke:
            runs-on: ${{ matrix.runner }}
            strategy:
              matrix:
                include:
                  - {runner: ubuntu-latest, goos: linux, goarch: amd64}
                  - {runner: ubuntu-latest, goos: linux, goarch: "386"}
                  - {runner: ubuntu-latest, goos: linux, goarch: arm64}
            steps:
              - uses: actions/checkout@v4
              - if: matrix.goarch == 'arm64'
                uses: docker/setup-qemu-action@v3
              - run: ./scripts/smoke_test.sh dist/app_${{ matrix.goos }}_${{ matrix.goarch }}
          harness:
            runs-on: ubuntu-latest
            steps:
              - run: bash ./internal/e2etest/package.sh
        """)
    by_arch = {leg.matrix["goarch"]: (leg.arch, leg.purpose.name) for leg in jobs["smoke"].legs}
    assert by_arch["386"][1] == "x86-specific"
    assert by_arch["arm64"] == ("arm64", "test")
    assert jobs["smoke"].status == "parity"
    # A folder named for end-to-end tests does not make its packaging script a test run.
    assert jobs["harness"].purpose.name == "unknown"


def test_a_step_that_may_not_run_cannot_make_the_leg_x86_only():
    jobs = judge("""\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: cargo build --release
              - if: github.event_name == 'release'
                run: RUSTFLAGS="-C target-feature=+avx512f" cargo build --release
        """)
    assert (jobs["build"].purpose.name, jobs["build"].status) == ("build", "amd64-only")


def test_a_python_setup_python_builds_for_x64_only_makes_a_linux_leg_x86_only():
    # actions/setup-python has no Linux arm64 CPython before 3.8: such a leg can have no
    # arm64 twin, so it is not counted as missing one (the 3.13 leg still is).
    jobs = judge("""\
        on: [push, pull_request]
        jobs:
          tests:
            name: ${{ matrix.name || matrix.python }}
            runs-on: ${{ matrix.os || 'ubuntu-latest' }}
            strategy:
              fail-fast: false
              matrix:
                include:
                  - {python: '3.13'}
                  - {python: '3.7', os: ubuntu-22.04}
                  - {name: PyPy, python: 'pypy-3.7'}
                  - {python: '3.7', os: macos-13}
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python }}
              - run: pip install tox && tox run -e py
          legacy:
            runs-on: ubuntu-22.04
            steps:
              - uses: actions/checkout@v4
              - name: Set up Pythons
                uses: actions/setup-python@v5
                with:
                  python-version: |
                    2.7
                    3.6
              - run: python2 -m pytest tests/py2
          both:
            runs-on: ubuntu-22.04
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: |
                    3.7
                    3.12
              - run: tox
          maybe:
            runs-on: ubuntu-latest
            steps:
              - if: ${{ inputs.legacy }}
                uses: actions/setup-python@v5
                with: {python-version: '3.6'}
              - run: pytest
        """)
    by_python = {leg.matrix["python"]: leg.purpose.name for leg in jobs["tests"].legs}
    # PyPy and macOS are not what the rule knows about: their legs stay judged.
    assert by_python == {"3.13": "test", "3.7": "test", "pypy-3.7": "test"}
    linux_37 = next(leg for leg in jobs["tests"].legs if leg.matrix.get("os") == "ubuntu-22.04")
    assert linux_37.purpose.name == "x86-specific"
    assert str(linux_37.purpose.evidence[0]) == (
        "step 'actions/setup-python@v5' installs Python 3.7, which actions/setup-python has for x64 "
        "only on Linux (line 16)"
    )
    assert [leg.matrix for leg in jobs["tests"].verdict.missing] == [
        {"python": "3.13"},
        {"name": "PyPy", "python": "pypy-3.7"},
    ]
    assert (jobs["legacy"].status, jobs["legacy"].purpose.name) == ("not-applicable", "x86-specific")
    assert jobs["legacy"].verdict.reason == (
        "runs x86-only work: step 'Set up Pythons' installs Python 2.7, 3.6, which "
        "actions/setup-python has for x64 only on Linux (line 24)"
    )
    # 3.12 beside 3.7: the leg tests 3.12 too, so it is judged.
    assert (jobs["both"].purpose.name, jobs["both"].status) == ("test", "amd64-only")
    # A setup that may not run cannot make the leg x86-only.
    assert (jobs["maybe"].purpose.name, jobs["maybe"].status) == ("test", "amd64-only")


# ----------------------------------------------------------------------------- config


def test_judge_widens_and_require_overrides_purpose():
    text = (
        RELEASE
        + """\
  integration:
    runs-on: ubuntu-latest
    steps:
      - run: ruff check .
"""
    )
    jobs = judge(text, load_policy("judge: [build, test, unknown, publish]\n"))
    assert jobs["pypi"].status == "amd64-only"
    assert jobs["integration"].status == "not-applicable"
    jobs = judge(text, load_policy("require: [{workflow: ci.yml, job: integ*}]\n"))
    assert jobs["integration"].status == "amd64-only"
    assert jobs["pypi"].status == "not-applicable"
    jobs = judge(text, load_policy("judge: [build, test]\n"))
    assert jobs["integration"].status == "not-applicable"


def test_json_carries_purpose_and_evidence_for_jobs_and_legs():
    job = judge(RELEASE)["pypi"].as_json()
    assert job["purpose"] == "publish"
    assert job["evidence"] == [
        {
            "purpose": "publish",
            "where": "step 'Upload to PyPI'",
            "line": 20,
            "what": "uses pypa/gh-action-pypi-publish",
        }
    ]
    assert job["legs"][0]["purpose"] == "publish"
    assert job["legs"][0]["evidence"] == job["evidence"]


@pytest.mark.parametrize(
    ("command", "purpose"),
    [
        ("PYTHONPATH=$(pwd) pytest tests", "test"),
        ("CC=$(which clang) make", "build"),
        ("pytest -v", "test"),
        ("conda run -n env pytest", "test"),
        ("rustup run stable cargo test", "test"),
        ("cargo test -p wasmtime", "test"),
        ("pytest tests/wasi/ -k 'not pyodide'", "test"),
        ("./configure --disable-avx512 && make", "build"),
        ("pytest --mypy --cov=pylint", "test"),
        ("cargo build --bin ruff", "build"),
        ("make test PREFIX=/usr/share/doc", "test"),
        ("python build.py >> $GITHUB_OUTPUT", "build"),
        ("cmake --build build --target cuda_kernels", "build"),
        ("cargo build --target x86_64-unknown-linux-gnu --features check", "build"),
        ("GOARCH=386 go test ./...", "x86-specific"),
        ("make lint", "lint"),
        ("tox -e docs", "docs"),
        # settings name what to fetch, not what the leg builds for
        ('yarn config set --json supportedArchitectures.cpu \'["arm64", "wasm32"]\' && yarn build', "build"),
    ],
)
def test_what_a_command_runs_wins_over_what_its_arguments_mention(command: str, purpose: str):
    text = f"on: push\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {command}\n"
    assert judge(text)["job"].purpose.name == purpose


def test_a_conditional_cross_step_still_counts_as_work():
    jobs = judge("""\
        on: push
        jobs:
          build:
            needs: [lint]
            runs-on: ubuntu-latest
            steps:
              - if: github.event_name == 'push'
                uses: PyO3/maturin-action@v1
                with: {target: i686}
              - run: pytest
          pack:
            needs: [build]
            runs-on: ubuntu-latest
            steps:
              - if: github.event_name == 'push'
                run: cargo build --target aarch64-unknown-linux-gnu
        """)
    assert jobs["build"].purpose.name == "test"
    assert jobs["pack"].purpose.name == "unknown"  # may build: not a gate doing nothing


def test_a_coverage_service_closing_after_the_tests_is_a_gate():
    jobs = judge("""\
        on: push
        jobs:
          tests:
            runs-on: ubuntu-latest
            steps:
              - run: pytest --cov
          coverage-done:
            needs: tests
            runs-on: ubuntu-latest
            steps:
              - uses: someone/coveralls-upload-action@v2
                with: {parallel-finished: true}
        """)
    assert jobs["coverage-done"].status == "not-applicable"
    assert jobs["coverage-done"].purpose.name == "gate"


# ----------------------------------------------------------------------------- what runs, not names


def _one_job(steps: str, needs: str = "") -> str:
    return f"""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest{needs}
            steps:
              - uses: actions/checkout@v4
{steps}
        """


def test_a_program_made_executable_and_run_is_tested_whatever_the_script_is_called():
    # a script named check_* that is handed the freshly built program runs it
    job = judge(
        _one_job("""\
              - uses: actions/download-artifact@v4
                with: {name: tool-linux}
              - run: chmod +x ./tool
              - name: Validate the install
                run: python3 scripts/check_install.py --tool ./tool
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("amd64-only", "test")
    assert "runs tool" in job.purpose.evidence[0].what


@pytest.mark.parametrize(
    ("command", "purpose"),
    [
        ("just test", "test"),
        ("mage -v check", "test"),
        ("task lint", "lint"),
        ("spin build", "build"),
        ("spin test -- -k fft", "test"),
        ("cargo xtask docs", "docs"),
        ("cargo lint", "lint"),
        ("cargo documentation", "docs"),
        ("make check", "test"),
        ("make unity_test", "test"),
        ("make check-protos", "lint"),
        ("make install-goyacc check-generated-parser", "lint"),
        ("make man", "docs"),
        ("make sdist", "sdist"),
        ("make REDIS_CFLAGS='-Werror' 32bit", "x86-specific"),
    ],
)
def test_recipes_and_make_targets_are_read_by_whole_words(command: str, purpose: str):
    job = judge(_one_job(f"              - run: {command}\n"))["t"]
    assert job.purpose.name == purpose


def test_generated_files_checked_with_git_diff_make_the_builds_before_it_lint():
    job = judge(
        _one_job("""\
              - run: go install ./cmd/tool/.
              - run: make -C documentation/mixin
              - run: git diff --exit-code
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "lint")


def test_a_job_known_only_by_a_script_name_and_running_unknown_work_is_judged():
    job = judge(
        _one_job("""\
              - run: docker compose -f docker/compose.yaml run build
              - name: Checking for test failures
                run: ./.github/scripts/check_build_result.sh
""")
    )["t"]
    assert job.status == "amd64-only"
    assert job.purpose.name == "unknown"


def test_a_command_given_downloaded_artifacts_inspects_them():
    job = judge(
        _one_job("""\
              - uses: actions/download-artifact@v4
                with: {path: dist, merge-multiple: true}
              - name: list wheels
                run: python3 tools/wheel_summary.py dist
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "artifacts")


def test_an_unknown_action_named_for_publishing_publishes_unless_the_job_builds():
    jobs = judge("""\
        on: push
        jobs:
          upload:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
              - uses: our-org/upload-nightly-action@v1
          build-and-upload:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: cargo build --release
              - uses: our-org/upload-nightly-action@v1
        """)
    assert (jobs["upload"].status, jobs["upload"].purpose.name) == ("not-applicable", "publish")
    assert (jobs["build-and-upload"].status, jobs["build-and-upload"].purpose.name) == ("amd64-only", "build")


def test_a_word_inside_an_expression_is_not_a_step_name():
    job = judge(
        _one_job("""\
              - name: Run ${{ matrix.lint && 'lint' || 'suite' }}
                run: ./ci/run-suite
""")
    )["t"]
    assert job.purpose.name == "unknown"


def test_an_arm64_sibling_does_not_twin_wholesale_a_leg_whose_purpose_is_unknown():
    jobs = judge("""\
        on: push
        jobs:
          build-cross:
            runs-on: ubuntu-latest
            steps:
              - uses: uraimo/run-on-arch-action@v3
                with: {arch: aarch64, distro: ubuntu22.04, run: ./mvnw -pl testsuite-native verify}
          build:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                setup: [linux-x86_64-java11, linux-x86_64-java17]
            steps:
              - run: docker compose -f docker/compose.${{ matrix.setup }}.yaml run build
        """)
    assert jobs["build"].status == "amd64-only"
    assert jobs["build-cross"].status == "arm64-only"


def test_check_and_fix_give_one_judgement_on_a_job_that_builds_and_publishes():
    # the error names what makes the job judged and why fix cannot add the leg; fix
    # refuses in the same words
    source = """\
        on: push
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: docker build -t ghcr.io/o/app:latest .
              - run: docker run --rm ghcr.io/o/app:latest version
              - run: docker push ghcr.io/o/app:latest
        """
    job = judge(source)["image"]
    (gap,) = [f for f in job.findings if f.rule == "missing-arm64-leg"]
    assert gap.severity == "error"
    assert "it builds: step #2 runs `docker build`" in gap.message
    (planned,) = plan({"ci.yml": textwrap.dedent(source)}, Policy(), TODAY)
    (outcome,) = planned.jobs
    assert not outcome.fixed
    assert outcome.reason in gap.message
    assert outcome.reason.startswith("it publishes")


@pytest.mark.parametrize(
    ("steps", "purpose"),
    [
        (
            "- run: pip install https://files.example.org/clang_format-21-manylinux_x86_64.whl\n"
            "              - run: make check-format",
            "lint",
        ),
        (
            "- run: curl -sSfL https://example.org/install.sh | sh -s -- -b bin v0.7.0\n"
            "              - run: make validate-files",
            "lint",
        ),
        (
            "- run: python3 .github/generate-sbom.py\n"
            "              - run: check-jsonschema --schemafile bom.schema.json pkg.cdx.json",
            "lint",
        ),
        (
            "- uses: actions/download-artifact@v4\n"
            "              - run: npx --yes junit-report-merger merged.xml 'results/**/*.xml'",
            "artifacts",
        ),
    ],
)
def test_installers_and_reports_do_not_make_a_job_judged(steps: str, purpose: str):
    job = judge(_one_job(f"              {steps}\n"))["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", purpose)


def test_shell_conditions_and_comments_run_nothing():
    job = judge(
        _one_job("""\
              - run: |
                  if [ "$BUILD" = 'cmake' ]; then  # see https://example.org/guides/cmake
                    echo cmake chosen
                  fi
                  [[ "$KIND" == make ]] && echo make
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "meta")
    # what a keyword or a one-line case runs is read
    for script in ("if [ -n x ]; then make test; fi", 'case "$OS" in Linux) make test ;; esac'):
        assert judge(_one_job(f"              - run: {script}\n"))["t"].purpose.name == "test"


def test_names_and_repository_files_do_not_make_tests():
    jobs = judge("""\
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: ./deploy production
          ktlint:
            runs-on: ubuntu-latest
            steps:
              - run: chmod +x gradlew
              - run: ./gradlew ktlintCheck
          server:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with: {name: server, path: bin}
              - run: bin/server --self-test
        """)
    assert jobs["deploy"].purpose.name != "test"
    assert jobs["ktlint"].purpose.name != "test"
    assert (jobs["server"].status, jobs["server"].purpose.name) == ("amd64-only", "test")


def _purpose_of_script(script: str) -> str:
    """The purpose of a one-step job on ubuntu-latest that runs `script`."""
    source = "on: push\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n"
    source += textwrap.indent(script, " " * 10) + "\n"
    return analyze({"ci.yml": source}, Policy(), TODAY).workflows[0].jobs[0].purpose.name


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # make's own work is compiling: a goal no rule reads builds, when nothing else is known
        ("make c89build V=1", "build"),
        ("HAVE_ZLIB=0 make -C programs zstd-pgo", "build"),
        # a goal named for another arch builds for it
        ("make armbuild", "other-target"),
        ("make m32build", "x86-specific"),
        # a goal that only prepares, or checks what others built, is not a build
        ("make deps && make install-tools", "unknown"),
        ("make ci-check-dist", "unknown"),
        # beside anything a rule reads, a guessed build does not count: a lint job that
        # compiles the extension it type-checks is still a lint job
        ("make build-dev\nmake lint\nmake pyright", "lint"),
    ],
)
def test_a_make_goal_no_rule_reads_builds_only_when_nothing_else_is_known(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # a build known only by its name, then static checks: the build serves the checks
        ("spin build -j2\npython tools/check_installed_files.py\nninja -C build -t missingdeps", "lint"),
        # a build any rule reads for what it is still makes the job a build
        ("cargo build --workspace\ncargo clippy -- -D warnings", "build"),
        # publishing by a flag, unless it is a dry run
        ("make assets\n./scripts/ui_release.sh --publish", "publish"),
        ("cargo build\n./scripts/ui_release.sh --publish dry-run", "build"),
    ],
)
def test_what_only_serves_checks_or_publishing_does_not_make_a_build(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # a tree configured for another arch: what is tested in it is that arch's
        ("cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake .\ncmake --build .\nctest", "cross"),
        # unless the tests run under user-mode QEMU, which the legs read as an emulated test
        (
            "cmake -B build -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc\ncmake --build build\n"
            "qemu-aarch64 build/t",
            "test",
        ),
    ],
)
def test_tests_in_a_tree_configured_for_another_arch(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


def test_cargo_options_before_the_subcommand_do_not_hide_a_build_or_test():
    # `cargo --config … build`: the subcommand decides, so the legs that build and test are
    # judged although their first step checks formatting; a leg whose matrix entry skips the
    # build and test steps only lints.
    jobs = judge("""\
        on: push
        jobs:
          cargo:
            strategy:
              matrix:
                target:
                  - {name: linux, host: ubuntu-22.04, steps: [fmt, build, test]}
                  - {name: lint-only, host: ubuntu-22.04, steps: [fmt]}
            runs-on: ${{ matrix.target.host }}
            steps:
              - uses: actions/checkout@v4
              - if: contains(matrix.target.steps, 'fmt')
                run: cargo fmt --all --check
              - if: contains(matrix.target.steps, 'build')
                run: cargo --config "${{ github.workspace }}/.cargo/ci.toml" build --profile ci
              - if: contains(matrix.target.steps, 'test')
                run: cargo --locked -Z unstable-options test --workspace
        """)
    job = jobs["cargo"]
    assert job.status == "amd64-only"
    assert [leg.purpose.name for leg in job.legs] == ["test", "lint"]
    assert job.legs[0].purpose.evidence[0].what == "runs `cargo test`"


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # cmake's command mode is a portable file utility: the job builds docs
        ("cmake -E make_directory build\ncmake -E copy_directory doc build/doc\ndoxygen Doxyfile", "docs"),
        # `cmake -E env`/`time` run the command they are given
        ("cmake -E env CFLAGS=-O2 make", "build"),
        ("cmake -E time ctest --output-on-failure", "test"),
    ],
)
def test_cmake_command_mode_is_a_file_utility_not_a_build(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # a script kept with the tests but named for a check, alone: a check of the repository
        ("tests/scripts/license-checks.sh", "lint"),
        ("./test/check-version-consistency.sh", "lint"),
        # run after a build, the same kind of script checks what was built
        ("make -C lib libfoo\n./tests/check_size.py lib/libfoo.so 100000", "test"),
        # the folder still says test for any other script in it, and `./test` runs a program
        ("tests/scripts/run-all.sh", "test"),
        ("./test --quick", "test"),
    ],
)
def test_a_check_script_in_a_tests_folder_is_named_for_what_it_checks(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # a package.json build before the checks is there for them (types, dist files)
        ("npm install --ignore-scripts\nnpm run build:dist\nnpm run lint-js\nnpm run lint-types", "lint"),
        # after every check, the build is what the job makes
        ("npm ci\nnpm run lint\nnpm run build", "build"),
    ],
)
def test_a_package_json_build_before_the_checks_serves_them(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # the Maven wrapper runs the goals Maven does
        ("./mvnw -B -q -ff -ntp verify", "test"),
        ("./mvnw -B package -DskipTests", "build"),
        ("./mvnw -B deploy", "publish"),
    ],
)
def test_the_maven_wrapper_reads_as_maven(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


def test_an_action_named_for_bootstrapping_a_tool_sets_up_like_an_installer():
    # an unreadable local action named `bootstrap-<tool>` installs the tool; the step the
    # job runs with it (a lockfile check) says what the job is for
    jobs = judge("""\
        on: push
        jobs:
          lockfile:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: ./.github/actions/bootstrap-tool
              - run: poetry check --lock
        """)
    assert (jobs["lockfile"].status, jobs["lockfile"].purpose.name) == ("not-applicable", "meta")


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # bundler installs the gems a tool needs; RuboCop lints, by itself or as a rake task
        ("bundle install --local || bundle install\nbundle exec rake rubocop", "lint"),
        ("bundle config set --local path vendor\nbundle exec rubocop --parallel", "lint"),
        ("standardrb --format progress", "lint"),
        # a rake task list with the tests in it still runs the tests
        ("bundle install\nbundle exec rake rubocop test", "unknown"),
    ],
)
def test_bundler_installs_and_rubocop_lints(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


def test_spelling_and_vulnerability_checkers_lint():
    jobs = judge("""\
        on: push
        jobs:
          spelling:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-node@v4
              - run: npm install -g cspell@9
              - run: cspell --config ./cspell.json "docs/**/*.md" --no-progress
          vulns:
            runs-on: ubuntu-latest
            steps:
              - uses: golang/govulncheck-action@v1
                with: {go-version-input: stable}
        """)
    assert {key: (job.status, job.purpose.name) for key, job in jobs.items()} == {
        "spelling": ("not-applicable", "lint"),
        "vulns": ("not-applicable", "lint"),
    }


@pytest.mark.parametrize(
    "steps",
    [
        "- uses: wagoid/commitlint-github-action@v6",
        "- uses: some-org/action-conventional-commits@v1",
        "- uses: some-org/no-merge-commits@v2\n                with: {token: x}",
        "- uses: gsactions/commit-message-checker@v2\n                with: {pattern: '^\\\\w+: '}",
        "- run: npm install -g @commitlint/cli\n              - run: npx commitlint --from HEAD~1 --to HEAD",
        "- run: pip install gitlint\n              - run: gitlint --commits origin/main..HEAD",
        "- run: cz check --rev-range origin/main..HEAD",
    ],
)
def test_commit_message_checks_check_metadata(steps: str):
    job = judge(_one_job(f"              {steps}\n"))["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "meta")


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # build's short flag for an sdist, alone or run by pipx
        ("python -m pip install build\npython -m build -s .", "sdist"),
        ("pipx run build -s -o dist", "sdist"),
        # with the wheel too, or combined (`-sw`), it builds both; another tool's `-s` is its own
        ("python -m build -s -w", "build"),
        ("python -m build -sw", "build"),
        ("bazel build -s //...", "build"),
    ],
)
def test_builds_short_flag_for_an_sdist(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


@pytest.mark.parametrize("script", ["rstcheck --report-level warning CHANGES.rst", "doc8 docs/"])
def test_restructuredtext_linters_lint(script: str):
    assert _purpose_of_script(f"pip install rstcheck doc8\n{script}") == "lint"


@pytest.mark.parametrize(
    ("script", "purpose"),
    [
        # Python packages built only to be inspected: pure or compiled, which the job does
        # not say (judged, as unknown, with the reason)
        (
            "python -m pip install build twine\npython -m build\npython -m twine check --strict dist/*",
            "unknown",
        ),
        ("uv build\nuvx check-wheel-contents dist/*.whl", "unknown"),
        # a package built beside a report on other jobs' coverage (`uv run -m` runs a module)
        (
            "uv run -m build\nuv run -m coverage combine\nuv run -m coverage report --fail-under=100",
            "artifacts",
        ),
        # installed and tested, repaired into a platform wheel, or beside unknown work: a build
        ("python -m build\ntwine check dist/*\npip install dist/*.whl\npytest", "test"),
        ("python -m build\nauditwheel repair dist/*.whl\ntwine check wheelhouse/*", "build"),
        ("python -m build\ntwine check dist/*\n./tools/size-report dist", "build"),
        # a build with nothing inspected is still a build
        ("python -m build", "build"),
    ],
)
def test_python_packages_built_only_to_be_inspected(script: str, purpose: str):
    assert _purpose_of_script(script) == purpose


def test_the_build_and_inspect_action_checks_a_package():
    job = judge(_one_job("              - uses: hynek/build-and-inspect-python-package@v2\n"))["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "sdist")
    assert job.verdict.reason == (
        "builds an sdist: step 'hynek/build-and-inspect-python-package@v2' uses "
        "hynek/build-and-inspect-python-package, which builds packages to inspect them (its "
        "documentation leaves compiled extensions to cibuildwheel): an sdist and a pure wheel (line 7)"
    )
    # a `python -m build` only inspected stays judged, and says why
    job = judge(_one_job("              - run: python -m build\n              - run: twine check dist/*\n"))[
        "t"
    ]
    assert (job.status, job.purpose.name) == ("amd64-only", "unknown")
    found = _missing_leg_finding(job)
    assert found.severity == "warning"
    assert "or compiled extensions, which the workflow does not say" in found.message


def test_tox_and_nox_run_the_environment_their_variable_names():
    jobs = judge("""\
        on: push
        jobs:
          api-docs:
            runs-on: ubuntu-latest
            env: {TOXENV: apidocs}
            steps:
              - run: python -m pip install tox
              - run: |
                  tox
                  echo -n "api.example.org" > docs/_build/html/CNAME
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: nox
                env: {NOXSESSION: lint}
          tests:
            runs-on: ubuntu-latest
            env: {TOXENV: py312}
            steps:
              - run: tox
          given:
            runs-on: ubuntu-latest
            env: {TOXENV: docs}
            steps:
              - run: tox -e py312
        """)
    assert {key: (job.status, job.purpose.name) for key, job in jobs.items()} == {
        "api-docs": ("not-applicable", "docs"),
        "lint": ("not-applicable", "lint"),
        "tests": ("amd64-only", "test"),
        "given": ("amd64-only", "test"),
    }
