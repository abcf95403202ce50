"""Runner forms seen in real workflows: vendor labels, runners inside matrix objects,
expressions on contexts only a run knows, QEMU written every which way, missing legs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_policy
from bot.core.expressions import Unknown, possible_values
from bot.core.runners import arm64_twin, resolve
from tests.conftest import judge

# ----------------------------------------------------------------------------- vendors


@pytest.mark.parametrize(
    ("label", "os", "arch"),
    [
        # Depot
        ("depot-ubuntu-24.04", "linux", "amd64"),
        ("depot-ubuntu-24.04-8", "linux", "amd64"),
        ("depot-ubuntu-latest-4", "linux", "amd64"),
        ("depot-ubuntu-24.04-arm", "linux", "arm64"),
        ("depot-ubuntu-24.04-arm-8", "linux", "arm64"),
        ("depot-macos-15", "macos", "arm64"),
        ("depot-windows-2022", "windows", "amd64"),
        # Namespace
        ("nscloud-ubuntu-22.04-amd64-4x16", "linux", "amd64"),
        ("nscloud-ubuntu-22.04-arm64-4x8", "linux", "arm64"),
        ("nscloud-ubuntu-22.04", "linux", "amd64"),
        ("nscloud-macos-sequoia-arm64-6x14", "macos", "arm64"),
        ("namespace-profile-build-arm64", "linux", "arm64"),
        ("namespace-profile-macos-15", "macos", "arm64"),
        # Blacksmith
        ("blacksmith-4vcpu-ubuntu-2404", "linux", "amd64"),
        ("blacksmith-2vcpu-ubuntu-2404-arm", "linux", "arm64"),
        ("blacksmith-6vcpu-macos-15", "macos", "arm64"),
        ("blacksmith-4vcpu-windows-2025", "windows", "amd64"),
        # BuildJet
        ("buildjet-8vcpu-ubuntu-2204", "linux", "amd64"),
        ("buildjet-4vcpu-ubuntu-2204-arm", "linux", "arm64"),
        # Ubicloud
        ("ubicloud", "linux", "amd64"),
        ("ubicloud-standard-16", "linux", "amd64"),
        ("ubicloud-standard-16-arm", "linux", "arm64"),
        ("ubicloud-standard-2-arm-ubuntu-2404", "linux", "arm64"),
        ("ubicloud-standard-4-ubuntu-2204", "linux", "amd64"),
        # WarpBuild
        ("warp-ubuntu-latest-x64-4x", "linux", "amd64"),
        ("warp-ubuntu-2204-arm64-8x", "linux", "arm64"),
        ("warp-macos-15-arm64-6x", "macos", "arm64"),
        # RunsOn (the run id part is rendered as '?': it says nothing about the machine)
        ("runs-on=?/runner=2cpu-linux-x64", "linux", "amd64"),
        ("runs-on=?/runner=4cpu-linux-arm64/extras=s3-cache", "linux", "arm64"),
        ("runs-on=?/family=c7g/image=ubuntu24-full-arm64", "linux", "arm64"),
        # Cirrus Runners
        ("ghcr.io/cirruslabs/ubuntu-runner-amd64:24.04", "linux", "amd64"),
        ("ghcr.io/cirruslabs/ubuntu-runner-arm64:24.04-md", "linux", "arm64"),
        ("ghcr.io/cirruslabs/macos-runner:sonoma", "macos", "arm64"),
    ],
)
def test_vendor_labels(label: str, os: str, arch: str) -> None:
    resolution = resolve([label])
    assert (resolution.os, resolution.arch, resolution.reason) == (os, arch, None)
    assert not resolution.inferred  # a documented form, not a guess from words


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("namespace-profile-ghostty-md", "Namespace profile"),
        ("runs-on=?/family=c7", "RunsOn runner (family=c7)"),
    ],
)
def test_vendor_labels_that_name_no_architecture_say_so(label: str, why: str) -> None:
    resolution = resolve([label])
    assert resolution.arch == "unknown" and why in (resolution.reason or "")


def test_user_runner_globs_win_over_the_vendor_table() -> None:
    assert resolve(["ubicloud-standard-8"], None, {"ubicloud-*": "arm64"}).arch == "arm64"
    jobs = judge(
        """\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.runner }}
            strategy:
              matrix:
                runner: [namespace-profile-app-md, namespace-profile-app-md-arm64]
            steps: [{run: pytest}]
        """,
        load_policy('runners: {"namespace-profile-app-md": linux/amd64}\n'),
    )
    assert jobs["test"].status == "parity"


def test_runs_on_label_with_a_run_id_expression() -> None:
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: "runs-on=${{ github.run_id }}/runner=2cpu-linux-arm64"
            steps: [{run: go test ./...}]
        """)
    assert [(leg.os, leg.arch) for leg in jobs["test"].legs] == [("linux", "arm64")]


