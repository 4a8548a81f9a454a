"""Marathon's path ids: `/group/sub/app`, canonicalised, and the names derived from them."""

from __future__ import annotations

import re

# One path segment, as Marathon's PathId validation has it.
SEGMENT = re.compile(
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$"
)
# The whole id as the RAML type `PathId` has it (checked while reading JSON).
RAML_PATTERN = re.compile(
    r"^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*"
    r"([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9]))?($|\/))+$"
)
ROOT = "/"


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def is_absolute(path: str) -> bool:
    return path.startswith("/")


def canonical(path: str, base: str = ROOT) -> str:
    """Resolve `.`, `..` and relative paths against `base`, as PathId.canonicalPath does."""
    parts = segments(path) if is_absolute(path) else segments(base) + segments(path)
    result: list[str] = []
    for part in parts:
        if part == ".":
            continue
        if part == "..":
            if result:
                result.pop()
            continue
        result.append(part)
    return "/" + "/".join(result)


def parent(path: str) -> str:
    parts = segments(path)
    return "/" + "/".join(parts[:-1])


def ancestors(path: str) -> list[str]:
    """Every enclosing group of `path`, nearest first, ending with the root."""
    parts = segments(path)
    return ["/" + "/".join(parts[:i]) for i in range(len(parts) - 1, -1, -1)]


def is_root(path: str) -> bool:
    return not segments(path)


def is_child_of(child: str, group: str) -> bool:
    """True if `child` lies anywhere under `group` (not equal to it)."""
    group_parts, child_parts = segments(group), segments(child)
    return len(child_parts) > len(group_parts) and child_parts[: len(group_parts)] == group_parts


def invalid_segments(path: str) -> list[str]:
    return [s for s in segments(path) if s not in (".", "..") and not SEGMENT.match(s)]


def safe_path(path: str) -> str:
    """The id inside task ids: segments joined with `_` (`/a/b` -> `a_b`)."""
    return "_".join(segments(path))


def from_safe_path(safe: str) -> str:
    return "/" + "/".join(safe.split("_"))


def to_hostname(path: str) -> str:
    """Segments reversed and joined with dots (`/a/b` -> `b.a`): TaskInfo and discovery names."""
    return ".".join(reversed(segments(path)))
