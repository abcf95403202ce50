"""What a step hands to the repository's own files: scripts, Makefile recipes, package.json
scripts, justfile recipes and composite actions are read, and what they run decides."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.core.analysis import analyze
from bot.core.delegates import of_action, of_command
from tests.conftest import TODAY

REPO = {
    "ci/run-suite": "#!/usr/bin/env bash\nset -euo pipefail\necho starting\ncargo test --workspace\n",
    "ci/publish.py": "import subprocess\nsubprocess.run(['cargo', 'test'])\n",
    "scripts/docs.sh": "mdbook build docs\n",
    "scripts/copy.sh": "mkdir -p out\ncp -r assets out/\n",
    "scripts/a.sh": "./scripts/b.sh\n",
    "scripts/b.sh": "./scripts/c.sh\n",
    "scripts/c.sh": "./scripts/d.sh\n",
    "scripts/d.sh": "go test ./...\n",
    "Makefile": (
        "ci-all: lint unit\n\n"
        "lint:\n\t@cargo clippy -- -D warnings\n\n"
        "unit:\n\tcargo test\n\n"
        "site:\n\tmdbook build docs\n\n"
        "release: ; $(MAKE) unit\n"
    ),
    "sub/Makefile": "all:\n\tgo build ./...\n",
    "package.json": json.dumps({"scripts": {"ci": "eslint . && tsc --noEmit", "test": "vitest run"}}),
    "justfile": (
        "default:\n    just --list\n\n"
        "smoke arg='x':\n    cargo run --release -- {{arg}}\n    pytest tests/smoke\n"
    ),
    ".github/actions/build/action.yml": textwrap.dedent("""\
        name: build
        runs:
          using: composite
          steps:
            - uses: actions/setup-go@v5
            - run: go build ./... && go test ./...
              shell: bash
        """),
}


def _job(step: str) -> str:
    return textwrap.dedent(f"""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              {step}
        """)


def judged(step: str, files: dict[str, str] = REPO):  # type: ignore[no-untyped-def]
    report = analyze({".github/workflows/ci.yml": _job(step)}, today=TODAY, read=files.get)
    return report.workflows[0].jobs[0]


@pytest.mark.parametrize(
    ("step", "purpose", "said"),
    [
        (
            "- run: ./ci/run-suite",
            "test",
            "runs `./ci/run-suite`, which runs `cargo test` (ci/run-suite line 4)",
        ),
        ("- run: bash ci/run-suite", "test", "(ci/run-suite line 4)"),
        ("- run: make ci-all", "test", "which runs `cargo test` (Makefile line 7)"),
        ("- run: make site", "docs", "(Makefile line 10)"),
        ("- run: make release", "test", "which runs `cargo test`"),
        ("- run: make -C sub", "build", "(sub/Makefile line 2)"),
        ("- run: npm run ci", "lint", "(package.json line 1)"),
        ("- run: npm test", "test", "npm test"),
        ("- run: just smoke", "test", "(justfile line 6)"),
        ("- uses: ./.github/actions/build", "test", "uses ./.github/actions/build, which runs `go test`"),
        ("- run: ./scripts/docs.sh", "docs", "mdbook"),
    ],
)
def test_a_delegate_is_read_and_what_it_runs_decides(step: str, purpose: str, said: str) -> None:
    job = judged(step)
    assert job.purpose.name == purpose
    assert any(said in item.what for item in job.purpose.evidence), job.purpose.evidence


def test_a_delegate_that_only_moves_files_is_plumbing() -> None:
    job = judged("- run: ./scripts/copy.sh")
    assert job.purpose.name != "unknown"
    assert job.status == "not-applicable"


def test_without_the_repository_a_delegate_stays_unrecognised() -> None:
    job = judged("- run: ./ci/run-suite", {})
    assert job.purpose.name == "unknown"
    assert any("which no rule knows" in item.what for item in job.purpose.evidence)


def test_python_scripts_are_not_read_as_shell() -> None:
    assert of_command("python3 ci/publish.py", REPO.get) is None
    assert of_command("./ci/publish.py", REPO.get) is None


def test_delegates_are_followed_a_bounded_number_of_levels() -> None:
    # a.sh -> b.sh -> c.sh -> d.sh runs `go test`: deeper than MAX_DEPTH (3) is not read
    assert judged("- run: ./scripts/b.sh").purpose.name == "test"  # b, c, d
    assert judged("- run: ./scripts/a.sh").purpose.name == "unknown"


def test_a_delegate_outside_the_repository_is_never_asked_for() -> None:
    asked: list[str] = []

    def read(path: str) -> str | None:
        asked.append(path)
        return None

    assert of_command("../../etc/passwd.sh", read) is None
    assert of_command("/etc/init.sh", read) is None
    assert of_command("make -C ../other test", read) is None
    assert of_action("./../other/action", read) is None
    assert asked == []  # nothing re-rooted either: the root's Makefile was not read for it


def test_a_composite_action_that_does_not_parse_is_not_read() -> None:
    files = {".github/actions/build/action.yml": "runs: [unclosed"}
    assert of_action("./.github/actions/build", files.get) is None


def test_the_cli_reads_delegates_from_the_checkout(tmp_path: Path) -> None:
    for name, text in {**REPO, ".github/workflows/ci.yml": _job("- run: make ci-all")}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    outside = tmp_path.parent / "outside.sh"
    outside.write_text("cargo test\n")
    (tmp_path / "ci" / "escape.sh").symlink_to(outside)
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    job = json.loads(run.stdout)["workflows"][0]["jobs"][0]
    assert (job["status"], job["purpose"]) == ("amd64-only", "test")
    assert "Makefile line 7" in job["evidence"][0]["what"]
    # a link out of the checkout is not followed
    (tmp_path / ".github/workflows/ci.yml").write_text(_job("- run: ./ci/escape.sh"))
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(run.stdout)["workflows"][0]["jobs"][0]["purpose"] == "unknown"


def test_a_goal_or_recipe_defined_elsewhere_is_not_taken_for_plumbing() -> None:
    files = {
        "Makefile": "include mk/test.mk\nall:\n\tcargo build\n",
        "justfile": "ci: build unit\n\nbuild:\n    cargo build\n\nunit:\n    cargo test\n",
    }
    assert of_command("make test", files.get) is None  # `test:` is in the included file
    assert judged("- run: make test", files).status == "amd64-only"
    # a recipe with only dependencies runs them
    job = judged("- run: just ci", files)
    assert (job.status, job.purpose.name) == ("amd64-only", "test")


def test_hostile_delegates_cost_little_and_never_crash() -> None:
    deep = {"package.json": "[" * 100_000}
    assert of_command("npm run ci", deep.get) is None
    # a tree of scripts each calling the next 200 times: one budget for the whole tree
    fan = {f"s/{n}.sh": f"./s/{n + 1}.sh\n" * 200 for n in range(3)}
    fan["s/3.sh"] = "go test ./...\n"
    started = time.perf_counter()
    judged("- run: ./s/0.sh", fan)
    assert time.perf_counter() - started < 5
    # a Makefile line of spaces and a script of unterminated here-documents stay linear
    slow = {"Makefile": "a" + " " * 64_000 + "\n", "x.sh": "".join(f"cat <<EOF{n}\n" for n in range(3000))}
    started = time.perf_counter()
    of_command("make a", slow.get)
    judged("- run: bash x.sh", slow)
    judged("- run: |\n                  " + "".join(f"cat <<EOF{n}\n                  " for n in range(3000)))
    assert time.perf_counter() - started < 5


def test_a_symlink_loop_in_the_checkout_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(_job("- run: ./ci/loop1.sh"))
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci/loop1.sh").symlink_to("loop2.sh")
    (tmp_path / "ci/loop2.sh").symlink_to("loop1.sh")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr  # a warning: what the job runs is not read
    assert json.loads(run.stdout)["workflows"][0]["jobs"][0]["purpose"] == "unknown"