@pytest.mark.parametrize(
    ("label", "twin"),
    [
        ("depot-ubuntu-24.04-4", "depot-ubuntu-24.04-arm-4"),
        ("blacksmith-4vcpu-ubuntu-2404", "blacksmith-4vcpu-ubuntu-2404-arm"),
        ("buildjet-8vcpu-ubuntu-2204", "buildjet-8vcpu-ubuntu-2204-arm"),
        ("ubicloud-standard-16", "ubicloud-standard-16-arm"),
        ("warp-ubuntu-latest-x64-4x", "warp-ubuntu-latest-arm64-4x"),
        ("nscloud-ubuntu-22.04-amd64-4x16", "nscloud-ubuntu-22.04-arm64-4x16"),
        ("ghcr.io/cirruslabs/ubuntu-runner-amd64:24.04", "ghcr.io/cirruslabs/ubuntu-runner-arm64:24.04"),
        ("ubuntu-latest", "ubuntu-24.04-arm"),
    ],
)
def test_fixes_move_a_vendor_leg_to_the_same_vendor_on_arm64(label: str, twin: str) -> None:
    assert arm64_twin(label) == twin
    assert resolve([twin]).arch == "arm64"


def test_a_label_that_names_an_os_but_no_arch_decides_the_os() -> None:
    jobs = judge("""\
        on: push
        jobs:
          windows:
            runs-on: ci-windows-github-1
            steps: [{run: go test ./...}]
          linux:
            runs-on: [self-hosted, linux-builder]
            steps: [{run: go test ./...}]
        """)
    assert jobs["windows"].status == "not-applicable"
    assert jobs["windows"].findings == []  # its arch cannot matter: no unknown-runner noise
    assert jobs["linux"].status == "unknown"


# ----------------------------------------------------------------------------- objects

DISTROS = """\
on: push
jobs:
  images:
    runs-on: ${{ matrix.IMAGE.RUNNER }}
    strategy:
      matrix:
        IMAGE:
          - {TAG: alpine, RUNNER: ubuntu-latest}
          - {TAG: fedora-43, RUNNER: ubuntu-latest}
          - {TAG: debian-13, RUNNER: ubuntu-latest}
          - {TAG: debian-13, RUNNER: ubuntu-24.04-arm}
    steps:
      - run: docker run --rm ghcr.io/o/${{ matrix.IMAGE.TAG }} make test
"""


def test_only_the_runner_path_inside_a_matrix_object_is_runner_only() -> None:
    images = judge(DISTROS)["images"]
    assert images.status == "partial"  # not parity: alpine and fedora have no arm64 leg
    assert [item["matrix"]["IMAGE"] for item in images.missing_json()] == [
        {"TAG": "alpine"},
        {"TAG": "fedora-43"},
    ]
    assert images.verdict.reason == "no arm64 leg for IMAGE alpine, fedora-43"


def test_settings_host_objects_twin_on_their_other_fields() -> None:
    jobs = judge("""\
        on: push
        jobs:
          build:
            runs-on: ${{ matrix.settings.host }}
            strategy:
              matrix:
                settings:
                  - host: ubuntu-latest
                    target: x86_64-unknown-linux-gnu
                    docker: ghcr.io/napi-rs/napi-rs/nodejs-rust:lts-debian
                  - host: ubuntu-24.04-arm
                    target: aarch64-unknown-linux-gnu
                  - host: ubuntu-latest
                    target: x86_64-unknown-linux-musl
            steps:
              - run: yarn build --target ${{ matrix.settings.target }}
        """)
    build = jobs["build"]
    # gnu twins gnu although only the amd64 side builds in a container; musl has no twin
    assert build.status == "partial"
    assert build.missing_json() == [
        {"matrix": {"settings": {"target": "x86_64-unknown-linux-musl"}}, "os": "linux", "arch": "arm64"}
    ]


