"""The web UI's bundle: built from ui/, cached by its sources, shipped in dcos-ui."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from minidcos.installer import build, ui


def test_the_bundle_ships_in_dcos_ui_with_gzip_twins() -> None:
    (package,) = [p for p in build.load_packages() if p.name == ui.PACKAGE_NAME]
    assert package.buildinfo["roles"] == ["master"]
    index = package.files["usr/index.html"].decode()
    assert "<title>DC/OS</title>" in index
    assets = re.findall(r'"/assets/(index\.[^"]+)"', index)
    assert sorted(a.rsplit(".", 1)[1] for a in assets) == ["css", "js"]
    for name in ("index.html", *(f"assets/{a}" for a in assets)):
        plain, twin = package.files[f"usr/{name}"], package.files[f"usr/{name}.gz"]
        assert gzip.decompress(twin) == plain


def test_the_sources_hash_ignores_installed_modules_and_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui, "UI_DIR", tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.jsx").write_text("one")
    (tmp_path / "package-lock.json").write_text("{}")
    first = ui.sources_hash()
    for leftover in ("node_modules/x/index.js", "dist/index.html"):
        (tmp_path / leftover).parent.mkdir(parents=True)
        (tmp_path / leftover).write_text("not a source")
    assert ui.sources_hash() == first
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3}')
    assert ui.sources_hash() != first
