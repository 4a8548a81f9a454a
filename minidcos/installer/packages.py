"""The distribution's package folders (packages/<name>/), as the harness reads them.

The installer build packs them; readiness checks ask them for ports, so a
port is written once, in its component's buildinfo.json:

    "ports": {"http": 8181, "zookeeper": 2181}

`package_port("exhibitor", "http")` then answers 8181. packages/README.md
describes the whole format.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minidcos._util import paths
from minidcos.errors import MiniDCOSError

PACKAGES_DIR = paths.PROJECT_ROOT / "packages"
# Files of a package folder that are not shipped to nodes.
NOT_SHIPPED = ("tests", "templates", "__pycache__", ".pytest_cache", ".mypy_cache")
ROLES = ("master", "slave", "slave_public")


class PackageError(MiniDCOSError):
    """A package folder breaks the package format; the message names the file and the rule."""


@dataclass(frozen=True)
class Package:
    name: str
    files: dict[str, bytes]  # path in the package -> content
    modes: dict[str, int]
    templates: dict[str, bytes]
    buildinfo: dict[str, Any]

    @property
    def id(self) -> str:
        digest = paths.content_hash(sorted(self.files.items()))
        return f"{self.name}--{digest}"

    @property
    def ports(self) -> dict[str, int]:
        return dict(self.buildinfo.get("ports", {}))


def read_tree(root: Path, skip: tuple[str, ...]) -> tuple[dict[str, bytes], dict[str, int]]:
    files, modes = {}, {}
    for path in paths.tree_files(root, exclude=skip):
        rel = path.relative_to(root).as_posix()
        files[rel] = path.read_bytes()
        modes[rel] = 0o755 if path.stat().st_mode & 0o111 else 0o644
    return files, modes


def load_package(folder: Path) -> Package:
    info_path = folder / "buildinfo.json"
    try:
        buildinfo = json.loads(info_path.read_text())
    except (OSError, ValueError) as exc:
        raise PackageError(f"{info_path}: cannot read buildinfo: {exc}") from exc
    name = buildinfo.get("name")
    if name != folder.name:
        raise PackageError(f"{info_path}: name {name!r} must equal the folder name {folder.name!r}")
    if "--" in folder.name:
        raise PackageError(f"{info_path}: a package name may not contain '--'")
    files, modes = read_tree(folder, NOT_SHIPPED)
    for unit, roles in buildinfo.get("units", {}).items():
        if f"units/{unit}" not in files:
            raise PackageError(
                f"{info_path}: unit {unit} is listed but units/{unit} does not exist"
            )
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise PackageError(
                f"{info_path}: unit {unit}: unknown role(s) {', '.join(unknown)}; "
                f"roles are {', '.join(ROLES)}"
            )
    _check_ports(info_path, buildinfo.get("ports", {}))
    templates: dict[str, bytes] = {}
    if (folder / "templates").is_dir():
        templates, _ = read_tree(folder / "templates", ("__pycache__",))
    return Package(name, files, modes, templates, buildinfo)


def _check_ports(info_path: Path, ports: Any) -> None:
    if not isinstance(ports, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536
        for k, v in ports.items()
    ):
        raise PackageError(
            f'{info_path}: "ports" must map names to port numbers, e.g. {{"http": 8181}}'
        )


def package_folders() -> list[Path]:
    return sorted(p for p in PACKAGES_DIR.iterdir() if (p / "buildinfo.json").is_file())


@functools.cache
def _ports(name: str) -> dict[str, int]:
    return load_package(PACKAGES_DIR / name).ports


def package_port(name: str, port: str = "http") -> int:
    """The port `port` of package `name`, from its buildinfo.json's "ports"."""
    if not (PACKAGES_DIR / name / "buildinfo.json").is_file():
        raise PackageError(f"no package {name!r} in {PACKAGES_DIR}")
    ports = _ports(name)
    if port not in ports:
        raise PackageError(
            f'{PACKAGES_DIR / name / "buildinfo.json"}: no port {port!r} in "ports" '
            f"(it has: {', '.join(ports) or 'none'})"
        )
    return ports[port]
