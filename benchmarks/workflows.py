"""The benchmarks' input: one large repository's worth of GitHub Actions workflows, written
by this module (about 40 files, about 500 KB, from 30 to 800 lines each).

Generated rather than committed: half a megabyte of YAML in the tree would outweigh the
code it measures and drown every diff that touches it, while the shapes below (the jobs
real projects write: Python matrices with include/exclude, Rust cross builds, Go, Node,
CMake in containers, Docker buildx under QEMU, releases, reusable workflow calls, services,
long shell scripts) are what matters and fit on a few screens. The output is a function of
this file alone (a seeded `random.Random`, sorted iteration), so every run of every
benchmark measures the same bytes. Written to `build/bench-workflows/` (git-ignored) as a
repository root: `.github/workflows/*.yml`.

Run: `python -m benchmarks.workflows [FOLDER]` to write them and print their count and size.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "build" / "bench-workflows"
SEED = 20261128

# ------------------------------------------------------------------ building blocks


def _block(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [pad + line if line else "" for line in text.splitlines()]


def step(
    name: str | None = None,
    uses: str | None = None,
    run: str | None = None,
    with_: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    if_: str | None = None,
    id_: str | None = None,
    shell: str | None = None,
    working_directory: str | None = None,
) -> list[str]:
    """One step at the indentation of a job's `steps:` list."""
    keys: list[str] = []
    if name:
        keys.append(f"name: {name}")
    if id_:
        keys.append(f"id: {id_}")
    if if_:
        keys.append(f"if: {if_}")
    if uses:
        keys.append(f"uses: {uses}")
    if working_directory:
        keys.append(f"working-directory: {working_directory}")
    if shell:
        keys.append(f"shell: {shell}")
    if env:
        keys.append("env:")
        keys += [f"  {k}: {v}" for k, v in env.items()]
    if with_:
        keys.append("with:")
        for k, v in with_.items():
            keys += [f"  {k}: |", *_block(v, 4)] if "\n" in v else [f"  {k}: {v}"]
    if run is not None:
        if "\n" in run.strip():
            keys.append("run: |")
            keys += _block(run.strip("\n"), 2)
        else:
            keys.append(f"run: {run.strip()}")
    lines = ["      - " + keys[0]]
    lines += ["        " + key if key else "" for key in keys[1:]]
    return lines


def job(
    job_id: str,
    runs_on: str,
    steps: list[list[str]],
    name: str | None = None,
    strategy: str | None = None,
    needs: str | None = None,
    if_: str | None = None,
    env: dict[str, str] | None = None,
    container: str | None = None,
    services: str | None = None,
    timeout: int | None = None,
    permissions: str | None = None,
    comment: str | None = None,
    outputs: dict[str, str] | None = None,
) -> list[str]:
    lines = [f"  # {line}" if line else "  #" for line in (comment or "").splitlines()]
    lines.append(f"  {job_id}:")
    if name:
        lines.append(f"    name: {name}")
    if needs:
        lines.append(f"    needs: {needs}")
    if if_:
        lines.append(f"    if: {if_}")
    lines.append(f"    runs-on: {runs_on}")
    if timeout:
        lines.append(f"    timeout-minutes: {timeout}")
    if permissions:
        lines += _block(permissions, 4)
    if strategy:
        lines += _block(strategy, 4)
    if container:
        lines += _block(container, 4)
    if services:
        lines += _block(services, 4)
    if env:
        lines.append("    env:")
        lines += [f"      {k}: {v}" for k, v in env.items()]
    if outputs:
        lines.append("    outputs:")
        lines += [f"      {k}: {v}" for k, v in outputs.items()]
    lines.append("    steps:")
    for item in steps:
        lines += item
    return [*lines, ""]


def workflow(name: str, comment: str, on: str, jobs: list[list[str]], extra: str = "") -> str:
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines += [f"name: {name}", "", *on.strip("\n").splitlines(), ""]
    if extra:
        lines += [*extra.strip("\n").splitlines(), ""]
    lines.append("jobs:")
    for item in jobs:
        lines += item
    return "\n".join(lines).rstrip("\n") + "\n"


