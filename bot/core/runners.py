"""Runner labels: which OS and CPU architecture a `runs-on` value lands on.

Every label rule lives here: GitHub-hosted labels with their retirement dates, the
self-hosted arch and OS labels, architecture aliases, and the user's `runners:` globs.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import date

from bot.core.lazyre import lazy
from bot.core.records import record

AMD64 = "amd64"
ARM64 = "arm64"
OTHER = "other"
UNKNOWN = "unknown"
LINUX, MACOS, WINDOWS = "linux", "macos", "windows"


@record(frozen=True)
class Hosted:
    os: str
    arch: str
    retired: date | None = None
    arm64_twin: str | None = None  # the hosted arm64 label a fix moves an amd64 leg to


# GitHub-hosted standard runners, as actions/runner-images lists them (its README's
# "Available Images"; tests/data/runner-images-labels.tsv holds that list). Retired labels
# keep their arch so that a workflow still written against them is judged, and reported as
# retired.
HOSTED: dict[str, Hosted] = {
    "ubuntu-latest": Hosted(LINUX, AMD64, arm64_twin="ubuntu-24.04-arm"),
    "ubuntu-26.04": Hosted(LINUX, AMD64, arm64_twin="ubuntu-26.04-arm"),  # public preview
    "ubuntu-24.04": Hosted(LINUX, AMD64, arm64_twin="ubuntu-24.04-arm"),
    "ubuntu-22.04": Hosted(LINUX, AMD64, arm64_twin="ubuntu-22.04-arm"),
    "ubuntu-slim": Hosted(LINUX, AMD64, arm64_twin="ubuntu-24.04-arm"),
    "ubuntu-20.04": Hosted(LINUX, AMD64, date(2025, 4, 15), arm64_twin="ubuntu-22.04-arm"),
    "ubuntu-18.04": Hosted(LINUX, AMD64, date(2023, 4, 3), arm64_twin="ubuntu-22.04-arm"),
    "ubuntu-26.04-arm": Hosted(LINUX, ARM64),  # public preview
    "ubuntu-24.04-arm": Hosted(LINUX, ARM64),
    "ubuntu-22.04-arm": Hosted(LINUX, ARM64),
    "windows-latest": Hosted(WINDOWS, AMD64, arm64_twin="windows-11-arm"),
    "windows-2025": Hosted(WINDOWS, AMD64, arm64_twin="windows-11-arm"),
    "windows-2025-vs2026": Hosted(WINDOWS, AMD64, arm64_twin="windows-11-vs2026-arm"),
    "windows-2022": Hosted(WINDOWS, AMD64, arm64_twin="windows-11-arm"),
    "windows-2019": Hosted(WINDOWS, AMD64, date(2025, 6, 30), arm64_twin="windows-11-arm"),
    "windows-11-arm": Hosted(WINDOWS, ARM64),
    "windows-11-vs2026-arm": Hosted(WINDOWS, ARM64),
    "xcode-27": Hosted(MACOS, ARM64),  # macOS with Xcode 27, public preview
    "xcode-27-xlarge": Hosted(MACOS, ARM64),
    "macos-latest": Hosted(MACOS, ARM64),
    "macos-26": Hosted(MACOS, ARM64),
    "macos-15": Hosted(MACOS, ARM64),
    "macos-14": Hosted(MACOS, ARM64),
    "macos-26-intel": Hosted(MACOS, AMD64, arm64_twin="macos-26"),
    "macos-15-intel": Hosted(MACOS, AMD64, arm64_twin="macos-15"),
    "macos-13": Hosted(MACOS, AMD64, date(2025, 12, 4), arm64_twin="macos-15"),
    "macos-12": Hosted(MACOS, AMD64, date(2024, 12, 3), arm64_twin="macos-15"),
    "macos-11": Hosted(MACOS, AMD64, date(2024, 6, 28), arm64_twin="macos-15"),
}
# macOS larger runners: -large is Intel, -xlarge is Apple silicon.
_MACOS_LARGER = lazy(r"^macos-(latest|\d+)-(x?large)$")


@record(frozen=True)
class Vendor:
    """A runner vendor's label form: OS and arch from the label, `None` when not in it."""

    name: str
    pattern: re.Pattern[str]
    os: str | None  # None: from the label's `os` group
    arch: str | None  # None: from the label's `arch` group, else `default_arch`
    default_arch: str | None = None


def _vendor(
    name: str, pattern: str, os: str | None = None, arch: str | None = None, default_arch: str | None = None
) -> Vendor:
    return Vendor(name, lazy(pattern, re.IGNORECASE), os, arch, default_arch)


