"""What a leg is for, and so whether its result can depend on the CPU.

A leg's purpose comes from its steps (each `uses:` and each `run:` command, after evaluating
`${{ }}` and `$ENV` for that leg, skipping steps whose `if:` is false for it), the job's
`outputs:`, `container:`, env and matrix. The rules are data (`USES_RULES`, `RUN_RULES`); each
match is kept as `Evidence` so a reader can check why a job was not judged. Within one
command, what its tool does (the first words) wins over what its arguments mention.

Deciding, in order (README, "Job purpose"):
1. what fixes the whole leg: x86-only or another platform (env `CFLAGS: -m32`, `GOOS`, an
   i686 container, a matrix value naming wasm, a VM or SDK action), CodeQL (lint);
2. native tests, then builds for a foreign architecture (`cross`), then x86-only compile
   flags, then native builds, then another platform mentioned;
3. otherwise the first of publish, sdist, docs, lint, gate, artifacts, meta that matched.
   The last three are recognised by what a job lacks, so they stand only when every other
   step is neutral plumbing (echo, checkout, installs); an unrecognised command makes the
   leg `unknown`, which is judged: a missed gap can be found later, a false alarm loses users.
Nothing matched: `unknown` (a job doing nothing but plumbing: gate after `needs:`, else meta).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from operator import add
from typing import TYPE_CHECKING, Any

from bot.core import lazyre, prefilter, records, runners
from bot.core.expressions import render_script, render_text
from bot.core.lazyre import lazy
from bot.core.records import record
from bot.core.runners import AMD64, ARM64, OTHER
from bot.core.shell import commands
from bot.core.targets import (
    OTHER_OS,
    X86,
    X86_ABI_FLAGS,
    X86_COMPILERS,
    kind_of,
    of_command,
    of_compiler,
    of_script,
)
from bot.core.workflow import Job, Step
from bot.core.yamlnodes import plain

if TYPE_CHECKING:  # delegates are imported when a run reads the repository's files
    from bot.core.delegates import Delegated, Reader

BUILD, TEST, PUBLISH, GATE, META = "build", "test", "publish", "gate", "meta"
ARTIFACTS, LINT, DOCS, SDIST, CROSS = "artifacts", "lint", "docs", "sdist", "cross"
X86_SPECIFIC, OTHER_TARGET, UNKNOWN = X86, OTHER_OS, "unknown"
UNRECOGNISED = "?"  # evidence no rule knows: a command, an action (makes a leg `unknown`)
PURPOSES = (
    BUILD,
    TEST,
    PUBLISH,
    GATE,
    META,
    ARTIFACTS,
    LINT,
    DOCS,
    SDIST,
    CROSS,
    X86_SPECIFIC,
    OTHER_TARGET,
    UNKNOWN,
)
JUDGED_BY_DEFAULT = (BUILD, TEST, UNKNOWN)

# How a reason names each purpose ("publishes: step 'Upload' uses pypa/gh-action-pypi-publish").
VERBS = {
    BUILD: "builds",
    TEST: "tests",
    PUBLISH: "publishes",
    GATE: "gates on other jobs",
    META: "computes metadata",
    ARTIFACTS: "handles other jobs' artifacts",
    LINT: "lints",
    DOCS: "builds docs",
    SDIST: "builds an sdist",
    CROSS: "cross-builds",
    X86_SPECIFIC: "runs x86-only work",
    OTHER_TARGET: "targets another platform",
    UNKNOWN: "does something unrecognised",
}

_TARGETING = (X86_SPECIFIC, OTHER_TARGET)
# `python -m`, `python3.12 -Im`: interpreter flags may come before the module.
_PYTHON_M = r"python3?(\.\d+)? -[IBEOSsu]*m"
_NON_JUDGED_ORDER = (PUBLISH, SDIST, DOCS, LINT, GATE, ARTIFACTS, META)
_WEAK = (ARTIFACTS, META, GATE)  # recognised by the absence of other work


@record(frozen=True)
class Evidence:
    purpose: str
    where: str  # "step 'Publish'", "container", "env CFLAGS", "outputs"
    line: int
    what: str  # "uses pypa/gh-action-pypi-publish", "runs `twine upload`"
    tag: str = ""  # the matching rule's tag (PYTHON_PACKAGE, PYPI …), read by other rules

    def __str__(self) -> str:
        return f"{self.where} {self.what} (line {self.line})"

    def as_json(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "where": self.where, "line": self.line, "what": self.what}


@record(frozen=True)
class Purpose:
    name: str
    evidence: tuple[Evidence, ...] = ()
    cross_targets: frozenset[str] = frozenset()  # architectures a `cross` leg builds for
    publishes: Evidence | None = None  # a step that publishes, whatever the leg is for
    publishing: tuple[Evidence, ...] = ()  # every step that publishes (`publishes` is the first)
    to_pypi: bool = False  # uploads to PyPI wheels it does not repair (see for_pypi)

    def describe(self) -> str:
        """`publishes: step 'Publish' uses pypa/gh-action-pypi-publish (line 88)`."""
        if not self.evidence:
            return f"{VERBS[self.name]}: no step matched a purpose rule"
        return f"{VERBS[self.name]}: {self.evidence[0]}"


UNKNOWN_PURPOSE = Purpose(UNKNOWN)


# Tags: what a few rules' matches mean to other rules, beyond their purpose.
PYTHON_PACKAGE = "python-package"  # builds a Python package (sdist and wheel): see for_pypi
PYPI = "pypi"  # uploads to PyPI (pypi.org, test.pypi.org), not another index
WHEEL_REPAIR = "wheel-repair"  # makes wheels platform wheels: they hold compiled code
IMAGE_PUSH = "image-push"  # pushes the container image it builds (its platforms decide the arches)
PROJECT_INSTALL = "project-install"  # `pip install .`: builds the project for a tool
CODEGEN_CHECK = "codegen-check"  # fails when generated files differ from the committed ones
HOST_TARGET = "host-target"  # builds for the host's own arch, named outright (`GOARCH=amd64`)
NAMED = "named"  # read from a name (a script's, a recipe's): never outweighs what commands do
GUESSED = "guessed"  # make's default work for a goal no rule and no Makefile explains: only alone
# A script kept with the tests but named for a check (`tests/check_size.py`,
# `test/check-version.sh`): a check of what the leg built, when it builds, else of the
# repository's text (see _resolve). Read from a name, as NAMED is.
TESTS_CHECK = "tests-check"
_BY_NAME = (NAMED, GUESSED, TESTS_CHECK)  # what the delegate it names decides instead, when it can be read
CONFIGURES = "configures"  # configures a build tree for a target: what is built in it after
QEMU_RUN = "qemu-run"  # runs a program under user-mode QEMU: an emulated test of that arch
NATIVE_TREE = "native-tree"  # configures a build tree for the host (no target named)
JS_BUILD = "js-build"  # a package.json build script: JavaScript only, or a native addon
# Inspects Python packages' metadata and file lists (`twine check`, check-wheel-contents), or
# builds them and does (hynek/build-and-inspect-python-package): see _packages_only_inspected
PACKAGE_CHECK = "package-check"
INSPECTED = "inspected"  # a package build _packages_only_inspected read: for_pypi may say more
DOWNLOAD = "download"  # fetches other jobs' artifacts
_PYTHON_PACKAGES = (PYTHON_PACKAGE, PACKAGE_CHECK)


@record(frozen=True)
class Rule:
    purpose: str
    source: str  # a regular expression, matched ignoring case
    tag: str = ""


@cache
def _compile(source: str) -> re.Pattern[str]:
    # On first use: a run meets a few dozen of the rules, and compiling all of them would
    # cost more than judging a repository.
    return lazyre.compile(source, re.IGNORECASE)


def _rules(purpose: str, *patterns: str | tuple[str, str]) -> tuple[Rule, ...]:
    """A purpose's rules; a pattern written `(pattern, tag)` carries a tag."""
    rules = tuple(Rule(purpose, p) if isinstance(p, str) else Rule(purpose, *p) for p in patterns)
    for rule in rules:
        lazyre.declare(rule.source, re.IGNORECASE)
    return rules


@record(frozen=True)
class ActionRule:
    purpose: str
    name: str  # `owner/name`, `owner/*`, `*-suffix` or `*part*`
    tag: str = ""

    def matches(self, action: str) -> bool:
        name = self.name
        if name[0] == "*" and name[-1] == "*":
            return name[1:-1] in action
        if name[-1] == "*":
            return action.startswith(name[:-1])
        if name[0] == "*":
            return action.endswith(name[1:])
        return action == name


def _actions(purpose: str, *names: str, tag: str = "") -> tuple[ActionRule, ...]:
    return tuple(ActionRule(purpose, name, tag) for name in names)


# `uses:` rules: an action (`owner/name`, lower case, without `@ref`) is the name, begins
# with a name ending in `*`, ends with one starting with `*`, or contains `*one*`. The first
# match wins.
USES_RULES: tuple[ActionRule, ...] = (
    *_actions(PUBLISH, "pypa/gh-action-pypi-publish", tag=PYPI),
    *_actions(
        PUBLISH,
        "softprops/action-gh-release",
        "ncipollo/release-action",
        "actions/create-release",
        "svenstaro/upload-release-action",
        "actions/deploy-pages",
        "peaceiris/actions-gh-pages",
        "js-devtools/npm-publish",
        "int128/docker-manifest-create-action",
        "rust-lang/crates-io-auth-action",
        "ad-m/github-push-action",
        "*winget-releaser",
        "*github-pages-deploy-action",
        "taiki-e/upload-rust-binary-action",
        "actions/upload-release-asset",
        # Commits the results to gh-pages (and pushes them with `auto-push`).
        "benchmark-action/github-action-benchmark",
        # Uploads the commit's benchmark results to CodSpeed, compared with the base branch.
        "codspeedhq/action",
    ),
    *_actions(GATE, "re-actors/alls-green", "step-security/workflow-conclusion-action"),
    *_actions(
        META,
        "dorny/paths-filter",
        "tj-actions/changed-files",
        "actions/labeler",
        "amannn/action-semantic-pull-request",
        # commit messages and history checked against a convention: metadata
        "*commitlint*",
        "*conventional-commit*",
        "*no-merge-commits",
        "*commit-message-checker",
        "googleapis/release-please-action",
        "actions/github-script",
    ),
    *_actions(ARTIFACTS, "actions/download-artifact", "dawidd6/action-download-artifact", tag=DOWNLOAD),
    *_actions(
        ARTIFACTS,
        "actions/upload-artifact/merge",
        "test-summary/action",
        "dorny/test-reporter",
        "mikepenz/action-junit-report",
        "enricomi/publish-unit-test-result-action*",
        "sigstore/gh-action-sigstore-python",
        "actions/attest",
        "actions/attest-build-provenance",
        "actions/attest-sbom",
        "anchore/sbom-action*",
        "sigstore/cosign-installer",
    ),
    *_actions(
        LINT,
        "pre-commit/action",
        "pre-commit-ci/lite-action",
        "golangci/golangci-lint-action",
        "*ruff-action",
        "psf/black",
        "github/codeql-action/*",
        "reviewdog/*",
        "actions-rust-lang/rustfmt",
        "rhysd/actionlint",
        "raven-actions/actionlint",
        "crate-ci/typos",
        "codespell-project/*",
        "embarkstudios/cargo-deny-action",
        "ludeeus/action-shellcheck",
        "*super-linter*",
        "*markdownlint*",
        "hadolint/hadolint-action",
        "zizmorcore/zizmor-action",
        "streetsidesoftware/cspell-action",
        "rustsec/audit-check",
        "golang/govulncheck-action",
        "actions-rs/clippy-check",
        "giraffate/clippy-action",
        "obi1kenobi/cargo-semver-checks-action",
        "pypa/gh-action-pip-audit",
        "dependabot/fetch-metadata",
        "sonarsource/*",
        "github/super-linter*",
        "oxsecurity/megalinter*",
        "actions/dependency-review-action",
        "jidicula/clang-format-action",
        "cpp-linter/*",
    ),
    *_actions(DOCS, "actions/jekyll-build-pages", "actions/upload-pages-artifact", "actions/configure-pages"),
    *_actions(CROSS, "goreleaser/goreleaser-action", "houseabsolute/actions-rust-cross"),
    *_actions(
        OTHER_TARGET,
        "vmactions/*",
        "cross-platform-actions/action",
        "nttld/setup-ndk",
        "android-actions/setup-android",
        "mymindstorm/setup-emsdk",
        "pyodide/*",
        "bytecodealliance/actions/wasmtime*",
        "jetli/wasm-pack-action",
    ),
    *_actions(X86_SPECIFIC, "petarpetrovt/setup-sde", "reactivecircus/android-emulator-runner", "*intel-sde*"),
    *_actions(TEST, "uraimo/run-on-arch-action"),
    *_actions(
        BUILD,
        "pypa/cibuildwheel",
        "docker/build-push-action",
        "docker/bake-action",
        "depot/build-push-action",
        "depot/bake-action",
        "redhat-actions/buildah-build",
        "joerick/cibuildwheel",
    ),
    *_actions(BUILD, "hynek/build-and-inspect-python-package", tag=PACKAGE_CHECK),
)