def test_a_runner_chosen_by_comparing_a_target_keeps_the_target_apart() -> None:
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: ${{ contains(matrix.target, 'aarch64') && 'ubuntu-24.04-arm' || 'ubuntu-22.04' }}
            strategy:
              matrix:
                target: [x86_64-unknown-linux-gnu, x86_64-unknown-linux-musl,
                         aarch64-unknown-linux-gnu]
            steps:
              - run: cargo test --target ${{ matrix.target }}
        """)
    assert jobs["test"].status == "partial"
    assert [item["matrix"] for item in jobs["test"].missing_json()] == [{"target": "x86_64-unknown-linux-musl"}]


# ----------------------------------------------------------------------------- expressions


def test_branches_of_an_expression_on_unknown_contexts() -> None:
    assert possible_values("${{ github.repository == 'o/r' && 'big-runner' || 'ubuntu-24.04' }}", {}) == [
        "big-runner",
        "ubuntu-24.04",
    ]
    assert possible_values("${{ vars.RUNNER || 'ubuntu-latest' }}", {}) == [
        Unknown("vars.RUNNER"),
        "ubuntu-latest",
    ]


def test_a_runner_decided_when_every_branch_agrees() -> None:
    jobs = judge("""\
        on: push
        jobs:
          agree:
            runs-on: ${{ github.repository == 'o/r' && 'ubicloud-standard-16' || 'ubuntu-24.04' }}
            steps: [{run: pytest}]
          differ:
            runs-on: ${{ github.event_name == 'push' && 'ubuntu-24.04-arm' || 'ubuntu-24.04' }}
            steps: [{run: pytest}]
          variable:
            runs-on: ${{ vars.RUNNER || 'ubuntu-latest' }}
            steps: [{run: pytest}]
          from-matrix:
            runs-on: ${{ matrix.runner }}
            strategy:
              matrix:
                runner:
                  - ${{ github.repository == 'o/r' && 'depot-ubuntu-24.04-arm' || 'ubuntu-24.04-arm' }}
                  - ubuntu-24.04
            steps: [{run: pytest}]
        """)
    assert jobs["agree"].status == "amd64-only"
    assert jobs["agree"].legs[0].runner == ("ubuntu-24.04",)
    assert jobs["differ"].status == "unknown"
    assert jobs["differ"].verdict.reason == (
        "runs-on is ubuntu-24.04-arm or ubuntu-24.04, depending on the run"
    )
    assert jobs["variable"].status == "unknown"
    assert "vars.RUNNER or ubuntu-latest" in (jobs["variable"].verdict.reason or "")
    assert jobs["from-matrix"].status == "parity"


def test_a_dimension_computed_at_run_time_does_not_hide_the_runner() -> None:
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ${{ fromJSON(needs.setup.outputs.versions) }}
            steps: [{run: pytest}]
        """)
    test = jobs["test"]
    assert test.status == "amd64-only"
    assert test.as_json()["legs"][0]["matrix"] == {"python": "${{ needs.setup.outputs.versions }}"}


# ----------------------------------------------------------------------------- emulation

EMULATED = """\
on: push
jobs:
  binfmt:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        arch: [amd64, arm64, riscv64]
    env:
      ARCH: ${{ matrix.arch }}
    steps:
      - run: docker run --privileged --rm tonistiigi/binfmt --install all
      - run: docker run --rm --platform linux/${ARCH} python:3.12 python -m pytest
  user-static:
    runs-on: ubuntu-latest
    steps:
      - run: make CC=aarch64-linux-gnu-gcc && qemu-aarch64-static ./tests/unit
  cross-test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        target: [x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, s390x-unknown-linux-gnu]
    steps:
      - run: cross test --target ${{ matrix.target }}
  depot:
    runs-on: ubuntu-latest
    steps:
      - uses: depot/build-push-action@v1
        with: {platforms: "linux/amd64,linux/arm64", push: false}
  image-name:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        image: [focal, focal-arm64]
    steps:
      - if: matrix.image == 'focal-arm64'
        run: docker run --rm --privileged multiarch/qemu-user-static --reset -p yes
      - uses: ./.github/actions/run-in-container
        with: {container: "${{ matrix.image }}", command: make test}
"""