# Third-party runners, from each vendor's documentation (README, "Vendor runners").
# macOS runners at every vendor below are Apple silicon.
VENDORS: tuple[Vendor, ...] = (
    # depot-ubuntu-24.04, depot-ubuntu-24.04-arm-8, depot-ubuntu-latest-4
    _vendor("Depot", r"^depot-(?P<os>ubuntu)-(\d\d\.\d\d|latest)(?P<arch>-arm)?(-\d+)?$", default_arch=AMD64),
    _vendor("Depot", r"^depot-(?P<os>macos)-[\w.]+$", arch=ARM64),
    _vendor("Depot", r"^depot-(?P<os>windows)-[\w.]+?(?P<arch>-arm)?(-\d+)?$", default_arch=AMD64),
    # nscloud-ubuntu-22.04-arm64-4x8; no arch part means amd64
    _vendor(
        "Namespace",
        r"^nscloud-(?P<os>ubuntu|windows|macos)-[\w.]+?(-(?P<arch>amd64|arm64))?(-\d+x\d+)?$",
        default_arch=AMD64,
    ),
    # blacksmith-4vcpu-ubuntu-2404, blacksmith-2vcpu-ubuntu-2404-arm, blacksmith-6vcpu-macos-15
    _vendor("Blacksmith", r"^blacksmith(-\d+vcpu)?-(?P<os>ubuntu)-\d{4}(?P<arch>-arm)?$", default_arch=AMD64),
    _vendor("Blacksmith", r"^blacksmith(-\d+vcpu)?-(?P<os>macos)-[\w.]+$", arch=ARM64),
    _vendor("Blacksmith", r"^blacksmith(-\d+vcpu)?-(?P<os>windows)-[\w.]+$", arch=AMD64),
    _vendor("Blacksmith", r"^blacksmith(?P<arch>-arm)?$", os=LINUX, default_arch=AMD64),
    # buildjet-8vcpu-ubuntu-2204, buildjet-4vcpu-ubuntu-2204-arm
    _vendor("BuildJet", r"^buildjet-\d+vcpu-(?P<os>ubuntu)-\d{4}(?P<arch>-arm)?$", default_arch=AMD64),
    # ubicloud, ubicloud-standard-16-arm, ubicloud-standard-2-arm-ubuntu-2404
    _vendor(
        "Ubicloud",
        r"^ubicloud(-(standard|premium)-\d+|-gpu(-standard-\d+-latest)?)?(?P<arch>-arm)?"
        r"(-ubuntu-\d{4})?(?P<arch2>-arm)?$",
        os=LINUX,
        default_arch=AMD64,
    ),
    # warp-ubuntu-latest-x64-4x, warp-ubuntu-2204-arm64-8x, warp-macos-15-arm64-6x
    _vendor("WarpBuild", r"^warp-(?P<os>ubuntu|macos|windows)-[\w.]+-(?P<arch>x64|arm64)-\d+x$"),
    # ghcr.io/cirruslabs/ubuntu-runner-arm64:24.04, ghcr.io/cirruslabs/macos-runner:sonoma
    _vendor(
        "Cirrus Runners", r"^ghcr\.io/cirruslabs/(?P<os>ubuntu)-runner-(?P<arch>amd64|arm64)(-gpu)?(:.*)?$"
    ),
    _vendor("Cirrus Runners", r"^ghcr\.io/cirruslabs/(?P<os>macos)-runner(:.*)?$", arch=ARM64),
)
# RunsOn: `runs-on=<run id>/runner=2cpu-linux-arm64` (or `,`-separated, or list items);
# the arch is in `runner=` or `image=`, else the default image (x64) unless a `family=`
# picks the instance type, which may be either.
_RUNS_ON_FIELD = lazy(r"(?:^|[/,])(runner|image|family|ami)=([^/,]+)", re.IGNORECASE)
# Namespace profiles are named by their owner; the arch and OS are only known from words.
_NAMESPACE_PROFILE = lazy(r"^namespace-profile-", re.IGNORECASE)


