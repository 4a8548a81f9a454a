"""A mustache renderer that renders Marathon templates the way Cosmos does.

Cosmos renders a package's `marathon.json.mustache` with mustache.java, HTML
escaping turned off, over a context made from JSON: strings are JSON-escaped
(without their quotes) before they reach the template, so `"{{x}}"` always
stays a valid JSON string; whole numbers render as integers, other numbers
as Java prints doubles; `true`/`false` as such; null as nothing.

Tags: variables (`{{a.b}}`, `{{{a}}}`, `{{&a}}`, `{{.}}`), sections
(`{{#a}}...{{/a}}`: skipped for null, false, "" and [], repeated for each
element of a list, entered once for anything else), inverted sections
(`{{^a}}...{{/a}}`), comments, and delimiter changes (`{{=<% %>=}}`).
Partials render as nothing: a package has none to include. Tags alone on
their line take the line with them, as the mustache spec says.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class TemplateError(ValueError):
    pass


@dataclass
class _Node:
    kind: str  # "text", "var", "raw", "section", "inverted"
    value: str = ""
    children: list[_Node] = field(default_factory=list)


_MISSING = object()


def java_double(value: float) -> str:
    """How Java's Double.toString writes a double (mustache.java prints doubles that way)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    # Python's repr has the shortest digits that read back the same; Java lays
    # them out as plain decimals in [1e-3, 1e7) and as d.dddE<n> elsewhere.
    _, digit_tuple, exponent = Decimal(repr(magnitude)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    power = len(digits) + exponent - 1
    digits = digits.rstrip("0") or "0"
    if 1e-3 <= magnitude < 1e7:
        if power >= 0:
            whole = digits[: power + 1].ljust(power + 1, "0")
            fraction = digits[power + 1 :] or "0"
        else:
            whole, fraction = "0", "0" * (-power - 1) + digits
        return f"{sign}{whole}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{power}"


def _context_value(value: Any) -> Any:
    """A JSON value as the template sees it (Cosmos's conversion to Java objects)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(2**31) <= value < 2**31 else float(value)
    if isinstance(value, float):
        if value.is_integer() and -(2**31) <= value < 2**31:
            return int(value)
        return value
    if isinstance(value, list):
        return [_context_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _context_value(v) for k, v in value.items()}
    return value


def _stringify(value: Any) -> str:
    """Java's toString of the converted value."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(_stringify(v) if v is not None else "null" for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{k}={_stringify(v) if v is not None else 'null'}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


def _falsy(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def _tokenize(template: str) -> list[_Node]:
    """Parse into a tree; raises TemplateError on unbalanced sections."""
    open_tag, close_tag = "{{", "}}"
    root: list[_Node] = []
    stack: list[tuple[_Node, list[_Node]]] = []
    current = root
    pos = 0
    length = len(template)
    while pos < length:
        start = template.find(open_tag, pos)
        if start < 0:
            current.append(_Node("text", template[pos:]))
            break
        triple = open_tag == "{{" and template.startswith("{{{", start)
        end_marker = "}}}" if triple else close_tag
        end = template.find(end_marker, start + (3 if triple else len(open_tag)))
        if end < 0:
            raise TemplateError(f"unclosed tag at offset {start}")
        inner = template[start + (3 if triple else len(open_tag)) : end]
        after = end + len(end_marker)
        sigil = "{" if triple else (inner[:1] if inner[:1] in "#^/!>&=" else "")
        name = inner[1:].strip() if sigil and not triple else inner.strip()
        if sigil == "=":
            name = inner[1:-1].strip() if inner.endswith("=") else inner[1:].strip()
        # Standalone tags (everything but variables) remove their whole line.
        text_before = template[pos:start]
        if sigil in ("#", "^", "/", "!", ">", "="):
            line_start = template.rfind("\n", 0, start) + 1
            line_end = template.find("\n", after)
            line_end_excl = length if line_end < 0 else line_end + 1
            before_ws = template[max(line_start, pos) : start]
            after_ws = template[after : (length if line_end < 0 else line_end)]
            if line_start >= pos and before_ws.strip(" \t") == "" and after_ws.strip(" \t\r") == "":
                text_before = template[pos:line_start]
                after = line_end_excl
        if text_before:
            current.append(_Node("text", text_before))
        pos = after
        if sigil == "!" or sigil == ">":
            continue
        if sigil == "=":
            parts = name.split()
            if len(parts) != 2:
                raise TemplateError(f"bad delimiter change: {inner!r}")
            open_tag, close_tag = parts
            continue
        if sigil in ("#", "^"):
            node = _Node("section" if sigil == "#" else "inverted", name)
            current.append(node)
            stack.append((node, current))
            current = node.children
            continue
        if sigil == "/":
            if not stack or stack[-1][0].value != name:
                raise TemplateError(f"closing tag {name!r} does not match an open section")
            _, current = stack.pop()
            continue
        current.append(_Node("raw" if sigil in ("{", "&") else "var", name))
    if stack:
        raise TemplateError(f"section {stack[-1][0].value!r} is not closed")
    return root


def _lookup(name: str, scopes: list[Any]) -> Any:
    if name == ".":
        return scopes[-1]
    first, *rest = name.split(".")
    value: Any = _MISSING
    for scope in reversed(scopes):
        if isinstance(scope, dict) and first in scope:
            value = scope[first]
            break
    if value is _MISSING:
        return None
    for part in rest:
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def _render(nodes: list[_Node], scopes: list[Any], out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind in ("var", "raw"):
            # Cosmos turns HTML escaping off: both kinds print the value as it is.
            out.append(_stringify(_lookup(node.value, scopes)))
        elif node.kind == "section":
            value = _lookup(node.value, scopes)
            if _falsy(value):
                continue
            for item in value if isinstance(value, list) else [value]:
                _render(node.children, [*scopes, item], out)
        else:
            if _falsy(_lookup(node.value, scopes)):
                _render(node.children, scopes, out)


_TEMPLATE_CACHE: dict[str, list[_Node]] = {}


def render(template: str, context: dict[str, Any]) -> str:
    """Render `template` over the JSON object `context`."""
    tree = _TEMPLATE_CACHE.get(template)
    if tree is None:
        tree = _tokenize(template)
        if len(_TEMPLATE_CACHE) < 64:
            _TEMPLATE_CACHE[template] = tree
    out: list[str] = []
    _render(tree, [_context_value(context)], out)
    return "".join(out)
