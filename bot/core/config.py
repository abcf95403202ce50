"""`.github/parity.yml`: the policy a repository (or its organisation) sets.

The file may also be named `.github/parity.yaml` (the schema's catalog entry matches both);
a repository with both has a config error naming both, never one silently preferred.

`bot/schema/parity.schema.json` is the one definition of the file: it validates it here
(messages name the key and its line) and is published for editors. Unknown keys are an
error, never silently ignored: a typo like `allow_emulation` must not quietly change a
verdict.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Collection, Sequence
from typing import Any

from bot.core.purpose import JUDGED_BY_DEFAULT
from bot.core.records import field, record
from bot.core.yamlnodes import Map, Node, Seq, YamlError, parse, plain


class ConfigError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# `coverage:` levels. Some projects test a chosen subset on arm64 on purpose.
EVERY_LEG = "every-leg"  # each judged amd64 leg has an arm64 twin
EVERY_VALUE = "every-value"  # each value of each matrix key runs on some arm64 leg
ANY_LEG = "any-leg"  # one judged arm64 leg is enough

# `fix_images:` what `fix` does with a job that pushes the image it builds. Its amd64 leg is
# what already runs, so widening its platforms is a change a maintainer asks for by name.
IMAGES_REFUSE = "refuse"  # explain, edit nothing
IMAGES_PLATFORMS = "platforms"  # the build's platforms gain linux/arm64 (with QEMU)


CONFIG_PATHS = (".github/parity.yml", ".github/parity.yaml")


def both_configs(where: str = "") -> ConfigError:
    """The error for a repository holding both names (`where`: `owner/repo:` or a folder)."""
    first, second = (f"{where}{path}" for path in CONFIG_PATHS)
    return ConfigError(f"{first} and {second} both exist: keep one (parity-bot reads either name)")


def config_path(present: Collection[str], where: str = "") -> str | None:
    """Which of CONFIG_PATHS is the config, given the paths of those that exist."""
    found = [path for path in CONFIG_PATHS if path in present]
    if len(found) > 1:
        raise both_configs(where)
    return found[0] if found else None


@record(frozen=True)
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


@record(frozen=True)
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
    log_excerpts: bool = True
    extends: str | None = None
    dashboard: bool = False
    fix_prs: str = "on-request"
    fix_images: str = IMAGES_REFUSE
    org_report: bool = False
    report_repository: str | None = None
    coverage: tuple[tuple[JobRule, str], ...] = ()  # first match wins; none: EVERY_LEG

    def coverage_for(self, path: str, job_id: str) -> str:
        """How much of this job must run on arm64 (`coverage:`)."""
        return next((level for rule, level in self.coverage if rule.matches(path, job_id)), EVERY_LEG)

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


def _schema() -> Any:
    """The JSON schema, read once."""
    global _SCHEMA
    if _SCHEMA is None:
        # Beside this package on disk, read directly (importlib.resources costs about 4 ms
        # to import); through importlib.resources when installed some other way (a zip).
        path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schema", "parity.schema.json")
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            from importlib import resources

            text = resources.files("bot").joinpath("schema/parity.schema.json").read_text(encoding="utf-8")
        _SCHEMA = json.loads(text)
    return _SCHEMA


def _schema_validator() -> Any:
    """The JSON schema's validator, built once: only an invalid config pays the import
    (about 40 ms); a valid one is recognised by `conforms` from the same schema."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        _VALIDATOR = jsonschema.Draft202012Validator(_schema())
    return _VALIDATOR


_SCHEMA: Any = None
_VALIDATOR: Any = None


def _valid(data: Any) -> bool:
    from bot.core.conforms import Unsupported, conforms

    try:
        return conforms(_schema(), data)
    except Unsupported:
        return False  # jsonschema decides


def _where(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path) if path else "the config"


def _line(root: Node | None, path: Sequence[str | int]) -> int | None:
    """The line of the value at `path` in the file (its key's line for a mapping entry)."""
    node, line = root, root.line if root is not None else None
    for part in path:
        if isinstance(node, Map) and isinstance(part, str) and part in node.entries:
            key, node = node.entries[part]
            line = key.line
        elif isinstance(node, Seq) and isinstance(part, int) and part < len(node.items):
            node = node.items[part]
            line = node.line
        else:
            break
    return line


def _schema_error(error: Any, root: Node | None) -> ConfigError:
    """One message naming the key, what is wrong, and (when the file is known) its line."""
    path = list(error.absolute_path)
    where = _where(path)
    kind = error.validator
    schema = error.schema
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        if not path:
            place = "the config"
        elif isinstance(path[-1], str):
            place = f"'{where}'"
        else:  # an item of a list: `an 'ignore' entry`
            owner = _where(path[:-1])
            place = f"{'an' if owner[0] in 'aeiou' else 'a'} '{owner}' entry"
        words = "key" if len(extra) == 1 else "keys"
        return ConfigError(
            f"unknown {words} {', '.join(repr(k) for k in extra)} in {place}; allowed: {', '.join(allowed)}",
            _line(root, [*path, extra[0]]),
        )
    if kind == "enum":
        text = f"{where} must be one of {', '.join(str(v) for v in schema['enum'])}, not {error.instance!r}"
    elif kind == "type":
        wanted = {
            "boolean": "true or false",
            "string": "a string",
            "array": "a list",
            "object": "a mapping",
        }.get(str(schema["type"]), str(schema["type"]))
        text = f"{where} must be {wanted}, not {error.instance!r}"
    else:
        described = _described(path)
        text = f"{where}: {error.instance!r} is not valid" + (
            f" ({described})" if described else f": {error.message}"
        )
    return ConfigError(text, _line(root, path))


