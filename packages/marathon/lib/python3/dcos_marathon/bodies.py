"""Request bodies: JSON parsing and reading with Marathon's error answers."""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidJsonError, UnparsableJsonError
from .jsonread import Errors, Type, grouped


def parse(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8") if body else "")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnparsableJsonError(str(exc)) from exc


def read(type_: Type, value: Any, path: str = "") -> Any:
    """`value` read as `type_`, or InvalidJsonError (422) with every error found."""
    errors: Errors = []
    result = type_.read(value, path, errors)
    if errors:
        raise InvalidJsonError(grouped(errors))
    return result


def number(value: Any) -> Any:
    """Integral doubles print as integers (`128`, not `128.0`), as Marathon's JSON does."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers(v) for v in value]
    return number(value)