# `run:` rules: matched against each command (a script split on lines, `&&`, `;`, `||`).
# Order matters: the first rule that matches a command wins (sdist before build, lint and docs
# environments before the test runner that hosts them).
RUN_RULES: tuple[Rule, ...] = (
    # A make target's name says what it does only until its Makefile is read: the make
    # rules carry NAMED (see delegates.py), so a readable recipe decides instead.
    *_rules(
        X86_SPECIFIC,
        r"(^|\s)-m32\b",
        r"(^|\s)-mx32\b",
        r"\bGOARCH=[\"']?386\b",
        r"\bsde(64)?\s+-",
        r"\bavx-?512",
        r"\b(i[3-6]86|x86)[-_](unknown[-_]|pc[-_])?linux\b",
        r"\bmanylinux\w*_i686\b",
        r"--platform[= ]+[\"']?linux/(386|i386)\b",
        # Intel's compilers (targets.X86_COMPILERS) run, given as a value (`CC: icx` in an
        # env), or set up by oneAPI's environment script; as make or cmake variables
        # targets.of_command reads them
        rf"(^|[\s/=\"'])({'|'.join(sorted(X86_COMPILERS))})(\s|$|[\"'])",
        r"\boneapi/setvars\.sh\b",
        (r"\bmake\b.*\s[a-z]+32\b", NAMED),
        (r"\bmake\b.*(?<![\w-])(32bit|32-bit|m32|x86[-_]32)(?![\w-])", NAMED),
    ),
    *_rules(
        OTHER_TARGET,
        r"\bwasm32\b",
        r"\bwasi(p[12])?\b",
        r"\bwasm-pack\b",
        r"\bwasm-bindgen\b",
        r"\bemcc\b",
        r"\bemsdk\b",
        r"\bemscripten\b",
        r"\bpyodide\b",
        r"\bGOOS=[\"']?(windows|darwin|freebsd|openbsd|netbsd|js|wasip1|ios|android|plan9|illumos|solaris|aix)\b",
        r"\bGOARCH=[\"']?wasm\b",
        r"-linux-android",
        r"\bcargo[- ]ndk\b",
        r"-apple-ios\b",
        r"\bxcodebuild\b.*\b(iphoneos|iphonesimulator)\b",
        r"\bmingw",
        r"-pc-windows-gnu\b",
        r"-unknown-(freebsd|netbsd|openbsd|redox|illumos)\b",
        r"-fortanix-unknown-sgx\b",
        r"\bvagrant\b",
        r"\bwasmtime\b",
        r"\bwasmer\b",
    ),
    *_rules(
        SDIST,
        # `-s`/`-w` are build's short flags for `--sdist`/`--wheel`
        rf"\b{_PYTHON_M} build\b.*\s(--sdist|-s)\b(?!.*\s(--wheel|-w)\b)",
        r"\buv build\b.*--sdist\b",
        r"\bmaturin sdist\b",
        r"\bsetup\.py\b.*\bsdist\b(?!.*bdist)",
        r"\bhatch build -t sdist\b",
        r"(^|\s)build\b.*--sdist\b(?!.*--wheel)",
        r"^(pyproject-)?build\s(.*\s)?-s\b(?!.*\s(--wheel|-w)\b)",  # `pipx run build -s`
        r"\bpoetry build\b.*(-f|--format)[= ]sdist\b",
        r"\bcargo package\b",
        (r"\bmake\b.*(?<![\w-])sdist(?![\w-])", NAMED),
        r"\bpackage_source\b",
        r"\bCPackSourceConfig\b",
    ),
    *_rules(
        PUBLISH,
        # to an index other than PyPI: first, and without the PYPI tag
        r"\btwine upload\b.*\s(--repository-url[= ](?!https://(test\.)?pypi\.org)"
        r"|(--repository|-r)[= ](?!(test)?pypi\b))\S+",
        r"\buv publish\b.*\s(--publish-url|--index)[= ](?!https://(test\.)?pypi\.org|(test)?pypi\b)\S+",
        r"\bpoetry publish\b.*\s(-r|--repository)[= ]\S+",
        (r"\btwine upload\b", PYPI),
        (r"\buv publish\b", PYPI),
        (r"\bpoetry publish\b", PYPI),
        (r"\bflit publish\b", PYPI),
        (r"\bhatch publish\b", PYPI),
        r"\bmaturin (publish|upload)\b",
        (r"\bpdm publish\b", PYPI),
        r"\b(npm|pnpm|yarn( npm)?) publish\b",
        r"\bcargo publish\b",
        r"^(npx|pnpx|bunx|pnpm dlx|yarn dlx) (--yes |-y )?[\w@/.-]+ publish\b",
        r"\bgh release (create|upload|edit)\b",
        # `./scripts/ui_release.sh --publish`, `electron-builder --publish always` (not a dry run)
        (r"\s--publish(?=\s*$|\s+(?!dry)|=(?!dry))", NAMED),
        r"\bdocker (image )?push\b",
        r"\bpodman push\b",
        # a make target named for publishing (`make upload-android`); its recipe decides when read
        (r"\bmake\b.*\s[\w-]*(upload|publish|deploy)[\w-]*(?![\w-])", NAMED),
        r"\bdocker buildx imagetools create\b",
        r"\bdocker manifest (create|push|annotate)\b",
        r"\baws s3 (cp|sync|mv)\b",
        r"\bgsutil\b.*\b(cp|rsync)\b",
        r"\bgit push\b",
        r"\bmvnw?\b.*\bdeploy\b",
        r"\bgh workflow run\b",
        r"(^|\s)(\S*/)?publish[\w.-]*\.(m?js|cjs|ts|sh|py|ps1)\b",  # `node ./.github/publish.js`
        r"\brclone (copy|sync)\b",
        r"\bnpx (semantic-release|changeset publish)\b",
        r"\bgradlew? .*\bpublish",
        r"\bskopeo copy\b",
        r"\bcrane (copy|push|tag)\b",
        r"\bnapi pre-?publish\b",
        r"\bgem push\b",
        r"\bdotnet nuget push\b",
        r"\bghr\b",
        r"\b(cargo[- ])?dist (host|upload|publish)\b",
    ),
    *_rules(
        DOCS,
        r"\bcargo (\+\S+ )?doc\b",
        r"\bsphinx-build\b",
        r"\bmkdocs (build|gh-deploy)\b",
        (r"\bmake\b.*(?<![\w-])(html|docs?|man|manpages?|documentation)(?![\w-])", NAMED),
        r"\bdoxygen\b",
        r"\bmdbook build\b",
        r"\bjekyll build\b",
        r"\btypedoc\b",
        r"\bpdoc\b",
        r"\b(tox|nox)\b.*\b(?!no)[a-z]*docs?\b",  # `tox -e docs`, `tox -e apidocs`, not `py312-nodocs`
        r"\b(tox|nox)\b.*\b(release-notes|changelog)\b",  # an environment writing them
        r"\bzig build docs?\b",
        r"\bgodoc\b",
    ),
    *_rules(
        LINT,
        r"\bscan-build\b",
        # generated files compared with the committed ones: what ran before made them
        # (a lockfile checked after a build is a build job's check, not generated code)
        (
            r"\bgit diff\b(?!.*\b(Cargo\.lock|go\.sum|go\.mod|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|"
            r"poetry\.lock|uv\.lock|Gemfile\.lock)\b).*--exit-code\b",
            CODEGEN_CHECK,
        ),
        r"\bstatic-?analy[sz]",
        (r"(^|[\s/])[\w-]*lint[\w-]*\.(sh|py|bash)\b", NAMED),
        (r"\bmake (tidy|vet|depaware)\b", NAMED),
        (r"\bmake\b.*\s(verify|validate)[-_][\w-]+", NAMED),
        # `make check-protos`, `make install-tools check-generated-parser`: a named check;
        # `make check` alone runs the test suite (autotools)
        (r"\bmake\b.*\scheck-[\w-]+", NAMED),
        (r"(^|\s)(\./)?(\S*/)?tests?/(\S*/)?[\w-]*(check[-_][\w.-]*|[-_]checks?)\.(sh|py|bash)\b", TESTS_CHECK),
        (r"(^|[\s/])check[-_][\w-]+\.(sh|py)\b", NAMED),
        # `license-checks.sh`, `format_check.py`: named for a check (`test_x_check.py` is a test)
        (r"(^|[\s/])(?!tests?[-_])[\w-]+[-_]checks?\.(sh|py|bash)\b", NAMED),
        r"\bruff\b",
        *(
            rf"^(npx |yarn |pnpm (exec )?)?{tool}\b"
            for tool in ("eslint", "stylelint", "oxlint", "markdownlint", "cspell")
        ),
        r"^(npx |yarn |pnpm (exec )?)?(tsc|vue-tsc)\b.*--noEmit\b",
        # Ruby's linter, run itself or as a rake task (`rake rubocop test` also runs the tests)
        r"^(rake\s+)?rubocop\b(?!.*\s(test|spec)\b)",
        r"^standardrb\b",
        r"(^|xargs (-\S+ )*)xmllint\b(?!.*--xpath)",  # with --xpath it reads values out of a file
        r"\bpytype\b",
        r"\bflake8\b",
        r"\bblack\b.*--check",
        r"\bisort\b.*--(check|diff)",
        r"\bmypy\b",
        r"\bpyright\b",
        r"\bpylint\b",
        r"\bpre-commit run\b",
        r"\bprek\b",
        r"\bcargo (\+\S+ )?(fmt|clippy|deny|audit|machete|semver-checks|udeps|sort)\b",
        r"\bcargo (\+\S+ )?(hack |-Z \S+ )*check\b",
        r"\brustfmt\b",
        r"\bgolangci-lint\b",
        r"\bgofmt\b",
        r"\bgo vet\b",
        r"\bstaticcheck\b",
        r"\bgovulncheck\b",
        r"\beslint\b",
        r"\bprettier\b",
        r"\btsc\b.*--noEmit",
        r"\bbiome (check|lint|ci)\b",
        r"\bshellcheck\b",
        r"\bshfmt\b",
        r"\bactionlint\b",
        r"\bcodespell\b",
        r"\btypos\b",
        r"\bcppcheck\b",
        r"\bclang-(format|tidy)\b",
        r"\byamllint\b",
        r"\bmarkdownlint",
        r"\bbandit\b",
        r"\bsafety check\b",
        r"\bpip-audit\b",
        r"\bzizmor\b",
        r"\bhadolint\b",
        r"\bzig fmt\b",
        r"\btox\b.*\b(lint|style|typing|mypy|pre-commit|flake8|format)\b",
        r"\bnox\b.*\b(lint|style|typing|mypy|pre-commit|flake8|format)\b",
        r"\bnpm run (lint|format|fmt|check-format)\b",
        (r"\bmake (lint|fmt|format|check-format)\b", NAMED),
        r"\bdeno (lint|fmt)\b",
        r"\bswiftlint\b",
        r"\bvalidate-pyproject\b",
        r"\bsemgrep\b",
        r"\bdprint check\b",
        r"\bcheck-manifest\b",
        r"\bcheck-jsonschema\b",
        r"\b(rstcheck|doc8)\b",  # reStructuredText linters
        r"\bunicode-lint\b",
        r"\bspellcheck\b",
        # any other tool asked only to check (`cargo fmt --check` is read as `cargo fmt` above)
        r"\s--check(\s|$|=)",
    ),
    *_rules(
        ARTIFACTS,
        (r"\btwine check\b", PACKAGE_CHECK),
        (r"\bcheck-wheel-contents\b", PACKAGE_CHECK),
        r"\babi3audit\b",
        r"\bcosign (sign|attest)",
        r"\bsyft\b",
        r"\bgpg\b.*--(detach-sign|sign)",
        r"\bminisign\b",
        r"\b(cargo[- ])?dist build\b.*--artifacts[= ]global",
        # coverage of other jobs' runs, combined and reported
        r"\bcoverage (combine|report|xml|html|json|lcov)\b",
        r"^lcov\b",
        r"^genhtml\b",
        r"^grcov\b",
        r"\bgpg\b.*--verify\b",  # checks a published file's signature
        # a bill of materials, by its script's name
        *((rf"(^|[\s/])[\w-]*{word}[\w-]*\.(py|sh|js)\b", NAMED) for word in ("sbom", "cyclonedx", "spdx")),
        # merges other jobs' test reports
        r"\bjunit-report-merger\b",
        r"\bjunit-merge\b",
        r"\bjunitparser merge\b",
    ),
    *_rules(
        META,
        r"\$\{?GITHUB_OUTPUT\b",
        r"::set-output\b",
        r"\bcargo metadata\b",
        r"\bcibuildwheel\b.*--print-build-identifiers\b",
        r"\buv lock\b.*--(check|locked)\b",
        r"\bpoetry (check|lock --check)\b",
        r"\btowncrier check\b",
        r"^(yarn |pnpm (exec )?)?commitlint\b",
        r"^gitlint\b",
        r"^(cz|commitizen) check\b",
        r"\bchangelog\b",
        r"\bchangeset (status|version)\b",
        r"\b(cargo[- ])?dist (plan|manifest)\b",
        (r"\bmake (generate|gen|regen)[\w-]*\b", NAMED),
        r"\bgo (generate|mod tidy)\b",
    ),
    *_rules(
        TEST,
        r"\bpytest\b",
        r"\bpy\.test\b",
        r"\btox\b",
        r"\bnox\b",
        r"-m unittest\b",
        r"\bgo test\b",
        r"\bgotestsum\b",
        r"\bcargo (\+\S+ )?(hack |-Z \S+ |careful |valgrind )*"
        r"(test|nextest|miri|llvm-cov|tarpaulin|insta test)\b",
        r"\bcross test\b",
        r"\bctest\b",
        (r"\bmake\b.*(?<![\w-])(check|([\w]+[-_])?tests?([-_][\w-]+)?)(?![\w-])", NAMED),
        # a program run under user-mode QEMU (`qemu-aarch64 build/run_tests`)
        (r"^qemu-(?!img\b|system\b|user\b)[a-z0-9_]+(-static)?\s+\S", QEMU_RUN),
        # the project's freshly built program: `./uv run …`, `build/release/duckdb -c …`,
        # `target/release/rg --version` (a script or a configure step is read by its own rule)
        r"^\./(?!(configure|autogen|bootstrap|buildconf|gradlew|mvnw|config|deploy|release|publish|upload|install|"
        r"setup|build|clean|lint|format|fmt|docs?)\b)[a-z][\w+-]*(\s|$)",
        *(
            rf"^(\./)?{folder}/[\w./+-]*[\w+-](?<!\.sh)(?<!\.py)(\s|$)"
            for folder in (
                "build",
                r"target/([\w-]+/)?(debug|release)",
                "out",
                "_build",
                "builddir",
                "zig-out/bin",
            )
        ),
        r"\bninja\b.*\btest\b",
        r"\bmeson test\b",
        r"\b(npm|yarn|pnpm|bun)\b.*\s(run\s+)?test[\w:-]*(\s|$)",
        r"\bnpx (jest|vitest|mocha|playwright)\b",
        r"\bvitest\b",
        r"\bjest\b",
        r"\bnode --test\b",
        r"\bdeno test\b",
        r"\bbun test\b",
        r"\bmvnw?\b.*\b(test|verify)\b",
        r"\bgradlew?\b.*\b(test|check)\b",
        r"\bdotnet test\b",
        r"\brspec\b",
        r"\bphpunit\b",
        r"\bzig build test\b",
        r"\bbazel(isk)? test\b",
        r"\bswift test\b",
        r"\b(cabal|stack) test\b",
        r"\bmix test\b",
        r"\bprove\b",
        r"\bcoverage run\b",
        r"(^|[\s/])run-?tests?\b",
        r"(^|\s)\./test\b(?!/)",  # the program `./test`, not the folder `./test/check-x.sh`
        r"\bjust test\b",
        (r"(^|[\s/])(run[-_]?)?tests?([-_][\w.-]*)?\.(sh|py|ps1|bash)\b", NAMED),
        # a script in a tests folder, unless its own name says it lints or checks (the
        # folder says less than the name: `tests/scripts/license-checks.sh`)
        (
            r"(^|\s)(\./)?(\S*/)?tests?/(?!(\S*/)?[\w-]*(lint|check[-_]|[-_]checks?\.))\S+\.(sh|py|bash|ps1)\b",
            NAMED,
        ),
        r"\bnix flake check\b",
        r"\bvalgrind\b",
        r"\bbenchmark",
        r"\bcargo bench\b",
        r"\bhyperfine\b",
        # a whole word, not a folder (`e2etest/make-archive.sh`) or a name (`integration-test-results`)
        (r"(?<![\w-])(smoke|integration|e2e)[-_]?tests?(\.(sh|py|bash))?(?![\w/-])", NAMED),
    ),
    *_rules(
        BUILD,
        r"\bcargo (\+\S+ )?(build|install --path|zigbuild|auditable build|rustc)\b",
        r"\bcross build\b",
        r"\bgo build\b",
        r"\bgo install (?!\S+@)",
        # make with no target, flags only, or a target that builds; other targets say
        # nothing we can read
        r"(^|\s)g?make(\s+(-\S+|\w+=\S*))*\s*$",
        (r"(^|\s)g?make\b.*\s(all|build|install|release|debug|lib\w*|dist|package|ext)(?![\w-])", NAMED),
        r"\bcmake\b",
        r"\bninja\b(?!.*\s-t\s)",  # `ninja -t missingdeps` runs a tool on the build graph
        r"\bmeson (setup|compile|install)\b",
        r"(^|\s)\./configure\b",
        (rf"\b{_PYTHON_M} build\b", PYTHON_PACKAGE),
        r"\bpip3? wheel\b",
        # a wheel made a platform wheel (manylinux, macOS, Windows); beside a publish alone,
        # it repairs wheels another job built (see _resolve)
        (r"\bauditwheel (repair|addtag)\b", WHEEL_REPAIR),
        (r"\bdelocate-wheel\b", WHEEL_REPAIR),
        (r"\bdelvewheel repair\b", WHEEL_REPAIR),
        (r"\brepairwheel\b", WHEEL_REPAIR),
        (r"\buv build\b", PYTHON_PACKAGE),
        r"\bmaturin (build|develop)\b",
        (r"\bpip3? install\b[^#\n]*(\s\.(\s|$|\[)|\s-e\s)", PROJECT_INSTALL),
        (r"\buv pip install\b[^#\n]*(\s\.(\s|$|\[)|\s-e\s)", PROJECT_INSTALL),
        r"\bsetup\.py\b",
        r"\bcibuildwheel\b(?!.*--print-build-identifiers)",
        r"\b(docker|podman) (buildx )?build\b",
        r"\bbuildah\b",
        (r"\b(npm|yarn|pnpm|bun)\b.*\s(run\s+)?[\w:-]*build[\w:-]*(\s|$)", JS_BUILD),
        r"\bzig build\b",
        r"\bbazel(isk)? build\b",
        r"\bgcc\s+(?!-?-version\b|-v\b|--help\b)",
        r"\bg\+\+\s+(?!-?-version\b|-v\b)",
        r"\bclang(\+\+)?\s+(?!-?-version\b|-v\b|--help\b)",
        r"\bcc\s+(?!-?-version\b|-v\b)",
        r"\bnapi build\b",
        (r"(^|\s)(\S*/)?build[\w.-]*\.(sh|py|ps1)\b", NAMED),
        r"\bx\.py (build|dist)\b",
        r"\b(cargo[- ])?dist build\b(?!.*--artifacts[= ]global)",
        r"\bmvnw?\b.*\b(package|install)\b",
        r"\bgradlew?\b.*\b(build|assemble)\b",
        r"\bdotnet (build|publish)\b",
        r"\bswift build\b",
        r"\bnix build\b",
        r"\bnix-build\b",
        r"\bpyinstaller\b",
        r"\bscons\b",
        r"\bb2\b",
        r"\bdeno compile\b",
        r"\bdocker compose (up|build)\b",
        r"\bdocker run\b",
        r"\bpip3? install\b[^#\n]*\s(?!https?://)\S*\.whl\b",
    ),
)


