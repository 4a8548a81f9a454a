"""The UCR's registry puller: names, whiteouts, and a pull from a registry's HTTP API.

The registry here serves fixed manifests and blobs over HTTP on loopback,
as the registry's GET endpoints do; the real registry is exercised by the
integration suite (test_registry.py) on a cluster.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from dcos_mesos.agent.launcher import LaunchError
from dcos_mesos.agent.registry_images import (
    MANIFEST,
    MANIFEST_LIST,
    RegistryImages,
    apply_layer,
    parse_name,
    this_platform,
)


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("nginx", ("", "library/nginx", "latest")),
        ("nginx:1.10", ("", "library/nginx", "1.10")),
        ("docker.io/myorg/app:2", ("", "myorg/app", "2")),
        ("myorg/app@sha256:" + "a" * 64, ("", "myorg/app", "sha256:" + "a" * 64)),
        ("minidcos-registry:5000/team/tool:1", ("minidcos-registry:5000", "team/tool", "1")),
        ("quay.io/team/tool", ("quay.io", "team/tool", "latest")),
    ],
)
def test_names(name: str, parsed: tuple[str, str, str]) -> None:
    assert parse_name(name) == parsed


def test_other_registries_images_are_read_where_image_load_puts_them(tmp_path: Path) -> None:
    images = RegistryImages("http://minidcos-registry:5000", tmp_path)
    assert images.repository_of("quay.io/team/tool:1") == ("quay.io/team/tool", "1")
    assert images.repository_of("minidcos-registry:5000/team/tool:1") == ("team/tool", "1")
    assert images.repository_of("nginx") == ("library/nginx", "latest")


def layer(entries: dict[str, bytes | None]) -> bytes:
    """A gzip layer: path -> content, or None for a folder."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def files_under(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text() if p.is_file() else "/"
        for p in sorted(root.rglob("*"))
    }


BOTTOM = layer(
    {
        "etc": None,
        "etc/keep": b"kept",
        "etc/gone": b"whited out",
        "var": None,
        "var/cache": None,
        "var/cache/old": b"emptied by an opaque folder",
    }
)
TOP = layer(
    {
        "etc/.wh.gone": b"",
        "var/cache/.wh..wh..opq": b"",
        "var/cache/new": b"from the top layer",
        "etc/added": b"added",
    }
)


def test_layers_apply_in_order_with_whiteouts(tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    for index, data in enumerate((BOTTOM, TOP)):
        path = tmp_path / f"layer{index}"
        path.write_bytes(data)
        asyncio.run(apply_layer(path, rootfs))
    assert files_under(rootfs) == {
        "etc": "/",
        "etc/added": "added",
        "etc/keep": "kept",
        "var": "/",
        "var/cache": "/",
        "var/cache/new": "from the top layer",
    }


def digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


class StaticRegistry:
    """Manifests and blobs at the registry API's GET paths."""

    def __init__(self) -> None:
        self.manifests: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.blobs: dict[str, bytes] = {}
        self.manifest_gets = 0

    def add_image(self, repository: str, tag: str, layers: list[bytes], cmd: list[str]) -> str:
        config = json.dumps({"config": {"Cmd": cmd, "Env": ["A=1"]}}).encode()
        for blob in (config, *layers):
            self.blobs[digest(blob)] = blob
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"digest": digest(config), "size": len(config)},
                "layers": [{"digest": digest(x), "size": len(x)} for x in layers],
            }
        ).encode()
        self.manifests[(repository, tag)] = (MANIFEST, manifest)
        self.manifests[(repository, digest(manifest))] = (MANIFEST, manifest)
        return digest(manifest)

    def add_list(self, repository: str, tag: str, platforms: dict[tuple[str, str], str]) -> None:
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_LIST,
                "manifests": [
                    {"digest": d, "platform": {"os": o, "architecture": a}}
                    for (o, a), d in platforms.items()
                ],
            }
        ).encode()
        self.manifests[(repository, tag)] = (MANIFEST_LIST, body)

    async def manifest(self, request: web.Request) -> web.Response:
        self.manifest_gets += 1
        found = self.manifests.get((request.match_info["repo"], request.match_info["ref"]))
        if found is None:
            return web.json_response(
                {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]},
                status=404,
            )
        return web.Response(body=found[1], content_type=found[0])

    async def blob(self, request: web.Request) -> web.Response:
        data = self.blobs.get(request.match_info["digest"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(r"/v2/{repo:.+}/manifests/{ref}", self.manifest)
        app.router.add_get(r"/v2/{repo:.+}/blobs/{digest}", self.blob)
        return app


@pytest.fixture
def registry() -> StaticRegistry:
    return StaticRegistry()


def pull(registry: StaticRegistry, store: Path, name: str, cached: bool = True) -> Any:
    async def go() -> Any:
        runner = web.AppRunner(registry.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            return await RegistryImages(f"http://127.0.0.1:{port}", store).get(name, cached)
        finally:
            await runner.cleanup()

    return asyncio.run(go())


def test_a_pull_unpacks_the_image_and_keeps_it(registry: StaticRegistry, tmp_path: Path) -> None:
    registry.add_image("library/web", "1", [BOTTOM, TOP], ["/bin/web"])
    image = pull(registry, tmp_path, "web:1")
    assert (image.rootfs / "var/cache/new").read_text() == "from the top layer"
    assert not (image.rootfs / "etc/gone").exists()
    assert image.config["Cmd"] == ["/bin/web"]
    gets = registry.manifest_gets
    assert pull(registry, tmp_path, "web:1").rootfs == image.rootfs
    assert registry.manifest_gets == gets  # cached: the registry is not asked again


def test_a_fresh_pull_follows_a_moved_tag(registry: StaticRegistry, tmp_path: Path) -> None:
    registry.add_image("library/web", "1", [BOTTOM], ["/bin/old"])
    assert pull(registry, tmp_path, "web:1").config["Cmd"] == ["/bin/old"]
    registry.add_image("library/web", "1", [BOTTOM, TOP], ["/bin/new"])
    assert pull(registry, tmp_path, "web:1").config["Cmd"] == ["/bin/old"]  # cached
    assert pull(registry, tmp_path, "web:1", cached=False).config["Cmd"] == ["/bin/new"]


def test_a_list_resolves_to_this_machines_platform(
    registry: StaticRegistry, tmp_path: Path
) -> None:
    ours = registry.add_image("library/multi", "x", [BOTTOM], ["/bin/ours"])
    other = registry.add_image("library/multi", "y", [TOP], ["/bin/other"])
    registry.add_list("library/multi", "1", {this_platform(): ours, ("linux", "s390x"): other})
    assert pull(registry, tmp_path, "multi:1").config["Cmd"] == ["/bin/ours"]


def test_a_missing_image_names_itself_and_how_to_load_it(
    registry: StaticRegistry, tmp_path: Path
) -> None:
    with pytest.raises(LaunchError) as info:
        pull(registry, tmp_path, "myorg/absent:3")
    message = str(info.value)
    assert "Failed to pull image 'myorg/absent:3'" in message
    assert "MANIFEST_UNKNOWN" in message
    assert "minidcos docker image load myorg/absent:3" in message


def test_a_blob_that_does_not_match_its_digest_is_refused(
    registry: StaticRegistry, tmp_path: Path
) -> None:
    registry.add_image("library/bad", "1", [BOTTOM], ["/x"])
    registry.blobs[digest(BOTTOM)] = TOP  # served under the wrong digest
    with pytest.raises(LaunchError, match="arrived with digest"):
        pull(registry, tmp_path, "bad:1")
