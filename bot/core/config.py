"""`.github/parity.yml`: the policy a repository (or its organisation) sets.

Validation mirrors `bot/schema/parity.schema.json` (published for editors); a test keeps
the two in step. Unknown keys are an error with the key's path, never silently ignored:
a typo like `allow_emulation` must not quietly change a verdict.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from bot.core.purpose import JUDGED_BY_DEFAULT, PURPOSES
from bot.core.yamlnodes import Map, YamlError, parse, plain

MODES = ("required", "advisory", "off")
PLATFORMS = ("linux", "macos", "windows")
COMMENT_MODES = ("always", "on-difference", "never")
FIX_PR_MODES = ("on-request", "auto", "off")
RUNNER_TARGETS = ("amd64", "arm64", "other")


class ConfigError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class JobRule:
    workflow: str | None = None
    job: str | None = None

    def matches(self, path: str, job_id: str) -> bool:
        if self.workflow is not None and not _path_glob(path, self.workflow):
            return False
        return self.job is None or fnmatch.fnmatchcase(job_id, self.job)


def _path_glob(path: str, pattern: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(name, pattern)


@dataclass(frozen=True, slots=True)
class Policy:
    mode: str = "required"
    platforms: tuple[str, ...] = ("linux",)
    allow_emulated: bool = True
    require_blocking: bool = False
    runners: dict[str, str] = field(default_factory=dict)
    arm64_runner: str | None = None
    ignore: tuple[JobRule, ...] = ()
    judge: tuple[str, ...] = JUDGED_BY_DEFAULT
    require: tuple[JobRule, ...] = ()
    junit_artifacts: str = "*test-results*"
    comment: str = "always"
    fail_on_difference: bool = True
    extends: str | None = None
    dashboard: bool = False
    fix_prs: str = "on-request"
    org_report: bool = False
    report_repository: str | None = None

    def ignored(self, path: str, job_id: str) -> bool:
        return any(rule.matches(path, job_id) for rule in self.ignore)

    def required(self, path: str, job_id: str) -> bool:
        return any(rule.matches(path, job_id) for rule in self.require)

    def as_json(self) -> dict[str, Any]:
        return {
            "platforms": list(self.platforms),
            "allow_emulated": self.allow_emulated,
            "require_blocking": self.require_blocking,
            "judge": list(self.judge),
        }


_TOP_KEYS = {
    "mode", "platforms", "allow_emulated", "require_blocking", "runners",
    "arm64_runner", "ignore", "results", "extends", "judge", "require", "dashboard",
    "fix_prs", "org_report", "report_repository",
}
_RESULT_KEYS = {"junit_artifacts", "comment", "fail_on_difference"}
_JOB_RULE_KEYS = {"workflow", "job"}


def _fail_unknown(keys: set[str], allowed: set[str], where: str) -> None:
    extra = sorted(keys - allowed)
    if extra:
        raise ConfigError(
            f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(repr(k) for k in extra)} "
            f"in {where}; allowed: {', '.join(sorted(allowed))}"
        )


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"'{key}' must be true or false, not {value!r}")
    return value


def _job_rules(data: dict[str, Any], key: str) -> tuple[JobRule, ...]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"'{key}' must be a list of {{workflow, job}} entries")
    rules: list[JobRule] = []
    for item in items:
        if not isinstance(item, dict) or not item:
            raise ConfigError(f"each '{key}' entry must be a mapping with 'workflow' and/or 'job'")
        _fail_unknown(set(item), _JOB_RULE_KEYS, f"an '{key}' entry" if key[0] in "aeiou"
                      else f"a '{key}' entry")
        rules.append(JobRule(
            str(item["workflow"]) if "workflow" in item else None,
            str(item["job"]) if "job" in item else None,
        ))
    return tuple(rules)


def policy_from_dict(data: Any) -> Policy:
    """Validate plain config data into a Policy."""
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping")
    _fail_unknown(set(data), _TOP_KEYS, "the config")

    mode = data.get("mode", "required")
    if mode not in MODES:
        raise ConfigError(f"'mode' must be one of {', '.join(MODES)}, not {mode!r}")

    platforms = data.get("platforms", ["linux"])
    if isinstance(platforms, str):
        platforms = [platforms]
    if not isinstance(platforms, list) or not platforms or any(p not in PLATFORMS for p in platforms):
        raise ConfigError(f"'platforms' must be a non-empty list of {', '.join(PLATFORMS)}")

    runners = data.get("runners") or {}
    if not isinstance(runners, dict):
        raise ConfigError("'runners' must map label globs to an architecture")
    for glob, target in runners.items():
        arch = str(target).rpartition("/")[2].lower()
        os_part = str(target).rpartition("/")[0].lower()
        if arch not in RUNNER_TARGETS or (os_part and os_part not in PLATFORMS):
            raise ConfigError(
                f"runners: '{glob}' maps to {target!r}; use amd64, arm64 or other, "
                "optionally as OS/ARCH (linux/arm64)"
            )

    arm64_runner = data.get("arm64_runner")
    if arm64_runner is not None and not isinstance(arm64_runner, str):
        raise ConfigError("'arm64_runner' must be a runner label")

    judge = data.get("judge", list(JUDGED_BY_DEFAULT))
    if isinstance(judge, str):
        judge = [judge]
    if not isinstance(judge, list) or any(item not in PURPOSES for item in judge):
        raise ConfigError(f"'judge' must be a list of purposes: {', '.join(PURPOSES)}")

    results = data.get("results") or {}
    if not isinstance(results, dict):
        raise ConfigError("'results' must be a mapping")
    _fail_unknown(set(results), _RESULT_KEYS, "'results'")
    comment = results.get("comment", "always")
    if comment not in COMMENT_MODES:
        raise ConfigError(f"results.comment must be one of {', '.join(COMMENT_MODES)}")

    extends = data.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise ConfigError("'extends' must be OWNER/REPO or OWNER/REPO:PATH")

    fix_prs = data.get("fix_prs", "on-request")
    if fix_prs not in FIX_PR_MODES:
        raise ConfigError(f"'fix_prs' must be one of {', '.join(FIX_PR_MODES)}, not {fix_prs!r}")
    report_repository = data.get("report_repository")
    if report_repository is not None and (not isinstance(report_repository, str)
                                          or report_repository.count("/") != 1):
        raise ConfigError("'report_repository' must be OWNER/NAME")

    return Policy(
        mode=mode,
        platforms=tuple(platforms),
        allow_emulated=_bool(data, "allow_emulated", True),
        require_blocking=_bool(data, "require_blocking", False),
        runners={str(k): str(v) for k, v in runners.items()},
        arm64_runner=arm64_runner,
        ignore=_job_rules(data, "ignore"),
        judge=tuple(judge),
        require=_job_rules(data, "require"),
        junit_artifacts=str(results.get("junit_artifacts", "*test-results*")),
        comment=comment,
        fail_on_difference=_bool(results, "fail_on_difference", True),
        extends=extends,
        dashboard=_bool(data, "dashboard", False),
        fix_prs=fix_prs,
        org_report=_bool(data, "org_report", False),
        report_repository=report_repository,
    )


def parse_config(text: bytes | str) -> dict[str, Any]:
    """The config file as plain data (YAML errors become ConfigError with a line)."""
    try:
        root = parse(text)
    except YamlError as exc:
        raise ConfigError(exc.message, exc.line) from None
    if root is not None and not isinstance(root, Map):
        raise ConfigError("the config must be a mapping", root.line)
    data = plain(root)
    return data if isinstance(data, dict) else {}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`extends`: the repository's keys win; `results` merges one level down."""
    merged = {**base, **override}
    if isinstance(base.get("results"), dict) and isinstance(override.get("results"), dict):
        merged["results"] = {**base["results"], **override["results"]}
    merged.pop("extends", None)  # one level only
    return merged


def load_policy(text: bytes | str) -> Policy:
    return policy_from_dict(parse_config(text))
