"""Defaults, merging and the validator's reports (json-schema-validator's shape)."""

from __future__ import annotations

from dcos_cosmos.options import defaults, merge, merged_options, validate

SCHEMA = {
    "type": "object",
    "properties": {
        "app": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "default": "web", "pattern": "^[a-z]+$"},
                "cpus": {"type": "number", "default": 0.5, "minimum": 0.1},
                "count": {"type": "integer", "default": 1, "maximum": 3},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "minItems": 1},
            },
            "required": ["name", "cpus"],
            "additionalProperties": False,
        },
        "flag": {"type": "boolean", "default": True},
    },
    "additionalProperties": False,
}


def test_defaults_keep_the_nesting() -> None:
    assert defaults(SCHEMA) == {"app": {"name": "web", "cpus": 0.5, "count": 1}, "flag": True}


def test_user_options_win_and_objects_merge() -> None:
    assert merged_options(SCHEMA, {"app": {"cpus": 2}, "flag": False}) == {
        "app": {"name": "web", "cpus": 2, "count": 1},
        "flag": False,
    }
    assert merge({"a": {"b": 1}, "c": [1]}, {"a": 2, "c": [2]}) == {"a": 2, "c": [2]}


def test_valid_options_have_no_reports() -> None:
    assert validate(merged_options(SCHEMA, None), SCHEMA) == []


def test_reports() -> None:
    options = {
        "app": {"name": "Web!", "cpus": 0.01, "count": 9, "mode": "c", "tags": [], "x": 1},
        "flag": "yes",
        "more": 1,
    }
    reports = {(r["instance"]["pointer"], r["keyword"]): r for r in validate(options, SCHEMA)}
    assert reports[("/app/cpus", "minimum")]["message"] == (
        "numeric instance is lower than the required minimum (minimum: 0.1, found: 0.01)"
    )
    assert reports[("/app/count", "maximum")]["maximum"] == 3
    assert reports[("/app/mode", "enum")]["message"] == (
        'instance value ("c") not found in enum (possible values: ["a","b"])'
    )
    assert reports[("/app/name", "pattern")]["message"] == (
        'ECMA 262 regex "^[a-z]+$" does not match input string "Web!"'
    )
    assert reports[("/app", "additionalProperties")]["unwanted"] == ["x"]
    assert reports[("", "additionalProperties")]["unwanted"] == ["more"]
    assert reports[("/app/tags", "minItems")]["found"] == 0
    flag = reports[("/flag", "type")]
    assert flag["schema"] == {"loadingURI": "#", "pointer": "/properties/flag"}
    assert (flag["level"], flag["domain"], flag["found"], flag["expected"]) == (
        "error",
        "validation",
        "string",
        ["boolean"],
    )


def test_missing_required() -> None:
    (report,) = validate({"app": {"cpus": 1}}, SCHEMA)
    assert report["message"] == 'object has missing required properties (["name"])'
    assert (report["required"], report["missing"]) == (["cpus", "name"], ["name"])
