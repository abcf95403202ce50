"""What a command builds or tests for, read from its structure rather than from word lists.

A target is parsed, not looked up: a triple `<cpu>-<vendor>-<os>[-<abi>]` is split into its
parts and each part read on its own (`runners.cpu_arch` for the CPU, `_OS_PARTS` for the
system), so a triple nobody listed (`loongarch64-unknown-linux-musl`, `csky-linux-gnuabiv2`)
still reads. The same parse serves every place a target appears: `--target`/`--host`
arguments, `GOOS`/`GOARCH`/`CARGO_BUILD_TARGET` assignments before a command or as make
variables, compiler flags inside any quoted value (`CFLAGS="-m32 -O1" make check`,
`MOREFLAGS="-mbmi2"`), cross toolchains (`x86_64-w64-mingw32-gcc`, a meson cross file or a
cmake toolchain file named for a target), and container platforms (`--platform linux/386`).

A kind is an architecture (`runners.AMD64`, `ARM64`, `OTHER`), `X86` (work that only exists
on x86: 32-bit x86, the x32 ABI, x86 instruction-set extensions) or `OTHER_OS` (another
operating system, wasm, bare metal).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.core.lazyre import lazy
from bot.core.runners import AMD64, ARM64, OTHER, X86_32, cpu_arch

_TRIPLE_PART = lazy(r"[-_]")
_NAME = lazy(r"[A-Za-z_]\w*")  # a variable's
_WORD_QUOTED = lazy(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""")  # a shell word, quotes kept

X86 = "x86-specific"
X86_ABI_FLAGS = ("-m32", "-mx32", "-m16")  # 32-bit and x32 code: x86-only whatever is built
# Intel's compilers, classic and oneAPI: they generate x86 code only.
X86_COMPILERS = frozenset(("icc", "icpc", "icx", "icpx", "ifort", "ifx", "dpcpp"))
OTHER_OS = "other-target"

# Parts of a triple (or a toolchain's name) that name a system other than Linux.
_OS_PARTS = frozenset(
    (
        "windows",
        "mingw32",
        "mingw64",
        "mingw",
        "w64",
        "win32",
        "win64",
        "msvc",
        "cygwin",
        "darwin",
        "apple",
        "macos",
        "ios",
        "tvos",
        "watchos",
        "visionos",
        "android",
        "androideabi",
        "freebsd",
        "netbsd",
        "openbsd",
        "dragonfly",
        "illumos",
        "solaris",
        "redox",
        "fuchsia",
        "haiku",
        "hermit",
        "uefi",
        "none",
        "elf",
        "eabi",
        "eabihf",
        "emscripten",
        "wasi",
        "wasip1",
        "wasip2",
        "cuda",
        "sgx",
        "vxworks",
        "qnx",
        "nto",
        "aix",
        "zos",
        "horizon",
        "psp",
    )
)
_WASM_CPU = lazy(r"^wasm(32|64)?$")
_X32_ABI = frozenset(("gnux32", "muslx32"))


@lru_cache(maxsize=2048)
def kind_of(target: str) -> str | None:
    """The kind of a target written as a triple (`aarch64-unknown-linux-gnu`), a GOARCH or a
    bare CPU name (`i686`, `riscv64`), for a Linux host; None when it is no target at all
    (`cmake --target cuda_kernels`, `docker build --target runtime`)."""
    word = target.strip().strip("\"'").lower()
    if not word:
        return None
    parts = [part for part in _TRIPLE_PART.split(word) if part]
    first = word.split("-", 1)[0]
    if _WASM_CPU.match(first) or word in ("js", "wasm"):
        return OTHER_OS
    cpu = cpu_arch(first)
    rest = set(word.split("-")[1:])
    if cpu is None:
        # `x86_64` is one part only when split on `-`
        return OTHER_OS if "-" in word and rest & _OS_PARTS and _looks_like_triple(parts) else None
    if rest & _OS_PARTS or any(_names_other_os(part) for part in rest):
        return OTHER_OS
    if rest & _X32_ABI:
        return X86
    return X86 if cpu == X86_32 else cpu


def _names_other_os(part: str) -> bool:
    """A triple's part naming a system that is not Linux, beyond `_OS_PARTS`: `amigaos`,
    `msdosdjgpp`, `dragonflybsd`, `mingw32`, `windows-msvc` …"""
    if part.startswith(("linux", "gnu", "musl", "uclibc")):
        return False
    return part.startswith(("mingw", "windows", "android", "darwin", "msdos", "djgpp")) or part.endswith(
        ("os", "bsd")
    )


def _looks_like_triple(parts: list[str]) -> bool:
    return len(parts) >= 2 and cpu_arch(parts[0]) is not None


