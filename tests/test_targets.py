"""What a leg builds or tests for, read from structure: triples parsed by part, flags in any
position, toolchains, configured build trees, values written to $GITHUB_ENV. Each form is a
workflow written the way projects write it, with the verdict pinned."""

from __future__ import annotations

import pytest

from bot.core.targets import OTHER_OS, X86, kind_of, of_command
from tests.conftest import judge


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("aarch64-unknown-linux-gnu", "arm64"),
        ("x86_64-unknown-linux-musl", "amd64"),
        ("x86_64-unknown-linux-gnu.2.17", "amd64"),
        ("i686-unknown-linux-gnu", X86),
        ("x86_64-linux-gnux32", X86),
        # triples nobody listed still read, part by part
        ("loongarch64-unknown-linux-musl", "other"),
        ("csky-unknown-linux-gnuabiv2", "other"),
        ("mipsisa64r6el-linux-gnuabi64", "other"),
        ("m68k-amigaos", OTHER_OS),
        ("i586-pc-msdosdjgpp", OTHER_OS),
        ("x86_64-unknown-haiku", OTHER_OS),
        ("aarch64-none-elf", OTHER_OS),
        ("x86_64-w64-mingw32", OTHER_OS),
        ("armv7-linux-androideabi", OTHER_OS),
        ("wasm32-wasip1", OTHER_OS),
        ("riscv64", "other"),
        ("386", X86),
        # build-system targets are not platforms
        ("install", None),
        ("runtime", None),
        ("cuda_kernels", None),
    ],
)
def test_a_target_is_read_by_its_parts(target: str, kind: str | None) -> None:
    assert kind_of(target) == kind


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ('CFLAGS="-m32 -O1 -fstack-protector" make check V=1', X86),
        ('make -j check MOREFLAGS="-O0 -Werror -mbmi2"', X86),
        ('make check MOREFLAGS="-DDYNAMIC_BMI2=0"', X86),
        ("cmake -B build -DCMAKE_C_FLAGS=-mavx2 .", X86),
        ("CC=x86_64-w64-mingw32-gcc make zstd", OTHER_OS),
        ("cmake -B bld -DCMAKE_SYSTEM_NAME=Android", OTHER_OS),
        ("cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake ..", "arm64"),
        ("./configure --host=aarch64-linux-gnu", "arm64"),
        ("go run build.go -goos windows -goarch amd64 zip", OTHER_OS),
        ("GOOS=freebsd go build ./...", OTHER_OS),
        ("zig build -Dtarget=wasm32-freestanding", OTHER_OS),
        ("docker run --platform linux/386 debian make test", X86),
    ],
)
def test_a_command_names_its_target_in_any_position(command: str, kind: str) -> None:
    assert of_command(command)[0][0] == kind


@pytest.mark.parametrize(
    "command",
    [
        "make check",
        "gcc -march=native -O2 x.c",  # the host's own CPU
        "cmake --build build --target install",
        "docker run --platform linux/arm64 alpine uname -m",  # emulation, read elsewhere
        "apt-get install -y gcc-aarch64-linux-gnu",  # a package name, not a compiler run
    ],
)
def test_commands_that_name_no_other_target(command: str) -> None:
    assert not [kind for kind, _ in of_command(command) if kind in (X86, OTHER_OS)]


def _job(steps: str, runs_on: str = "ubuntu-latest") -> str:
    return f"""\
        on: push
        jobs:
          t:
            runs-on: {runs_on}
            steps:
              - uses: actions/checkout@v4
{steps}
        """


