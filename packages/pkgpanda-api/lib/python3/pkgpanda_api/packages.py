"""Pkgpanda's on-disk truth: package IDs in the repository and the active set.

/opt/mesosphere/packages/<name>--<version>/ is the repository;
/opt/mesosphere/active/<name> links to the active version of each package.
Nothing is cached: activation can change both at any moment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# pkgpanda's rules for the two halves of a package ID.
_NAME = re.compile(r"^[a-zA-Z0-9@_+]([a-zA-Z0-9@._+\-]*[a-zA-Z0-9@._+])?$")
_VERSION = re.compile(r"^[a-zA-Z0-9@_+:.]+$")


def parse_id(package_id: str) -> tuple[str, str] | None:
    """(name, version) of a valid `name--version` ID, else None."""
    parts = package_id.split("--")
    if len(parts) != 2:
        return None
    name, version = parts
    if not _NAME.match(name) or not _VERSION.match(version):
        return None
    return name, version


def describe(package_id: str) -> dict[str, str]:
    parsed = parse_id(package_id)
    if parsed is None:
        raise ValueError(f"invalid package ID: {package_id}")
    return {"id": package_id, "name": parsed[0], "version": parsed[1]}


def repository(root: Path) -> list[str]:
    """Every package ID present on the node, sorted."""
    try:
        entries = list((root / "packages").iterdir())
    except FileNotFoundError:
        return []
    # Half-fetched packages live under other names (.tmp, .old): skip what is not an ID.
    return sorted(p.name for p in entries if p.is_dir() and parse_id(p.name))


def active(root: Path) -> list[str]:
    """The ID of each active package, sorted, as the active/<name> links say."""
    try:
        entries = list((root / "active").iterdir())
    except FileNotFoundError:
        return []
    ids = []
    for link in entries:
        if not link.is_symlink():
            continue
        package_id = os.path.basename(os.readlink(link).rstrip("/"))
        parsed = parse_id(package_id)
        if parsed and parsed[0] == link.name:
            ids.append(package_id)
    return sorted(ids)


def in_repository(root: Path, package_id: str) -> bool:
    return parse_id(package_id) is not None and (root / "packages" / package_id).is_dir()
