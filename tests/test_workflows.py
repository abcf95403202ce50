"""Synthetic workflows: one behaviour each (parsing, runners, legs, findings, config)."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest

from bot.core.analysis import analyze
from bot.core.config import ConfigError, Policy, load_policy, policy_from_dict
from bot.core.purpose import PURPOSES
from bot.core.runners import resolve
from bot.core.yamlnodes import MAX_FILE_BYTES, YamlError, parse

TODAY = date(2026, 11, 28)


def check(text: str, policy: Policy | None = None, **more: str):
    files = {"ci.yml": textwrap.dedent(text), **{k: textwrap.dedent(v) for k, v in more.items()}}
    return analyze(files, policy, TODAY)


def job(report, job_id: str, path: str = "ci.yml"):
    return next(j for wf in report.workflows if wf.path == path for j in wf.jobs if j.job.id == job_id)


def rules(report) -> list[str]:
    return [item.rule for _, item in report.findings()]


# ------------------------------------------------------------------ parsing


def test_on_is_a_key_and_lines_are_one_based():
    root = parse("name: x\non:\n  push:\njobs: {}\n")
    assert list(root.entries) == ["name", "on", "jobs"]
    assert root.key_line("jobs") == 4


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"jobs:\n  a: 1\n  a: 2\n", "duplicate key 'a'", 3),
        (b"jobs: [1, 2\nx: 1\n", "invalid YAML", 2),
        (b"jobs:\n  x: \xff\n", "not valid UTF-8", 2),
        (
            b"a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            b"g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "alias bomb",
            None,
        ),
        (b"- &a [*a]\n", "nesting deeper", None),
    ],
)
def test_hostile_or_broken_yaml_is_a_clear_error(data, message, line):
    with pytest.raises(YamlError, match=message) as info:
        parse(data)
    if line is not None:
        assert info.value.line == line


UNCLOSED_QUOTE = b"""\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make
      - run: "pytest -q
      - run: echo done
