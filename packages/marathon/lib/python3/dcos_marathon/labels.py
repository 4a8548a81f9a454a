"""Marathon's label selector for `GET /v2/apps?label=...` (LabelSelectorParsers).

Comma-separated selectors, all of which must hold: `key` (exists),
`key==value`, `key!=value`, `key in (a, b)`, `key notin (a, b)`. Characters
outside `[-A-Za-z0-9_.]` must be escaped with a backslash.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Predicate = Callable[[dict[str, str]], bool]

_TERM = r"(?:\\.|[-A-Za-z0-9_.])+"


def _unescape(term: str) -> str:
    return re.sub(r"\\(.)", r"\1", term.strip())


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside parentheses and escapes."""
    parts, depth, current, escaped = [], 0, "", False
    for ch in text:
        if escaped:
            current += ch
            escaped = False
            continue
        if ch == "\\":
            current += ch
            escaped = True
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in (p.strip() for p in parts) if p]


def parse(query: str) -> Predicate:
    """A predicate over an app's labels; ValueError if the query does not parse."""
    predicates = [_selector(s) for s in _split(query, ",")]
    return lambda labels: all(p(labels) for p in predicates)


def _selector(text: str) -> Predicate:
    match = re.fullmatch(rf"({_TERM})\s*(==|!=)\s*({_TERM})", text)
    if match:
        key, op, value = _unescape(match[1]), match[2], _unescape(match[3])
        if op == "==":
            return lambda labels: labels.get(key) == value
        return lambda labels: key in labels and labels[key] != value
    match = re.fullmatch(rf"({_TERM})\s+(in|notin)\s*\((.*)\)", text)
    if match:
        key, op = _unescape(match[1]), match[2]
        values = {_unescape(v) for v in _split(match[3], ",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: key in labels and labels[key] not in values
    if re.fullmatch(_TERM, text):
        key = _unescape(text)
        return lambda labels: key in labels
    raise ValueError(f"Can not parse label selector {text}")