def test_qemu_forms_without_setup_qemu_action() -> None:
    jobs = judge(EMULATED)
    binfmt = jobs["binfmt"]
    assert [(leg.matrix["arch"], leg.arch, leg.emulated) for leg in binfmt.legs] == [
        ("amd64", "amd64", False),
        ("arm64", "arm64", True),
        ("riscv64", "other", True),
    ]
    assert binfmt.status == "parity"
    assert [(leg.arch, leg.emulated) for leg in jobs["user-static"].legs] == [("arm64", True)]
    cross = jobs["cross-test"]
    assert [(leg.arch, leg.emulated) for leg in cross.legs] == [
        ("amd64", False),
        ("arm64", True),
        ("other", True),
    ]
    assert cross.status == "parity"
    assert jobs["depot"].status == "parity"
    image = jobs["image-name"]
    assert [(leg.arch, leg.emulated) for leg in image.legs] == [("amd64", False), ("arm64", True)]
    assert image.status == "parity"


# ----------------------------------------------------------------------------- missing legs


def test_missing_legs_keep_the_keys_that_tell_them_apart() -> None:
    jobs = judge("""\
        on: push
        jobs:
          build:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest]
                goarch: [amd64]
                variant: [static, dynamic]
                include:
                  - {os: ubuntu-24.04-arm, goarch: arm64, variant: static}
            steps:
              - run: go build -tags ${{ matrix.variant }} ./...
          single:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest]
            steps: [{run: make test}]
          twice:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-22.04, ubuntu-24.04]
                python: ["3.12", "3.13"]
            steps: [{run: pytest}]
        """)
    assert jobs["build"].missing_json() == [{"matrix": {"variant": "dynamic"}, "os": "linux", "arch": "arm64"}]
    # Nothing but the runner tells the leg apart: the missing leg is that runner on arm64.
    assert jobs["single"].missing_json() == [
        {"matrix": {"os": "ubuntu-24.04-arm"}, "os": "linux", "arch": "arm64"}
    ]
    # One entry per distinct missing leg, in matrix order.
    assert [item["matrix"] for item in jobs["twice"].missing_json()] == [{"python": "3.12"}, {"python": "3.13"}]


def test_a_target_written_to_github_env_is_read_by_the_later_steps():
    # `cross` and its `--target` chosen by one step, for the steps after it: the targeted
    # leg tests aarch64 under QEMU, which the workflow says once the writes are followed.
    source = """\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            env:
              RUNNER: cargo
            strategy:
              matrix:
                target: [x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu]
            steps:
              - name: Pick cross
                if: matrix.target != 'x86_64-unknown-linux-gnu'
                run: |
                  echo "RUNNER=cross" >> "$GITHUB_ENV"
                  echo "FLAGS=--target ${{ matrix.target }}" >> $GITHUB_ENV
              - run: ${{ env.RUNNER }} test $FLAGS
        """
    jobs = judge(source)
    legs = jobs["test"].legs
    assert [(leg.arch, leg.emulated) for leg in legs] == [("amd64", False), ("arm64", True)]
    assert jobs["test"].status == "parity"


