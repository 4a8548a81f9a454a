"""Reading JSON bodies against Marathon's RAML types, with Play JSON's error messages.

Marathon 1.5 reads request bodies with readers generated from its RAML
(`docs/docs/rest-api/public/api/v2/types/*.raml`). A body that does not read
is answered with 422 `{"message": "Invalid JSON", "details": [{"path": ..., "errors": [...]}]}`
where each path is Play's JsPath (`/container/docker/image`, `/healthChecks(0)/protocol`)
and each error a Play message key (`error.path.missing`, `error.expected.jsnumber`,
`error.min`, `error.pattern`, ...). Every field is read and every error collected,
as the generated readers do. Unknown fields are ignored.

A type here is a small value that reads one JSON value: `read(value, path, errors)`
returns the value read (with defaults filled in) or `INVALID` after appending errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Errors = list[tuple[str, str]]


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()
NO_DEFAULT: Any = object()


class Type:
    def read(self, value: Any, path: str, errors: Errors) -> Any:
        raise NotImplementedError


def _fail(errors: Errors, path: str, message: str) -> Any:
    errors.append((path, message))
    return INVALID


@dataclass
class Str(Type):
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            return _fail(errors, path, "error.expected.jsstring")
        if self.enum is not None and value not in self.enum:
            return _fail(errors, path, "error.unknown.enum.literal")
        before = len(errors)
        if self.min_length is not None and len(value) < self.min_length:
            _fail(errors, path, "error.minLength")
        if self.max_length is not None and len(value) > self.max_length:
            _fail(errors, path, "error.maxLength")
        if self.pattern is not None and not re.search(self.pattern, value):
            _fail(errors, path, "error.pattern")
        return INVALID if len(errors) > before else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Num(Type):
    """A double (`format: double`, or no format)."""

    minimum: float | None = None
    maximum: float | None = None

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not _is_number(value):
            return _fail(errors, path, "error.expected.jsnumber")
        return _bounded(value, self.minimum, self.maximum, path, errors)


@dataclass
class Int(Type):
    """An integer (`format: int32` or `int64`): 2.0 reads, 2.5 does not."""

    minimum: int | None = None
    maximum: int | None = None
    long: bool = False

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not _is_number(value):
            return _fail(errors, path, "error.expected.jsnumber")
        if isinstance(value, float):
            if not value.is_integer():
                return _fail(
                    errors, path, "error.expected.long" if self.long else "error.expected.int"
                )
            value = int(value)
        return _bounded(value, self.minimum, self.maximum, path, errors)


def _bounded(
    value: float, minimum: float | None, maximum: float | None, path: str, errors: Errors
) -> Any:
    if minimum is not None and value < minimum:
        return _fail(errors, path, "error.min")
    if maximum is not None and value > maximum:
        return _fail(errors, path, "error.max")
    return value


@dataclass
class Bool(Type):
    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, bool):
            return _fail(errors, path, "error.expected.jsboolean")
        return value


@dataclass
class Anything(Type):
    def read(self, value: Any, path: str, errors: Errors) -> Any:
        return value


@dataclass
class Arr(Type):
    item: Type
    min_items: int | None = None
    max_items: int | None = None

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, list):
            return _fail(errors, path, "error.expected.jsarray")
        before = len(errors)
        result = [self.item.read(v, f"{path}({i})", errors) for i, v in enumerate(value)]
        if self.min_items is not None and len(value) < self.min_items:
            _fail(errors, path, "error.minLength")
        if self.max_items is not None and len(value) > self.max_items:
            _fail(errors, path, "error.maxLength")
        return INVALID if len(errors) > before else result


@dataclass
class Field:
    type: Type
    required: bool = False
    default: Any = NO_DEFAULT


@dataclass
class Obj(Type):
    fields: dict[str, Field]
    # Called on the values read (only when every field read): extra checks of the whole object.
    check: Callable[[dict[str, Any], str, Errors], None] | None = None

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            return _fail(errors, path, "error.expected.jsobject")
        before = len(errors)
        result: dict[str, Any] = {}
        for name, spec in self.fields.items():
            field_path = f"{path}/{name}"
            raw = value.get(name)
            if raw is None:
                if spec.required:
                    _fail(errors, field_path, "error.path.missing")
                elif spec.default is not NO_DEFAULT:
                    result[name] = _copy(spec.default)
                continue
            result[name] = spec.type.read(raw, field_path, errors)
        if len(errors) > before:
            return INVALID
        if self.check is not None:
            self.check(result, path, errors)
            if len(errors) > before:
                return INVALID
        return result


@dataclass
class StrMap(Type):
    """A JSON object used as a map (labels, env): every value read with `value`."""

    value: Type = field(default_factory=Str)
    key_pattern: str | None = None

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            return _fail(errors, path, "error.expected.jsobject")
        before = len(errors)
        result: dict[str, Any] = {}
        for key, item in value.items():
            if self.key_pattern is not None and not re.search(self.key_pattern, key):
                _fail(errors, f"{path}/{key}", "error.pattern")
                continue
            result[key] = self.value.read(item, f"{path}/{key}", errors)
        return INVALID if len(errors) > before else result


@dataclass
class OneOf(Type):
    """The first alternative that reads wins; if none does, the first one's errors stand."""

    alternatives: tuple[Type, ...]

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        first: Errors | None = None
        for alternative in self.alternatives:
            attempt: Errors = []
            result = alternative.read(value, path, attempt)
            if not attempt:
                return result
            if first is None:
                first = attempt
        errors.extend(first or [(path, "error.invalid")])
        return INVALID


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def grouped(errors: Errors) -> list[tuple[str, list[str]]]:
    """Errors by path, in the order they were found, each message once (Play's shape)."""
    result: dict[str, list[str]] = {}
    for path, message in errors:
        messages = result.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return list(result.items())
