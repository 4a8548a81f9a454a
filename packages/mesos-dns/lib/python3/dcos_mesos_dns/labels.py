"""Turning Mesos names into DNS labels, by Mesos-DNS's rules.

Task and framework names become lower-case labels of letters, digits and '-'
('.', '_' and '-' all become '-'; anything else is dropped), without leading
or trailing '-', cut to 63 characters (RFC 1123) or, with EnforceRFC952, to
24 and without leading digits. Framework names keep their dots: each
dot-separated part becomes one label.
"""

from __future__ import annotations

from collections.abc import Callable

LabelFunc = Callable[[str], str]


def _map_char(char: str) -> str:
    if "A" <= char <= "Z":
        return char.lower()
    if "a" <= char <= "z" or "0" <= char <= "9":
        return char
    if char in "-._":
        return "-"
    return ""


def _trim_cut(label: str, maxlen: int, left: str, right: str) -> str:
    """Cut to `maxlen` with no `left` characters in front and none of `right` at the end.

    When the cut leaves trailing `right` characters, the label is refilled from
    what follows the cut, as Mesos-DNS does, so that the result uses its room.
    """
    trimmed = label.lstrip(left)
    size = min(len(trimmed), maxlen)
    head = trimmed[:size].rstrip(right)
    if len(head) == size:
        return head
    tail = trimmed[size:].lstrip(right)
    if tail:
        return head + tail[: min(len(tail), size - len(head))]
    return head


def _label(name: str, maxlen: int, left: str, right: str) -> str:
    return _trim_cut("".join(_map_char(c) for c in name), maxlen, left, right)


def rfc1123(name: str) -> str:
    return _label(name, 63, "-", "-")


def rfc952(name: str) -> str:
    return _label(name, 24, "-0123456789", "-")


def domain_frag(name: str, label: LabelFunc, sep: str = ".") -> str:
    """`name` as one or more labels: each `sep`-separated part through `label`, empties dropped."""
    return sep.join(part for part in (label(p) for p in name.split(sep)) if part)
