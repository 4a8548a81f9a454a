"""Docker images for the UCR, pulled from a Docker registry (the agent's --docker_registry).

What Mesos's Docker store does, with its "copy" backend: the manifest
(Docker schema 2 or OCI; for a list or index, the linux platform of this
machine) is fetched by name, its layers are fetched once each into a blob
cache (their sha256 checked), and each image's rootfs is the layers applied
in order, whiteouts included (`.wh.<name>` removes a lower layer's file,
`.wh..wh..opq` empties a lower layer's folder). Images are kept by manifest
digest; a name is looked up again only when it is not cached here yet or
when the task asks for a fresh pull (`image.cached: false`, Marathon's
forcePullImage for the UCR).

On a miniDC/OS node the registry is the cluster's own (`minidcos-registry:5000`,
on the cluster's network): Docker Hub names are read from it under their Hub
path (`nginx` is `library/nginx`), other registries' images under
`<host>/<path>`, which is where `minidcos docker image load` puts them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import shutil
import tarfile
from pathlib import Path
from typing import Any

import aiohttp

from dcos_mesos.agent.launcher import LaunchError, run
from dcos_mesos.agent.provisioner import Image

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join((MANIFEST, OCI_MANIFEST, MANIFEST_LIST, OCI_INDEX))
HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
TIMEOUT = aiohttp.ClientTimeout(total=600, sock_connect=10)
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


class PullError(Exception):
    """Why an image could not be pulled, in words for the task's status message."""


def parse_name(name: str) -> tuple[str, str, str]:
    """(registry host or "", repository, tag or digest) of a Docker image name."""
    rest, digest = [*name.split("@", 1), ""][:2]
    tag = ""
    if ":" in rest.rsplit("/", 1)[-1]:
        rest, tag = rest.rsplit(":", 1)
    parts = rest.split("/")
    host = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host = parts.pop(0)
    if host in HUB:
        host = ""
    if not host and len(parts) == 1:
        parts.insert(0, "library")
    return host, "/".join(parts), digest or tag or "latest"


def this_platform() -> tuple[str, str]:
    machine = platform.machine()
    return "linux", {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


class RegistryImages:
    """An `ImageSource` that pulls from a registry into a store under `store`."""

    def __init__(self, registry: str, store: Path) -> None:
        self.registry = registry.rstrip("/")
        self.address = self.registry.split("://", 1)[-1]  # minidcos-registry:5000
        self.store = store
        self.refs_file = store / "refs.json"
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def repository_of(self, name: str) -> tuple[str, str]:
        """(repository in our registry, reference): other registries' images under their host."""
        host, repository, ref = parse_name(name)
        if host and host != self.address:
            repository = f"{host.split(':')[0].lower()}/{repository}"
        return repository, ref

    # -- the ImageSource interface --------------------------------------------

    async def get(self, name: str, cached: bool = True) -> Image:
        try:
            return await self._get(name, cached)
        except PullError as exc:
            raise LaunchError(
                f"Failed to launch container: Failed to pull image '{name}' from the "
                f"registry {self.registry}: {exc}. Load it into the registry from the host "
                f"with `minidcos docker image load {name}` (or --archive FILE)"
            ) from exc

    async def holds(self, name: str) -> bool | None:
        repository, ref = self.repository_of(name)
        url = f"{self.registry}/v2/{repository}/manifests/{ref}"
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT, trust_env=False) as session,
                session.head(url, headers={"Accept": ACCEPT}) as response,
            ):
                if response.status in (200, 404):
                    return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            pass
        return None

    async def _get(self, name: str, cached: bool) -> Image:
        repository, ref = self.repository_of(name)
        async with self._lock(name):
            digest = self._refs().get(name) if cached else None
            if digest and (self._image_dir(digest) / "rootfs").is_dir():
                return self._image(name, digest)
            async with aiohttp.ClientSession(timeout=TIMEOUT, trust_env=False) as session:
                digest, manifest = await self._manifest(session, repository, ref)
                async with self._lock(digest):
                    if not (self._image_dir(digest) / "rootfs").is_dir():
                        await self._unpack(session, repository, digest, manifest)
            self._remember(name, digest)
            return self._image(name, digest)

    # -- the store ----------------------------------------------------------

    def _image_dir(self, digest: str) -> Path:
        return self.store / "images" / digest.split(":", 1)[1]

    def _blob_path(self, digest: str) -> Path:
        return self.store / "blobs" / digest.replace(":", "/")

    def _refs(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.refs_file.read_text()))
        except (OSError, ValueError):
            return {}

    def _remember(self, name: str, digest: str) -> None:
        refs = self._refs()
        refs[name] = digest
        self.store.mkdir(parents=True, exist_ok=True)
        partial = self.refs_file.with_suffix(".partial")
        partial.write_text(json.dumps(refs))
        os.replace(partial, self.refs_file)

    def _image(self, name: str, digest: str) -> Image:
        folder = self._image_dir(digest)
        config = json.loads((folder / "config.json").read_text())
        return Image(name, folder / "rootfs", config.get("config") or {})

    # -- the registry -------------------------------------------------------

    async def _get_url(self, session: aiohttp.ClientSession, path: str, **kw: Any) -> bytes:
        url = f"{self.registry}/v2/{path}"
        try:
            async with session.get(url, **kw) as response:
                body = await response.read()
                if response.status == 404:
                    raise PullError(f"the registry does not hold it ({_codes(body)})")
                if response.status != 200:
                    raise PullError(f"GET {url} answered {response.status} {_codes(body)}")
                return body
        except aiohttp.ClientError as exc:
            raise PullError(f"the registry did not answer ({exc})") from exc
        except TimeoutError as exc:
            raise PullError(f"the registry did not answer GET {url} in time") from exc

    async def _manifest(
        self, session: aiohttp.ClientSession, repository: str, ref: str
    ) -> tuple[str, dict[str, Any]]:
        raw = await self._get_url(
            session, f"{repository}/manifests/{ref}", headers={"Accept": ACCEPT}
        )
        digest = f"sha256:{hashlib.sha256(raw).hexdigest()}"
        if ref.startswith("sha256:") and digest != ref:
            raise PullError(f"its manifest's digest is {digest}, not {ref}")
        manifest = json.loads(raw)
        media_type = manifest.get("mediaType", "")
        if media_type in (MANIFEST_LIST, OCI_INDEX) or "manifests" in manifest:
            wanted_os, wanted_arch = this_platform()
            for child in manifest.get("manifests") or []:
                plat = child.get("platform") or {}
                if plat.get("os") == wanted_os and plat.get("architecture") == wanted_arch:
                    return await self._manifest(session, repository, child["digest"])
            raise PullError(f"it has no {wanted_os}/{wanted_arch} image")
        if manifest.get("schemaVersion") != 2 or "layers" not in manifest:
            raise PullError(f"its manifest is not an image manifest (schema 2, OCI): {media_type}")
        return digest, manifest

    async def _blob(self, session: aiohttp.ClientSession, repository: str, digest: str) -> Path:
        """The blob in the cache, fetched and checked if it is not there yet."""
        path = self._blob_path(digest)
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        url = f"{self.registry}/v2/{repository}/blobs/{digest}"
        sha = hashlib.sha256()
        try:
            async with session.get(url) as response:
                if response.status != 200:
                    raise PullError(f"blob {digest}: HTTP {response.status}")
                with open(partial, "wb") as out:
                    async for chunk in response.content.iter_chunked(1 << 20):
                        sha.update(chunk)
                        out.write(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            partial.unlink(missing_ok=True)
            raise PullError(f"fetching blob {digest} failed ({exc})") from exc
        if f"sha256:{sha.hexdigest()}" != digest:
            partial.unlink(missing_ok=True)
            raise PullError(f"blob {digest} arrived with digest sha256:{sha.hexdigest()}")
        os.replace(partial, path)
        return path

    async def _unpack(
        self, session: aiohttp.ClientSession, repository: str, digest: str, manifest: dict[str, Any]
    ) -> None:
        folder = self._image_dir(digest)
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "rootfs").mkdir(parents=True)
        config_blob = await self._blob(session, repository, manifest["config"]["digest"])
        shutil.copyfile(config_blob, staging / "config.json")
        layers = await asyncio.gather(
            *(self._blob(session, repository, layer["digest"]) for layer in manifest["layers"])
        )
        for layer in layers:
            await apply_layer(layer, staging / "rootfs")
        if folder.exists():  # a copy an earlier, interrupted pull left
            shutil.rmtree(folder)
        staging.rename(folder)


