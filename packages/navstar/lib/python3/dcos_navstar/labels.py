"""DNS labels from Mesos names, the way DC/OS's mesos_state mangles them.

A label keeps lower-case letters and digits; `-`, `_` and `.` become `-`
once a letter or digit was seen; anything else is dropped; it is cut at 63
characters (after which only letters and digits are kept) and loses its
trailing dashes. `/my-group/app` becomes `my-groupapp`.
"""

from __future__ import annotations

import string

_ALLOWED = set(string.ascii_lowercase + string.digits)
_MAX = 63


def label(text: str) -> str:
    out: list[str] = []
    started = False
    cut = False  # reached the length limit: only letters and digits from here on
    for char in text.lower():
        if not cut and len(out) > _MAX - 1:
            while out and out[-1] == "-":
                out.pop()
            cut = True
        if cut and len(out) >= _MAX:
            break
        if char in _ALLOWED:
            out.append(char)
            started = True
        elif started and not cut and char in "-_.":
            out.append("-")
    return "".join(out).rstrip("-")


def domain_frag(text: str) -> str:
    """A name of one or more labels: each dot-separated part as a label."""
    return ".".join(label(part) for part in text.split(".") if part)