# Architecture words, as runner labels, matrix values and docker platforms write them.
ARCH_ALIASES: dict[str, str] = {
    "amd64": AMD64,
    "x64": AMD64,
    "x86_64": AMD64,
    "x86-64": AMD64,
    "linux/amd64": AMD64,
    "arm64": ARM64,
    "aarch64": ARM64,
    "arm64v8": ARM64,
    "arm64/v8": ARM64,
    "linux/arm64": ARM64,
    "linux/arm64/v8": ARM64,
    "linux/aarch64": ARM64,
    "ppc64le": OTHER,
    "s390x": OTHER,
    "riscv64": OTHER,
    "armv7": OTHER,
    "armv7l": OTHER,
    "armv6": OTHER,
    "arm": OTHER,
    "arm/v7": OTHER,
    "arm/v6": OTHER,
    "i386": OTHER,
    "i686": OTHER,
    "386": OTHER,
    "x86": OTHER,
    "loong64": OTHER,
    "loongarch64": OTHER,
    "mips64le": OTHER,
    "linux/ppc64le": OTHER,
    "linux/s390x": OTHER,
    "linux/riscv64": OTHER,
    "linux/arm/v7": OTHER,
    "linux/arm/v6": OTHER,
    "linux/386": OTHER,
    "arm32": OTHER,
    "armhf": OTHER,
    "armel": OTHER,
}
_OS_LABELS = {"linux": LINUX, "windows": WINDOWS, "macos": MACOS, "osx": MACOS}
_ARCH_LABELS = {"arm64": ARM64, "aarch64": ARM64, "x64": AMD64, "amd64": AMD64, "x86_64": AMD64}

# Arch words inside names ("linux-intel", "build-arm64", "cp313-manylinux_aarch64"), used to
# tell that two legs or jobs differ only in the architecture they choose.
ARCH_WORD = lazy(
    r"(?<![a-z0-9])(x86_64|x86-64|amd64|x64|intel|arm64v8|arm64|aarch64|arm32|armhf|armel|"
    r"arm|x86)(?![a-z0-9])",
    re.IGNORECASE,
)


def arch_of_word(word: object) -> str | None:
    """The architecture a value names exactly (`aarch64`, `linux/arm64`, `linux/loong64`),
    else None."""
    if not isinstance(word, str):
        return None
    lowered = word.strip().lower()
    known = ARCH_ALIASES.get(lowered)
    if known is not None or not lowered.startswith("linux/"):
        return known
    cpu = cpu_arch(lowered[len("linux/") :].split("/", 1)[0])
    return OTHER if cpu == X86_32 else cpu


X86_32 = "x86"  # a 32-bit x86 CPU: `other` as a runner's arch, x86-only work as a target
# CPU names as triples, GOARCH, Debian and docker write them; anything else is not a CPU.
_CPU = lazy(
    r"^(?P<amd64>x86_64|amd64|x64|x86-64)$|^(?P<arm64>aarch64|arm64|arm64e|arm64ec)$|"
    r"^(?P<x86>i[3-6]86|x86|386|ia32)$|"
    r"^(?P<other>aarch64_be|arm|armv\d+\w*|armhf|armel|arm64_32|thumbv\d+\w*|powerpc\w*|ppc\w*|"
    r"s390x?|riscv\d+\w*|mips\w*|loongarch\d+|loong64|sparc\w*|m68k|hexagon|csky|xtensa|avr|msp430|"
    r"bpf\w*|nvptx\w*|amdgcn|sh4|alpha|hppa|ia64|or1k|arc|lanai|e2k)$"
)


def cpu_arch(word: str) -> str | None:
    """The architecture a CPU name is (`aarch64` arm64, `i686` X86_32, `loongarch64`
    other), or None when the word names no CPU."""
    match = _CPU.match(word.strip().lower())
    if match is None:
        return None
    group = match.lastgroup
    return {"amd64": AMD64, "arm64": ARM64, "x86": X86_32}.get(group or "", OTHER)


_ARCH_WORD_WITH_SEPARATOR = lazy(r"[-_. :/]*" + ARCH_WORD.pattern, re.IGNORECASE)


def without_arch_words(text: str) -> str:
    """`smoke-test-linux-aarch64` -> `smoke-test-linux`; `linux-intel` -> `linux`."""
    return _ARCH_WORD_WITH_SEPARATOR.sub("", text)


@record(frozen=True)
class Resolution:
    os: str
    arch: str
    labels: tuple[str, ...]
    self_hosted: bool = False
    retired: date | None = None
    hosted_label: str | None = None
    reason: str | None = None  # why os/arch is unknown
    inferred: bool = False  # read from words inside a custom label (larger runners)


def _glob_match(patterns: dict[str, str], label: str) -> str | None:
    for pattern, target in patterns.items():
        if fnmatch.fnmatchcase(label.lower(), pattern.lower()):
            return target
    return None