# Compiler flags that exist only for x86 (`-m32`, `-mbmi2`, `-march=haswell`) and macros
# that switch x86 instruction-set code on or off (`-DDYNAMIC_BMI2=1`, `-DENABLE_AVX2=ON`).
_X86_ISA = (
    r"(bmi2?|avx\w*|sse\d?\w*|ssse3|pclmul|aes|popcnt|lzcnt|f16c|fma4?|adx|sha|vaes|vpclmulqdq|"
    r"movbe|xsave\w*|rdrnd|rdseed|tbm|xop|3dnow\w*|mmx|gfni|amx\w*|avx512\w*)"
)
_X86_FLAG = lazy(
    r"^(" + "|".join(X86_ABI_FLAGS) + r"|-m(no-)?" + _X86_ISA + r"|"
    r"-march=(x86-64[\w-]*|i[3-6]86|pentium\w*|core2|nehalem|westmere|sandybridge|ivybridge|haswell|"
    r"broadwell|skylake[\w-]*|cannonlake|icelake[\w-]*|cascadelake|cooperlake|tigerlake|alderlake|"
    r"raptorlake|sapphirerapids|graniterapids|znver\d|bdver\d|btver\d|k8|athlon\w*|atom|silvermont|"
    r"goldmont\w*)|-mtune=(haswell|skylake\w*|znver\d|intel|generic-x86))$",
    re.IGNORECASE,
)
# Words of a macro's name (split on `_`) that name an x86 instruction-set extension.
_X86_MACRO_WORDS = frozenset(
    (
        "BMI",
        "BMI1",
        "BMI2",
        "AVX",
        "AVX2",
        "AVX512",
        "AVXVNNI",
        "SSE",
        "SSE2",
        "SSE3",
        "SSE4",
        "SSE41",
        "SSE42",
        "SSSE3",
        "PCLMUL",
        "PCLMULQDQ",
        "POPCNT",
        "LZCNT",
        "F16C",
        "VAES",
        "VPCLMULQDQ",
        "GFNI",
        "AMX",
    )
)


def _x86_macro(token: str) -> bool:
    """`-DDYNAMIC_BMI2=1`, `-DENABLE_AVX2=ON`: x86 instruction-set code switched on or
    chosen; a cmake option turned OFF builds the generic code, which every CPU runs."""
    name, _, value = token[2:].partition("=")
    if value.upper() in ("OFF", "FALSE", "NO"):
        return False
    return any(word in _X86_MACRO_WORDS or word.startswith("AVX512") for word in name.upper().split("_"))


# A cross toolchain's binary: `x86_64-w64-mingw32-gcc`, `aarch64-linux-gnu-g++-13`.
_TOOLCHAIN = lazy(
    r"(?<![\w./-])([a-z0-9_]+(?:-[a-z0-9_]+){1,3})-(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|gfortran|ld|ar|as|"
    r"strip|objcopy|windres|ranlib)(-\d+)?(?![\w-])",
    re.IGNORECASE,
)


# Arguments whose value is a target triple, and those whose value is a file naming one.
_TARGET_OPTIONS = (
    "--target",
    "--host",
    "-target",
    "--triple",
    "--build-target",
    "-Dtarget",
    "--arch",
    "-goarch",
    "--goarch",
)
_OS_OPTIONS = ("-goos", "--goos")
_FILE_OPTIONS = ("--cross-file", "--toolchain", "-DCMAKE_TOOLCHAIN_FILE", "--crossfile")
_ASSIGNED = {
    "GOARCH": "arch",
    "GOOS": "os",
    "CARGO_BUILD_TARGET": "triple",
    "RUST_TARGET": "triple",
    "TARGET": "triple",
    "HOST": "triple",
    "CROSS_COMPILE": "prefix",
    "CC": "tool",
    "CXX": "tool",
    "FC": "tool",
    # a cross toolchain's name is read wherever it appears (_TOOLCHAIN): these add
    # only what a plain compiler name says (`-DCMAKE_CXX_COMPILER=icpx`)
    "CMAKE_C_COMPILER": "compiler",
    "CMAKE_CXX_COMPILER": "compiler",
    "CMAKE_FORTRAN_COMPILER": "compiler",
    "CMAKE_SYSTEM_NAME": "os",
    "CMAKE_SYSTEM_PROCESSOR": "arch",
    "CMAKE_C_COMPILER_TARGET": "triple",
    "CMAKE_CXX_COMPILER_TARGET": "triple",
    "ANDROID_ABI": "android",
    "ANDROID_NDK": "android",
    "ANDROID_NDK_HOME": "android",
}
_GOOS_LINUX = ("linux", "")
_FILE_WORD = lazy(r"[a-z0-9]+(?:[-_][a-z0-9]+)*", re.IGNORECASE)


def of_command(command: str) -> tuple[tuple[str, str], ...]:
    """Each target a command names, as (kind, what named it): its flags, options, variable
    assignments (before the command or as make variables) and cross toolchains."""
    if "-" not in command and "=" not in command:
        return ()  # no option, no assignment, no toolchain name: nothing to read
    return _of_command(command[:4000])


@lru_cache(maxsize=4096)
def _of_command(command: str) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    tokens = _tokens(command)
    for index, token in enumerate(tokens):
        name, equals, value = token.partition("=")
        if token.startswith("-"):
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            found.extend(_option(token, following))
        elif equals and _NAME.fullmatch(name):
            found.extend(_assignment(name, value))
    for match in _TOOLCHAIN.finditer(command):
        kind = _toolchain_kind(match.group(1))
        if kind is not None:
            found.append((kind, match.group(0)))
    return tuple(dict.fromkeys(found))


