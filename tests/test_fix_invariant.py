"""A fix never changes what already runs: every existing leg keeps its matrix values, runner,
container, the steps that run on it, its check name and its artifact names; the only new
legs are arm64 ones; jobs that must run once are refused with a reason.

The leg comparison here is the test's own, written from GitHub's rules, not the engine's
`invariant` module, so that a broken engine check cannot pass its own test."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.analysis import JobReport, analyze
from bot.core.config import Policy, load_policy
from bot.core.emulation import step_condition
from bot.core.expressions import render_text
from bot.core.fixes import FilePlan, apply_plans, plan
from bot.core.legs import Leg
from bot.core.verdicts import judged
from bot.core.yamlnodes import plain
from bot.render.fixes import summary
from tests.conftest import CORPUS, TODAY, workflow_files

STATES = ["ipfs_kit_py/before", "ipfs_kit_py/after", "ipfs_kit_py/optional", "real"]


def check_name(report: JobReport, leg: Leg) -> str:
    """GitHub's check name: `name` (or the id) evaluated; a matrix leg whose name has no
    expression gets the values of the dimensions appended (all values for a standalone
    include entry), objects as their leaves."""
    job = report.job
    name = job.name if job.name is not None else job.id
    if isinstance(name, str) and "${{" in name:
        return render_text(name, leg.contexts)
    if not leg.matrix:
        return str(name)
    dimensions = [key for key in job.matrix if key not in ("include", "exclude")]
    keys = dimensions if dimensions and set(dimensions) <= set(leg.matrix) else list(leg.matrix)

    def leaves(value: Any) -> list[str]:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            return [leaf for item in value for leaf in leaves(item)]
        return [render_text(value, {})] if value not in (None, "") else []

    return f"{name} ({', '.join(leaf for key in keys for leaf in leaves(leg.matrix[key]))})"


def fingerprint(report: JobReport, leg: Leg, keys: list[str]) -> tuple[Any, ...]:
    steps = tuple(step.index for step in report.job.steps if step_condition(step, leg.contexts) is not False)
    uploads = tuple(
        render_text(step.with_.get("name", "artifact"), leg.contexts)
        for step in report.job.steps
        if (step.uses or "").startswith("actions/upload-artifact") and step.index in steps
    )
    values = json.dumps(
        {key: leg.matrix.get(key) for key in keys if key in leg.matrix}, sort_keys=True, default=str
    )
    container = render_text(json.dumps(report.job.container, default=str), leg.contexts)
    return (values, leg.arch, leg.runner, container, steps, uploads, check_name(report, leg))


def _steps_run(report: JobReport, leg: Leg) -> tuple[int, ...]:
    """The steps that run on a leg, but those the project gates on the arch itself."""
    return tuple(
        step.index
        for step in report.job.steps
        if step_condition(step, leg.contexts) is not False and "arch" not in str(step.if_ or "").lower()
    )


def fix_and_compare(files: dict[str, str]) -> tuple[list[FilePlan], dict[str, JobReport], dict[str, JobReport]]:
    plans = plan(files, Policy(), TODAY)
    fixed = {**files, **apply_plans(plans)}
    jobs = {}
    for name, texts in (("before", files), ("after", fixed)):
        report = analyze(texts, Policy(), TODAY)
        jobs[name] = {f"{wf.path}:{job.job.id}": job for wf in report.workflows for job in wf.jobs}
    for key, before in jobs["before"].items():
        after = jobs["after"][key]
        if before.job.uses is not None:
            continue  # a caller's legs are its callee's, compared in the callee's file
        keys = list(dict.fromkeys(k for leg in before.legs for k in leg.matrix))
        old = Counter(fingerprint(before, leg, keys) for leg in before.legs)
        new = Counter(fingerprint(after, leg, keys) for leg in after.legs)
        assert not old - new, (key, old - new)  # every existing leg is still there, unchanged
        added = new - old
        assert all(item[1] == "arm64" for item in added), (key, added)
        # no more arm64 legs than were missing, but for legs whose work needs none (a lint
        # leg the matrix crosses with the new runner value), which the fix must say it adds
        legs = {fingerprint(after, leg, keys): leg for leg in after.legs}
        needed = [item for item in added if judged(legs[item], Policy())]
        assert len(needed) <= len(before.verdict.missing), key
        if len(needed) < sum(added.values()):
            fixes = [job for item in plans for job in item.jobs if job.job_id == before.job.id]
            assert any("whose work needs none" in note for job in fixes for note in job.notes), key
        # the step-set invariant: each new leg runs the steps some amd64 leg on its OS runs
        runs = {(leg.os, _steps_run(after, leg)) for leg in before.legs if leg.arch == "amd64"}
        for leg in after.legs:
            if fingerprint(after, leg, keys) in added:
                assert (leg.os, _steps_run(after, leg)) in runs, (key, leg.matrix)
        # and no error the original did not have (a colliding artifact name, an invalid file)
        errors = {(item.rule, item.message) for item in before.findings if item.severity == "error"}
        assert not [
            item
            for item in after.findings
            if item.severity == "error"
            and item.rule != "missing-arm64-leg"
            and (item.rule, item.message) not in errors
        ], key
    fixed_ids = {f"{item.path}:{job.job_id}" for item in plans for job in item.jobs if job.fixed}
    for key, before in jobs["before"].items():
        if key not in fixed_ids and before.job.uses is None:
            # untouched jobs are untouched, byte for byte in what they mean
            assert plain(before.job.node) == plain(jobs["after"][key].job.node), key
    return plans, jobs["before"], jobs["after"]


@pytest.mark.parametrize("state", STATES)
def test_fixes_keep_every_existing_leg_of_the_corpus(state: str) -> None:
    files = {path.name: path.read_text(encoding="utf-8") for path in workflow_files(CORPUS / state)}
    plans, _, after = fix_and_compare(files)
    fixed = [f"{item.path}:{job.job_id}" for item in plans for job in item.jobs if job.fixed]
    assert fixed
    assert all(after[key].status == "parity" for key in fixed)


def fix_one(text: str) -> tuple[str, FilePlan]:
    files = {"ci.yml": textwrap.dedent(text)}
    plans, _, _ = fix_and_compare(files)
    assert len(plans) == 1
    return apply_plans(plans).get("ci.yml", files["ci.yml"]), plans[0]


def test_an_include_only_matrix_gets_twin_entries_not_a_dimension() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-24.04
            strategy:
              matrix:
                include:
                  - goarch: amd64
                  - goarch: amd64
                    flags: "-race"
                    shard: '1/2'
                  - goarch: "386"
            steps:
              - run: GOARCH=${{ matrix.goarch }} go test ${{ matrix.flags }} ./...
        """)
    assert item.jobs[0].fixed
    assert "runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-24.04' }}" in fixed
    # the 386 leg is x86-only: no twin; the others keep their quoting
    assert fixed.endswith(
        '          - goarch: "386"\n'
        "          - {goarch: arm64, arch: arm64}\n"
        "          - {goarch: arm64, flags: \"-race\", shard: '1/2', arch: arm64}\n"
        "    steps:\n"
        "      - run: GOARCH=${{ matrix.goarch }} go test ${{ matrix.flags }} ./...\n"
    )