def parse_target(target: str) -> tuple[str | None, str]:
    """A `runners:` value: `arm64`, or `linux/arm64` to give the OS too."""
    os_part, _, arch_part = target.rpartition("/")
    arch = _ARCH_LABELS.get(arch_part.lower(), arch_part.lower())
    return (_OS_LABELS.get(os_part.lower()) if os_part else None), arch


def resolve(
    labels: list[str], group: str | None = None, user_runners: dict[str, str] | None = None
) -> Resolution:
    """Resolve a runner given as labels (all must match) and optionally a runner group."""
    user_runners = user_runners or {}
    clean = tuple(str(label).strip() for label in labels if str(label).strip())
    if not clean:
        if group:
            return _from_user(clean, user_runners, [group]) or Resolution(
                UNKNOWN, UNKNOWN, clean, reason=f"runner group '{group}' names no architecture"
            )
        return Resolution(UNKNOWN, UNKNOWN, clean, reason="runs-on is empty")

    lowered = [label.lower() for label in clean]
    hosted = [label for label in lowered if label in HOSTED or _MACOS_LARGER.match(label)]
    if hosted and "self-hosted" not in lowered:
        label = hosted[0]
        entry = HOSTED.get(label)
        if entry is None:
            size = _MACOS_LARGER.match(label)
            entry = Hosted(MACOS, ARM64 if size and size.group(2) == "xlarge" else AMD64)
        return Resolution(entry.os, entry.arch, clean, retired=entry.retired, hosted_label=label)

    user = _from_user(clean, user_runners, [group] if group else [])
    if user is not None:
        return user

    vendor = _from_vendor(clean)
    if vendor is not None:
        return vendor

    oses = {_OS_LABELS[label] for label in lowered if label in _OS_LABELS}
    arches = {_ARCH_LABELS[label] for label in lowered if label in _ARCH_LABELS}
    self_hosted = "self-hosted" in lowered
    if len(arches) > 1:
        return Resolution(
            UNKNOWN,
            UNKNOWN,
            clean,
            self_hosted,
            reason=f"runner labels {list(clean)} name conflicting architectures",
        )
    if len(oses) > 1:
        return Resolution(
            UNKNOWN, UNKNOWN, clean, self_hosted, reason=f"runner labels {list(clean)} name conflicting systems"
        )
    if not arches:
        # Larger and self-hosted runners carry names their owners chose: read for either arch
        inferred = _infer(clean, self_hosted)
        if inferred is not None:
            return inferred
    if not arches:
        what = "self-hosted runner labels" if self_hosted else "runner label"
        verb = "names" if len(clean) == 1 else "name"
        # A label that names a system but no arch (`ci-windows-github-1`) still decides the
        # OS, which is all a leg on an unjudged platform needs.
        oses = oses or _os_words(clean)
        return Resolution(
            next(iter(oses)) if len(oses) == 1 else UNKNOWN,
            UNKNOWN,
            clean,
            self_hosted,
            reason=f"{what} {_show(clean)} {verb} no architecture; map them under `runners:`",
        )
    arch = next(iter(arches))
    if not self_hosted and not oses:
        return _infer(clean) or Resolution(UNKNOWN, arch, clean, reason=f"unknown runner label {_show(clean)}")
    # A self-hosted runner with an arch label but no OS label is, in practice, Linux.
    os = next(iter(oses)) if oses else LINUX
    return Resolution(os, arch, clean, self_hosted)


_OS_WORD = lazy(r"(?<![a-z])(ubuntu|linux|windows|macos)(?![a-z])", re.IGNORECASE)
_VENDOR_ARCH = {"-arm": ARM64, "arm64": ARM64, "amd64": AMD64, "x64": AMD64}


def _os_words(labels: tuple[str, ...]) -> set[str]:
    return {_OS_LABELS.get(m.lower(), LINUX) for label in labels for m in _OS_WORD.findall(label)}


def _from_vendor(labels: tuple[str, ...]) -> Resolution | None:
    """Depot, Namespace, Blacksmith, BuildJet, Ubicloud, WarpBuild, RunsOn, Cirrus labels."""
    lowered = [label.lower() for label in labels]
    if any(label == "runs-on" or label.startswith(("runs-on=", "runs-on/")) for label in lowered):
        return _runs_on_vendor(labels)
    for label in labels:
        if _NAMESPACE_PROFILE.match(label):
            return _namespace_profile(label, labels)
        for vendor in VENDORS:
            match = vendor.pattern.match(label)
            if match is None:
                continue
            groups = {k: v for k, v in match.groupdict().items() if v}
            os = vendor.os or _OS_LABELS.get(groups.get("os", "").lower(), LINUX)
            named = groups.get("arch") or groups.get("arch2")
            arch = vendor.arch or (_VENDOR_ARCH[named.lower()] if named else vendor.default_arch)
            return Resolution(
                os,
                arch or UNKNOWN,
                labels,
                reason=None if arch else f"{vendor.name} label {label} names no architecture",
            )
    return None