_KNOWN_TOKENS = 8192  # a bound on what the index remembers in a long-running process


class _RuleIndex:
    """Rules gated by the words they require: a command is searched only with the rules
    whose every word it contains, and one of the words of those that require one of some."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.always: list[int] = []
        self.requires: list[frozenset[str]] = []
        self.one_of: list[frozenset[str]] = []  # empty: no such words
        self.gated: dict[str, list[int]] = {}  # by each rule's longest word, or each of its one-of
        for index, rule in enumerate(rules):
            words, one_of = prefilter.words(rule.source)
            self.requires.append(frozenset(words))
            self.one_of.append(frozenset(one_of))
            if words:
                self.gated.setdefault(max(words, key=len), []).append(index)
            elif one_of:
                for word in one_of:
                    self.gated.setdefault(word, []).append(index)
            else:
                self.always.append(index)
        # Every required word by its first two characters: a token is searched only for the
        # words whose first two characters it holds.
        self.by_start: dict[str, list[str]] = {}
        for word in set().union(*self.requires, *self.one_of):
            self.by_start.setdefault(word[:2], []).append(word)
        self.starts = frozenset(self.by_start)
        self.tokens = lazyre.compile(prefilter.TRIGGER_CHARS + "+")  # no word spans two of them
        self.known: dict[str, frozenset[str]] = {}  # the words in each token met so far

    def in_token(self, token: str) -> frozenset[str]:
        """The required words inside one token (`./tests/unicode_lint.sh` holds 'lint')."""
        pairs = self.starts.intersection(map(add, token, token[1:]))  # its two-character runs
        found = frozenset(word for pair in pairs for word in self.by_start[pair] if word in token)
        if len(self.known) < _KNOWN_TOKENS:
            self.known[token] = found
        return found

    def candidates(self, text: str) -> list[int]:
        """Indexes (in table order) of the rules that may match a command."""
        words: set[str] = set()
        known = self.known  # most tokens recur: looked up here, without a call
        for token in self.tokens.findall(text.lower()):
            inside = known.get(token)
            words |= inside if inside is not None else self.in_token(token)
        found = {
            index
            for word in words
            for index in self.gated.get(word, ())
            if self.requires[index] <= words
            and (not self.one_of[index] or not self.one_of[index].isdisjoint(words))
        }
        found.update(self.always)
        return sorted(found)


_RUN_INDEX = _RuleIndex(RUN_RULES)
_HEAD_PURPOSES = (SDIST, TEST, BUILD)


def _run_rule_match(
    text: str, purposes: Iterable[str] | None = None, head: int | None = None
) -> tuple[str, str, str] | None:
    """The first rule (in table order) that matches a command: (purpose, matched text, tag).
    With `head` (where a command's first words end), a rule of a head purpose (sdist, test,
    build) that matches within them wins over any other: what a command's tool does wins
    over what its arguments mention."""
    first: tuple[str, str, str] | None = None
    for index in _RUN_INDEX.candidates(text):
        rule = _RUN_INDEX.rules[index]
        purpose = rule.purpose
        if purposes is not None and purpose not in purposes:
            continue
        if first is not None and (head is None or purpose not in _HEAD_PURPOSES):
            continue  # only a head match could still win
        match = _compile(rule.source).search(text)
        if match is None:
            continue
        found = (purpose, match.group(0).strip(), rule.tag)
        if head is not None and purpose in _HEAD_PURPOSES and match.start() < head:
            return found
        if first is None:
            first = found
            if head is None:
                return first
    return first


# What a command's tool does wins over what its arguments mention: `pytest --mypy` tests,
# `cargo build --bin ruff` builds, `./configure --disable-avx512` configures a build.
_HEAD = lazy(r"^\S+(\s+\S+){0,2}")
_ENV_RUNNERS = ("tox", "nox")  # what they run is the environment they are given
_LEADING_ENV = lazy(r"^([A-Za-z_]\w*=(\"[^\"]*\"|'[^']*'|\S*)\s+)+")


# Commands that only move files and text: nothing they run can be a build or a test (and
# `chmod +x ./test.sh` does not run the tests). Checked before the rules.
_PLUMBING = frozenset(
    (
        "cat",
        "ls",
        "tree",
        "mkdir",
        "cp",
        "mv",
        "rm",
        "rmdir",
        "cd",
        "pushd",
        "popd",
        "pwd",
        "touch",
        "ln",
        "chmod",
        "chown",
        "sleep",
        "tee",
        "head",
        "tail",
        "sort",
        "uniq",
        "wc",
        "grep",
        "egrep",
        "sed",
        "awk",
        "jq",
        "yq",
        "tar",
        "unzip",
        "zip",
        "gzip",
        "gunzip",
        "xz",
        "7z",
        "curl",
        "wget",
        "date",
        "which",
        "whoami",
        "uname",
        "df",
        "du",
        "free",
        "nproc",
        "printenv",
        "basename",
        "dirname",
        "realpath",
        "readlink",
        "cut",
        "tr",
        "file",
        "stat",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "shasum",
        "base64",
        "mktemp",
        "true",
        "false",
        "exit",
        ":",
        "shopt",
        "set",
        "unset",
        "local",
        "declare",
        "readonly",
        "trap",
        "return",
        "fi",
        "done",
        "esac",
        "}",
        ")",
        ";;",
    )
)
# Plumbing that may carry a purpose in its arguments (`git push`, `gh release create`,
# `export CFLAGS=-m32`): checked after the rules.
_NEUTRAL = lazy(
    # shell syntax and tools whose arguments the rules above have already read (the words of
    # _PLUMBING, _INSTALL and _VERSION are decided before the rules)
    r"^(export|source|\.|test|\[\[?|if|then|else|elif|for|while|do|case|function|\{|\(|"
    r"install|rsync|scp|ssh|ssh-keyscan|ssh-agent|openssl|gpg --import|find|git|gh|diff|cmp|"
    r"systemctl|service|ldconfig|update-alternatives|locale|timedatectl|ulimit|hash|type|"
    r"wait|kill|shift|read|let|break|continue|corepack|nvm|ccache|sccache|"
    r"Write-Host|Write-Output|Set-Content|Add-Content|Get-ChildItem|Remove-Item|New-Item|"
    r"Copy-Item|Move-Item|Get-Content|\$\w+\s*=|\$env:\w+\s*=|[A-Za-z_]\w*=\S*$|"
    # dependencies (installing the project itself is a build rule)
    rf"pip3? (download|freeze|list|show|cache)|{_PYTHON_M} (pip|venv|ensurepip)|"
    r"uv (sync|venv|lock|python install|cache)|"
    r"(npm|pnpm|bun) (ci|install|i|config)|yarn( install| config| set)?\s*$|"
    r"go (mod (download|tidy|verify)|env)|cargo (fetch|generate-lockfile|update)|"
    r"docker (login|pull|images|ps|info|version|tag|system|logout|context|buildx (create|use|inspect)))"
    r"(\s|$|;)",
    re.IGNORECASE,
)
_INSTALL = lazy(
    r"^(sudo\s+(-\S+\s+)*)?((apt|apt-get|brew|choco|winget|pacman|apk|dnf|yum|zypper|port|"
    r"vcpkg|sdkmanager)\b(?!.*\bbuild\b)|"
    r"(conda|mamba|micromamba) (install|update|create|config|env|init|activate|list|info|clean)\b|"
    r"rustup (install|update|toolchain|target|component|default|show|override|set)\b|"
    # tools from a registry, not the project (`pip install .` builds it: a build rule)
    rf"({_PYTHON_M} )?(uv )?pip3? install\b(?!.*(\s\.(\s|$|\[|/)|\s-e\s|\s(?!https?://)\S*\.whl\b))|"
    r"(npm|pnpm|yarn|bun) (i|install|add) (-g|--global)\b|gem install\b|bundle (install|config|update)\b|"
    r"pipx install\b|"
    r"uv tool install\b|cargo (binstall|install (?!--path))|go install \S+@|"
    # package manager settings (`yarn config set supportedArchitectures.cpu '["wasm32"]'`)
    r"(npm|pnpm|yarn|bun|git|pip3?|poetry|conda) config\b|"
    # `curl … | sh -s -- -b bin v1`: an installer read from a download; `npm pkg set`
    r"(ba)?sh -s\b|(npm|pnpm) pkg (set|get|delete|fix)\b|gpg (--batch )?(--import|--recv-keys|--keyserver)\b)",
    re.IGNORECASE,
)
_VERSION = lazy(
    r"^\S+\s+(--version|version|-version)\s*$|"
    r"^(g?make|gcc|g\+\+|c\+\+|cc|clang|cmake|ninja|node|python3?|go|rustc|cargo|"
    r"java|ld|as)\s+(-v|-V)\s*$|"
    r"^(type|which|whereis|command -v|hash)\s|^g?make\s+(\S+=\S+\s+)*(dist)?clean\s*$"
)
# `dirs=$(ls examples)` or `n=$((n + 1))`: the value alone (`CC=clang make` is a command).
_ASSIGNMENT = lazy(
    r"^(?:export\s+|local\s+)?[A-Za-z_]\w*=(?:\$\((?!\()([^)]*)\)?\s*$|"
    r"\$\(\(.*|\S*\s*$)"
)
# Prefixes that run the rest of the command: classify what they run.
_PREFIX = lazy(
    # `then make test`, `do cargo test`: a shell keyword before the command it runs
    r"^(then|else|do|sudo(\s+-\S+)*|time|nohup|exec|eval|env(\s+\w+=\S*)*|xargs(\s+-\S+)*"
    r"|cmake -E (time|env(\s+(--unset=\S+|\w+=\S*))*)|"
    r"nix develop( \S+)? -c|uv run|uvx|pipx run|poetry run|pipenv run|hatch run|pdm run|"
    r"npx( --yes)?|bundle exec)\s+"
)
# cargo's global options (before its subcommand): a value given to `--config`, `-Z`,
# `--color` or `-C` (quoted or not), the flags that take none.
_CARGO_OPTIONS = lazy(
    r"^cargo(\s+\+\S+)?(?:\s+(?:(?:--config|-Z|--color|-C)(?:=|\s+)(?:\"[^\"]*\"|'[^']*'|\S+)|-Z\S+|"
    r"--(?:locked|frozen|offline|verbose|quiet)|-[vq]+))+(?=\s+[a-z])"
)
# `cmake -E make_directory build`, `cmake -E copy …`: cmake's command mode is a portable
# file utility, not a configure or build (`cmake -E env`/`time` run a command: _PREFIX).
_CMAKE_UTILITY = lazy(r"^cmake\s+-E\s+(?!env\b|time\b)\S")
_ECHO = frozenset(("echo", "printf"))
_TRAILING_COMMENT = lazy(r"(?<=\s)#[^'\"]*$")
# `if [ "$BUILD" = cmake ]`, `[[ … ]]`, `test …`, `case $X in`: text compared, nothing run
_CONDITION = lazy(r"^((if|elif|while|until)\s+)?!?\s*(\[\[?\s|test\s|case\s+\S+\s+in\s*$)")
_WRITES_OUTPUT = lazy(r"\$\{?GITHUB_OUTPUT\b|::set-output\b")

# A test runner given a foreign target runs its tests under QEMU.
_RUNS_FOR_TARGET = lazy(
    r"\b(?:cross (?:test|run|bench)|cargo (?:\+\S+ )?(?:test|run|bench|nextest run))\b[^\n;&|]*?"
    r"--target[= ][\"']?([A-Za-z0-9_.\-]+)"
)
# Actions whose `target:` input names the build's target.
_TARGET_INPUT_ACTIONS = lazy(
    r"^(pyo3/maturin-action|houseabsolute/actions-rust-cross|actions-rs/cargo|"
    r"taiki-e/setup-cross-toolchain-action|messense/maturin-action)$",
    re.IGNORECASE,
)
# An action that installs or sets up a tool, by its last path part (`./.github/actions/install-go`,
# `org/setup-thing`): neutral, like the setup actions.
_INSTALLER_NAME = lazy(
    r"(^|/)(install|setup|set-up|bootstrap)[-_][\w.-]+$|[-_](setup|toolchain|cache|settings|config)(-action)?$",
    re.IGNORECASE,
)
# An action no rule knows, named for what it does with what others built (whole words).
_PUBLISH_NAME = lazy(
    r"(?<![a-z0-9])(publish|upload|deploy)(?:es|s|ed|ing)?(?:_\w+)?(?![a-z0-9])", re.IGNORECASE
)
_CHECK_NAME = lazy(r"(?<![a-z0-9])(checks?|lint\w*|verify|validate|audit)(?![a-z0-9])", re.IGNORECASE)
_LINT_NAME = lazy(r"\b(lint|linters?|linting|format(ting)?|fmt|spell(ing|check)?|typos)\b", re.IGNORECASE)
# Actions that set up or report and say nothing about a purpose. Any other action that no
# rule knows counts as unrecognised work.
_NEUTRAL_USES = lazy(
    r"^(actions/(checkout|cache|upload-artifact|setup-\w+|stale|create-github-app-token|"
    r"add-to-project)|[\w.-]+/setup-[\w.-]+|[\w.-]+/[\w.-]*-toolchain|dtolnay/rust-toolchain|"
    r"swatinem/rust-cache|taiki-e/install-action|taiki-e/cache-cargo-install-action|"
    r"mozilla-actions/sccache-action|hendrikmuhs/ccache-action|docker/(setup-buildx-action|"
    r"setup-qemu-action|login-action|metadata-action)|aws-actions/configure-aws-credentials|"
    r"google-github-actions/(auth|setup-gcloud)|azure/login|slackapi/|[\w.-]+/[\w.-]*slack[\w.-]*|"
    r"peter-evans/|marocchino/sticky-pull-request-comment|thollander/actions-comment|"
    r"codecov/|coverallsapp/|[\w.-]+/[\w.-]*(codecov|coveralls)[\w.-]*|step-security/harden-runner|cachix/|nixbuild/nix-quick-install|"
    r"determinatesystems/|denoland/setup-deno|oven-sh/setup-bun|pnpm/action-setup|"
    r"awalsh128/cache-apt-pkgs-action|jlumbroso/free-disk-space|rui314/setup-mold|"
    r"ilammy/msvc-dev-cmd|msys2/setup-msys2|egor-tensin/|mlugg/setup-zig|goto-bus-stop/|"
    r"extractions/|crazy-max/ghaction-(setup|import-gpg)|xt0rted/|tailscale/github-action|"
    r"jwlawson/actions-setup-cmake|lukka/get-cmake|seanmiddleditch/gha-setup-ninja|"
    r"actions-rs/toolchain|msys2/|namespacelabs/|useblacksmith/|depot/setup-action|"
    r"ubicloud/|warpbuilds/|runs-on/action)",
    re.IGNORECASE,
)
_GATE_TEXT = lazy(
    r"needs\.[\w*\-]+\.result|contains\(\s*needs|join\(\s*needs|"
    r"toJSON\(\s*needs\s*\)|needs\.\*\.result",
    re.IGNORECASE,
)


def foreign_runs(command: str) -> list[str]:
    """Targets whose code a command runs (`cross test --target T`): under QEMU when foreign."""
    return _RUNS_FOR_TARGET.findall(command)


_PLUMBING_RESULT = ("", "", "")
# A script named for installing or setting up tools (`script/setup/install-dev-tools`,
# `./ci/install_deps.sh`), as the setup actions are: neutral.
_INSTALLER_SCRIPT = lazy(
    r"(^|/)(\w+[-_])?(install|setup)[-_](deps?|dependencies|tools|dev[-_]?tools|env|environment|toolchains?|"
    r"packages|prereq\w*|requirements)(\.(sh|bash|ps1))?$"
)
_MAX_NESTING = 8  # `a=$(b=$(…))`, `sudo env nice …`: deeper is not worth reading


@lru_cache(maxsize=4096)
def _classify_command(command: str, depth: int = 0) -> tuple[str, str, str] | None:
    """(purpose, matched text, tag) for one shell command; ('', '', '') when it is plumbing."""
    if depth > _MAX_NESTING:
        return None
    # `then  # see …/cmake`: a comment is not a command
    text = (_TRAILING_COMMENT.sub("", command) if "#" in command else command).strip()
    if not text or text.startswith("#"):
        return _PLUMBING_RESULT
    # `done) -o out`: the end of a loop inside `$( … )`, which the splitter cut at its `;`
    first = text.split(None, 1)[0].rstrip(";)")
    if first in _ECHO:  # `echo "cmake=…" >> $GITHUB_OUTPUT` builds nothing
        output = _WRITES_OUTPUT.search(text)
        return (META, output.group(0), "") if output else _PLUMBING_RESULT
    if first in ("ssh", "sshpass"):  # what it runs runs on another machine, not the runner
        return None if _run_rule_match(text, (BUILD, TEST)) is not None else _PLUMBING_RESULT
    if (
        first in _PLUMBING
        or _INSTALL.match(text)
        or _VERSION.match(text)
        or _INSTALLER_SCRIPT.search(first)
        or _CONDITION.match(text)
        or (first == "cmake" and _CMAKE_UTILITY.match(text))
    ):
        return _PLUMBING_RESULT  # moves files or text around, installs or prints a tool
    assignment = _ASSIGNMENT.match(text)
    if assignment is not None:  # `dirs=$(ls examples)`: what runs is inside `$(…)`
        inner = assignment.group(1)
        return _classify_command(inner, depth + 1) if inner else _PLUMBING_RESULT
    prefix = _PREFIX.match(text)
    if prefix is not None:
        rest = text[prefix.end() :]
        # `uv run -m build`: what runs a command given a module runs it with Python
        return _classify_command("python " + rest if rest.startswith("-m ") else rest, depth + 1)
    settings = _LEADING_ENV.match(text)
    if settings is not None:  # `GOARCH=386 go test`, `RUSTFLAGS=+avx512f cargo build`
        found = _run_rule_match(settings.group(0), _TARGETING)
        if found is not None:
            return found
        text = text[settings.end() :]
        first = text.split(None, 1)[0] if text else ""
    if first == "cargo":
        # `cargo --config ci.toml build`, `cargo --locked test`: cargo's own options before the
        # subcommand say nothing of what it does; the rules read `cargo <subcommand>`.
        options = _CARGO_OPTIONS.match(text)
        if options is not None:
            text = "cargo" + (options.group(1) or "") + text[options.end() :]
    head = _HEAD.match(text) if first not in _ENV_RUNNERS else None
    found = _run_rule_match(text, head=head.end() if head is not None else None)
    if found is not None:
        return found
    recipe = _task_recipe(text)
    if recipe is not None:
        return recipe
    goal = _MAKE_GOAL.match(text)
    if goal is not None:
        # `make armbuild`, `make m32build`: a goal named for another arch builds for it
        named = _ARCH_GOAL.search(goal.group("goal"))
        if named is None:
            return BUILD, goal.group(0).strip(), GUESSED
        return (X86_SPECIFIC if named.group("x86") else OTHER_TARGET), goal.group(0).strip(), NAMED
    if _NEUTRAL.match(text):
        return _PLUMBING_RESULT
    return None


# Any other make goal, when no rule read it (tests, docs, lint and publishing came first) and
# its Makefile is not at hand: make compiles, unless the goal's name says it only prepares.
_MAKE_GOAL = lazy(
    r"^g?make(?:\s+(?:-C\s+\S+|-f\s+\S+|-\S+|\w+=\S*))*\s+"
    r"(?P<goal>(?![\w.-]*(?<![a-z])(?:help|clean|distclean|deps|dependencies|setup|bootstrap|tools|"
    r"install|fetch|download|vendor|version|env|venv|init|prepare|list|print|check|dist)(?![a-z]))"
    r"[\w.-]+)",
    re.IGNORECASE,
)
_ARCH_GOAL = lazy(
    r"^(?:(?P<x86>i[3-6]86|x32|m32|32bit)|arm|armhf|armel|aarch64|arm64|ppc|ppc64|ppc64le|powerpc|mips\w*|"
    r"riscv\w*|s390x?|win(?:32|64)?|mingw\w*|android|ios|wasm\w*)(?=[^a-z0-9]|build|test|install|check|$)",
    re.IGNORECASE,
)


# Task runners and the recipe they are given: `just test`, `mage -v check`, `task lint`,
# `spin build`, `cargo xtask docs`, `cargo lint` (an alias). Only when no rule read the
# command, and by whole words of the recipe's name: weak, as names are.
_TASK_RUNNER = lazy(
    r"^(?:just|task|go-task|mage|invoke|inv|rake|spin|poe|hatch run|pdm run|nx(?: run)?|turbo run|"
    r"cargo xtask|cargo make|cargo(?= [a-z][\w-]*(?:\s|$))|xtask|\./x(?:\.py)?)"
    r"((?:\s+-\S+)*)\s+([A-Za-z][\w:.-]*)",
    re.IGNORECASE,
)
_RECIPE_WORDS = (  # in this order: `hooks-check` lints, `check` tests
    (
        LINT,
        ("lint", "fmt", "format", "clippy", "vet", "typecheck", "mypy", "style", "spell", "validate", "hooks"),
    ),
    (TEST, ("test", "tests", "unittest", "unit", "integration", "e2e", "check", "ci")),
    (DOCS, ("doc", "docs", "documentation", "book", "site")),
    (BUILD, ("build", "compile", "dist", "package", "install", "all")),
)


_RECIPE_SEPARATOR = lazy(r"[-_:.]")


def _task_recipe(text: str) -> tuple[str, str, str] | None:
    match = _TASK_RUNNER.match(text)
    if match is None:
        return None
    words = set(_RECIPE_SEPARATOR.split(match.group(2).lower()))
    for purpose, names in _RECIPE_WORDS:
        if words & set(names):
            return purpose, match.group(0).strip(), NAMED
    return None


# An image build that pushes what it builds: it builds, and a second leg would push again.
_IMAGE_PUSH = lazy(r"\b(docker|podman) (buildx )?build\b.*\s(--push\b|--output[= ]\S*push=true)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _classify_script(script: str) -> tuple[tuple[str, str, str, str], ...]:
    """(purpose, what matched, tag, command) for each command that shows one; purpose '?'
    for a command no rule knows."""
    found: list[tuple[str, str, str, str]] = []
    for command in commands(script):
        result = _classify_command(command)
        if result is None:
            found.append((UNRECOGNISED, command.strip()[:60], "", command))
        elif result[0]:
            found.append((*result, command))
            pushed = _IMAGE_PUSH.search(command) if result[0] == BUILD else None
            if pushed is not None:
                found.append((PUBLISH, pushed.group(0).strip()[:60], IMAGE_PUSH, command))
    return tuple(found)


@lru_cache(maxsize=1024)
def _classify_uses(action: str) -> ActionRule | None:
    action = action.lower()
    return next((rule for rule in USES_RULES if rule.matches(action)), None)


_GO_PLATFORM = lazy(
    r"(?<![\w/])(linux|windows|darwin|freebsd|openbsd|netbsd|illumos|solaris|aix|android|ios|js|wasip1)/"
    r"(amd64|arm64|386|arm|armv\d|ppc64le|ppc64|s390x|riscv64|mips\w*|loong64|wasm)(?![\w/])",
    re.IGNORECASE,
)


def _platforms_given(step: Step, contexts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The distinct os/arch platforms an action's inputs name (not `platforms:` itself,
    which emulation reads as the architectures an image is built for)."""
    found: dict[tuple[str, str], None] = {}
    for key, value in step.with_.items():
        if key in ("platforms", "archs") or not isinstance(value, str):
            continue
        for os_name, arch in _GO_PLATFORM.findall(render_text(value, contexts)):
            found[(os_name, arch)] = None
    return list(found)