"""


@pytest.mark.parametrize(
    ("data", "line", "parts"),
    [
        # the quote opened on line 7; the parser only noticed at the end of the file (line 9)
        (
            UNCLOSED_QUOTE,
            7,
            ("end of stream at the end of the file", "quoted scalar that opened on line 7, column 14"),
        ),
        (
            b"a: 1\nwith: {x: 1,\n  y: 2\n",
            2,
            ("at the end of the file", "flow mapping that opened on line 2, column 7"),
        ),
        # stopped mid-file: the line where it stopped, and the block it was in
        (
            b"jobs:\n  a: 1\n b: 2\nc: 3\n",
            3,
            ("expected key on line 3", "block mapping that opened on line 1, column 1"),
        ),
        (
            b"steps: [a, b\nx: 1\n",
            2,
            ("expected ',' or ']' on line 2", "flow sequence that opened on line 1, column 8"),
        ),
    ],
)
def test_broken_yaml_names_where_parsing_stopped_and_where_the_construct_opened(data, line, parts):
    with pytest.raises(YamlError) as info:
        parse(data)
    assert info.value.line == line
    for part in parts:
        assert part in info.value.message


def test_oversize_file_is_refused():
    with pytest.raises(YamlError, match="limit"):
        parse(b"#" * (MAX_FILE_BYTES + 1))


def test_a_broken_file_does_not_stop_the_others():
    report = analyze({"bad.yml": "jobs: [", "good.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"})
    bad, good = report.workflows
    assert bad.error is not None and bad.jobs == []
    assert [j.status for j in good.jobs] == ["amd64-only"]
    assert "invalid-workflow" in rules(report)


# ------------------------------------------------------------------ runners


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["ubuntu-latest"], ("linux", "amd64")),
        (["ubuntu-24.04-arm"], ("linux", "arm64")),
        (["windows-11-arm"], ("windows", "arm64")),
        (["macos-latest"], ("macos", "arm64")),
        (["macos-15-intel"], ("macos", "amd64")),
        (["macos-14-large"], ("macos", "amd64")),
        (["macos-14-xlarge"], ("macos", "arm64")),
        (["self-hosted", "ARM64"], ("linux", "arm64")),
        (["self-hosted", "Linux", "X64"], ("linux", "amd64")),
        (["self-hosted", "windows", "aarch64"], ("windows", "arm64")),
        (["self-hosted", "gpu"], ("unknown", "unknown")),
        (["self-hosted", "arm64", "x64"], ("unknown", "unknown")),
        (["my-custom-pool"], ("unknown", "unknown")),
    ],
)
def test_runner_table(labels, expected):
    result = resolve(labels)
    assert (result.os, result.arch) == expected


def test_runner_globs_from_config():
    assert resolve(["depot-ubuntu-24.04-arm-4"], user_runners={"depot-ubuntu-*-arm*": "arm64"}).arch == "arm64"
    mapped = resolve(["self-hosted", "mac-mini"], user_runners={"mac-*": "macos/arm64"})
    assert (mapped.os, mapped.arch) == ("macos", "arm64")
    assert resolve([], group="arm-pool", user_runners={"arm-*": "arm64"}).arch == "arm64"


def test_group_and_labels_runner():
    report = check("""
        on: push
        jobs:
          a:
            runs-on: {group: big, labels: [ubuntu-24.04-arm]}
            steps: [{run: make}]
          b:
            runs-on: {group: big, labels: ubuntu-24.04}
            steps: [{run: make}]
    """)
    assert job(report, "a").legs[0].arch == "arm64"
    assert job(report, "b").legs[0].arch == "amd64"


# ------------------------------------------------------------------ verdicts


def test_partial_with_missing_legs_and_float_finding():
    report = check("""
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, ubuntu-24.04-arm]
                python: ['3.9', 3.10, '3.11']
                exclude:
                  - os: ubuntu-24.04-arm
                    python: '3.9'
            steps: [{run: pytest}]
    """)
    test = job(report, "test")
    assert test.status == "partial"
    assert test.missing_json() == [{"matrix": {"python": "3.9"}, "os": "linux", "arch": "arm64"}]
    assert test.verdict.reason == "no arm64 leg for python 3.9"
    floats = [f for f in test.findings if f.rule == "float-version"]
    assert len(floats) == 1 and floats[0].line == 9 and "3.1" in floats[0].message
    assert report.violations == 1


def test_runner_depending_on_vars_is_unknown_not_guessed():
    report = check("""
        on: push
        jobs:
          a:
            runs-on: ${{ vars.RUNNER }}
            steps: [{run: make}]
    """)
    a = job(report, "a")
    assert a.status == "unknown" and "vars.RUNNER" in a.verdict.reason
    assert report.violations == 0


def test_ignore_comment_and_config_ignore():
    text = """
        on: push
        jobs:
          deploy:  # parity: ignore
            runs-on: ubuntu-latest
            steps: [{run: make}]
          docs:
            runs-on: ubuntu-latest
            steps: [{run: make}]
    """
    report = check(text, Policy(ignore=(policy_from_dict({"ignore": [{"job": "do*"}]}).ignore)))
    assert [j.status for j in report.workflows[0].jobs] == ["ignored", "ignored"]
    assert report.violations == 0
    plain = check(text)
    assert [j.status for j in plain.workflows[0].jobs] == ["ignored", "amd64-only"]


def test_platforms_policy_judges_windows_too():
    text = """
        on: push
        jobs:
          a:
            runs-on: windows-latest
            steps: [{run: make}]
    """
    assert job(check(text), "a").status == "not-applicable"
    assert job(check(text, Policy(platforms=("linux", "windows"))), "a").status == "amd64-only"


def test_local_reusable_workflow_resolved_with_inputs_per_leg():
    caller = """
        on: push
        jobs:
          call:
            strategy:
              matrix:
                runner: [ubuntu-latest, ubuntu-24.04-arm]
            uses: ./.github/workflows/build.yml
            with:
              os: ${{ matrix.runner }}
          remote:
            uses: octo/repo/.github/workflows/x.yml@v1
    """
    callee = """
        on:
          workflow_call:
            inputs:
              os: {type: string, default: ubuntu-latest}
        jobs:
          build:
            runs-on: ${{ inputs.os }}
            steps: [{run: make}]
    """
    report = check(caller, **{"build.yml": callee})
    call = job(report, "call")
    assert call.status == "parity"
    assert sorted(leg.arch for leg in call.legs) == ["amd64", "arm64"]
    assert "remote reusable workflow" in job(report, "remote").verdict.reason
    standalone = job(report, "build", "build.yml")
    assert standalone.status == "unknown" and "inputs.os" in standalone.verdict.reason


def test_findings_arch_gated_test_step_and_artifact_collision():
    report = check("""
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.arch == 'arm64' && 'ubuntu-24.04-arm' || 'ubuntu-24.04' }}
            strategy:
              matrix:
                arch: [amd64, arm64]
            steps:
              - run: pytest
                if: matrix.arch == 'amd64'
              - uses: actions/upload-artifact@v4
                with:
                  name: results
                  path: out
              - uses: actions/upload-artifact@v3
                with:
                  name: old
                  path: out
    """)
    t = job(report, "t")
    assert t.status == "parity"
    by_rule = {f.rule: f for f in t.findings}
    assert by_rule["arch-gated-step"].severity == "warning"
    assert by_rule["arch-gated-step"].line == 10
    assert by_rule["artifact-name-collision"].line == 14
    assert "'results'" in by_rule["artifact-name-collision"].message
    assert sum(f.rule == "artifact-name-collision" for f in t.findings) == 1  # v3 merges


def test_emulated_docker_platform_per_leg():
    report = check("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                platform: [linux/amd64, linux/arm64]
            steps:
              - uses: docker/setup-qemu-action@v3
              - run: |
                  docker run --rm \\
                    --platform ${{ matrix.platform }} alpine uname -m
    """)
    t = job(report, "t")
    assert [(leg.arch, leg.emulated) for leg in t.legs] == [("amd64", False), ("arm64", True)]
    assert t.status == "parity"
    assert (
        job(check(report.workflows[0].workflow.source, Policy(allow_emulated=False)), "t").status
        == "amd64-only"
    )