def _namespace_profile(label: str, labels: tuple[str, ...]) -> Resolution:
    """A profile's machine is set in Namespace's dashboard: only words in its name tell."""
    oses = _os_words((label,))
    arches = arches_named(label.replace("x86-64", "x86_64")) & {AMD64, ARM64}
    os = next(iter(oses)) if len(oses) == 1 else None
    if os == MACOS:
        arches = {ARM64}  # Namespace's macOS machines are Apple silicon
    if len(arches) == 1:
        # Like a self-hosted runner with an arch label and no OS label: in practice Linux.
        return Resolution(os or LINUX, next(iter(arches)), labels)
    return Resolution(
        os or UNKNOWN,
        UNKNOWN,
        labels,
        reason=f"Namespace profile {label} names no architecture (it is set in "
        "the profile); map it under `runners:`",
    )


def _runs_on_vendor(labels: tuple[str, ...]) -> Resolution:
    """RunsOn: `runs-on=<id>/runner=2cpu-linux-arm64/image=ubuntu24-full-x64`."""
    fields = {key.lower(): value for label in labels for key, value in _RUNS_ON_FIELD.findall(label)}
    words = " ".join(fields.get(key, "") for key in ("runner", "image"))
    arches = arches_named(words) & {AMD64, ARM64}
    os = WINDOWS if "windows" in words.lower() else LINUX
    if len(arches) == 1:
        return Resolution(os, next(iter(arches)), labels)
    if not fields:  # RunsOn's default runner and image are x64 Linux
        return Resolution(LINUX, AMD64, labels)
    shown = ", ".join(f"{key}={value}" for key, value in fields.items())
    return Resolution(
        os, UNKNOWN, labels, reason=f"RunsOn runner ({shown}) names no architecture; map it under `runners:`"
    )


_WORD_ARCH = {
    "x86_64": AMD64,
    "x86-64": AMD64,
    "amd64": AMD64,
    "x64": AMD64,
    "intel": AMD64,
    "x86": AMD64,  # a runner machine named x86 is x86-64: no one hosts 32-bit runners
    "arm64": ARM64,
    "aarch64": ARM64,
    "arm": ARM64,
}


def _infer(labels: tuple[str, ...], self_hosted: bool = False) -> Resolution | None:
    """Larger runners carry names their owners chose (`github-ubuntu-24.04-aarch64-2`). On a
    self-hosted runner a bare `arm` is GitHub's label for 32-bit ARM, so it says nothing."""
    oses = {_OS_LABELS.get(m.lower(), LINUX) for label in labels for m in _OS_WORD.findall(label)}
    arches = {
        _WORD_ARCH[m.lower()]
        for label in labels
        for m in ARCH_WORD.findall(label)
        if m.lower() in _WORD_ARCH and not (self_hosted and m.lower() == "arm")
    }
    if len(oses) == 1 and len(arches) == 1:
        return Resolution(next(iter(oses)), next(iter(arches)), labels, inferred=True)
    return None


def _from_user(clean: tuple[str, ...], user_runners: dict[str, str], extra: list[str]) -> Resolution | None:
    if not user_runners:
        return None
    for label in (*clean, *extra):
        target = _glob_match(user_runners, label)
        if target is not None:
            os, arch = parse_target(target)
            if arch not in (AMD64, ARM64, OTHER):
                arch = UNKNOWN
            lowered = {item.lower() for item in clean}
            label_os = {_OS_LABELS[item] for item in lowered if item in _OS_LABELS}
            resolved_os = os or (next(iter(label_os)) if len(label_os) == 1 else LINUX)
            return Resolution(resolved_os, arch, clean, "self-hosted" in lowered)
    return None


def _show(labels: tuple[str, ...]) -> str:
    return labels[0] if len(labels) == 1 else "[" + ", ".join(labels) + "]"


def arches_named(text: str) -> set[str]:
    """The architectures a text names outright (`test-results-aarch64` -> {'arm64'})."""
    return {arch for word in ARCH_WORD.findall(text) if (arch := arch_of_word(word)) is not None}