def test_a_matrix_of_objects_gets_a_twin_object() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          build:
            name: Build ${{ matrix.settings.target }}
            runs-on: ${{ matrix.settings.host }}
            strategy:
              matrix:
                settings:
                  - host: ubuntu-22.04  # glibc 2.35
                    target: x86_64-unknown-linux-gnu
                  - host: macos-14
                    target: aarch64-apple-darwin
            steps:
              - run: cargo test --target ${{ matrix.settings.target }}
        """)
    assert item.jobs[0].fixed
    assert fixed.endswith(
        "            target: aarch64-apple-darwin\n"
        "          - host: ubuntu-22.04-arm  # glibc 2.35\n"
        "            target: aarch64-unknown-linux-gnu\n"
        "    steps:\n"
        "      - run: cargo test --target ${{ matrix.settings.target }}\n"
    )


@pytest.mark.parametrize(
    ("job", "reason"),
    [
        (
            """\
      wheel:
        runs-on: ubuntu-latest
        steps:
          - run: python -m build && auditwheel repair dist/*.whl -w dist
          - name: Publish to PyPI
            uses: pypa/gh-action-pypi-publish@release/v1
    """,
            "it publishes (step 'Publish to PyPI' uses pypa/gh-action-pypi-publish",
        ),
        (
            """\
      bench:
        runs-on: ubuntu-latest
        steps:
          - run: cargo bench -- --output-format bencher | tee output.txt
          - uses: benchmark-action/github-action-benchmark@v1
            with:
              tool: cargo
              output-file-path: output.txt
              auto-push: ${{ github.event_name == 'push' }}
    """,
            "it publishes (step 'benchmark-action/github-action-benchmark@v1' uses ",
        ),
        (
            """\
      codspeed:
        runs-on: ubuntu-22.04
        steps:
          - run: uv sync --group bench
          - name: Benchmarks
            uses: CodSpeedHQ/action@v3
            with:
              run: uv run pytest tests/benchmarks --codspeed
    """,
            "it publishes (step 'Benchmarks' uses CodSpeedHQ/action",
        ),
        (
            """\
      image:
        runs-on: ubuntu-latest
        steps:
          - uses: docker/setup-buildx-action@v3
          - uses: docker/build-push-action@v6
            with:
              platforms: linux/amd64
              push: ${{ github.event_name != 'pull_request' }}
              tags: ghcr.io/o/r:latest
    """,
            "it pushes an image (step 'docker/build-push-action@v6' uses docker/build-push-action "
            "with push: set by the run",
        ),
        (
            """\
      image:
        runs-on: ubuntu-latest
        steps:
          - run: docker buildx build --platform linux/amd64 -t ghcr.io/o/r:edge --push .
    """,
            "it pushes an image (step #1 runs `docker buildx build --platform linux/amd64",
        ),
        (
            """\
      mobile:
        runs-on: ubuntu-latest
        steps:
          - run: make libs
          - run: make upload-libs
    """,
            "it publishes (step #2 runs `make upload-libs`",
        ),
        (
            """\
      coverage:
        runs-on: ubuntu-latest
        steps:
          - run: make coverage
          - uses: coverallsapp/github-action@v2
            with:
              file: build/coverage.info
    """,
            "it publishes (step 'coverallsapp/github-action@v2' uses coverallsapp/github-action@v2, "
            "which keeps one coverage report per commit",
        ),
        (
            """\
      versions:
        runs-on: ubuntu-latest
        outputs:
          matrix: ${{ steps.list.outputs.matrix }}
        steps:
          - run: make
          - id: list
            run: echo "matrix=$(./list.sh)" >> "$GITHUB_OUTPUT"
    """,
            "it sets outputs for other jobs",
        ),
        (
            """\
      staging:
        runs-on: ubuntu-latest
        environment: staging
        steps:
          - run: make install
    """,
            "it deploys to an environment",
        ),
    ],
)
def test_jobs_that_must_run_once_are_refused(job: str, reason: str) -> None:
    source = "on: push\njobs:\n" + textwrap.indent(textwrap.dedent(job), "  ")
    fixed, item = fix_one(source)
    assert fixed == source
    assert not item.jobs[0].fixed
    assert item.jobs[0].reason.startswith(reason)


def test_a_coverage_upload_that_merges_parallel_jobs_is_no_second_publish() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          coverage:
            runs-on: ubuntu-latest
            steps:
              - run: make coverage
              - uses: coverallsapp/github-action@v2
                with:
                  parallel: true
        """)
    assert item.jobs[0].fixed and "ubuntu-24.04-arm" in fixed


def test_a_job_no_rule_can_read_gets_no_fix_unless_required() -> None:
    # `promci publish_main` may push images or sign releases: a second leg would do it again.
    source = textwrap.dedent("""\
        on: push
        jobs:
          publish_main:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: our-org/release-tools@v2
                with: {command: publish_main}
        """)
    plans = plan({"ci.yml": source}, Policy(), TODAY)
    (job,) = plans[0].jobs
    assert (job.fixed, plans[0].fixed_source) == (False, source)
    assert job.reason.startswith(
        "what it does is not recognised (step 'our-org/release-tools@v2' uses our-org/release-tools, "
        "which no rule knows (line 7)): an arm64 leg may only repeat work that needs none"
    )
    required = plan({"ci.yml": source}, load_policy("require: [{workflow: '*', job: publish_main}]\n"), TODAY)
    assert required[0].jobs[0].fixed


def test_a_gate_with_a_required_name_and_x86_only_work_are_left_alone() -> None:
    source = textwrap.dedent("""\
        on: push
        jobs:
          build32:
            runs-on: ubuntu-latest
            env: {CFLAGS: -m32}
            steps:
              - run: make check
          all-green:
            name: check  # Not renaming: it is a required check
            needs: [build32]
            runs-on: ubuntu-latest
            steps:
              - run: test "${{ needs.build32.result }}" = success
        """)
    assert plan({"ci.yml": source}, Policy(), TODAY) == []


def test_an_upload_without_a_name_gets_one_on_the_new_legs_only() -> None:
    fixed, _ = fix_one("""\
        on: push
        jobs:
          dist:
            runs-on: ubuntu-latest
            steps:
              - run: make dist
              - uses: actions/upload-artifact@v4
                with:
                  path: dist/
          release:  # parity: ignore
            needs: dist
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
        """)
    assert "name: \"artifact${{ matrix.arch == 'arm64' && '-arm64' || '' }}\"" in fixed
    report = analyze({"ci.yml": fixed}, Policy(), TODAY)
    assert not [f for _, f in report.findings() if f.rule == "artifact-name-collision"]


def test_matrix_check_names_are_repeated_for_the_amd64_legs() -> None:
    fixed, _ = fix_one("""\
        on: push
        jobs:
          test:
            name: Unit
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ['3.12', '3.13']
            steps:
              - run: pytest
        """)
    assert (
        "name: \"${{ matrix.arch == 'arm64' && format('Unit ({0}, arm64)', matrix.python)"
        " || format('Unit ({0})', matrix.python) }}\""
    ) in fixed


def test_a_step_gated_on_the_changed_value_is_widened_to_the_new_legs_and_said() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, macos-latest]
            steps:
              - name: Start the servers the tests need
                if: matrix.os == 'ubuntu-latest'
                run: docker compose up -d
              - name: Only elsewhere
                if: ${{ 'ubuntu-latest' != matrix.os }}
                run: brew install thing
              - run: pytest
              - uses: codecov/codecov-action@v5
                with:
                  flags: ${{ matrix.os == 'ubuntu-latest' && 'linux' || 'macos' }}
        """)
    assert item.jobs[0].fixed
    assert "if: (matrix.os == 'ubuntu-latest' || matrix.os == 'ubuntu-24.04-arm')\n" in fixed
    assert "if: ${{ ('ubuntu-latest' != matrix.os && matrix.os != 'ubuntu-24.04-arm') }}" in fixed or (
        "if: ${{ (matrix.os != 'ubuntu-latest' && matrix.os != 'ubuntu-24.04-arm') }}" in fixed
    )
    assert "(matrix.os == 'ubuntu-latest' || matrix.os == 'ubuntu-24.04-arm') && 'linux'" in fixed
    notes = " ".join(item.jobs[0].notes)
    assert "'Start the servers the tests need' (line 9)" in notes and "'Only elsewhere' (line 12)" in notes
    assert "fail-fast: false" in notes  # the strategy had none: said, with why


def test_a_step_the_new_legs_would_skip_for_a_reason_the_fix_cannot_widen_is_refused() -> None:
    _, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              fail-fast: false
              matrix:
                os: [ubuntu-latest, macos-latest]
            steps:
              - name: Start the servers
                if: contains(fromJSON('["ubuntu-latest"]'), matrix.os)
                run: docker compose up -d
              - run: pytest
        """)
    assert not item.jobs[0].fixed
    assert (
        "the arm64 leg {os: ubuntu-24.04-arm} would skip step 'Start the servers' (line 10), unlike its "
        "amd64 twin {os: ubuntu-latest}: its `if:` is not a comparison the fix can widen"
    ) in item.jobs[0].reason
    assert item.fixed_source == item.source


def test_steps_the_project_gates_on_the_arch_itself_are_its_choice() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              fail-fast: false
              matrix:
                os: [ubuntu-latest, macos-latest]
            steps:
              - name: x86 only
                if: runner.arch == 'X64'
                run: ./bench-avx2.sh
              - run: pytest
        """)
    assert item.jobs[0].fixed and "x86 only" in fixed and "runner.arch == 'X64'\n" in fixed


def test_a_fix_that_can_only_rename_checks_is_a_patch_that_says_so() -> None:
    # Check names show an object's leaves; no name expression can be trusted to repeat them.
    source = textwrap.dedent("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                cc: [{name: gcc, version: 13}]
            steps:
              - run: CC=${{ matrix.cc.name }}-${{ matrix.cc.version }} make check
        """)
    plans = plan({"ci.yml": source}, Policy(), TODAY)
    job = plans[0].jobs[0]
    assert not job.fixed and plans[0].fixed_source == source
    assert job.reason == (
        "this renames the checks `test (gcc, 13)` → `test (amd64, gcc, 13)`; update branch protection"
    )
    assert job.patch.startswith("--- a/ci.yml\n+++ b/ci.yml\n")
    assert "+        arch: [amd64, arm64]\n" in job.patch
    # `fix` prints it after the summary, never in the diff it would apply
    shown = summary(plans, written=False)
    assert "patches that rename checks (apply by hand, then update branch protection):\n--- a/ci.yml\n" in shown


# --------------------------------------------------------------------- generated matrices

VALUES = st.sampled_from(["a", "b", "c"])


@st.composite
def matrices(draw: st.DrawFn) -> dict[str, Any]:
    dimensions = draw(
        st.dictionaries(
            st.sampled_from(["py", "variant"]),
            st.lists(VALUES, min_size=1, max_size=3, unique=True),
            max_size=2,
        )
    )
    matrix: dict[str, Any] = dict(dimensions)
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        entry = {key: draw(VALUES) for key in dimensions if draw(st.booleans())}
        if draw(st.booleans()) or not entry:
            entry[draw(st.sampled_from(["extra", "py", "variant"]))] = draw(VALUES)
        entries.append(entry)
    if entries:
        matrix["include"] = entries
    if dimensions and draw(st.booleans()):
        key = next(iter(dimensions))
        matrix["exclude"] = [{key: dimensions[key][0]}]
    if draw(st.booleans()):
        # objects: a compiler per leg, or the runner itself inside the object
        matrix["cfg"] = draw(
            st.lists(
                st.fixed_dictionaries({"cc": VALUES}), min_size=1, max_size=2, unique_by=lambda item: item["cc"]
            )
        )
    if draw(st.booleans()):
        matrix["os"] = ["ubuntu-latest", "macos-latest"]
    elif "cfg" in matrix and draw(st.booleans()):
        for item in matrix["cfg"]:
            item["host"] = "ubuntu-22.04"
    return matrix


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices())
def test_fixing_a_generated_matrix_never_changes_an_existing_leg(matrix: dict[str, Any]) -> None:
    runs_on = (
        "${{ matrix.os }}"
        if "os" in matrix
        else "${{ matrix.cfg.host }}"
        if "host" in (matrix.get("cfg") or [{}])[0]
        else "ubuntu-latest"
    )
    source = (
        "on: push\njobs:\n  test:\n"
        f"    runs-on: {json.dumps(runs_on)}\n"
        f"    strategy:\n      matrix: {json.dumps(matrix)}\n"
        "    steps:\n      - run: make test\n"
    )
    before = analyze({"ci.yml": source}, Policy(), TODAY)
    if before.workflows[0].jobs[0].verdict.status not in ("amd64-only", "partial"):
        return
    fix_and_compare({"ci.yml": source})


def test_twins_do_not_run_amd64_images_and_guessed_names_are_noted() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          docker:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest]
                docker: [fedora-43-amd64, alpine]
                include:
                  - docker: debian-13-arm64v8
                    os: ubuntu-24.04-arm
            steps:
              - run: docker run --rm ghcr.io/example/test-images:${{ matrix.docker }} make check
        """)
    assert "  - {os: ubuntu-24.04-arm, docker: fedora-43-arm64}\n" in fixed
    assert item.jobs[0].notes[-1] == (
        "the arm64 legs use names made from the amd64 ones, check that they exist: "
        "`fedora-43-arm64` for `fedora-43-amd64`"
    )


def test_a_name_expression_gets_a_suffix_inside_its_quotes() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            name: 'Test ${{ matrix.python }}'
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ['3.12']
            steps:
              - run: pytest
        """)
    assert item.jobs[0].fixed
    assert (
        "    name: 'Test ${{ matrix.python }}${{ matrix.arch == ''arm64'' && '' (arm64)'' || '''' }}'\n"
    ) in fixed


def test_new_legs_never_take_an_existing_check_name() -> None:
    # A folded name cannot take the suffix; the fix must not go through with two jobs
    # reporting `Test 3.12`.
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            name: >-
              Test ${{ matrix.python }}
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ['3.12']
            steps:
              - run: pytest
        """)
    assert not item.jobs[0].fixed
    assert "arch" not in fixed


def test_env_that_reads_the_new_key_is_a_change_to_the_amd64_legs() -> None:
    _, item = fix_one("""\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              TARGET: ${{ matrix.arch || 'x86_64' }}
            steps:
              - run: make TARGET=$TARGET
        """)
    assert not item.jobs[0].fixed
    assert item.jobs[0].reason == "the edit changes the job settings of the leg {}"


def test_a_shared_concurrency_group_is_refused() -> None:
    _, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            concurrency:
              group: test-${{ github.ref }}
              cancel-in-progress: true
            steps:
              - run: make check
        """)
    assert item.jobs[0].reason.startswith("its concurrency group is the same on every leg")


def test_twin_entries_quote_what_a_flow_map_would_misread() -> None:
    fixed, _ = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-24.04
            strategy:
              matrix:
                include:
                  - features: a,b
            steps:
              - run: cargo test --features ${{ matrix.features }}
        """)
    assert "          - {features: 'a,b', arch: arm64}\n" in fixed


def test_a_matrix_object_below_its_dash_is_left_alone() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          build:
            runs-on: ${{ matrix.settings.host }}
            strategy:
              matrix:
                settings:
                  -
                    host: ubuntu-22.04
                    target: x86_64-unknown-linux-gnu
            steps:
              - run: cargo test --target ${{ matrix.settings.target }}
        """)
    assert not item.jobs[0].fixed
    assert "ubuntu-22.04-arm" not in fixed


def test_a_renaming_patch_applies_to_the_file_as_it_is(tmp_path: Path) -> None:
    source = textwrap.dedent("""\
        on: push
        jobs:
          a:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest]
            steps:
              - run: make check
          b:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                cc: [{name: gcc}]
            steps:
              - run: CC=${{ matrix.cc.name }} make check
        """)
    plans = plan({"ci.yml": source}, Policy(), TODAY)
    by_id = {job.job_id: job for job in plans[0].jobs}
    assert by_id["a"].fixed and not by_id["b"].fixed
    (tmp_path / "ci.yml").write_text(source)
    (tmp_path / "b.patch").write_text(by_id["b"].patch)
    result = subprocess.run(
        ["git", "apply", "--check", "b.patch"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_no_arm64_leg_is_added_on_a_python_setup_python_lacks_for_arm64() -> None:
    # Crossing the os dimension with ubuntu-24.04-arm would add an arm64 leg on 3.7, which
    # fails at setup: the fix adds the 3.12 twin alone.
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest]
                python: ['3.7', '3.12']
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python }}
              - run: pytest
        """)
    assert item.jobs[0].fixed and [note for note in item.jobs[0].notes if "fail-fast" not in note] == []
    job = analyze({"ci.yml": fixed}, Policy(), TODAY).workflows[0].jobs[0]
    assert job.status == "parity"
    assert sorted((leg.arch, leg.matrix["python"]) for leg in job.legs) == [
        ("amd64", "3.12"),
        ("amd64", "3.7"),
        ("arm64", "3.12"),
    ]


def test_an_include_entry_that_github_would_merge_into_existing_legs_is_refused_saying_so() -> None:
    _, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.runner }}
            strategy:
              fail-fast: false
              matrix:
                os: [linux, windows]
                include:
                  - {os: linux, runner: ubuntu-latest}
                  - {os: windows, runner: windows-latest}
            steps:
              - run: make test
        """)
    assert not item.jobs[0].fixed
    assert item.jobs[0].reason == (
        "the include entry {os: linux, runner: ubuntu-24.04-arm} would not add a leg: GitHub would merge it "
        "into the existing legs with os: linux (an include entry extends every combination whose values it "
        "matches)"
    )


def test_an_include_entry_twins_the_entry_with_its_own_values_not_a_longer_one() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              fail-fast: false
              matrix:
                include:
                  - {os: ubuntu-22.04, rustc: stable, extra_args: --features=dist-server}
                  - {os: ubuntu-22.04, rustc: stable}
            steps:
              - run: cargo test --locked ${{ matrix.extra_args }}
        """)
    assert item.jobs[0].fixed, item.jobs[0].reason
    assert "- {os: ubuntu-22.04-arm, rustc: stable}\n" in fixed


def test_no_leg_is_added_that_would_fetch_an_x86_64_build() -> None:
    source = """\
        on: push
        jobs:
          bench:
            runs-on: ubuntu-latest
            steps:
              - name: Install IPFS
                run: |
                  wget https://dist.ipfs.tech/kubo/v0.18.1/kubo_v0.18.1_linux-amd64.tar.gz
                  tar xzf kubo_v0.18.1_linux-amd64.tar.gz && sudo ./kubo/install.sh
              - run: pytest tests/bench
        """
    fixed, item = fix_one(source)
    assert not item.jobs[0].fixed and fixed == textwrap.dedent(source)
    assert item.jobs[0].reason.startswith(
        "step 'Install IPFS' (line 6) fetches an x86-64 build (https://dist.ipfs.tech/kubo/v0.18.1/"
    )
    # a download the project makes follow the arch is fine, and so is one it gates on the arch
    arch_aware = source.replace("linux-amd64", "linux-${{ runner.arch == 'ARM64' && 'arm64' || 'amd64' }}")
    assert fix_one(arch_aware)[1].jobs[0].fixed


_GRCOV = """\
    on: push
    jobs:
      coverage:
        runs-on: ubuntu-latest
        steps:
          - name: Install grcov
            run: |
              TARGET="x86_64-unknown-linux-musl"
              curl -sL "https://github.com/mozilla/grcov/releases/download/v1/grcov-${TARGET}.tar.bz2" | tar xj
          - run: cargo test
    """


def test_no_leg_is_added_that_would_install_from_ubuntus_amd64_only_archive() -> None:
    source = """\
on: push
jobs:
  old-gcc:
    runs-on: ubuntu-latest
    steps:
      - run: make test
  gcc7:
    runs-on: ubuntu-latest
    steps:
      - name: gcc-7
        run: |
          echo "deb [arch=amd64] http://archive.ubuntu.com/ubuntu focal main" | sudo tee -a /etc/apt/s.list
          sudo apt-get update && sudo apt-get install -y gcc-7
          CC=gcc-7 make test
"""
    fixed, item = fix_one(source)
    old_gcc, gcc7 = item.jobs
    assert old_gcc.fixed and not gcc7.fixed
    # the line where the user's file has it, though the fix of the job above adds lines
    assert gcc7.reason.startswith(
        "step 'gcc-7' (line 10) adds http://archive.ubuntu.com/ubuntu to apt's sources, "
        "which has no arm64 packages"
    )
    assert fixed.endswith(source[source.index("  gcc7:") :])


def test_no_leg_is_added_that_would_run_an_action_in_an_alpine_container_on_arm64() -> None:
    source = """\
on: push
jobs:
  musl:
    runs-on: ubuntu-latest
    container: ${{ matrix.image }}
    strategy:
      fail-fast: false
      matrix:
        image: ['node:22-alpine3.20', 'node:22-bookworm']
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
"""
    fixed, item = fix_one(source)
    assert not item.jobs[0].fixed and fixed == source
    assert item.jobs[0].reason.startswith(
        "the arm64 legs would run actions/checkout@v4 (line 11) in the Alpine container node:22-alpine3.20"
    )
    glibc, _ = fix_one(source.replace("'node:22-alpine3.20', ", ""))
    assert "ubuntu-24.04-arm" in glibc


def test_legs_that_only_lint_which_the_matrix_crosses_with_the_new_runner_are_said_not_refused() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          cargo:
            runs-on: ${{ matrix.target.host }}
            strategy:
              fail-fast: false
              matrix:
                target:
                  - name: Ubuntu
                    host: ubuntu-22.04
                workspace: [main, fuzz]
            steps:
              - if: matrix.workspace == 'main'
                run: cargo test
              - run: cargo fmt --check
        """)
    assert item.jobs[0].fixed and "host: ubuntu-22.04-arm" in fixed
    assert "also adds 1 arm64 leg whose work needs none (lint)" in " ".join(item.jobs[0].notes)


def test_an_edit_that_adds_only_the_missing_legs_beats_a_smaller_one_that_adds_more() -> None:
    fixed, item = fix_one("""\
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.os }}
            strategy:
              fail-fast: false
              matrix:
                os: [ubuntu-latest]
                task: [lint, test]
            steps:
              - if: matrix.task == 'lint'
                run: ruff check .
              - if: matrix.task == 'test'
                run: pytest
        """)
    assert item.jobs[0].fixed and "- {os: ubuntu-24.04-arm, task: test}" in fixed
    assert "[ubuntu-latest, ubuntu-24.04-arm]" not in fixed and item.jobs[0].notes == []


def test_a_download_named_through_a_variable_that_holds_an_x86_64_value_is_refused() -> None:
    _, item = fix_one(_GRCOV)
    assert item.jobs[0].reason.startswith("step 'Install grcov' (line 6) fetches an x86-64 build (")
    # a script that gives the variable an arm64 value too follows the arch
    aware = _GRCOV.replace(
        '              TARGET="x86_64-unknown-linux-musl"\n',
        '              TARGET="x86_64-unknown-linux-musl"\n'
        '              [ "$(uname -m)" = aarch64 ] && TARGET="aarch64-unknown-linux-musl"\n',
    )
    assert fix_one(aware)[1].jobs[0].fixed