def test_a_target_written_to_github_env_at_run_time_makes_the_leg_unknown():
    # the value exists only when the job runs: the workflow alone cannot say what it targets
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - name: Pick a target
                run: echo "FLAGS=--target $(cat .target)" >> $GITHUB_ENV
              - run: cross test $FLAGS
        """)
    assert jobs["test"].status == "unknown"
    assert jobs["test"].verdict.reason == (
        "step 'Pick a target' sets FLAGS=--target $(cat .target) through $GITHUB_ENV, "
        "which decides what later steps build or test"
    )


# ----------------------------------------------------------------------------- sibling jobs


CROSS_SIBLINGS = """\
on: pull_request
jobs:
  linux:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        target: [x86_64, i686]
    steps:
      - uses: actions/checkout@v4
      - uses: PyO3/maturin-action@v1
        with: {target: "${{ matrix.target }}", args: --release --out dist, manylinux: auto}
  linux-cross:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        platform:
          - {target: aarch64-unknown-linux-gnu, arch: aarch64}
          - {target: s390x-unknown-linux-gnu, arch: s390x}
    steps:
      - uses: actions/checkout@v4
      - uses: PyO3/maturin-action@v1
        with: {target: "${{ matrix.platform.target }}", args: --release --out dist, manylinux: auto}
      - uses: uraimo/run-on-arch-action@v3
        with:
          arch: ${{ matrix.platform.arch }}
          distro: ubuntu22.04
          run: pip install dist/*.whl && app --help
  musl:
    runs-on: ubuntu-latest
    steps:
      - uses: PyO3/maturin-action@v1
        with: {target: x86_64-unknown-linux-musl, manylinux: musllinux_1_2}
"""


def test_a_cross_job_beside_its_native_job_is_the_arm64_side():
    # `linux` builds x86_64 natively; `linux-cross` builds aarch64 and tests it under QEMU:
    # one family (the `cross` word, like an arch word, names a sibling), so both are at parity.
    # `musl` has no cross sibling and stays amd64-only.
    jobs = judge(CROSS_SIBLINGS)
    assert (jobs["linux"].status, jobs["linux"].verdict.reason) == (
        "parity",
        "every amd64 leg has an arm64 twin (in linux-cross)",
    )
    assert (jobs["linux-cross"].status, jobs["linux-cross"].verdict.reason) == ("parity", "arm64 twin of linux")
    assert jobs["musl"].status == "amd64-only"
    # Without QEMU counting, the cross job's arm64 side is gone.
    strict = judge(CROSS_SIBLINGS, load_policy("allow_emulated: false\n"))
    assert strict["linux"].status == "amd64-only"


def test_an_arm64_sibling_twins_value_by_value_unless_it_is_the_cross_job():
    # test-arm64 runs 3.12 only: 3.10 on amd64 has no twin, though both legs name their arch.
    jobs = judge("""\
        on: push
        jobs:
          test-amd64:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.10", "3.12"]
                arch: [amd64]
            steps:
              - run: pytest
          test-arm64:
            runs-on: ubuntu-24.04-arm
            strategy:
              matrix:
                python: ["3.12"]
                arch: [arm64]
            steps:
              - run: pytest
        """)
    assert (jobs["test-amd64"].status, jobs["test-amd64"].verdict.reason) == (
        "partial",
        "no arm64 leg for python 3.10",
    )
    assert jobs["test-arm64"].status == "parity"


# ----------------------------------------------------------------------------- hosted table


def _runner_images_labels() -> list[tuple[str, str, str]]:
    path = Path(__file__).parent / "data" / "runner-images-labels.tsv"
    rows = [line.split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return [(label, os, arch) for label, os, arch in rows[1:]]


@pytest.mark.parametrize(("label", "os", "arch"), _runner_images_labels())
def test_every_label_github_lists_resolves_to_its_machine(label: str, os: str, arch: str) -> None:
    resolution = resolve([label])
    assert (resolution.os, resolution.arch) == (os, arch)
    assert resolution.hosted_label == label


def test_ubuntu_26_04_legs_twin_on_the_hosted_arm_preview():
    jobs = judge("""\
        on: push
        jobs:
          test:
            strategy:
              matrix:
                os: [ubuntu-26.04, ubuntu-26.04-arm]
            runs-on: ${{ matrix.os }}
            steps:
              - run: make check
        """)
    assert jobs["test"].status == "parity"


def test_an_unknown_runner_gets_the_verdict_every_arch_would_give():
    # the extra leg on an unmapped runner repeats a configuration both archs already run:
    # amd64 or arm64, the job is at parity
    jobs = judge("""\
        on: push
        jobs:
          test:
            strategy:
              matrix:
                include:
                  - {os: ubuntu-24.04, python: "3.12"}
                  - {os: ubuntu-24.04-arm, python: "3.12"}
                  - {os: our-linux-box, python: "3.12"}
            runs-on: ${{ matrix.os }}
            steps:
              - run: pytest
        """)
    assert jobs["test"].status == "parity"
    assert "either arch gives this verdict" in jobs["test"].verdict.reason


def test_an_unknown_runner_whose_arch_decides_the_verdict_stays_unknown():
    jobs = judge("""\
        on: push
        jobs:
          test:
            strategy:
              matrix:
                include:
                  - {os: ubuntu-24.04, python: "3.12"}
                  - {os: our-linux-box, python: "3.13"}
            runs-on: ${{ matrix.os }}
            steps:
              - run: pytest
        """)
    assert jobs["test"].status == "unknown"


def test_a_self_hosted_label_is_read_for_x86_as_for_arm64():
    for label, arch in (("linux-x86-8core", "amd64"), ("linux-arm64-8core", "arm64")):
        resolution = resolve(["self-hosted", label])
        assert (resolution.os, resolution.arch, resolution.inferred) == ("linux", arch, True)


# ----------------------------------------------------------------------------- coverage: levels

SPLIT = """\
    on: push
    jobs:
      test:
        strategy:
          matrix:
            include:
              - {os: ubuntu-24.04, server: "7"}
              - {os: ubuntu-24.04-arm, server: "7"}
              - {os: ubuntu-24.04, server: "8"}
              - {os: ubuntu-24.04, server: "9"}
              - {os: ubuntu-24.04-arm, server: "10"}
        runs-on: ${{ matrix.os }}
        steps:
          - run: make test SERVER=${{ matrix.server }}
    """


def test_a_deliberate_split_is_partial_by_default_and_says_which_policy_accepts_it():
    job = judge(SPLIT)["test"]
    assert job.status == "partial"
    assert "`coverage: any-leg` accepts that" in job.verdict.reason


def test_any_leg_accepts_one_arm64_leg_per_job():
    job = judge(SPLIT, load_policy("coverage: any-leg"))["test"]
    assert job.status == "parity"


def test_every_value_needs_each_value_of_each_key_on_some_arm64_leg():
    job = judge(SPLIT, load_policy("coverage: every-value"))["test"]
    assert job.status == "partial"
    assert job.verdict.reason == "no arm64 leg runs server=8, server=9 (coverage: every-value)"
    assert sorted(leg.matrix["server"] for leg in job.verdict.missing) == ["8", "9"]


CHOSEN = """\
    on: push
    jobs:
      test:
        strategy:
          matrix:
            os: [ubuntu-24.04]
            python: ["3.12", "3.13"]
            db: [sqlite, postgres]
            include:
              - {os: ubuntu-24.04-arm, python: "3.12", db: sqlite}
              - {os: ubuntu-24.04-arm, python: "3.13", db: postgres}
        runs-on: ${{ matrix.os }}
        steps:
          - run: pytest
    """


def test_a_chosen_subset_covering_every_value_is_named_and_accepted_by_every_value():
    job = judge(CHOSEN)["test"]
    assert job.status == "partial"
    assert "`coverage: every-value` accepts that" in job.verdict.reason
    assert judge(CHOSEN, load_policy("coverage: every-value"))["test"].status == "parity"


def test_coverage_is_set_per_workflow_and_job_first_match_wins():
    policy = load_policy(
        "coverage:\n  - {workflow: ci.yml, job: 'test*', coverage: any-leg}\n  - {coverage: every-value}\n"
    )
    assert policy.coverage_for(".github/workflows/ci.yml", "test-db") == "any-leg"
    assert policy.coverage_for(".github/workflows/ci.yml", "lint") == "every-value"
    assert load_policy("mode: required").coverage_for("ci.yml", "t") == "every-leg"
    with pytest.raises(ConfigError, match="coverage"):
        load_policy("coverage: most-legs")


def test_an_arch_word_after_a_colon_or_slash_only_chooses_the_arch():
    # `alpine` and `alpine:aarch64` are one image, for two archs
    jobs = judge("""\
        on: push
        jobs:
          test:
            runs-on: ${{ matrix.IMAGE.RUNNER }}
            container: {image: "ghcr.io/o/runner-${{ matrix.IMAGE.IMAGE }}"}
            strategy:
              matrix:
                IMAGE:
                  - {IMAGE: "alpine", RUNNER: "ubuntu-latest"}
                  - {IMAGE: "alpine:aarch64", RUNNER: "ubuntu-24.04-arm"}
            steps:
              - run: nox -s tests
        """)
    assert jobs["test"].status == "parity"


def test_run_on_arch_with_arch_none_runs_as_its_base_image_platform():
    # `arch: none` with a `--platform` base image: each leg runs as that image's arch under
    # QEMU, so legs emulating armv7 and s390x are for neither amd64 nor arm64, and one
    # emulating linux/arm64 is an arm64 leg.
    jobs = judge("""\
        on: push
        jobs:
          qemu:
            runs-on: ubuntu-24.04
            strategy:
              matrix:
                include:
                  - base_image: "--platform=linux/arm/v7 arm32v7/debian:bookworm"
                  - base_image: "--platform=linux/s390x s390x/debian:bookworm"
            steps:
              - uses: actions/checkout@v4
              - uses: uraimo/run-on-arch-action@v3
                with:
                  arch: none
                  distro: none
                  base_image: ${{ matrix.base_image }}
                  run: make && make test
          arm64:
            runs-on: ubuntu-24.04
            steps:
              - uses: uraimo/run-on-arch-action@v3
                with:
                  arch: none
                  distro: none
                  base_image: --platform=linux/arm64 debian:bookworm
                  run: make && make test
        """)
    assert jobs["qemu"].status == "not-applicable"
    assert [leg.arch for leg in jobs["qemu"].legs] == ["other", "other"]
    assert [(leg.arch, leg.emulated) for leg in jobs["arm64"].legs] == [("arm64", True)]
