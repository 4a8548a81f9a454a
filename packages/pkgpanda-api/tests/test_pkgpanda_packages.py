"""Package listing from a temporary /opt/mesosphere tree, and the HTTP routes over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dcos_internal_utils.http import Request, Response
from pkgpanda_api import api, packages


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for pid in ("mesos--1.2", "mesos--1.3", "dcos-config--setup_abc", "exhibitor--9f8e"):
        (tmp_path / "packages" / pid).mkdir(parents=True)
    (tmp_path / "packages" / "junk.tmp").mkdir()
    (tmp_path / "packages" / "file--1").write_text("not a package dir")
    active = tmp_path / "active"
    active.mkdir()
    for pid in ("mesos--1.3", "dcos-config--setup_abc", "exhibitor--9f8e"):
        (active / pid.split("--")[0]).symlink_to(f"../packages/{pid}")
    (active / "stray").symlink_to("../packages/mesos--1.2")  # name does not match: ignored
    (tmp_path / "active.buildinfo.full.json").write_text(json.dumps({"mesos": {"v": 1}}))
    return tmp_path


def _get(root: Path, path: str) -> Response:
    return api.make_router(root).dispatch(Request("GET", path, {}, {}, b""))


def test_listings(root: Path) -> None:
    assert packages.repository(root) == [
        "dcos-config--setup_abc",
        "exhibitor--9f8e",
        "mesos--1.2",
        "mesos--1.3",
    ]
    assert packages.active(root) == ["dcos-config--setup_abc", "exhibitor--9f8e", "mesos--1.3"]
    assert packages.active(root / "nowhere") == []


@pytest.mark.parametrize("bad", ["mesos", "a--b--c", "-x--1", "x--", "x--a/b", "x--a b"])
def test_invalid_ids(bad: str) -> None:
    assert packages.parse_id(bad) is None


def test_routes(root: Path) -> None:
    r = _get(root, "/pkgpanda/active/")
    assert r.status == 200 and json.loads(r.body) == packages.active(root)
    r = _get(root, "/pkgpanda/active/mesos--1.3")
    assert json.loads(r.body) == {"id": "mesos--1.3", "name": "mesos", "version": "1.3"}
    assert _get(root, "/pkgpanda/active/mesos--1.2").status == 404  # present, not active
    assert _get(root, "/pkgpanda/repository/mesos--1.2").status == 200
    assert _get(root, "/pkgpanda/repository/mesos--9").status == 404
    assert json.loads(_get(root, "/pkgpanda/repository/nonsense").body)["error"]
    assert json.loads(_get(root, "/pkgpanda/repository/").body) == packages.repository(root)
    r = _get(root, "/pkgpanda/active.buildinfo.full.json")
    assert r.status == 200 and json.loads(r.body) == {"mesos": {"v": 1}}
    (root / "active.buildinfo.full.json").unlink()
    assert _get(root, "/pkgpanda/active.buildinfo.full.json").status == 404


def test_listings_without_slash_redirect(root: Path) -> None:
    for listing in ("repository", "active"):
        response = _get(root, f"/pkgpanda/{listing}")
        assert response.status == 301
        assert response.headers["Location"] == f"/pkgpanda/{listing}/"