def names_amd64(text: str) -> bool:
    """Whether text names amd64 outright (`x86_64`, `amd64`, `x64`, `intel`)."""
    return AMD64 in arches_named(text)


# actions/setup-python has Linux arm64 builds of CPython from 3.8 on (actions/python-versions;
# 3.7 and older exist for x64 only).
SETUP_PYTHON_LINUX_ARM64_FROM = (3, 8)
_CPYTHON_VERSION = lazy(r"^(\d+)\.(\d+)")


def pythons_without_linux_arm64(python_version: str) -> list[str]:
    """The CPython versions a setup-python `python-version` input asks for (one, or one per
    line) that it has no Linux arm64 build of: `3.7` -> ['3.7']; `3.12`, `3.x`, `pypy3.7` -> []."""
    lacking: list[str] = []
    for item in python_version.split():
        version = item.strip("'\",")
        parts = _CPYTHON_VERSION.match(version)
        if parts and (int(parts[1]), int(parts[2])) < SETUP_PYTHON_LINUX_ARM64_FROM:
            lacking.append(version)
    return lacking


_ARM64_WORD = {"x86_64": "aarch64", "x86-64": "aarch64", "amd64": "arm64", "x64": "arm64", "intel": "arm"}


def arm64_word(word: str) -> str | None:
    """The arm64 counterpart of an amd64 word, in the same case (`X64` -> `ARM64`)."""
    twin = _ARM64_WORD.get(word.lower())
    if twin is None:
        return None
    return twin.upper() if word.isupper() else twin


_AMD64_IN_TEXT = lazy(r"(?<![A-Za-z0-9])(x86_64|x86-64|amd64|x64)(?![A-Za-z0-9])", re.IGNORECASE)


def arm64_counterpart(text: str) -> str | None:
    """A value with each amd64 word turned arm64 (`x86_64-unknown-linux-gnu` ->
    `aarch64-unknown-linux-gnu`, `linux-x64` -> `linux-arm64`); None when it names none."""
    if not _AMD64_IN_TEXT.search(text):
        return None
    return _AMD64_IN_TEXT.sub(lambda match: arm64_word(match.group(0)) or match.group(0), text)


def hosted_arm64_twin(label: str) -> str | None:
    entry = HOSTED.get(label.lower())
    return entry.arm64_twin if entry else None


# The same machine size on arm64, per vendor (`blacksmith-4vcpu-ubuntu-2404` -> `…-arm`).
_VENDOR_TWINS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (lazy(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"^(depot-ubuntu-(?:\d\d\.\d\d|latest))(-\d+)?$", r"\1-arm\2"),
        (r"^(nscloud-ubuntu-[\d.]+)-amd64(-\d+x\d+)?$", r"\1-arm64\2"),
        (r"^(nscloud-ubuntu-[\d.]+)$", r"\1-arm64"),
        (r"^(blacksmith-\d+vcpu-ubuntu-\d{4})$", r"\1-arm"),
        (r"^(buildjet-\d+vcpu-ubuntu-\d{4})$", r"\1-arm"),
        (r"^(ubicloud-standard-\d+)$", r"\1-arm"),
        (r"^(ubicloud-standard-\d+)(-ubuntu-\d{4})$", r"\1-arm\2"),
        (r"^ubicloud$", "ubicloud-arm"),
        (r"^(warp-ubuntu-[\w.]+)-x64-(\d+x)$", r"\1-arm64-\2"),
        (r"^(ghcr\.io/cirruslabs/ubuntu-runner)-amd64(:.*)?$", r"\1-arm64\2"),
    )
)


def arm64_twin(label: str) -> str | None:
    """The runner a fix moves an amd64 leg to: the hosted twin, or the vendor's arm64
    machine of the same size."""
    hosted = hosted_arm64_twin(label)
    if hosted is not None:
        return hosted
    for pattern, replacement in _VENDOR_TWINS:
        if pattern.match(label):
            return pattern.sub(replacement, label)
    return None


def runner_context(resolution: Resolution) -> dict[str, str] | None:
    """The `runner` context for expressions, when the runner is known."""
    if resolution.os == UNKNOWN or resolution.arch not in (AMD64, ARM64):
        return None
    return {
        "os": {LINUX: "Linux", MACOS: "macOS", WINDOWS: "Windows"}[resolution.os],
        "arch": "X64" if resolution.arch == AMD64 else "ARM64",
    }