def _codes(body: bytes) -> str:
    try:
        errors = json.loads(body).get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")


def _whiteouts(layer: Path) -> list[str]:
    """The layer's whiteout entries, as paths inside the image."""
    with tarfile.open(layer, "r:*") as tar:
        return [m.name for m in tar if os.path.basename(m.name).startswith(WHITEOUT)]


def _inside(rootfs: Path, relative: str) -> Path | None:
    """rootfs/relative, or None when it would leave the rootfs."""
    path = Path(os.path.normpath(rootfs / relative.lstrip("/")))
    return path if path == rootfs or rootfs in path.parents else None


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    elif path.exists():  # a device, a fifo, a socket
        path.unlink()


def remove_whited_out(rootfs: Path, whiteouts: list[str]) -> None:
    """Apply a layer's whiteouts to what the layers below it made (before it is unpacked)."""
    for entry in whiteouts:
        folder, base = os.path.split(entry.removeprefix("./"))
        parent = _inside(rootfs, folder)
        if parent is None or parent.is_symlink() or not parent.is_dir():
            continue
        if base == OPAQUE:
            for child in parent.iterdir():
                _remove(child)
            continue
        target = _inside(rootfs, os.path.join(folder, base[len(WHITEOUT) :]))
        if target is not None and target != rootfs and (target.exists() or target.is_symlink()):
            _remove(target)


async def apply_layer(layer: Path, rootfs: Path) -> None:
    """Unpack one layer over the rootfs, as an overlay would show it."""
    try:
        whiteouts = await asyncio.to_thread(_whiteouts, layer)
    except (tarfile.TarError, OSError) as exc:
        raise PullError(f"layer {layer.name} is not a tar archive ({exc})") from exc
    await asyncio.to_thread(remove_whited_out, rootfs, whiteouts)
    rc, out = await run(
        [
            "tar",
            "-x",
            "-f",
            str(layer),
            "-C",
            str(rootfs),
            "--numeric-owner",
            "--same-permissions",
            "--same-owner",
            "--xattrs",
            f"--exclude={WHITEOUT}*",
        ],
        600.0,
    )
    if rc != 0:
        raise PullError(f"unpacking layer {layer.name} failed: {out.strip()[-300:]}")
