"""Metronome's JSON schemas for a job and a schedule, and a validator that words its findings
the way Metronome's (play-json-schema-validator 0.7) does.

The schemas say what Metronome 0.3's `jobspec.schema.json` and
`schedulespec.schema.json` say: the same properties, types, minimums,
patterns and enums. A finding is (path, message), the path in Play's JsPath
spelling: `/run/cpus`, `/run/artifacts(0)/uri`, `` for the top level.
"""

from __future__ import annotations

import re
from typing import Any

# A job id: lowercase names of letters, digits and dashes, not starting or ending with a
# dash, joined by dots. Metronome's schema spells it with nested repetition; this is the
# same language without the backtracking.
JOB_ID_PATTERN = "^([a-z0-9]([a-z0-9-]*[a-z0-9]+)*)([.][a-z0-9]([a-z0-9-]*[a-z0-9]+)*)*$"
JOB_ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\Z")
SCHEDULE_ID_PATTERN = "^([a-z0-9][a-z0-9\\-]*[a-z0-9]+)$"
SCHEDULE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]\Z")
# What each pattern in the schemas is checked with (the schema text is what messages show).
SAFE_PATTERNS = {
    JOB_ID_PATTERN: JOB_ID_RE,
    SCHEDULE_ID_PATTERN: SCHEDULE_ID_RE,
    "^/[^/].*$": re.compile(r"/[^/].*\Z", re.DOTALL),
}

_STRING: dict[str, Any] = {"type": "string"}
_PATH_TYPE: dict[str, Any] = {"type": "string", "pattern": JOB_ID_PATTERN, "minLength": 1}

RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "args": {"type": "array", "items": _STRING},
        "artifacts": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "uri": _STRING,
                    "executable": {"type": "boolean"},
                    "extract": {"type": "boolean"},
                    "cache": {"type": "boolean"},
                },
                "required": ["uri"],
            },
        },
        "cmd": {"type": "string", "minLength": 1},
        "cpus": {"type": "number", "minimum": 0.01},
        "disk": {"type": "number", "minimum": 0},
        "docker": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"image": _STRING, "forcePullImage": {"type": "boolean"}},
            "required": ["image"],
        },
        "env": {"type": "object", "patternProperties": {".*": {"oneOf": [_STRING]}}},
        "maxLaunchDelay": {"type": "integer", "minimum": 1},
        "mem": {"type": "number", "minimum": 32},
        "placement": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "constraints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "attribute": _STRING,
                            "operator": {"type": "string", "enum": ["EQ", "LIKE", "UNLIKE"]},
                            "value": _STRING,
                        },
                        "required": ["attribute", "operator"],
                    },
                }
            },
        },
        "user": _STRING,
        "taskKillGracePeriodSeconds": {"type": "number"},
        "restart": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "policy": {"type": "string", "enum": ["NEVER", "ON_FAILURE"]},
                "activeDeadlineSeconds": {"type": "integer"},
            },
            "required": ["policy"],
        },
        "volumes": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "containerPath": {"type": "string", "minLength": 1, "pattern": "^/[^/].*$"},
                    "hostPath": {"type": "string", "minLength": 1},
                    "mode": {"type": "string", "enum": ["RO", "RW"]},
                },
                "required": ["containerPath", "hostPath", "mode"],
            },
        },
    },
    "required": ["cpus", "mem", "disk"],
}

JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": _PATH_TYPE,
        "description": _STRING,
        "labels": {"type": "object", "additionalProperties": _STRING},
        "run": RUN_SCHEMA,
    },
    "required": ["id", "run"],
}

SCHEDULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "id": {"type": "string", "pattern": SCHEDULE_ID_PATTERN, "minLength": 1},
        "cron": _STRING,
        "timezone": _STRING,
        "startingDeadlineSeconds": {"type": "integer", "minimum": 1},
        "concurrencyPolicy": {"type": "string", "enum": ["ALLOW"]},
        "enabled": {"type": "boolean"},
    },
    "required": ["id", "cron"],
}

# The v0 API (`/v0/scheduled-jobs`) takes a job with its schedules in one document.
JOB_WITH_SCHEDULES_SCHEMA: dict[str, Any] = {
    **JOB_SCHEMA,
    "properties": {
        **JOB_SCHEMA["properties"],
        "schedules": {"type": "array", "items": SCHEDULE_SCHEMA},
    },
}

Finding = tuple[str, str]


def type_name(value: Any) -> str:
    """The JSON type of a value as the validator names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def number_text(value: float | int) -> str:
    """A number as Play prints a JSON number (BigDecimal): 10, 0.5."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _has_type(value: Any, expected: str) -> bool:
    actual = type_name(value)
    if expected == "integer":
        return actual == "number" and float(value).is_integer()
    return actual == expected


def validate(schema: dict[str, Any], value: Any, path: str = "") -> list[Finding]:
    """Every finding of `value` against `schema`, in document order."""
    expected = schema.get("type")
    if expected is not None and not _has_type(value, expected):
        return [(path, f"Wrong type. Expected {expected}, was {type_name(value)}.")]
    findings: list[Finding] = []
    if "enum" in schema and value not in schema["enum"]:
        findings.append((path, "Instance is invalid enum value"))
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not validate(s, value, path)]
        if not matches:
            findings.append((path, "Instance does not match any schema"))
        elif len(matches) > 1:
            findings.append((path, "Instance matches more than one schema"))
    if isinstance(value, str):
        findings += _string(schema, value, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        minimum = schema.get("minimum")
        if minimum is not None and value < minimum:
            findings.append(
                (
                    path,
                    f"minimum violated: {number_text(value)} is less than {number_text(minimum)}",
                )
            )
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            findings += validate(schema["items"], item, f"{path}({index})")
    elif isinstance(value, dict):
        findings += _object(schema, value, path)
    return findings


def _string(schema: dict[str, Any], value: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    pattern = schema.get("pattern")
    if pattern is not None:
        compiled = SAFE_PATTERNS.get(pattern) or re.compile(pattern)
        if not compiled.match(value):
            findings.append((path, f"{value} does not match pattern {pattern}"))
    min_length = schema.get("minLength")
    if min_length is not None and len(value) < min_length:
        findings.append((path, f"{value} violates min length of {min_length}"))
    return findings


def _object(schema: dict[str, Any], value: dict[str, Any], path: str) -> list[Finding]:
    findings: list[Finding] = []
    properties: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    for name, sub_schema in properties.items():
        if name in value:
            findings += validate(sub_schema, value[name], f"{path}/{name}")
        elif name in required:
            findings.append((path, f"Property {name} missing"))
    unmatched = [k for k in value if k not in properties]
    for pattern, sub_schema in schema.get("patternProperties", {}).items():
        compiled = re.compile(pattern)
        matched = [k for k in unmatched if compiled.search(k)]
        for key in matched:
            findings += validate(sub_schema, value[key], f"{path}/{key}")
        unmatched = [k for k in unmatched if k not in matched]
    additional = schema.get("additionalProperties", True)
    if unmatched and additional is False:
        found = ", ".join(f"'{k}'" for k in unmatched)
        findings.append((path, f"Additional properties are not allowed but found {found}."))
    elif unmatched and isinstance(additional, dict):
        for key in unmatched:
            findings += validate(additional, value[key], f"{path}/{key}")
    return findings


def details(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings grouped by path, as Metronome's 422 body lists them."""
    grouped: dict[str, list[str]] = {}
    for path, message in findings:
        grouped.setdefault(path, []).append(message)
    return [{"path": path, "errors": errors} for path, errors in grouped.items()]