# Coverage services that keep one report per commit unless the jobs say they run in
# parallel (Coveralls: `parallel: true`, then a finishing call that merges them).
_ONE_REPORT_ACTION = lazy(r"^coverallsapp/github-action(@|$)", re.IGNORECASE)


def _one_report_per_commit(steps: list[Step], contexts: Mapping[str, Any]) -> list[Evidence]:
    return [
        Evidence(
            PUBLISH,
            _step_label(step),
            step.line,
            f"uses {step.uses}, which keeps one coverage report per commit (no `parallel: true`)",
        )
        for step in steps
        if step.uses
        and _ONE_REPORT_ACTION.match(step.uses)
        and render_text(step.with_.get("parallel", ""), contexts).strip().lower() != "true"
    ]


def _step_label(step: Step) -> str:
    if step.name:
        return f"step '{step.name}'"
    if step.uses:
        action, _, ref = step.uses.partition("@")
        return f"step '{action}@{ref[:7] if len(ref) == 40 else ref}'" if ref else f"step '{action}'"
    return f"step #{step.index + 1}"


def _with_text(step: Step, key: str, contexts: Mapping[str, Any]) -> str:
    value = step.with_.get(key)
    return render_text(value, contexts) if value is not None else ""


def _step_evidence(
    step: Step,
    contexts: Mapping[str, Any],
    host: str,
    targets: set[str],
    envs: tuple[Mapping[str, Any], ...],
    read: Reader | None = None,
) -> list[Evidence]:
    found: list[Evidence] = []
    where = _step_label(step)
    cwd = ""
    if read is not None:  # where the step's scripts are found from
        directory = plain(step.node.get("working-directory"))
        cwd = directory if isinstance(directory, str) and "${{" not in directory else ""
    if step.uses:
        action = step.uses.split("@", 1)[0].strip()
        rule = _classify_uses(action)
        purpose, tag = (rule.purpose, rule.tag) if rule is not None else (None, "")
        if _TARGET_INPUT_ACTIONS.match(action):
            command = _with_text(step, "command", contexts).lower()
            if "maturin" in action.lower() and command in ("sdist", "upload", "publish"):
                purpose = SDIST if command == "sdist" else PUBLISH
            else:
                target = _with_text(step, "target", contexts)
                kind = kind_of(target) if target else None
                purpose = _for_target(kind, host, TEST if command == "test" else BUILD, targets)
        if "cibuildwheel" in action.lower():
            platform = _with_text(step, "platform", contexts) or str(step.env.get("CIBW_PLATFORM", ""))
            only = _with_text(step, "only", contexts) or str(step.env.get("CIBW_ONLY", ""))
            if platform.lower() in ("pyodide", "android", "ios") or _OTHER_PLATFORM_WORD.search(only):
                purpose = OTHER_TARGET  # `only: cp314-pyodide_wasm32` names the wheel's platform
            elif _X86_WORD.search(only):
                purpose = X86_SPECIFIC
        platforms = _platforms_given(step, contexts) if purpose is None and step.with_ else []
        local = _composite(action, where, step.line, host, targets, read) if purpose is None else None
        if local is not None:
            found.extend(local)  # read through its steps before any name is looked at
        elif len(platforms) > 1:
            # `promu_opts: -p linux/amd64 -p linux/arm64 -p windows/amd64`: one host builds
            # for every platform it is given
            targets.update(
                kind for kind in (kind_of(arch) for _, arch in platforms) if kind not in (None, host)
            )
            what = f"uses {action} for {', '.join(f'{os}/{arch}' for os, arch in platforms[:6])}"
            found.append(Evidence(CROSS, where, step.line, what))
        elif purpose is None and not _NEUTRAL_USES.search(action) and not _INSTALLER_NAME.search(action):
            named = _PUBLISH_NAME.search(action.split("/", 1)[-1])
            checks = _CHECK_NAME.search(action.split("/", 1)[-1])
            if named is not None:
                # weak: only a name, so any build or test the leg runs still decides
                what = f"uses {action}, which no rule knows; its name says it {named.group(1).lower()}s"
                found.append(Evidence(PUBLISH, where, step.line, what, NAMED))
            elif checks is not None:
                what = f"uses {action}, which no rule knows; its name says it checks ({checks.group(1)})"
                found.append(Evidence(LINT, where, step.line, what, NAMED))
            else:
                found.append(Evidence(UNRECOGNISED, where, step.line, f"uses {action}, which no rule knows"))
        elif purpose is not None:
            index = _other_index(step, contexts) if tag == PYPI else ""
            shown = f"uses {action} (repository-url: {index})" if index else f"uses {action}"
            found.append(Evidence(purpose, where, step.line, shown, "" if index else tag))
            pushes = _with_text(step, "push", contexts).lower() if "push" in step.with_ else "false"
            if purpose == BUILD and pushes not in ("false", ""):
                # an image build that pushes (or may: `push: ${{ github.event_name == 'push' }}`):
                # a second leg would push the same tags again
                shown = "true" if pushes == "true" else "set by the run"
                found.append(
                    Evidence(PUBLISH, where, step.line, f"uses {action} with push: {shown}", IMAGE_PUSH)
                )
        if step.with_:
            for key, value in step.with_.items():
                if isinstance(value, str) and key in ("run", "script", "command", "args"):
                    found.extend(
                        _script_evidence(render_text(value, contexts), where, step.line, host, targets, read)
                    )
    if step.run:
        script = render_script(step.run, contexts, (step.env, *envs))
        found.extend(
            _script_evidence(
                _given_environment(script, (step.env, *envs), contexts),
                where,
                step.line,
                host,
                targets,
                read,
                cwd,
            )
        )
    # A gate reads the results of the jobs it needs, in its script, `if:`, env or inputs.
    parts = [str(part) for part in (step.run, step.if_, *step.env.values(), *step.with_.values()) if part]
    if any(map(_mentions_needs, parts)) and _reads_needs(" ".join(parts)):
        found.append(Evidence(GATE, where, step.line, "reads needs.*.result"))
    if step.name and all(item.purpose == UNRECOGNISED for item in found) and _named_as_lint(step.name):
        # `deno run tools/lint.js` says nothing by itself; its step's name does.
        found = [Evidence(LINT, where, step.line, "is named as a lint or format check")]
    if any(item.purpose in (META, GATE) for item in found):
        # What a step that writes outputs or reads needs' results runs is for that purpose.
        found = [item for item in found if item.purpose != UNRECOGNISED]
    return found