def _described(path: Sequence[str | int]) -> str:
    """The schema's description of the top-level key a value sits under."""
    properties = _schema()["properties"]
    top = properties.get(str(path[0])) if path else None
    return str(top.get("description", "")) if top else ""


def policy_from_dict(data: Any, root: Node | None = None) -> Policy:
    """Validate plain config data against the JSON schema into a Policy; `root`, the parsed
    file, gives the errors their lines."""
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping", root.line if root is not None else None)
    # `ignore:` with nothing after it is no rule, not an error
    data = {key: value for key, value in data.items() if value is not None}
    if not _valid(data):
        from jsonschema.exceptions import best_match

        error = best_match(_schema_validator().iter_errors(data))
        if error is not None:
            raise _schema_error(error, root)
    results = data.get("results") or {}

    def listed(value: Any) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    def rules(key: str) -> tuple[JobRule, ...]:
        return tuple(JobRule(item.get("workflow"), item.get("job")) for item in data.get(key, []))

    coverage = data.get("coverage", ())
    if isinstance(coverage, str):
        coverage = [{"coverage": coverage}]

    return Policy(
        mode=data.get("mode", "required"),
        platforms=listed(data.get("platforms", ["linux"])),
        allow_emulated=data.get("allow_emulated", True),
        require_blocking=data.get("require_blocking", False),
        runners=dict(data.get("runners", {})),
        arm64_runner=data.get("arm64_runner"),
        ignore=rules("ignore"),
        judge=listed(data.get("judge", list(JUDGED_BY_DEFAULT))),
        require=rules("require"),
        junit_artifacts=str(results.get("junit_artifacts", "*test-results*")),
        comment=results.get("comment", "always"),
        fail_on_difference=results.get("fail_on_difference", True),
        log_excerpts=results.get("log_excerpts", True),
        extends=data.get("extends"),
        dashboard=data.get("dashboard", False),
        fix_prs=data.get("fix_prs", "on-request"),
        fix_images=data.get("fix_images", IMAGES_REFUSE),
        org_report=data.get("org_report", False),
        report_repository=data.get("report_repository"),
        coverage=tuple((JobRule(item.get("workflow"), item.get("job")), item["coverage"]) for item in coverage),
    )


def _root(text: bytes | str) -> Map | None:
    """The config file's mapping (YAML errors become ConfigError with a line)."""
    try:
        root = parse(text)
    except YamlError as exc:
        raise ConfigError(exc.message, exc.line) from None
    if root is not None and not isinstance(root, Map):
        raise ConfigError("the config must be a mapping", root.line)
    return root


def parse_config(text: bytes | str) -> dict[str, Any]:
    """The config file as plain data."""
    data = plain(_root(text))
    return data if isinstance(data, dict) else {}


CONFIG_PATH = CONFIG_PATHS[0]  # what `extends: OWNER/REPO` without a path reads


def extends_target(extends: str, owner: str) -> tuple[str, str, str]:
    """`extends: OWNER/REPO[:PATH]` as (owner, repository, path), checked before anything
    is read: the path becomes part of an API URL read with the installation's token, so
    `..` or an absolute path could reach any endpoint (or another installed repository's
    private config), and a config may only extend one of its own owner's repositories."""
    target, _, path = extends.partition(":")
    base_owner, _, name = target.partition("/")
    if not base_owner or not name or "/" in name:
        raise ConfigError(f"extends must be OWNER/REPO[:PATH], not {extends!r}")
    if base_owner.lower() != owner.lower():
        raise ConfigError(f"extends must name a repository of {owner}, not {extends!r}")
    path = path or CONFIG_PATH
    if not safe_path(name) or not safe_path(path):
        raise ConfigError(f"extends must be a relative path without '..', not {extends!r}")
    return base_owner, name, path


def safe_path(path: str) -> bool:
    """A relative path that names a file below where it is read from: no empty, `.` or
    `..` segment (HTTP clients resolve those before the request leaves), no backslash."""
    return bool(path) and "\\" not in path and all(part not in ("", ".", "..") for part in path.split("/"))


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`extends`: the repository's keys win; `results` merges one level down."""
    merged = {**base, **override}
    if isinstance(base.get("results"), dict) and isinstance(override.get("results"), dict):
        merged["results"] = {**base["results"], **override["results"]}
    merged.pop("extends", None)  # one level only
    return merged


def load_policy(text: bytes | str) -> Policy:
    root = _root(text)
    return policy_from_dict(plain(root), root)
