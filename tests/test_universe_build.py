"""The installer's Universe: fixtures/universe packed into one v4 repository document."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from minidcos.installer.build import load_packages
from minidcos.installer.packages import PackageError
from minidcos.installer.universe import REPOSITORY_FILE, repository, universe_package


def write_release(root: Path, name: str, release: str, package: dict[str, object]) -> Path:
    folder = root / name[:1].upper() / name / release
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(package))
    return folder


PACKAGE: dict[str, object] = {
    "packagingVersion": "4.0",
    "name": "web",
    "version": "1.0",
    "maintainer": "m@example.com",
    "description": "d",
}


def test_a_release_becomes_one_definition(tmp_path: Path) -> None:
    folder = write_release(tmp_path, "web", "3", PACKAGE)
    (folder / "marathon.json.mustache").write_text('{"id": "{{a}}"}')
    (folder / "config.json").write_text('{"type": "object"}')
    (definition,) = repository(tmp_path)["packages"]
    assert definition["releaseVersion"] == 3
    assert base64.b64decode(definition["marathon"]["v2AppMustacheTemplate"]) == b'{"id": "{{a}}"}'
    assert definition["config"] == {"type": "object"}
    assert "resource" not in definition


@pytest.mark.parametrize(
    ("name", "release", "package", "message"),
    [
        ("web", "latest", PACKAGE, "named by its release version"),
        ("web", "0", {k: v for k, v in PACKAGE.items() if k != "version"}, "missing version"),
        ("other", "0", PACKAGE, "must be in packages/W/web/"),
    ],
)
def test_bad_sources_name_the_file(
    tmp_path: Path, name: str, release: str, package: dict[str, object], message: str
) -> None:
    write_release(tmp_path, name, release, package)
    with pytest.raises(PackageError, match=message):
        repository(tmp_path)


def test_the_fixture_universe_ships_on_masters() -> None:
    shipped = {p.name: p for p in load_packages()}["universe"]
    assert shipped.buildinfo["roles"] == ["master"]
    names = {p["name"] for p in json.loads(shipped.files[REPOSITORY_FILE])["packages"]}
    assert {"nginx", "greeter"} <= names
    assert universe_package().id == shipped.id  # the same sources make the same package