# tox and nox run the environment (session) named in TOXENV (NOXSESSION) when not given one
_ENV_RUNNER_VARIABLES = (("tox", "TOXENV", "-e"), ("nox", "NOXSESSION", "-s"))
# The runner's command when it is not given an environment of its own.
_ENV_RUNNER_COMMAND = {
    runner: lazy(rf"(^|[;&|]\s*)({runner})(?![\w-])(?!.*\s-[es]\b)", re.IGNORECASE | re.MULTILINE)
    for runner, _, _ in _ENV_RUNNER_VARIABLES
}


def _given_environment(script: str, envs: tuple[Mapping[str, Any], ...], contexts: Mapping[str, Any]) -> str:
    """`tox` with `TOXENV: docs` in an env reads as `tox -e docs` (one substitution a runner)."""
    for runner, variable, flag in _ENV_RUNNER_VARIABLES:
        if runner not in script:
            continue
        value = next((env[variable] for env in envs if variable in env), None)
        name = render_text(value, contexts).strip() if value is not None else ""
        if name and " " not in name and "?" not in name:
            # the name is the workflow's text: its backslashes are no group references (`py\9`)
            literal = f" {flag} {name}".replace("\\", "\\\\")
            script = _ENV_RUNNER_COMMAND[runner].sub(r"\1\2" + literal, script)
    return script


