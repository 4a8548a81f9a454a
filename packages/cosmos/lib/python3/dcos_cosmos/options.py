"""A package's options: defaults from its config schema, merged with the user's, validated.

Cosmos validates options with a JSON Schema draft 4 validator and returns
that validator's reports in JsonSchemaMismatch's `data.errors`. Each report
is shaped as json-schema-validator writes it (`level`, `schema`, `instance`,
`domain`, `keyword`, `message` and the keyword's own fields such as `found`
and `expected`, `missing`, `unwanted`, `minimum`): the DC/OS CLI reads those
fields to explain what is wrong.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

JSON = dict[str, Any]


def merge(target: JSON, fragment: JSON) -> JSON:
    """`fragment` over `target`: objects merge recursively, anything else replaces."""
    merged = dict(target)
    for key, value in fragment.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def defaults(schema: JSON) -> JSON:
    """Every `default` under the schema's `properties`, nested as the properties are."""
    properties = schema.get("properties")
    return _defaults_of(properties) if isinstance(properties, dict) else {}


def _defaults_of(properties: JSON) -> JSON:
    out: JSON = {}
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        if "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
        elif isinstance(prop.get("properties"), dict):
            out[name] = _defaults_of(prop["properties"])
    return out


def merged_options(config: JSON | None, user: JSON | None) -> JSON:
    """The package's defaults with the user's options over them."""
    out: JSON = {}
    if config is not None:
        out = merge(out, defaults(config))
    if user is not None:
        out = merge(out, user)
    return out


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def report(error: ValidationError) -> JSON:
    """One validation error as json-schema-validator reports it."""
    keyword = str(error.validator)
    schema_path = list(error.absolute_schema_path)[:-1]
    out: JSON = {
        "level": "error",
        "schema": {"loadingURI": "#", "pointer": _pointer(schema_path)},
        "instance": {"pointer": _pointer(error.absolute_path)},
        "domain": "validation",
        "keyword": keyword,
    }
    value, instance = error.validator_value, error.instance
    if keyword == "type":
        expected = sorted([value] if isinstance(value, str) else list(value))
        found = _type_name(instance)
        out["message"] = (
            f"instance type ({found}) does not match any allowed primitive type "
            f"(allowed: {_compact(expected)})"
        )
        out["found"], out["expected"] = found, expected
    elif keyword == "required":
        missing = sorted(k for k in value if isinstance(instance, dict) and k not in instance)
        out["message"] = f"object has missing required properties ({_compact(missing)})"
        out["required"], out["missing"] = sorted(value), missing
    elif keyword == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        unwanted = (
            sorted(k for k in instance if k not in allowed) if isinstance(instance, dict) else []
        )
        out["message"] = (
            "object instance has properties which are not allowed by the schema: "
            f"{_compact(unwanted)}"
        )
        out["unwanted"] = unwanted
    elif keyword == "minimum":
        exclusive = bool(error.schema.get("exclusiveMinimum"))
        out["message"] = (
            f"numeric instance is {'not strictly greater than' if exclusive else 'lower than'} "
            f"the required minimum (minimum: {value}, found: {instance})"
        )
        out["minimum"], out["found"] = value, instance
        if exclusive:
            out["exclusiveMinimum"] = True
    elif keyword == "maximum":
        exclusive = bool(error.schema.get("exclusiveMaximum"))
        out["message"] = (
            f"numeric instance is {'not strictly lower than' if exclusive else 'greater than'} "
            f"the required maximum (maximum: {value}, found: {instance})"
        )
        out["maximum"], out["found"] = value, instance
        if exclusive:
            out["exclusiveMaximum"] = True
    elif keyword == "enum":
        out["message"] = (
            f"instance value ({_compact(instance)}) not found in enum "
            f"(possible values: {_compact(value)})"
        )
        out["value"], out["enum"] = instance, value
    elif keyword == "pattern":
        out["message"] = f'ECMA 262 regex "{value}" does not match input string "{instance}"'
        out["regex"], out["string"] = value, instance
    elif keyword == "minLength":
        out["message"] = (
            f'string "{instance}" is too short (length: {len(instance)}, required minimum: {value})'
        )
        out["value"], out["found"], out["minLength"] = instance, len(instance), value
    elif keyword == "maxLength":
        out["message"] = (
            f'string "{instance}" is too long (length: {len(instance)}, maximum allowed: {value})'
        )
        out["value"], out["found"], out["maxLength"] = instance, len(instance), value
    elif keyword == "minItems":
        out["message"] = (
            f"array is too short: must have at least {value} elements "
            f"but instance has {len(instance)} elements"
        )
        out["minItems"], out["found"] = value, len(instance)
    elif keyword == "maxItems":
        out["message"] = (
            f"array is too long: must have at most {value} elements "
            f"but instance has {len(instance)} elements"
        )
        out["maxItems"], out["found"] = value, len(instance)
    else:
        out["message"] = error.message
    return out


def validate(options: JSON, schema: JSON) -> list[JSON]:
    """Every violation of `schema` by `options`, in document order; empty when valid."""
    validator = Draft4Validator(schema)
    errors = sorted(
        validator.iter_errors(options),
        key=lambda e: ([str(p) for p in e.absolute_path], [str(p) for p in e.absolute_schema_path]),
    )
    return [report(e) for e in errors]
