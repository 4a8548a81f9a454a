"""The cluster's own Universe: fixtures/universe/ packed into a v4 repository.

The sources follow the Universe repository's layout,
`packages/<Letter>/<name>/<releaseVersion>/` holding `package.json` and,
when the package has them, `config.json`, `marathon.json.mustache`,
`resource.json` and `command.json`. The build turns them into one
repository document (`{"packages": [...]}`, media type
`application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4`): each
definition is its package.json with `releaseVersion`, the Marathon template
in base64 under `marathon.v2AppMustacheTemplate`, and the other files' JSON
under `config`, `resource` and `command`. It ships as the `universe` package
on masters; Admin Router serves it at /universe/repo.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from minidcos._util import paths
from minidcos.installer.packages import Package, PackageError

UNIVERSE_DIR = paths.PROJECT_ROOT / "fixtures" / "universe" / "packages"
REPOSITORY_FILE = "repo/universe.json"
REQUIRED = ("packagingVersion", "name", "version", "maintainer", "description")


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PackageError(f"{path}: cannot read JSON: {exc}") from exc


def package_definition(folder: Path) -> dict[str, Any]:
    """One release of one package, as the repository lists it."""
    name, release = folder.parent.name, folder.name
    if not release.isdigit():
        raise PackageError(
            f"{folder}: a release folder is named by its release version (0, 1, ...)"
        )
    definition = _json(folder / "package.json")
    if not isinstance(definition, dict):
        raise PackageError(f"{folder / 'package.json'}: must be a JSON object")
    missing = [k for k in REQUIRED if k not in definition]
    if missing:
        raise PackageError(f"{folder / 'package.json'}: missing {', '.join(missing)}")
    if definition["name"] != name or folder.parent.parent.name != name[:1].upper():
        raise PackageError(
            f"{folder}: package {definition['name']!r} must be in packages/"
            f"{definition['name'][:1].upper()}/{definition['name']}/"
        )
    definition["releaseVersion"] = int(release)
    template = folder / "marathon.json.mustache"
    if template.is_file():
        definition["marathon"] = {
            "v2AppMustacheTemplate": base64.b64encode(template.read_bytes()).decode()
        }
    for key in ("config", "resource", "command"):
        if (folder / f"{key}.json").is_file():
            definition[key] = _json(folder / f"{key}.json")
    return definition


def repository(root: Path = UNIVERSE_DIR) -> dict[str, Any]:
    releases = sorted(p for p in root.glob("*/*/*") if p.is_dir())
    return {"packages": [package_definition(p) for p in releases]}


def universe_package(root: Path = UNIVERSE_DIR) -> Package:
    """The `universe` package: the repository document, active on masters."""
    document = json.dumps(repository(root), indent=1, sort_keys=True).encode()
    buildinfo: dict[str, Any] = {
        "name": "universe",
        "version": "0.1.0",
        "description": "The cluster's own Universe repository (fixtures/universe), served at "
        "/universe/repo by Admin Router",
        "roles": ["master"],
    }
    files = {REPOSITORY_FILE: document, "buildinfo.json": json.dumps(buildinfo, indent=2).encode()}
    modes = dict.fromkeys(files, 0o644)
    return Package("universe", files, modes, {}, buildinfo)