_EXPRESSION = lazy(r"\$\{\{.*?\}\}")
_STEP_OUTPUT = lazy(r"\bsteps\.([\w-]+)\.outputs\b", re.IGNORECASE)
_PYPI_URL = lazy(r"^https://(test\.)?pypi\.org/")


def _other_index(step: Step, contexts: Mapping[str, Any]) -> str:
    """The index an upload action is given when it is not PyPI's (which takes other wheels)."""
    url = _with_text(step, "repository-url", contexts) or _with_text(step, "repository_url", contexts)
    return url if url and not _PYPI_URL.match(url) else ""


@lru_cache(maxsize=2048)
def _reads_needs(text: str) -> bool:
    return _GATE_TEXT.search(text) is not None


# Asked of every step of every leg, these read a step's own text: once per distinct text.
@lru_cache(maxsize=4096)
def _mentions_needs(text: str) -> bool:
    """Whether a text may read needs' results: every _GATE_TEXT match holds the word."""
    return "needs" in text.lower()


@lru_cache(maxsize=1024)
def _named_as_lint(name: str) -> bool:
    return _LINT_NAME.search(_EXPRESSION.sub(" ", name)) is not None


def _for_target(kind: str | None, host: str, native: str, targets: set[str]) -> str:
    """The purpose of building (or testing) for a target, on a host."""
    if kind is None:
        return native
    if kind in _TARGETING:
        targets.add(kind)  # what the leg builds for; its tests then test that
        return kind
    if kind == host or host not in (AMD64, ARM64):
        return native  # the host's own arch, or a host we cannot tell (a dynamic matrix)
    if native == TEST:  # tests for a foreign arch run under emulation (see emulation.py)
        return TEST
    targets.add(kind)
    return CROSS


def _script_evidence(
    script: str,
    where: str,
    line: int,
    host: str,
    targets: set[str],
    read: Reader | None = None,
    cwd: str = "",
    depth: int = 0,
    budget: list[int] | None = None,
) -> list[Evidence]:
    found, built_for = _script_evidence_of(script, where, line, host)
    targets |= built_for
    if read is None or not any(item.purpose == UNRECOGNISED or item.tag in _BY_NAME for item in found):
        return list(found)
    # What no rule reads, or reads only by a name, may hand its work to the repository's
    # own files: read them (one entry of `found` per classified command, in order), with
    # one budget of commands for the whole tree of delegates (scripts calling scripts).
    from bot.core import delegates

    budget = budget if budget is not None else [delegates.MAX_COMMANDS]
    out: list[Evidence] = []
    for item, (_, _, _, command) in zip(found, _classify_script(script), strict=True):
        if item.purpose != UNRECOGNISED and item.tag not in _BY_NAME:
            out.append(item)
            continue
        delegated = delegates.of_command(command, read, cwd) if budget[0] > 0 else None
        inner = (
            _delegated(delegated, where, line, host, targets, read, depth, budget)
            if delegated is not None
            else None
        )
        if inner is not None:
            shown = command.strip()[:60]
            inner = [records.replace(x, what=f"runs `{shown}`, which {x.what}") for x in inner]
        if inner is None:
            out.append(item)
        else:
            out.extend(inner)
    return out


def _delegated(
    delegated: Delegated,
    where: str,
    line: int,
    host: str,
    targets: set[str],
    read: Reader,
    depth: int,
    budget: list[int],
) -> list[Evidence] | None:
    """The evidence of a delegate's commands, each naming the file and line it is on; []
    when it runs nothing but plumbing; None when nothing in it is recognised either."""
    from bot.core import delegates

    found: list[Evidence] = []
    folder = posixpath.dirname(delegated.path)
    for command, number in delegated.commands:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        inner = _script_evidence(
            command,
            where,
            number,
            host,
            targets,
            read if depth + 1 < delegates.MAX_DEPTH else None,
            folder if delegated.path.endswith(("Makefile", "makefile", "GNUmakefile", "package.json")) else "",
            depth + 1,
            budget,
        )
        for item in inner:
            # a deeper delegate already named its file (`runs ./b.sh, which runs …`)
            placed = item.what if ", which " in item.what else f"{item.what} ({delegated.path} line {number})"
            found.append(records.replace(item, line=line, what=placed))
    for action, number in delegated.uses:
        rule = _classify_uses(action.split("@", 1)[0])
        if rule is not None:
            what = f"uses {action} ({delegated.path} line {number})"
            found.append(Evidence(rule.purpose, where, line, what, rule.tag))
    if found and all(item.purpose == UNRECOGNISED for item in found):
        return None
    return found


def _composite(
    action: str, where: str, line: int, host: str, targets: set[str], read: Reader | None
) -> list[Evidence] | None:
    """A local composite action's evidence, read through its steps (None: not readable)."""
    if read is None or not action.startswith("./"):
        return None
    from bot.core import delegates

    delegated = delegates.of_action(action, read)
    budget = [delegates.MAX_COMMANDS]
    inner = (
        _delegated(delegated, where, line, host, targets, read, 0, budget) if delegated is not None else None
    )
    return [records.replace(x, what=f"uses {action}, which {x.what}") for x in inner] if inner else inner


@lru_cache(maxsize=4096)
def _script_evidence_of(
    script: str, where: str, line: int, host: str
) -> tuple[tuple[Evidence, ...], frozenset[str]]:
    """A script's evidence and the foreign targets it builds for (legs share scripts)."""
    built_for: set[str] = set()
    found: list[Evidence] = []
    # A cross toolchain the script names (in a heredoc, a variable) is what its builds use.
    toolchain = _strongest(of_script(_heredoc_bodies(script))) if "<<" in script else None
    for purpose, what, tag, command in _classify_script(script):
        # only what builds, tests or lints has a target (most commands do neither)
        named = (_strongest(of_command(command)) or toolchain) if purpose in (BUILD, TEST, LINT) else None
        if named is None and purpose == BUILD and _CONFIGURE.search(command):
            tag = tag or NATIVE_TREE
        if named is not None and purpose in (BUILD, TEST, LINT):
            if purpose == BUILD and _QEMU_RUNNER.search(command):
                purpose = TEST  # `make platformTest CC=… QEMU_SYS=qemu-aarch64-static` runs it
            original = purpose
            purpose = _for_target(named[0], host, BUILD if original == LINT else original, built_for)
            if purpose == BUILD:  # a check or lint for the host's own arch stays one
                purpose = original
            if named[0] == host:
                tag = HOST_TARGET
            elif purpose != original:
                what = f"{what}` for `{named[1]}"
                # a tree configured for another system, or for an arch neither amd64 nor arm64
                # (x86 by an ABI or a triple, not by an instruction-set option: tests still run)
                abi = named[0] != X86_SPECIFIC or not named[1].startswith("-") or named[1] in X86_ABI_FLAGS
                if (
                    (purpose in (*_TARGETING, CROSS) or named[0] == OTHER)
                    and abi
                    and _CONFIGURE.search(command)
                ):
                    tag = CONFIGURES
        shown = f"runs `{what}`" if purpose != UNRECOGNISED else f"runs `{what}`, which no rule knows"
        found.append(Evidence(purpose, where, line, shown, tag))
    return tuple(found), frozenset(built_for)


# Commands that configure a build tree: what is built and tested in it later is for their target.
_CONFIGURE = lazy(
    r"(^|/)configure(\s|$)|\bcmake\b(?!.*\s--(build|install)\b)|\bmeson (setup\b|(?!compile|test|install)\S)",
    re.IGNORECASE,
)
_QEMU_RUNNER = lazy(r"(?<![\w-])qemu-(?!img\b|system\b|utils\b)[a-z0-9_]+(-static)?(?![\w-])", re.IGNORECASE)


_HEREDOC_START = lazy(r"<<-?\s*['\"]?([A-Za-z_]\w*)", re.IGNORECASE)


def _heredoc_bodies(script: str) -> str:
    """The here-documents of a script: files it writes (a meson cross file, a toolchain file)
    whose toolchain its later commands use. One pass over the lines."""
    bodies: list[str] = []
    marker: str | None = None
    for line in script.splitlines():
        if marker is not None:
            if line.strip() == marker:
                marker = None
            else:
                bodies.append(line)
        elif "<<" in line:
            start = _HEREDOC_START.search(line)
            marker = start.group(1) if start is not None else None
    return "\n".join(bodies)