ON_CI = """\
on:
  push:
    branches: [main, "release/**"]
    paths-ignore:
      - "docs/**"
      - "**.md"
  pull_request:
    types: [opened, synchronize, reopened, ready_for_review]
  workflow_dispatch:
    inputs:
      debug:
        description: Keep the runner alive for a debug session on failure
        type: boolean
        default: false
"""

ON_RELEASE = """\
on:
  push:
    tags: ["v*.*.*"]
  release:
    types: [published]
  workflow_dispatch:
"""

ON_NIGHTLY = """\
on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:
"""

CONCURRENCY = """\
concurrency:
  group: ${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}
permissions:
  contents: read
"""

CHECKOUT = step(uses="actions/checkout@v4", with_={"fetch-depth": "0", "submodules": "recursive"})

# ------------------------------------------------------------------ shell scripts

REASONS = [
    "retry: the mirror is flaky",
    "keep going: the report matters",
    "timed: the cache hit rate is watched",
]


def _script(rng: random.Random, kind: str, lines: int) -> str:
    """A multi-line shell script of about `lines` lines, in the manner of `kind`'s projects."""
    pools = {
        "python": [
            "python -m pip install --upgrade pip wheel setuptools",
            'python -m pip install -e ".[test,extras]" --constraint requirements/constraints.txt',
            "python -m pytest -n auto --durations=25 --cov=src --cov-report=xml tests/",
            'echo "::group::installed packages"; python -m pip freeze; echo "::endgroup::"',
            "python -c 'import sys, platform; print(sys.version, platform.machine())'",
            'if [ "${{ matrix.python }}" = "3.13" ]; then export PYTHON_GIL=0; fi',
            "python -m mypy src/ --junit-xml reports/mypy-${{ matrix.python }}.xml || true",
            "coverage combine && coverage report --fail-under=85",
        ],
        "rust": [
            "rustup target add ${{ matrix.target }}",
            "cargo build --locked --release --target ${{ matrix.target }} --features full",
            "cargo test --locked --workspace --all-features -- --test-threads 4",
            "cargo clippy --all-targets --all-features -- -D warnings",
            'echo "RUSTFLAGS=-C debuginfo=1 -D warnings" >> "$GITHUB_ENV"',
            "cargo doc --no-deps --workspace",
            'ls -la "target/${{ matrix.target }}/release/"',
            'sha256sum "target/${{ matrix.target }}/release/${BINARY}" > "${BINARY}.sha256"',
        ],
        "go": [
            "go mod download",
            "go vet ./...",
            "go test -race -count=1 -coverprofile=coverage.out ./...",
            'GOOS=linux GOARCH="${{ matrix.goarch }}" go build -trimpath -o dist/ ./cmd/app',
            "go tool cover -func=coverage.out | tail -n 1",
            'echo "version=$(git describe --tags --always)" >> "$GITHUB_OUTPUT"',
            "gofmt -l . | tee /dev/stderr | (! read)",
        ],
        "node": [
            "corepack enable",
            "pnpm install --frozen-lockfile",
            "pnpm run build",
            "pnpm test -- --ci --reporters=default --reporters=jest-junit",
            "pnpm run lint -- --max-warnings=0",
            'node -e "console.log(process.arch, process.version)"',
            "npx playwright install --with-deps chromium",
        ],
        "cmake": [
            "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=${{ matrix.build_type }} -DBUILD_TESTING=ON",
            "cmake --build build --parallel $(nproc)",
            "ctest --test-dir build --output-on-failure --timeout 600 -j $(nproc)",
            "sudo apt-get update && sudo apt-get install -y ninja-build libssl-dev zlib1g-dev",
            'echo "CC=${{ matrix.compiler }}" >> "$GITHUB_ENV"',
            "cmake --install build --prefix install",
            "ccache --show-stats || true",
        ],
        "docker": [
            "docker buildx ls",
            'docker image inspect "${IMAGE}:${TAG}" --format "{{.Architecture}}"',
            'echo "tags=${IMAGE}:${GITHUB_SHA::8}" >> "$GITHUB_OUTPUT"',
            'docker run --rm "${IMAGE}:${TAG}" --version',
        ],
    }
    pool = pools[kind]
    out = ["set -euo pipefail"]
    while len(out) < lines:
        shape = rng.randrange(5)
        if shape == 0:
            out += [
                'if [ "${RUNNER_OS}" = "Linux" ]; then',
                f"  {rng.choice(pool)}",
                "else",
                f'  echo "skipping on ${{RUNNER_OS}}: {kind} step {len(out)}"',
                "fi",
            ]
        elif shape == 1:
            part = rng.choice(["core", "cli", "server", "plugins", "bench"])
            out += [
                f"for package in {part} {part}-utils {part}-io; do",
                '  echo "::group::${package}"',
                f"  {rng.choice(pool)}",
                '  echo "::endgroup::"',
                "done",
            ]
        elif shape == 2:
            out.append(f"# {rng.choice(REASONS)}")
            out.append(rng.choice(pool))
        else:
            out.append(rng.choice(pool))
    return "\n".join(out[:lines]) + "\n"


