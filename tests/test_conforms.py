"""`conforms` says "valid" exactly when jsonschema does, for configs near every key's edges;
what it finds invalid still gets jsonschema's message."""

from __future__ import annotations

import itertools
from typing import Any

import jsonschema
import pytest

from bot.core import config
from bot.core.conforms import Unsupported, conforms

SCHEMA = config._schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
VALUES: list[Any] = [
    True,
    False,
    0,
    1,
    1.5,
    "",
    "x",
    "required",
    "advisory",
    "linux",
    "macos",
    "build",
    "every-leg",
    "any-leg",
    "on-request",
    "platforms",
    "refuse",
    "o/r",
    "bad repo",
    "linux/arm64",
    [],
    ["linux"],
    ["linux", "linux"],
    ["linux", "solaris"],
    ["build", "test"],
    ["build", "build"],
    [1],
    [True],
    {},
    {"a": "amd64"},
    {"a": "linux/arm64"},
    {"a": "windows/other"},
    {"a": "arm"},
    {"a": 1},
    [{"job": "x"}],
    [{"workflow": "ci.yml", "job": "x"}],
    [{}],
    [{"job": 1}],
    [{"job": "x", "other": 1}],
    [{"coverage": "any-leg"}],
    [{"job": "x", "coverage": "every-value"}],
    [{"job": "x"}, {"coverage": "nope"}],
    {"junit_artifacts": "x"},
    {"comment": "never"},
    {"comment": "sometimes"},
    {"fail_on_difference": 1},
    {"bogus": 1},
]
KEYS = [*SCHEMA["properties"], "unknown_key", 1]


def _cases() -> list[dict[Any, Any]]:
    cases: list[dict[Any, Any]] = [{}]
    cases += [{key: value} for key in KEYS for value in VALUES]
    pairs = itertools.product(["mode", "runners", "ignore", "coverage", "judge"], VALUES[:20])
    cases += [{"platforms": ["linux"], key: value} for key, value in pairs]
    return cases


def test_the_schema_uses_only_keywords_conforms_knows() -> None:
    conforms(SCHEMA, {key: None for key in SCHEMA["properties"]})


@pytest.mark.parametrize("data", _cases(), ids=repr)
def test_conforms_agrees_with_jsonschema(data: dict[Any, Any]) -> None:
    if any(isinstance(v, list) and any(isinstance(i, (list, dict)) for i in v) for v in data.values()):
        try:
            answer = conforms(SCHEMA, data)
        except Unsupported:
            return  # uniqueItems over mappings: jsonschema decides
    else:
        answer = conforms(SCHEMA, data)  # scalars and lists of scalars: always answered
    assert answer == VALIDATOR.is_valid(data)


def test_an_unknown_keyword_is_left_to_jsonschema() -> None:
    with pytest.raises(Unsupported):
        conforms({"type": "object", "maxProperties": 1}, {})


def test_a_valid_config_does_not_import_jsonschema() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from bot.core.config import load_policy; "
        "load_policy(b'mode: advisory\\nplatforms: [linux]\\njudge: [build, test]\\nrunners:\\n  big: amd64\\n"
        "ignore:\\n  - job: docs\\ncoverage:\\n  - job: x\\n    coverage: any-leg\\n'); "
        "print('jsonschema' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_an_invalid_config_keeps_jsonschemas_message() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load_policy(b"mode: sometimes\n")
    assert caught.value.message == "mode must be one of required, advisory, off, not 'sometimes'"