def _strongest(named: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """Of the targets one command names, the one that decides: another system or x86-only
    work over an architecture (`--target x86_64-pc-windows-gnu`, `-m32`)."""
    return next((item for item in named if item[0] in _TARGETING), named[0] if named else None)


_X86_CONTAINER = lazy(r"(^|[/:_-])(i[3-6]86|x86|386)(?![_-]?64)($|[/:_.-])", re.IGNORECASE)


def _value_evidence(
    name: str,
    value: Any,
    where: str,
    line: int,
    contexts: Mapping[str, Any],
    host: str,
    targets: set[str],
    compilers: bool = True,
) -> list[Evidence]:
    """Env values and container images that fix what a whole leg is for: `CFLAGS: -m32`,
    `GOARCH: 386`, `GOOS: ios`, an i686 image; a foreign GOARCH makes its builds cross."""
    text = render_text(value, contexts) if value is not None else ""
    if not text or text == "?":
        return []
    key = name.upper()
    # `CC: arm-linux-gnueabihf-gcc` in the job's env: every C build of the leg uses that
    # toolchain (not a step's env, which holds what earlier steps wrote to $GITHUB_ENV in
    # any branch of a `case`)
    compiler = key in ("CC", "CXX") and compilers
    if key in ("GOARCH", "CARGO_BUILD_TARGET", "RUST_TARGET") or compiler:
        kind = of_compiler(text) if compiler else kind_of(text)
        if kind in _TARGETING:
            return [Evidence(kind, where, line, f"is {text}")]
        if kind is not None and kind != host and host in (AMD64, ARM64):
            targets.add(kind)
            return [Evidence(CROSS, where, line, f"is {text}: builds for another architecture")]
        if kind is not None or not compiler:
            return []
    if key == "GOOS" and text.lower() != "linux":
        return [Evidence(OTHER_TARGET, where, line, f"is {text}")]
    if key == "CIBW_PLATFORM" and text.lower() in ("pyodide", "android", "ios"):
        return [Evidence(OTHER_TARGET, where, line, f"is {text}")]
    if name == "container" and _X86_CONTAINER.search(text):
        return [Evidence(X86_SPECIFIC, where, line, f"is {text[:60]}")]
    if key in _FLAG_KEYS or name == "container":
        found = _run_rule_match(text, _TARGETING)
        if found is not None:
            return [Evidence(found[0], where, line, f"is {text[:60]}")]
    return []


# Env keys whose value changes what every compiler call in the leg produces.
_FLAG_KEYS = {
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "CC",
    "CXX",
    "RUSTFLAGS",
    "CMAKE_TOOLCHAIN_FILE",
    "ARCH_FLAGS",
}


# Matrix keys whose value is the platform a leg builds for (`target: wasm32-wasip1`).
_TARGET_MATRIX_KEY = lazy(r"^(target|targets|triple|platform|rust[-_]?target|goos|goarch|abi)$", re.IGNORECASE)
_OTHER_PLATFORMS = {"android", "ios", "pyodide", "wasm", "wasi", "emscripten", "js", "web"}
# Any matrix value naming one of them as a word (`buildplat: [ubuntu-24.04, android_x86_64]`).
# `x86` alone often means x86_64 in a matrix; only i386/i686 say 32-bit for sure.
_X86_WORD = lazy(r"(^|[^a-z0-9])(i[3-6]86)([^a-z0-9]|$)", re.IGNORECASE)
_OTHER_PLATFORM_WORD = lazy(
    r"(^|[^a-z])(android|ios|iphoneos|iphonesimulator|pyodide|"
    r"emscripten|wasm32|wasm64|wasi)([^a-z]|$)",
    re.IGNORECASE,
)


def _matrix_targets(matrix: Any, line: int) -> list[Evidence]:
    """A leg whose matrix names a wasm, Android or i686 target builds for it throughout."""
    found: list[Evidence] = []
    stack: list[tuple[str, Any]] = [("", matrix)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((key, item) for item in value)
        elif isinstance(value, str) and len(value) < 80 and not any(c.isspace() for c in value):
            # one word (`android_arm64_v8a`), not a block of settings that mentions many
            kind: str | None = None
            if _OTHER_PLATFORM_WORD.search(value):
                kind = OTHER_TARGET
            elif _X86_WORD.search(value):  # `debian-13-trixie-x86`, `manylinux_2_28_i686`
                kind = X86_SPECIFIC
            elif _TARGET_MATRIX_KEY.match(key):
                kind = OTHER_TARGET if value.lower() in _OTHER_PLATFORMS else kind_of(value)
            if kind in _TARGETING:
                found.append(Evidence(kind, f"matrix {key}", line, f"is {value}"))
    return found


def decide(
    job: Job,
    contexts: Mapping[str, Any],
    host: str,
    steps: Iterable[Step],
    workflow_env: Mapping[str, Any],
    maybe: Iterable[int] = (),
    caller: Mapping[str, Any] | None = None,
    read: Reader | None = None,
) -> Purpose:
    """The purpose of one leg: `steps` are the job's steps that run on it, `maybe` the
    indexes of those whose `if:` depends on the run. Such a step may build or test, but
    cannot alone make the leg x86-only, cross or another platform's. `caller` is the
    calling leg's matrix when the job is in a reusable workflow."""
    maybe = set(maybe)
    targets: set[str] = set()
    leg_wide: list[Evidence] = []  # what the whole leg is for, whatever its commands
    evidence: list[Evidence] = []
    for name, value in {**workflow_env, **job.env}.items():
        line = job.line_of("env") if name in job.env else job.line
        leg_wide.extend(_value_evidence(str(name), value, f"env {name}", line, contexts, host, targets))
    if job.container is not None:
        image = job.container.get("image") if isinstance(job.container, dict) else job.container
        leg_wide.extend(
            _value_evidence("container", image, "container", job.line_of("container"), contexts, host, targets)
        )
    leg_wide.extend(_matrix_targets(contexts.get("matrix"), job.line_of("strategy", "matrix")))
    if caller:
        leg_wide.extend(_matrix_targets(caller, job.line))
    steps = list(steps)
    made_executable: dict[str, str] = {}  # path -> the step that made it executable
    downloaded: set[str] = set()  # where download-artifact put what other jobs made
    for step in steps:
        # A step's env (`GOOS: windows` on one `go build`) is about that step's commands only.
        settings = [
            item
            for name, value in step.env.items()
            for item in _value_evidence(
                str(name), value, f"env {name}", step.line, contexts, host, targets, compilers=False
            )
        ]
        found = _step_evidence(step, contexts, host, targets, (job.env, workflow_env), read)
        if settings:
            kind = settings[0].purpose
            found = [
                records.replace(item, purpose=kind) if item.purpose in (BUILD, TEST, LINT) else item
                for item in found
            ]
        found = settings + found
        ran = _runs_made_executable(step, made_executable)
        if ran is not None and all(item.purpose in (LINT, UNRECOGNISED) for item in found):
            # `chmod +x ./uv` after a download, then `./uv run …` or a script given `./uv`:
            # the step runs the program another job built, whatever the script is called.
            found = [item for item in found if item.purpose not in (LINT, UNRECOGNISED)]
            found.append(Evidence(TEST, _step_label(step), step.line, ran))
        if downloaded:  # the repository's own scripts (`chmod +x gradlew`) say nothing
            made_executable.update(_chmods(step))
        if downloaded and any(item.purpose == UNRECOGNISED for item in found):
            found = _inspects(step, found, downloaded)
        if step.uses:
            downloaded |= _downloads(step, contexts)
        if step.index in maybe:  # may build or test: work, but not the leg's target
            found = [
                item
                if item.purpose not in (*_TARGETING, CROSS)
                else Evidence(UNRECOGNISED, item.where, item.line, item.what + ", if it runs")
                for item in found
            ]
        evidence.extend(found)
        uses = (step.uses or "").lower()
        if uses.startswith("actions/setup-python") and step.index not in maybe and _on_linux_x64(contexts):
            leg_wide.extend(_x64_only_pythons(step, contexts))
        if uses.startswith("github/codeql-action/analyze"):
            # CodeQL builds compiled code only to analyse it.
            leg_wide.append(Evidence(LINT, _step_label(step), step.line, f"uses {step.uses}"))
        else:
            # Another OS's VM, the Emscripten SDK, an Android NDK or x86 emulator, Intel SDE:
            # the whole leg is about that platform.
            leg_wide.extend(
                item for item in found if item.purpose in _TARGETING and item.what.startswith("uses ")
            )
    if job.outputs:
        # A step whose outputs are the job's outputs computes them, whatever runs in it.
        feeding = set(_STEP_OUTPUT.findall(" ".join(str(value) for value in job.outputs.values())))
        if feeding:
            labels = {_step_label(step) for step in steps if str(plain(step.node.get("id"))) in feeding}
            evidence = [
                records.replace(item, purpose=META, what=f"{item.what}; it computes the job's outputs")
                if item.purpose == UNRECOGNISED and item.where in labels
                else item
                for item in evidence
            ]
        evidence.append(
            Evidence(
                META,
                "outputs",
                job.line_of("outputs"),
                "are set for other jobs: " + ", ".join(sorted(job.outputs)),
            )
        )
    purpose = _resolve(leg_wide, evidence, targets)
    publishing = tuple(item for item in evidence if item.purpose == PUBLISH)
    published = publishing[0] if publishing else None
    if _uploads_pure_packages(evidence):
        purpose = records.replace(purpose, to_pypi=True)
        if _on_linux(contexts):
            purpose = for_pypi(purpose, "this job") or purpose
    if published is not None and purpose.name == BUILD:
        purpose = _maybe_javascript_only(purpose)
    purpose = _packages_only_inspected(purpose, evidence) or purpose
    # Not what the leg is for (a test job that reports coverage is a test job), but a second
    # leg would replace the commit's report.
    publishing += tuple(_one_report_per_commit(steps, contexts))
    if publishing:
        # A second leg of such a job would upload, release or push a second time.
        purpose = records.replace(purpose, publishes=publishing[0], publishing=publishing)
    if purpose.name == UNKNOWN and not purpose.evidence and job.uses is None:
        # Nothing but plumbing (echo, grep, checkout, `exit 0`): a gate after its needs, an
        # approval step for its environment, or a check of the repository's text.
        if job.needs:
            return Purpose(
                GATE,
                (Evidence(GATE, "job", job.line, "runs nothing but plumbing after " + ", ".join(job.needs)),),
            )
        if "environment" in job.node.entries:
            return Purpose(
                GATE,
                (
                    Evidence(
                        GATE, "job", job.line_of("environment"), "runs nothing but plumbing for its environment"
                    ),
                ),
            )
        if any(step.run for step in steps):
            return Purpose(
                META,
                (Evidence(META, "job", job.line, "runs only plumbing commands (echo, grep, diff, git …)"),),
            )
    return purpose


_CHMOD = lazy(
    r"\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+x|[0-7]?[0-7][0-7]5)\s+([^\s;&|]+(?:\s+[^\s;&|-][^\s;&|]*)*)",
    re.IGNORECASE,
)


def _chmods(step: Step) -> dict[str, str]:
    """The files a step makes executable: `chmod +x ./uv`, `chmod 755 bin/tool`."""
    if not step.run or "chmod" not in step.run:
        return {}
    return {
        path.removeprefix("./"): _step_label(step)
        for match in _CHMOD.finditer(step.run)
        for path in match.group(1).split()
        if "*" not in path and "$" not in path
    }


def _downloads(step: Step, contexts: Mapping[str, Any]) -> set[str]:
    """Where a download-artifact step puts the files (`path:`, else the workspace's files)."""
    if not (step.uses or "").lower().startswith("actions/download-artifact"):
        return set()
    path = _with_text(step, "path", contexts).strip().removeprefix("./").rstrip("/")
    return {path} if path and "?" not in path else {_ARCHIVE}


_ARCHIVE = "*"  # nothing but archives and packages can be told apart in the workspace
_ARCHIVE_FILE = lazy(r"\S+\.(whl|tar\.gz|tgz|tar\.xz|tar\.bz2|zip|jar|deb|rpm|nupkg|gem)\b", re.IGNORECASE)


def _inspects(step: Step, found: list[Evidence], downloaded: set[str]) -> list[Evidence]:
    """A command no rule knows, given what was downloaded (`wheel_summary.py dist`,
    `distfiles.sh curl-1.2.tar.gz`): it inspects other jobs' artifacts."""
    text = step.run or ""
    paths = [path for path in downloaded if path != _ARCHIVE]
    named: set[str] = set()
    if paths:  # the script's words only matter for a folder something was downloaded into
        words = {word.strip("\"'").removeprefix("./").rstrip("/") for word in text.split()}
        named = {path for path in paths if any(word == path or word.startswith(path + "/") for word in words)}
    if not named and not _ARCHIVE_FILE.search(text):
        return found
    for command in commands(text):
        program = command.split()
        if program[:2] == ["java", "-jar"]:
            program = program[2:]
        first = program[0].strip("\"'").removeprefix("./") if program else ""
        name = first.rsplit("/", 1)[-1]
        # a Linux program: no extension (a `.exe`, a `.zip` listed in an array runs nothing)
        runnable = "." not in name or name.endswith((".jar", ".AppImage", ".bin", ".run"))
        if runnable and any(first.startswith(path + "/") for path in named):
            # the downloaded program itself runs (`bin/server --self-test`): a test of it
            what = f"runs `{command.strip()[:60]}`, a program another job built"
            return [
                *(item for item in found if item.purpose != UNRECOGNISED),
                Evidence(TEST, found[0].where, found[0].line, what),
            ]
    return [
        Evidence(
            ARTIFACTS,
            item.where,
            item.line,
            item.what.replace(", which no rule knows", "") + ", on the downloaded artifacts",
        )
        if item.purpose == UNRECOGNISED and item.what.startswith("runs ")
        else item
        for item in found
    ]


def _runs_made_executable(step: Step, made: Mapping[str, str]) -> str | None:
    """What a step runs of a file an earlier step made executable: as the program, or as an
    argument of a script that runs it (`check.py --uv ./uv`)."""
    if not made or not step.run:
        return None
    for command in commands(step.run):
        for word in command.split():
            path = word.strip("\"'").removeprefix("./")
            if path in made and not word.startswith("-") and not command.lstrip().startswith("chmod"):
                return f"runs `{command.strip()[:60]}`, which runs {path} ({made[path]} made it executable)"
    return None


# PyPI takes no plain `linux_x86_64` wheel (only manylinux and musllinux ones), so a Python
# package build (`python -m build`, `uv build`) whose result goes to PyPI made an sdist and a
# pure wheel: the same on every CPU. Wheels with compiled code come from cibuildwheel or
# maturin, or are repaired into platform wheels (auditwheel, delocate, delvewheel): WHEEL_REPAIR.
def _uploads_pure_packages(evidence: list[Evidence]) -> bool:
    """Whether a leg uploads to PyPI (any of its steps) without repairing wheels first."""
    uploads = any(item.purpose == PUBLISH and item.tag == PYPI for item in evidence)
    return uploads and not any(item.tag == WHEEL_REPAIR for item in evidence)


def _maybe_javascript_only(purpose: Purpose) -> Purpose:
    """A leg that publishes after package.json build scripts only: they may compile
    JavaScript (the same on every CPU) or a native addon, which the workflow does not say."""
    builds = [item for item in purpose.evidence if item.purpose == BUILD]
    if not builds or any(item.tag != JS_BUILD for item in builds):
        return purpose
    why = ", then publishes: JavaScript only or a native addon, which the workflow does not say"
    return Purpose(UNKNOWN, (records.replace(builds[0], purpose=UNRECOGNISED, what=builds[0].what + why),))


# What _packages_only_inspected adds to a package build's evidence; for_pypi replaces it when
# a job uploads the packages to PyPI, which says more.
_INSPECTED = (
    ", which builds packages to inspect them (its documentation leaves compiled extensions to "
    "cibuildwheel): an sdist and a pure wheel"
)
_PURE_OR_COMPILED = (
    ", and only inspects the packages: an sdist and a pure wheel, or compiled extensions, which "
    "the workflow does not say"
)


def _packages_only_inspected(purpose: Purpose, evidence: list[Evidence]) -> Purpose | None:
    """A leg whose only builds are Python package builds, that runs nothing it built and
    repairs no wheel, and otherwise only handles artifacts. hynek/build-and-inspect-python-package
    builds and inspects pure packages (an sdist and a pure wheel, the same on every CPU); a
    `python -m build` whose packages are only inspected (`twine check`) may be either, which
    the leg says (judged, as unknown); one beside a report on other jobs' artifacts (coverage
    combined) serves that report. None for any other leg, and for one that also runs what no
    rule knows."""
    builds = [item for item in purpose.evidence if item.purpose == BUILD]
    if purpose.name != BUILD or not builds or any(item.tag not in _PYTHON_PACKAGES for item in builds):
        return None
    if any(item.purpose == UNRECOGNISED for item in evidence):
        return None
    if all(item.tag == PACKAGE_CHECK for item in builds):
        found = tuple(
            records.replace(item, purpose=SDIST, what=item.what + _INSPECTED, tag=INSPECTED) for item in builds
        )
        return records.replace(purpose, name=SDIST, evidence=found)
    # a download fetches what the leg works on: it handles nothing by itself
    handled = [item for item in evidence if item.purpose == ARTIFACTS and item.tag != DOWNLOAD]
    if any(item.tag == PACKAGE_CHECK for item in handled):
        first = records.replace(
            builds[0], purpose=UNRECOGNISED, what=builds[0].what + _PURE_OR_COMPILED, tag=INSPECTED
        )
        return records.replace(purpose, name=UNKNOWN, evidence=(first,))
    if handled:
        why = ", for a report on other jobs' artifacts (nothing runs what it builds)"
        found = tuple(records.replace(item, purpose=ARTIFACTS, what=item.what + why) for item in builds)
        return records.replace(purpose, name=ARTIFACTS, evidence=(*handled, *found))
    return None


def for_pypi(purpose: Purpose, uploader: str) -> Purpose | None:
    """A Linux leg whose only builds are Python package builds, when `uploader` (a job, or
    "this job") uploads them to PyPI: an sdist and a pure wheel, not judged. None for any
    other leg (the caller knows the leg is on Linux: macOS and Windows wheels are accepted)."""
    # packages the leg only inspects (_packages_only_inspected): the upload says more
    inspected = purpose.name != BUILD and all(item.tag == INSPECTED for item in purpose.evidence)
    builds = [item for item in purpose.evidence if item.purpose == BUILD or inspected]
    if (purpose.name != BUILD and not inspected) or not builds:
        return None
    if not all(item.tag in (*_PYTHON_PACKAGES, INSPECTED) for item in builds):
        return None
    why = f", which {uploader} uploads to PyPI: an sdist and a pure wheel (PyPI takes no plain linux wheel)"
    found = tuple(
        records.replace(
            item,
            purpose=SDIST,
            what=item.what.removesuffix(_INSPECTED).removesuffix(_PURE_OR_COMPILED) + why,
            tag=PYTHON_PACKAGE,  # no longer only inspected
        )
        for item in builds
    )
    return records.replace(purpose, name=SDIST, evidence=found)


def _on_linux(contexts: Mapping[str, Any]) -> bool:
    runner = contexts.get("runner")
    return isinstance(runner, dict) and runner.get("os") == "Linux"


def _on_linux_x64(contexts: Mapping[str, Any]) -> bool:
    return _on_linux(contexts) and contexts["runner"].get("arch") == "X64"


def _x64_only_pythons(step: Step, contexts: Mapping[str, Any]) -> list[Evidence]:
    """A leg on a Python that setup-python builds for x64 only (3.7) can have no arm64 twin."""
    asked = _with_text(step, "python-version", contexts)
    lacking = runners.pythons_without_linux_arm64(asked)
    if not lacking or len(lacking) < len(asked.split()):  # 3.7 beside 3.12: the leg tests both
        return []
    what = f"installs Python {', '.join(lacking)}, which actions/setup-python has for x64 only on Linux"
    return [Evidence(X86_SPECIFIC, _step_label(step), step.line, what)]


def _serves_checks(build: Evidence, evidence: list[Evidence]) -> bool:
    """Whether a build, in a leg that also lints, is there for the checks: one known only by
    its name (`spin build`, `make build-dev`) is there for them to import; a package.json
    build script is when a check follows it (`npm run build:dist`, then `npm run lint-types`),
    while one after every check makes what the job is for."""
    if build.tag in _BY_NAME:
        return True
    if build.tag != JS_BUILD:
        return False
    position = evidence.index(build)
    return any(item.purpose == LINT for item in evidence[position + 1 :])


def _resolve(leg_wide: list[Evidence], evidence: list[Evidence], targets: set[str]) -> Purpose:
    for name in (*_TARGETING, LINT):
        found = tuple(item for item in leg_wide if item.purpose == name)
        if found:
            return Purpose(name, found)
    cross = tuple(item for item in leg_wide if item.purpose == CROSS)
    if any(item.tag != GUESSED and item.purpose != UNRECOGNISED for item in evidence):
        evidence = [item for item in evidence if item.tag != GUESSED]
    by_purpose: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_purpose.setdefault(item.purpose, []).append(item)

    def pick(name: str) -> Purpose:
        return Purpose(name, tuple(by_purpose[name]))

    if cross and (TEST in by_purpose or BUILD in by_purpose or CROSS in by_purpose):
        # GOARCH=arm64 in the env: every build and test in the leg is for that target.
        return Purpose(CROSS, (*cross, *by_purpose.get(TEST, by_purpose.get(BUILD, []))), frozenset(targets))
    built_for = targets & set(_TARGETING)
    configured = [item for item in evidence if item.tag == CONFIGURES]
    if configured and not any(item.tag in (HOST_TARGET, NATIVE_TREE, QEMU_RUN) for item in evidence):
        # `cmake -DCMAKE_SYSTEM_NAME=Android`, `./configure --host=m68k-amigaos`: the builds
        # and tests that follow in the same tree are for that platform.
        return Purpose(
            configured[0].purpose, (*configured, *by_purpose.get(TEST, ())), frozenset(targets - built_for)
        )
    checks_built = [item for item in by_purpose.get(LINT, ()) if item.tag == TESTS_CHECK]
    if checks_built and BUILD in by_purpose:
        # `make lib && tests/check_size.py lib/lib.so`: a check kept with the tests, run after
        # a build, checks what was built
        by_purpose.setdefault(TEST, []).extend(records.replace(item, purpose=TEST) for item in checks_built)
        by_purpose[LINT] = [item for item in by_purpose[LINT] if item.tag != TESTS_CHECK]
        if not by_purpose[LINT]:
            del by_purpose[LINT]
    if TEST in by_purpose:
        return pick(TEST)
    installs = [item for item in by_purpose.get(BUILD, []) if item.tag in (PROJECT_INSTALL, WHEEL_REPAIR)]
    if installs and len(installs) == len(by_purpose[BUILD]):
        # `pip install -e .` before mypy or sphinx installs the project for the tool;
        # `auditwheel repair` before `twine upload` repairs wheels another job built.
        for name in (LINT, DOCS, PUBLISH, SDIST):
            if name in by_purpose:
                return pick(name)
    checks = [item for item in by_purpose.get(LINT, []) if item.tag == CODEGEN_CHECK]
    if checks and not by_purpose.get(PUBLISH):
        # Builds, then a diff against the committed files: the builds made what is compared.
        return Purpose(LINT, (*checks, *by_purpose.get(BUILD, ())))
    if CROSS in by_purpose:
        return Purpose(CROSS, tuple(by_purpose[CROSS]), frozenset(targets - built_for))
    # Compiling with -m32 or AVX-512 makes the leg's build x86-only, whatever else it builds
    # (a web UI); tests above still count. A wasm toolchain beside a native build does not.
    if X86_SPECIFIC in by_purpose and not any(item.tag == HOST_TARGET for item in by_purpose.get(BUILD, ())):
        return pick(X86_SPECIFIC)
    if (
        BUILD in by_purpose
        and LINT in by_purpose
        and all(_serves_checks(item, evidence) for item in by_purpose[BUILD])
    ):
        return pick(LINT)
    if BUILD in by_purpose:
        return pick(BUILD)
    if OTHER_TARGET in by_purpose:
        return pick(OTHER_TARGET)
    unrecognised = by_purpose.get(UNRECOGNISED, [])
    for name in _NON_JUDGED_ORDER:
        if name not in by_purpose:
            continue
        weak = name in _WEAK or all(item.tag in _BY_NAME for item in by_purpose[name])
        if weak and unrecognised:
            # A gate or an outputs job that also runs something we cannot name may do real
            # work, and so may a job known only by a script's name: judge it, don't guess.
            return Purpose(UNKNOWN, (*by_purpose[name], unrecognised[0]))
        return pick(name)
    return Purpose(UNKNOWN, tuple(unrecognised[:1]))