def test_run_on_arch_action_is_emulated_arm64():
    report = check("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - uses: uraimo/run-on-arch-action@v2
                with: {arch: aarch64, distro: ubuntu22.04, run: make test}
    """)
    assert [(leg.arch, leg.emulated) for leg in job(report, "t").legs] == [("arm64", True)]


def test_invalid_job_expression_is_reported_not_raised():
    report = check("""
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.os == }}
            strategy: {matrix: {os: [a]}}
            steps: [{run: make}]
    """)
    t = job(report, "t")
    assert t.status == "unknown"
    assert t.findings[0].rule == "invalid-workflow"


# ------------------------------------------------------------------ config


def test_config_rejects_unknown_keys_with_their_name():
    with pytest.raises(ConfigError, match="'allow_emulation'"):
        load_policy("allow_emulation: false\n")
    with pytest.raises(ConfigError, match="'comments'"):
        load_policy("results: {comments: always}\n")
    with pytest.raises(ConfigError, match="runners"):
        load_policy("runners: {dgx: arm}\n")
    with pytest.raises(ConfigError) as info:
        load_policy("mode: required\nmode: off\n")
    assert info.value.line == 2


def test_config_loads_every_documented_key():
    policy = load_policy(
        textwrap.dedent("""
        mode: advisory
        platforms: [linux, windows]
        allow_emulated: false
        require_blocking: true
        runners: {"dgx": arm64, "depot-ubuntu-*-arm*": linux/arm64}
        arm64_runner: ubuntu-24.04-arm
        ignore: [{workflow: ".github/workflows/release.yml"}, {job: "deploy*"}]
        results: {junit_artifacts: "*junit*", comment: on-difference}
        extends: octo/.github
        judge: [build, test, unknown, lint]
        require: [{workflow: "release.yml", job: "upload-*"}]
    """)
    )
    assert policy.judge == ("build", "test", "unknown", "lint")
    assert policy.required(".github/workflows/release.yml", "upload-wheels")
    assert not policy.required(".github/workflows/ci.yml", "upload-wheels")
    assert policy.mode == "advisory" and policy.platforms == ("linux", "windows")
    assert policy.runners["dgx"] == "arm64" and policy.arm64_runner == "ubuntu-24.04-arm"
    assert policy.ignored(".github/workflows/release.yml", "x")
    assert policy.ignored("ci.yml", "deploy-prod") and not policy.ignored("ci.yml", "test")
    assert policy.comment == "on-difference" and policy.extends == "octo/.github"


def test_the_schema_is_the_one_definition_of_the_config():
    import jsonschema

    schema = json.loads((Path(__file__).parents[1] / "bot/schema/parity.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("/bot/schema/parity.schema.json")
    single, listed = schema["properties"]["judge"]["anyOf"]
    assert single["enum"] == listed["items"]["enum"] == list(PURPOSES)
    good = {
        "mode": "off",
        "platforms": ["macos"],
        "runners": {"x": "windows/arm64"},
        "ignore": [{"job": "a"}],
        "results": {"comment": "never"},
        "judge": ["build", "x86-specific"],
        "require": [{"workflow": "*", "job": "i*"}],
        "dashboard": True,
        "fix_prs": "auto",
        "fix_images": "platforms",
        "org_report": True,
        "report_repository": "octo/reports",
    }
    policy = policy_from_dict(good)
    assert policy.fix_images == "platforms" and policy_from_dict({}).fix_images == "refuse"
    assert policy.platforms == ("macos",) and policy.runners == {"x": "windows/arm64"}
    assert policy.fix_prs == "auto" and policy.judge == ("build", "x86-specific")
    assert policy_from_dict({"platforms": "linux", "ignore": None}).platforms == ("linux",)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "mode: required\nallow_emulation: false\n",
            "unknown key 'allow_emulation' in the config; allowed: allow_emulated,",
            2,
        ),
        ("mode: sometimes\n", "mode must be one of required, advisory, off, not 'sometimes'", 1),
        ("platforms: [linux, bsd]\n", "platforms", 1),
        (
            "runners:\n  dgx: arm64\n  gpu: sparc\n",
            "runners.gpu: 'sparc' is not valid (runner label globs mapped to an architecture",
            3,
        ),
        (
            "ignore:\n  - job: a\n  - jobs: b\n",
            "unknown key 'jobs' in an 'ignore' entry; allowed: job, workflow",
            3,
        ),
        (
            "results:\n  comment: loud\n",
            "results.comment must be one of always, on-difference, never, not 'loud'",
            2,
        ),
        ("dashboard: yes\n", "dashboard must be true or false, not 'yes'", 1),
        ("fix_images: qemu\n", "fix_images must be one of refuse, platforms, not 'qemu'", 1),
        ("report_repository: reports\n", "report_repository: 'reports' is not valid (OWNER/NAME", 1),
        ("- a\n- b\n", "the config must be a mapping", 1),
    ],
)
def test_config_errors_name_the_key_and_its_line(text: str, message: str, line: int) -> None:
    with pytest.raises(ConfigError) as raised:
        load_policy(text)
    assert message in raised.value.message
    assert raised.value.line == line


@pytest.mark.parametrize(
    ("extends", "message"),
    [
        ("octo/.github:../../../../orgs/octo", "without '..'"),
        ("octo/.github:/etc/passwd", "without '..'"),
        ("octo/..", "without '..'"),
        ("octo/.github:a/./b.yml", "without '..'"),
        ("other/.github", "a repository of octo"),
        ("octo", "OWNER/REPO"),
        ("octo/a/b", "OWNER/REPO"),
    ],
)
def test_extends_stays_inside_the_owner_and_below_the_repository(extends: str, message: str) -> None:
    from bot.core.config import extends_target

    with pytest.raises(ConfigError, match=message):
        extends_target(extends, "octo")


def test_extends_names_a_file_of_the_same_owner() -> None:
    from bot.core.config import extends_target

    assert extends_target("Octo/policies:arch/base.yml", "octo") == ("Octo", "policies", "arch/base.yml")
    assert extends_target("octo/.github", "octo") == ("octo", ".github", ".github/parity.yml")


def test_local_calls_leave_out_names_that_climb_out_of_the_workflows_folder() -> None:
    from bot.core.workflow import local_calls

    text = (
        "jobs:\n  a:\n    uses: ./.github/workflows/build.yml\n"
        "  b:\n    uses: ./.github/workflows/../../../../x.yml\n"
        "  c:\n    uses: './.github/workflows/..'\n"
        "  d:\n    uses: ./.github/workflows/sub/dir.yml\n"
    )
    assert local_calls(text) == {"build.yml"}


def test_a_rest_path_never_carries_dot_segments() -> None:
    from bot.service import rest

    assert (
        rest.CONTENTS.url(repo="o/r", path=".github/workflows/ci.yml")
        == "/repos/o/r/contents/.github/workflows/ci.yml"
    )
    for path in ("../../../x", ".github/workflows/../../x", "/x", "a//b", "."):
        with pytest.raises(ValueError, match="not a plain path"):
            rest.CONTENTS.url(repo="o/r", path=path)
    with pytest.raises(ValueError, match="not a plain path"):
        rest.CONTENTS.url(owner="..", repo="..", path="x")


_TWO_SYSTEMS = """\
on: push
jobs:
  test:
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - run: make test
"""
_BOTH_ARCHES = _TWO_SYSTEMS.replace("macos-latest", "ubuntu-24.04-arm")


def test_multi_arch_counts_both_arches_on_one_judged_platform_per_workflow():
    report = analyze({"mixed.yml": _TWO_SYSTEMS, "linux.yml": _BOTH_ARCHES}, Policy(), TODAY)
    flags = {wf["path"]: wf["multi_arch"] for wf in report.as_json()["workflows"]}
    # macOS arm64 beside Linux amd64 gives Linux no arm64 leg: not multi-arch for a Linux policy.
    assert flags == {"mixed.yml": False, "linux.yml": True}
    assert report.summary()["multi_arch_workflows"] == 1
    macos_too = policy_from_dict({"platforms": ["linux", "macos"]})
    assert analyze({"mixed.yml": _TWO_SYSTEMS}, macos_too, TODAY).summary()["multi_arch_workflows"] == 0
