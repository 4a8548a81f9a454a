"""The Pkgpanda API on this node's Unix socket, as DC/OS's test_packaging.py checks it.

The truth it is compared with is read straight from /opt/mesosphere. Other
nodes' APIs become reachable through Admin Router, which comes later.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

SOCKET = "/run/dcos/pkgpanda-api.sock"
MESOSPHERE = Path("/opt/mesosphere")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def get(path: str) -> tuple[int, Any]:
    conn = UnixHTTPConnection(SOCKET)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def get_ok(path: str) -> Any:
    status, body = get(path)
    assert status == 200, (path, status, body)
    return body


@pytest.fixture(scope="module")
def active_on_disk() -> list[str]:
    return sorted(os.path.basename(os.readlink(p)) for p in (MESOSPHERE / "active").iterdir())


def _valid(package_id: str) -> dict[str, str]:
    name, version = package_id.split("--")
    return {"id": package_id, "name": name, "version": version}


def test_socket_is_private() -> None:
    mode = os.stat(SOCKET).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o660


def test_active_packages(active_on_disk: list[str]) -> None:
    active = get_ok("/pkgpanda/active/")
    assert active == active_on_disk
    for package_id in active:
        assert get_ok(f"/pkgpanda/active/{package_id}") == _valid(package_id)


def test_repository(active_on_disk: list[str]) -> None:
    repository = get_ok("/pkgpanda/repository/")
    on_disk = {
        p.name
        for p in (MESOSPHERE / "packages").iterdir()
        if p.is_dir() and p.name.count("--") == 1
    }
    assert set(repository) == on_disk
    assert set(active_on_disk) <= set(repository)
    for package_id in repository:
        assert get_ok(f"/pkgpanda/repository/{package_id}") == _valid(package_id)
    for package_id in set(repository) - set(active_on_disk):
        status, body = get(f"/pkgpanda/active/{package_id}")
        assert status == 404 and "not active" in body["error"]


def test_unknown_packages_are_404() -> None:
    for path in (
        "/pkgpanda/active/no-such-package--0",
        "/pkgpanda/repository/no-such-package--0",
        "/pkgpanda/repository/not-an-id",
    ):
        status, body = get(path)
        assert status == 404 and body["error"], (path, status, body)


def test_active_buildinfo(active_on_disk: list[str]) -> None:
    buildinfo = get_ok("/pkgpanda/active.buildinfo.full.json")
    assert buildinfo == json.loads((MESOSPHERE / "active.buildinfo.full.json").read_text())
    assert isinstance(buildinfo, dict) and len(buildinfo) > 2
    assert "dcos-diagnostics" in buildinfo
    # As DC/OS compares it: one entry per active package, same version where known.
    active = dict(package_id.split("--") for package_id in active_on_disk)
    assert set(buildinfo) == set(active)
    for name, info in buildinfo.items():
        if info and "package_version" in info:
            assert info["package_version"] == active[name], name