def _tokens(command: str) -> list[str]:
    """Words with their quotes removed; a quoted value's flags are words too."""
    words: list[str] = []
    for raw in _WORD_QUOTED.findall(command):
        word = raw.replace('"', "").replace("'", "")
        _, equals, value = word.partition("=")
        words.append(word)
        if (equals and value.startswith("-")) or " " in value:
            words.extend(value.split())  # `CFLAGS="-m32 -O1"`, `-DCMAKE_C_FLAGS=-mavx2`
    return words


def _option(token: str, following: str) -> list[tuple[str, str]]:
    if _X86_FLAG.match(token) or (token.startswith("-D") and _x86_macro(token)):
        return [(X86, token)]
    option, equals, value = token.partition("=")
    if not equals:
        value = following
    if option in _TARGET_OPTIONS:
        kind = kind_of(value) if value and not value.startswith("-") else None
        return [(kind, f"{option} {value}")] if kind is not None else []
    if option in _OS_OPTIONS and value and not value.startswith("-"):
        return _assignment("GOOS", value)
    if option in _FILE_OPTIONS and value:
        kind = _file_kind(value)
        return [(kind, f"{option} {value}")] if kind is not None else []
    if option == "--platform" and value:
        # a container of another arch runs under QEMU: that is emulation (emulation.py),
        # not a build for another target, unless no amd64 or arm64 host could run it
        return [item for item in _platform(value) if item[0] in (X86, OTHER_OS)]
    if option.startswith("-D") and "=" in token:
        return _assignment(option[2:], value)
    return []


def _assignment(name: str, value: str) -> list[tuple[str, str]]:
    role = _ASSIGNED.get(name.upper())
    value = value.strip()
    if role is None or not value or "$" in value:
        return []
    shown = f"{name}={value}"
    if role == "os":
        return [] if value.lower() in _GOOS_LINUX else [(OTHER_OS, shown)]
    if role == "android":
        return [(OTHER_OS, shown)]
    if role in ("arch", "triple"):
        kind = kind_of(value)
        return [(kind, shown)] if kind is not None else []
    if role == "prefix":
        kind = _toolchain_kind(value.rstrip("-"))
        return [(kind, shown)] if kind is not None else []
    kind = of_compiler(value, cross=role == "tool")
    return [(kind, shown)] if kind is not None else []


def of_compiler(value: str, cross: bool = True) -> str | None:
    """The kind a compiler (a CC or CXX value) builds for: Intel's build x86 only; a cross
    toolchain (`aarch64-linux-gnu-gcc`, `ccache arm-linux-gnueabihf-gcc`) its target's;
    None for a native compiler (`gcc`, `clang-18`). Without `cross`, only what a plain
    compiler name says (the caller reads toolchain names elsewhere)."""
    if value.strip().rsplit("/", 1)[-1].lower() in X86_COMPILERS:
        return X86
    if not cross:
        return None
    match = _TOOLCHAIN.search(value)
    return _toolchain_kind(match.group(1)) if match else None


def _toolchain_kind(prefix: str) -> str | None:
    kind = kind_of(prefix)
    return kind if kind is not None and "-" in prefix else None


def _file_kind(path: str) -> str | None:
    """A cross or toolchain file named for its target (`cross/aarch64-linux.ini`,
    `mingw-w64.cmake`); a file with a neutral name (`cross.ini`) says nothing."""
    name = path.rsplit("/", 1)[-1].lower()
    for word in _FILE_WORD.findall(name):
        parts = word.split("-")
        # the whole name (`aarch64-linux-gnu.cmake`), else any part (`toolchain-aarch64.cmake`)
        for candidate in (word, *parts):
            kind = kind_of(candidate)
            if kind is not None:
                return kind
        if any(part in _OS_PARTS for part in parts):
            return OTHER_OS
    return None


def _platform(value: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for item in value.split(","):
        os_part, _, arch_part = item.strip().partition("/")
        if not arch_part:
            continue
        if os_part.lower() not in ("linux", ""):
            found.append((OTHER_OS, f"--platform {item}"))
            continue
        kind = kind_of(arch_part.split("/")[0])
        if kind is not None:
            found.append((kind, f"--platform {item}"))
    return found


def of_script(script: str) -> tuple[tuple[str, str], ...]:
    """The cross toolchains a whole script names, heredocs included (a meson cross file
    written with `cat > cross.ini <<EOF … c = 'x86_64-w64-mingw32-gcc'`): the builds of the
    same script use them."""
    found = []
    for match in _TOOLCHAIN.finditer(script[:20000]):
        kind = _toolchain_kind(match.group(1))
        if kind is not None:
            found.append((kind, match.group(0)))
    return tuple(dict.fromkeys(found))


__all__ = ["AMD64", "ARM64", "OTHER", "OTHER_OS", "X86", "kind_of", "of_command", "of_compiler", "of_script"]
