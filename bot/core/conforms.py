"""Whether config data is valid under `bot/schema/parity.schema.json`, without jsonschema.

`import jsonschema` and building its validator cost about 40 ms, more than judging a
workflow, on every `check` of a repository that has a parity.yml. The schema stays the one
definition: this reads it and answers only "valid or not" for the keywords it uses. A
config it finds invalid (or a schema keyword it does not know) goes to jsonschema, which
picks and words the error exactly as before; so messages cannot drift, and only the answer
"valid" must agree with jsonschema (tests/test_conforms.py compares them).
"""

from __future__ import annotations

import re
from typing import Any

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default"})
_KNOWN = _ANNOTATIONS | {
    "type",
    "enum",
    "anyOf",
    "items",
    "minItems",
    "uniqueItems",
    "pattern",
    "properties",
    "additionalProperties",
    "minProperties",
    "required",
}


class Unsupported(Exception):
    """The schema uses a keyword this does not check: ask jsonschema."""


def _equal(one: Any, other: Any) -> bool:
    """JSON equality: true and 1 differ (as in jsonschema)."""
    if isinstance(one, bool) or isinstance(other, bool):
        return isinstance(one, bool) and isinstance(other, bool) and one == other
    containers = isinstance(one, (list, dict)), isinstance(other, (list, dict))
    if all(containers):
        raise Unsupported("enum or uniqueItems comparing lists or mappings")
    if any(containers):
        return False  # a list or mapping never equals a scalar
    return bool(one == other)


def _typed(kind: str, instance: Any) -> bool:
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    raise Unsupported(f"type {kind}")


def conforms(schema: Any, instance: Any) -> bool:
    """True when `instance` is valid under `schema`; raises Unsupported when unsure."""
    if schema is True:
        return True
    if schema is False:
        return False
    unknown = schema.keys() - _KNOWN
    if unknown:
        raise Unsupported(", ".join(sorted(unknown)))
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_typed(kind, instance) for kind in kinds):
            return False
    if "enum" in schema and not any(_equal(value, instance) for value in schema["enum"]):
        return False
    if "anyOf" in schema and not any(conforms(option, instance) for option in schema["anyOf"]):
        return False
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            return False
        if schema.get("uniqueItems") and any(
            _equal(instance[i], instance[j]) for i in range(len(instance)) for j in range(i)
        ):
            return False
        if "items" in schema and not all(conforms(schema["items"], item) for item in instance):
            return False
    if isinstance(instance, str) and "pattern" in schema and not re.search(schema["pattern"], instance):
        return False
    if isinstance(instance, dict):
        return _conforms_mapping(schema, instance)
    return True


def _conforms_mapping(schema: Any, instance: dict[Any, Any]) -> bool:
    if len(instance) < schema.get("minProperties", 0):
        return False
    if any(key not in instance for key in schema.get("required", ())):
        return False
    properties = schema.get("properties", {})
    for key, value in instance.items():
        if key in properties:
            if not conforms(properties[key], value):
                return False
        elif "additionalProperties" in schema and not conforms(schema["additionalProperties"], value):
            return False
    return True