# ------------------------------------------------------------------ jobs in real projects' forms


def python_tests(rng: random.Random, job_id: str, arm: str, script: int, services: bool = False) -> list[str]:
    """A test matrix: Pythons x runners with include/exclude. `arm` is how arm64 appears:
    'native' (a -arm runner in the matrix), 'self-hosted', or 'none' (the gap)."""
    oses = ["ubuntu-22.04", "ubuntu-24.04"]
    if arm == "native":
        oses.append("ubuntu-24.04-arm")
    oses += ["windows-2022"] if rng.random() < 0.5 else ["macos-14"]
    runs_on = "${{ matrix.os }}"
    if arm == "self-hosted":
        runs_on = (
            '${{ matrix.arch == \'arm64\' && fromJSON(\'["self-hosted", "linux", "arm64"]\') || matrix.os }}'
        )
    strategy = f"""\
strategy:
  fail-fast: false
  max-parallel: 8
  matrix:
    os: [{", ".join(oses)}]
    python: ["3.10", "3.11", "3.12", "3.13"]
{"    arch: [x64, arm64]" if arm == "self-hosted" else ""}
    exclude:
      - os: {oses[-1]}
        python: "3.10"
      - os: ubuntu-22.04
        python: "3.13"
    include:
      - os: ubuntu-24.04
        python: "3.14-dev"
        experimental: true
      - os: ubuntu-24.04
        python: "pypy3.10"
        experimental: true
""".replace("\n\n", "\n")
    service_block = None
    env = {"PYTHONUTF8": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "FORCE_COLOR": "1"}
    if services:
        service_block = """\
services:
  postgres:
    image: postgres:16
    env:
      POSTGRES_PASSWORD: postgres
      POSTGRES_DB: test
    ports: ["5432:5432"]
    options: >-
      --health-cmd pg_isready --health-interval 10s --health-timeout 5s --health-retries 5
  redis:
    image: redis:7-alpine
    ports: ["6379:6379"]
"""
        env["DATABASE_URL"] = "postgresql://postgres:postgres@localhost:5432/test"
        env["REDIS_URL"] = "redis://localhost:6379/0"
    steps = [
        CHECKOUT,
        step(
            uses="actions/setup-python@v5",
            with_={
                "python-version": "${{ matrix.python }}",
                "allow-prereleases": "true",
                "cache": "pip",
                "cache-dependency-path": "requirements/*.txt",
            },
        ),
        step(
            name="Cache the test data",
            uses="actions/cache@v4",
            with_={
                "path": "~/.cache/testdata",
                "key": "testdata-${{ runner.os }}-${{ hashFiles('tests/data/manifest.json') }}",
            },
        ),
        step(name="Install", run=_script(rng, "python", max(4, script // 3))),
        step(
            name="Test",
            run=_script(rng, "python", script),
            env={"COVERAGE_FILE": ".coverage.${{ matrix.os }}.${{ matrix.python }}"},
        ),
        step(
            name="Upload coverage",
            if_="always() && !matrix.experimental",
            uses="actions/upload-artifact@v4",
            with_={
                "name": "coverage-${{ matrix.os }}-${{ matrix.python }}",
                "path": ".coverage.*",
                "retention-days": "5",
            },
        ),
    ]
    return job(
        job_id,
        runs_on,
        steps,
        name="tests (${{ matrix.python }}, ${{ matrix.os }})",
        strategy=strategy,
        services=service_block,
        env=env,
        timeout=45,
        comment="Every supported Python on every platform the wheels are built for.",
    )


RUST_TARGETS = [
    ("x86_64-unknown-linux-gnu", "ubuntu-latest", "false"),
    ("aarch64-unknown-linux-gnu", "ubuntu-24.04-arm", "false"),
    ("x86_64-unknown-linux-musl", "ubuntu-latest", "true"),
    ("aarch64-unknown-linux-musl", "ubuntu-latest", "true"),
    ("x86_64-apple-darwin", "macos-15-intel", "false"),
    ("aarch64-apple-darwin", "macos-14", "false"),
    ("x86_64-pc-windows-msvc", "windows-latest", "false"),
]


def rust_cross(rng: random.Random, job_id: str, arm: bool, script: int) -> list[str]:
    targets = [t for t in RUST_TARGETS if arm or not t[0].startswith("aarch64")]
    include = "\n".join(
        f"      - target: {target}\n        os: {os}\n        use-cross: {cross}"
        for target, os, cross in targets
    )
    strategy = f"strategy:\n  fail-fast: false\n  matrix:\n    include:\n{include}\n"
    steps = [
        CHECKOUT,
        step(uses="dtolnay/rust-toolchain@stable", with_={"targets": "${{ matrix.target }}"}),
        step(uses="Swatinem/rust-cache@v2", with_={"key": "${{ matrix.target }}"}),
        step(
            name="Install cross",
            if_="matrix.use-cross == 'true'",
            uses="taiki-e/install-action@v2",
            with_={"tool": "cross"},
        ),
        step(
            name="Build",
            shell="bash",
            run=(
                'if [ "${{ matrix.use-cross }}" = "true" ]; then\n'
                "  cross build --locked --release --target ${{ matrix.target }}\n"
                "else\n"
                "  cargo build --locked --release --target ${{ matrix.target }}\n"
                "fi\n"
            ),
        ),
        step(name="Test", if_="matrix.use-cross != 'true'", run=_script(rng, "rust", script)),
        step(
            uses="actions/upload-artifact@v4",
            with_={"name": "bin-${{ matrix.target }}", "path": "target/${{ matrix.target }}/release/app*"},
        ),
    ]
    return job(
        job_id,
        "${{ matrix.os }}",
        steps,
        name="build (${{ matrix.target }})",
        strategy=strategy,
        env={"CARGO_TERM_COLOR": "always", "BINARY": "app"},
        comment="Native where GitHub has the runner, cross (in Docker) for the musl targets.",
    )


def go_job(rng: random.Random, job_id: str, arm: bool, script: int) -> list[str]:
    runners = "[ubuntu-latest, ubuntu-24.04-arm]" if arm else "[ubuntu-latest]"
    strategy = f"""\
strategy:
  matrix:
    runner: {runners}
    go: ["1.22", "1.23"]
    goarch: [amd64]
"""
    steps = [
        CHECKOUT,
        step(uses="actions/setup-go@v5", with_={"go-version": "${{ matrix.go }}", "cache": "true"}),
        step(name="Unit tests", id_="tests", run=_script(rng, "go", script)),
        step(
            name="Integration tests",
            if_="github.event_name == 'push' || contains(github.event.pull_request.labels.*.name, 'e2e')",
            run="go test -tags integration -timeout 20m ./test/...",
        ),
    ]
    return job(job_id, "${{ matrix.runner }}", steps, strategy=strategy, timeout=30)


def node_job(rng: random.Random, job_id: str, arm: bool, script: int) -> list[str]:
    include = "\n    include:\n      - os: ubuntu-24.04-arm\n        node: 22" if arm else ""
    strategy = f"""\
strategy:
  matrix:
    os: [ubuntu-latest, windows-latest]
    node: [18, 20, 22]{include}
"""
    steps = [
        CHECKOUT,
        step(uses="pnpm/action-setup@v4", with_={"version": "9"}),
        step(uses="actions/setup-node@v4", with_={"node-version": "${{ matrix.node }}", "cache": "pnpm"}),
        step(name="Build and test", run=_script(rng, "node", script)),
    ]
    return job(job_id, "${{ matrix.os }}", steps, strategy=strategy)


def cmake_job(rng: random.Random, job_id: str, arm: str, script: int) -> list[str]:
    """A C/C++ build in a container; `arm`: 'native', 'qemu' (docker run --platform), 'none'."""
    runners = "[ubuntu-24.04, ubuntu-24.04-arm]" if arm == "native" else "[ubuntu-24.04]"
    strategy = f"""\
strategy:
  fail-fast: false
  matrix:
    runner: {runners}
    compiler: [gcc-13, clang-18]
    build_type: [Debug, Release]
    exclude:
      - compiler: clang-18
        build_type: Debug
"""
    container = """\
container:
  image: ghcr.io/example/build-env:2025.06
  options: --user root --cap-add SYS_PTRACE
"""
    steps = [
        CHECKOUT,
        step(
            uses="hendrikmuhs/ccache-action@v1.2",
            with_={"key": "${{ matrix.runner }}-${{ matrix.compiler }}-${{ matrix.build_type }}"},
        ),
        step(name="Configure, build, test", run=_script(rng, "cmake", script)),
    ]
    if arm == "qemu":
        steps.insert(1, step(uses="docker/setup-qemu-action@v3", with_={"platforms": "arm64"}))
        steps.append(
            step(
                name="Test on arm64 under QEMU",
                run=(
                    'docker run --rm --platform linux/arm64 -v "$PWD:/src" -w /src \\\n'
                    "  ghcr.io/example/build-env:2025.06 \\\n"
                    "  bash -c 'cmake -S . -B b64 && cmake --build b64 && ctest --test-dir b64'\n"
                ),
            )
        )
    return job(
        job_id,
        "${{ matrix.runner }}",
        steps,
        name="${{ matrix.compiler }} ${{ matrix.build_type }} on ${{ matrix.runner }}",
        strategy=strategy,
        container=container,
    )


def docker_job(rng: random.Random, job_id: str, platforms: str, script: int) -> list[str]:
    steps = [
        CHECKOUT,
        step(uses="docker/setup-qemu-action@v3"),
        step(uses="docker/setup-buildx-action@v3"),
        step(
            uses="docker/login-action@v3",
            if_="github.event_name != 'pull_request'",
            with_={
                "registry": "ghcr.io",
                "username": "${{ github.actor }}",
                "password": "${{ secrets.GITHUB_TOKEN }}",
            },
        ),
        step(
            id_="meta",
            uses="docker/metadata-action@v5",
            with_={
                "images": "ghcr.io/${{ github.repository }}",
                "tags": "type=ref,event=branch\ntype=semver,pattern={{version}}\ntype=sha",
            },
        ),
        step(
            uses="docker/build-push-action@v6",
            with_={
                "context": ".",
                "platforms": platforms,
                "push": "${{ github.event_name != 'pull_request' }}",
                "tags": "${{ steps.meta.outputs.tags }}",
                "labels": "${{ steps.meta.outputs.labels }}",
                "cache-from": "type=gha",
                "cache-to": "type=gha,mode=max",
            },
        ),
        step(name="Smoke test", run=_script(rng, "docker", script)),
    ]
    return job(
        job_id,
        "ubuntu-latest",
        steps,
        permissions="permissions:\n  contents: read\n  packages: write",
        env={"IMAGE": "ghcr.io/${{ github.repository }}", "TAG": "${{ github.sha }}"},
    )


def publish_job(rng: random.Random, job_id: str, needs: str) -> list[str]:
    steps = [
        step(
            uses="actions/download-artifact@v4",
            with_={"pattern": "dist-*", "path": "dist", "merge-multiple": "true"},
        ),
        step(name="List", run="ls -la dist/"),
        step(uses="pypa/gh-action-pypi-publish@release/v1", with_={"skip-existing": "true"}),
        step(
            name="GitHub release",
            env={"GH_TOKEN": "${{ github.token }}"},
            run='gh release upload "${GITHUB_REF_NAME}" dist/* --clobber',
        ),
    ]
    return job(
        job_id,
        "ubuntu-latest",
        steps,
        needs=needs,
        if_="startsWith(github.ref, 'refs/tags/v')",
        permissions="permissions:\n  id-token: write\n  contents: write",
        comment="Trusted publishing: no token, the OIDC id-token is the credential.",
    )


def wheels_job(rng: random.Random, job_id: str, arm: bool) -> list[str]:
    runners = (
        "[ubuntu-latest, ubuntu-24.04-arm, windows-latest, macos-14]"
        if arm
        else "[ubuntu-latest, windows-latest]"
    )
    steps = [
        CHECKOUT,
        step(
            uses="pypa/cibuildwheel@v2.21",
            env={"CIBW_SKIP": '"pp* *musllinux*"', "CIBW_TEST_COMMAND": '"pytest {project}/tests -x"'},
        ),
        step(
            uses="actions/upload-artifact@v4",
            with_={"name": "dist-${{ matrix.os }}", "path": "wheelhouse/*.whl"},
        ),
    ]
    return job(job_id, "${{ matrix.os }}", steps, strategy=f"strategy:\n  matrix:\n    os: {runners}\n")


def lint_job(rng: random.Random, job_id: str, script: int) -> list[str]:
    steps = [
        CHECKOUT,
        step(uses="actions/setup-python@v5", with_={"python-version": '"3.12"'}),
        step(uses="pre-commit/action@v3.0.1", with_={"extra_args": "--all-files --show-diff-on-failure"}),
        step(name="Spelling", uses="crate-ci/typos@v1.26.0"),
        step(name="Shell scripts", run="shellcheck scripts/*.sh\nactionlint -color\n"),
    ]
    return job(job_id, "ubuntu-latest", steps, timeout=10)


def docs_job(rng: random.Random, job_id: str, script: int) -> list[str]:
    steps = [
        CHECKOUT,
        step(uses="actions/setup-python@v5", with_={"python-version": '"3.12"'}),
        step(
            name="Build the docs",
            run="python -m pip install -r docs/requirements.txt\nsphinx-build -W -b html docs docs/_build\n",
        ),
        step(uses="actions/upload-pages-artifact@v3", with_={"path": "docs/_build"}),
    ]
    return job(job_id, "ubuntu-latest", steps)


def call_job(job_id: str, callee: str, inputs: dict[str, str], needs: str | None = None) -> list[str]:
    lines = [f"  {job_id}:"]
    if needs:
        lines.append(f"    needs: {needs}")
    lines.append(f"    uses: ./.github/workflows/{callee}")
    lines.append("    with:")
    lines += [f"      {k}: {v}" for k, v in inputs.items()]
    lines.append("    secrets: inherit")
    return [*lines, ""]


def reusable(rng: random.Random, name: str, kind: str, script: int) -> str:
    on = """\
on:
  workflow_call:
    inputs:
      runner:
        description: The runner label to use
        type: string
        default: ubuntu-latest
      python-version:
        type: string
        default: "3.12"
      extras:
        type: string
        default: test
"""
    steps = [
        CHECKOUT,
        step(uses="actions/setup-python@v5", with_={"python-version": "${{ inputs.python-version }}"}),
        step(name="Install", run='python -m pip install -e ".[${{ inputs.extras }}]"'),
        step(name="Run", run=_script(rng, kind, script)),
    ]
    jobs = [job("run", "${{ inputs.runner }}", steps, timeout=60)]
    return workflow(name, f"Called by the other workflows: one {kind} job on the runner they name.", on, jobs)


# ------------------------------------------------------------------ the repository


def _files() -> dict[str, Callable[[random.Random], str]]:
    """File name -> writer. Sizes vary the way they do in a large project: a few big CI files,
    many middling ones, small helpers."""
    files: dict[str, Callable[[random.Random], str]] = {}

    def ci(name: str, title: str, jobs: Callable[[random.Random], list[list[str]]], on: str = ON_CI) -> None:
        files[name] = lambda rng: workflow(
            title,
            f"{title}: generated benchmark input in the shape of a real project's CI.",
            on,
            jobs(rng),
            CONCURRENCY,
        )

    # Big Python CI files: several matrices, services, wheels, publish.
    for index, arm in enumerate(["native", "none", "self-hosted", "native", "none"]):
        ci(
            f"python-ci-{index}.yml",
            f"Python CI {index}",
            lambda rng, arm=arm, index=index: [
                python_tests(rng, "tests", arm, 140 + 30 * index),
                python_tests(rng, "integration", "none" if index % 2 else arm, 80, services=True),
                lint_job(rng, "lint", 10),
                docs_job(rng, "docs", 10),
                wheels_job(rng, "wheels", arm != "none"),
                publish_job(rng, "publish", "[tests, wheels]"),
            ],
        )
    for index, arm in enumerate([True, False, True, False]):
        ci(
            f"rust-{index}.yml",
            f"Rust {index}",
            lambda rng, arm=arm, index=index: [
                rust_cross(rng, "build", arm, 140 + 60 * index),
                lint_job(rng, "clippy", 10),
            ],
        )
    for index, arm in enumerate([True, False, False, True]):
        ci(
            f"go-{index}.yml",
            f"Go {index}",
            lambda rng, arm=arm, index=index: [go_job(rng, "test", arm, 120 + 70 * index)],
        )
    for index, arm in enumerate([True, False, True]):
        ci(
            f"node-{index}.yml",
            f"Node {index}",
            lambda rng, arm=arm, index=index: [node_job(rng, "test", arm, 120 + 90 * index)],
        )
    for index, arm in enumerate(["native", "qemu", "none", "qemu"]):
        ci(
            f"cmake-{index}.yml",
            f"C and C++ {index}",
            lambda rng, arm=arm, index=index: [cmake_job(rng, "build", arm, 160 + 90 * index)],
        )
    for index, platforms in enumerate(
        ["linux/amd64,linux/arm64", "linux/amd64", "linux/amd64,linux/arm64,linux/s390x"]
    ):
        ci(
            f"docker-{index}.yml",
            f"Image {index}",
            lambda rng, platforms=platforms, index=index: [
                docker_job(rng, "image", platforms, 30 + 30 * index)
            ],
            on=ON_RELEASE,
        )
    for index in range(4):
        files[f"reusable-{index}.yml"] = lambda rng, index=index: reusable(
            rng, f"Reusable {index}", ["python", "go", "cmake", "node"][index], 150 + 110 * index
        )
    for index in range(4):
        ci(
            f"calls-{index}.yml",
            f"Calls {index}",
            lambda rng, index=index: [
                call_job("amd64", f"reusable-{index}.yml", {"runner": "ubuntu-latest"}),
                *(
                    [call_job("arm64", f"reusable-{index}.yml", {"runner": "ubuntu-24.04-arm"})]
                    if index % 2 == 0
                    else []
                ),
                lint_job(rng, "lint", 5),
            ],
        )
    # The monorepo's big files: every language in one workflow, nightly and release.
    ci(
        "monorepo.yml",
        "Monorepo",
        lambda rng: [
            python_tests(rng, "python", "native", 85),
            rust_cross(rng, "rust", True, 80),
            go_job(rng, "go", False, 90),
            node_job(rng, "web", False, 80),
            cmake_job(rng, "native-ext", "qemu", 80),
            docker_job(rng, "image", "linux/amd64,linux/arm64", 40),
            lint_job(rng, "lint", 10),
            docs_job(rng, "docs", 10),
        ],
    )
    ci(
        "nightly.yml",
        "Nightly",
        lambda rng: [
            python_tests(rng, "python-nightly", "none", 150, services=True),
            cmake_job(rng, "sanitizers", "none", 140),
            go_job(rng, "go-race", True, 80),
        ],
        on=ON_NIGHTLY,
    )
    ci(
        "release.yml",
        "Release",
        lambda rng: [
            wheels_job(rng, "wheels", True),
            rust_cross(rng, "binaries", True, 40),
            docker_job(rng, "image", "linux/amd64,linux/arm64", 20),
            publish_job(rng, "publish", "[wheels, binaries, image]"),
        ],
        on=ON_RELEASE,
    )
    ci(
        "perf.yml",
        "Performance",
        lambda rng: [
            python_tests(rng, "bench", "self-hosted", 90),
            cmake_job(rng, "micro", "native", 90),
        ],
        on=ON_NIGHTLY,
    )
    for index in range(5):
        ci(
            f"small-{index}.yml",
            f"Small {index}",
            lambda rng, index=index: [lint_job(rng, "check", 5)] if index % 2 else [docs_job(rng, "docs", 5)],
        )
    return files


def generate(folder: Path = DEFAULT) -> list[Path]:
    """Write the workflows to `folder/.github/workflows/` (replacing what is there) and
    return their paths, sorted."""
    target = folder / ".github" / "workflows"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    # actionlint reads a called `./.github/workflows/x.yml` only inside a project, which it
    # finds by a `.git`; without one it would skip the work parity-bot does on the same files.
    (folder / ".git").mkdir(exist_ok=True)
    written = []
    for name, write in sorted(_files().items()):
        # One generator per file: a change to one file's shape leaves the others' bytes alone.
        path = target / name
        path.write_text(write(random.Random(f"{SEED}:{name}")), encoding="utf-8")
        written.append(path)
    return written


ENV_FOLDER = "PARITY_BENCH_WORKFLOWS"


def workflow_files(folder: Path) -> list[Path]:
    """A repository root's `.github/workflows/*.yml|yaml`, or a folder's own, sorted."""
    inside = folder / ".github" / "workflows"
    where = inside if inside.is_dir() else folder
    return sorted(p for p in where.glob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def chosen(args: list[str]) -> tuple[Path, list[Path]]:
    """The folder a benchmark measures and its workflow files: the first argument, else
    $PARITY_BENCH_WORKFLOWS, else this module's workflows (written afresh). Exits with one
    line when there is nothing to measure: a figure over no files would mean nothing."""
    given = args[0] if args else os.environ.get(ENV_FOLDER, "")
    if not given:
        generate(DEFAULT)
        return DEFAULT, workflow_files(DEFAULT)
    folder = Path(given)
    files = workflow_files(folder) if folder.is_dir() else []
    if not files:
        sys.exit(f"nothing to measure: no workflow files (.yml, .yaml) in {folder}")
    return folder, files


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    paths = generate(folder)
    lines = [len(p.read_text(encoding="utf-8").splitlines()) for p in paths]
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} workflows, {size / 1024:.0f} KB, {min(lines)} to {max(lines)} lines, in {folder}")


if __name__ == "__main__":
    main()