def test_x86_only_flags_inside_a_quoted_value_make_the_test_x86_only() -> None:
    job = judge(
        _job("""\
              - name: make check on 32-bit
                run: |
                  sudo apt-get install -y gcc-multilib
                  CFLAGS="-m32 -O1 -fstack-protector" make check V=1
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "x86-specific")
    assert "-m32" in job.purpose.evidence[0].what


def test_x86_instruction_set_tests_in_make_variables_are_x86_only() -> None:
    job = judge(
        _job("""\
              - run: |
                  make clean && make -j check MOREFLAGS="-O0 -Werror -mbmi2"
                  make clean && make -j check MOREFLAGS="-O0 -Werror -DDYNAMIC_BMI2=1"
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "x86-specific")


def test_a_mingw_cross_file_written_in_a_heredoc_targets_windows() -> None:
    job = judge(
        _job("""\
              - run: sudo apt-get install -y ninja-build gcc-mingw-w64-x86-64
              - run: |
                  cat > cross.ini <<EOF
                  [binaries]
                  c = 'x86_64-w64-mingw32-gcc'
                  ar = 'x86_64-w64-mingw32-ar'
                  EOF
                  meson setup --cross-file cross.ini build
                  ninja -C build
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "other-target")


def test_tests_in_a_tree_configured_for_another_system_test_that_system() -> None:
    job = judge(
        _job("""\
              - run: cmake -B bld -DCMAKE_SYSTEM_NAME=Android -DANDROID_ABI=arm64-v8a
              - run: cmake --build bld
              - name: build tests
                run: make -C bld -C tests
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "other-target")


def test_a_native_build_named_for_the_host_beside_a_32_bit_one_stays_judged() -> None:
    job = judge(
        _job("""\
              - name: Build
                run: GOARCH=amd64 go build -v -a ./...
              - name: Build 32-bit
                run: GOARCH=386 go build -v -a ./...
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("amd64-only", "build")


def test_a_build_given_a_qemu_runner_tests_under_it() -> None:
    job = judge(
        _job("""\
              - run: sudo apt-get install -y qemu-user-static gcc-aarch64-linux-gnu
              - run: make platformTest CC=aarch64-linux-gnu-gcc QEMU_SYS=qemu-aarch64-static
""")
    )["t"]
    assert job.purpose.name == "test"
    assert [(leg.arch, leg.emulated) for leg in job.legs] == [("arm64", True)]


def test_a_program_run_under_user_mode_qemu_is_an_emulated_test() -> None:
    jobs = judge("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-24.04
            strategy:
              matrix:
                config:
                  - {cc: aarch64-linux-gnu-gcc, qemu: qemu-aarch64}
                  - {cc: riscv64-linux-gnu-gcc, qemu: qemu-riscv64}
            steps:
              - run: cmake -B build -DCMAKE_C_COMPILER=${{ matrix.config.cc }}
              - run: cmake --build build
              - run: ${{ matrix.config.qemu }} build/run_tests
        """)
    legs = jobs["t"].legs
    assert (legs[0].arch, legs[0].emulated) == ("arm64", True)
    assert legs[1].arch == "other"
    assert jobs["t"].status == "arm64-only"


def test_an_arch_key_inside_a_matrix_object_names_the_leg() -> None:
    jobs = judge("""\
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.settings.host }}
            strategy:
              matrix:
                settings:
                  - {host: ubuntu-24.04, architecture: riscv64}
                  - {host: ubuntu-24.04, architecture: loongarch64}
            steps:
              - uses: docker/setup-qemu-action@v3
              - run: GEN=ninja make && ./build/release/tool --version
        """)
    assert jobs["t"].status == "not-applicable"
    assert {leg.arch for leg in jobs["t"].legs} == {"other"}


def test_qemu_for_an_arch_computed_at_run_time_leaves_the_leg_unknown() -> None:
    jobs = judge("""\
        on: push
        jobs:
          archs:
            runs-on: ubuntu-latest
            outputs: {archs: "${{ steps.a.outputs.archs }}"}
            steps:
              - id: a
                run: echo 'archs=["aarch64","ppc64le"]' >> "$GITHUB_OUTPUT"
          emulated:
            needs: archs
            runs-on: ubuntu-latest
            strategy:
              matrix:
                arch: ${{ fromJSON(needs.archs.outputs.archs) }}
            steps:
              - uses: docker/setup-qemu-action@v3
              - run: pytest --run-emulation "${{ matrix.arch }}" test/test_emulation.py
        """)
    assert jobs["emulated"].status == "unknown"
    assert "matrix.arch, which is computed at run time" in jobs["emulated"].verdict.reason


def test_an_action_given_several_platforms_cross_builds() -> None:
    job = judge(
        _job("""\
              - uses: our-org/release-tools/build@v1
                with:
                  opts: "-p linux/amd64 -p windows/amd64 -p linux/arm64 -p darwin/arm64"
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "cross")


def test_a_toolchain_named_in_one_branch_of_a_script_is_not_the_scripts_target() -> None:
    job = judge(
        _job("""\
              - run: |
                  if [ "$RUNNER_OS" = Windows ]; then
                    cmake -B bld -DCMAKE_C_COMPILER=x86_64-w64-mingw32-gcc
                  fi
                  cmake -B bld2 .
                  cmake --build bld2 && ctest --test-dir bld2
""")
    )["t"]
    assert (job.status, job.purpose.name) == ("amd64-only", "test")


@pytest.mark.parametrize(
    "command",
    ["make CC=icx CXX=icpx check", "cmake -B build -DCMAKE_CXX_COMPILER=/opt/intel/bin/icpc", "CXX=icpx make"],
)
def test_an_intel_compiler_makes_the_build_x86_only(command: str) -> None:
    # Intel's compilers generate x86 code only, wherever they are given
    assert {kind for kind, _ in of_command(command)} == {X86}


@pytest.mark.parametrize(
    "steps",
    [
        # oneAPI's environment script sets up its compilers for the build that follows
        "              - run: cmake -S . -B build\n"
        "              - run: |\n"
        "                  . /opt/intel/oneapi/setvars.sh\n"
        "                  cmake --build build --target ci\n",
        # a compiler run directly
        "              - run: icpx -O2 -fopenmp -o main main.cpp\n",
    ],
)
def test_a_job_building_with_an_intel_compiler_is_x86_only(steps: str) -> None:
    job = judge(_job(steps))["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "x86-specific")


def test_an_intel_compiler_in_the_job_env_makes_every_leg_x86_only() -> None:
    job = judge("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            env: {CC: icx, CXX: icpx}
            steps:
              - run: cmake -B build && cmake --build build && ctest --test-dir build
        """)["t"]
    assert (job.status, job.purpose.name) == ("not-applicable", "x86-specific")


def test_a_cross_compiler_in_the_job_env_makes_the_leg_a_cross_build() -> None:
    # `CC: ${{ matrix.cc }}` naming an armv7 toolchain: the leg's cmake build (its compiler
    # given through a bash array the commands do not show) is for armv7; the gcc leg is native.
    jobs = judge("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                include:
                  - {name: gcc}
                  - {name: armv7, c_compiler: arm-linux-gnueabihf-gcc}
            env:
              CC: ${{ matrix.c_compiler || 'gcc' }}
            steps:
              - run: |
                  declare -a OPTIONS=()
                  [ -n "$CC" ] && OPTIONS+=(-DCMAKE_C_COMPILER="$CC")
                  cmake -B out . ${OPTIONS[*]}
                  cmake --build out
                  cd out && ctest
        """)
    legs = jobs["t"].legs
    assert [(leg.arch, leg.purpose.name) for leg in legs] == [("amd64", "test"), ("other", "cross")]
    assert legs[1].purpose.evidence[0].where == "env CC"


def test_a_compiler_written_to_github_env_in_one_branch_is_not_every_legs() -> None:
    # the written CC reaches every later step's env whichever `case` branch ran: only the
    # job's own env says what every leg compiles with
    job = judge("""\
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                arch: [amd64, arm]
            steps:
              - run: |
                  case "${{ matrix.arch }}" in
                  arm) echo "CC=arm-linux-gnueabihf-gcc" >> $GITHUB_ENV ;;
                  esac
              - run: make
                env: {GOARCH: "${{ matrix.arch }}"}
        """)["t"]
    assert job.legs[0].purpose.name == "build"
