"""The registry every cluster pulls through, and the images in it.

    from minidcos import registry
    registry.load_images(["myorg/app:1.0"])                # from this machine's Docker engine
    registry.load_images([], archive=Path("app.tar"))      # a docker save / OCI archive
    for image in registry.list_images().images: ...

One registry per engine (Debian's docker-registry in a container), shared by
every cluster and kept across them. Nodes' Docker Engine uses it as its
Docker Hub mirror, so a task names a loaded image exactly as on DC/OS
(`nginx:1.10`); `create` starts it and puts the offline image set in it
(minidcos/slim, minidcos/python3, minidcos/httpd).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minidcos._util import paths
from minidcos.backends.base import ImageRef, Provider, RegistryInfo
from minidcos.backends.registry import archive as archives
from minidcos.backends.registry.archive import INDEX_TYPES
from minidcos.backends.registry.client import RegistryClient
from minidcos.backends.registry.push import PushedImage, Pusher
from minidcos.backends.registry.reference import node_reference, parse
from minidcos.errors import UsageError
from minidcos.status import Status

LATEST = "latest"


def _provider(provider: Provider | None) -> Provider:
    if provider is not None:
        return provider
    from minidcos.backends.docker.provider import DockerProvider

    return DockerProvider()


def _client(info: RegistryInfo) -> RegistryClient:
    return RegistryClient(info.host_url)


def ensure(provider: Provider | None = None, status: Status | None = None) -> RegistryInfo:
    """The registry running, with the offline image set in it (pushed once per build)."""
    provider = _provider(provider)
    status = status or Status.silent()
    info = provider.ensure_registry(status)
    shipped = provider.shipped_images(status)
    client = _client(info)
    try:
        missing = [ref for ref in shipped if not _holds(client, ref)]
        if missing:
            _push_from_engine(provider, client, info, [r.reference for r in missing], status)
            for ref in missing:
                _tag_latest(client, ref)
    finally:
        client.close()
    return info


def _holds(client: RegistryClient, ref: ImageRef) -> bool:
    """The build is in, and `latest` names it."""
    digest = client.manifest_digest(ref.name, ref.tag)
    return digest is not None and client.manifest_digest(ref.name, LATEST) == digest


def _tag_latest(client: RegistryClient, ref: ImageRef) -> None:
    manifest = client.manifest(ref.name, ref.tag)
    if manifest is None:
        raise UsageError(f"{ref.reference} vanished from the registry while it was tagged")
    client.put_manifest(ref.name, LATEST, manifest.media_type, manifest.raw)


def _push_from_engine(
    provider: Provider,
    client: RegistryClient,
    info: RegistryInfo,
    references: Sequence[str],
    status: Status,
) -> list[PushedImage]:
    with tempfile.TemporaryDirectory(prefix="minidcos-save-", dir=paths.cache_dir()) as scratch:
        archive_path = Path(scratch) / "images.tar"
        with status.step(f"docker save {' '.join(references)}"):
            provider.save_images(list(references), archive_path)
        return _push_archive(client, info, archive_path, status)


def _push_archive(
    client: RegistryClient, info: RegistryInfo, archive_path: Path, status: Status
) -> list[PushedImage]:
    archive = archives.read(archive_path)  # whole and checked before anything is sent
    names = ", ".join(n.familiar() for image in archive.images for n in image.names)
    with status.step(f"Pushing {names} into the registry") as step:
        return Pusher(client, info.node_address, step).push(archive)


def load_images(
    references: Sequence[str],
    archive: Path | None = None,
    provider: Provider | None = None,
    status: Status | None = None,
) -> list[PushedImage]:
    """Push images into the registry, from this machine's Docker engine (by name) or from an
    archive (`docker save`, OCI layout); starts the registry when it is not running."""
    if bool(references) == (archive is not None):
        raise UsageError("name images from this machine's Docker engine, or give --archive FILE")
    for reference in references:
        parse(reference)  # a bad name is refused before anything happens
    provider = _provider(provider)
    status = status or Status.silent()
    if archive is not None:
        archives.read(archive)  # refuse a bad archive before starting anything
    info = ensure(provider, status)
    client = _client(info)
    try:
        if archive is not None:
            return _push_archive(client, info, archive, status)
        return _push_from_engine(provider, client, info, references, status)
    finally:
        client.close()


@dataclass(frozen=True)
class RegistryImage:
    name: str  # how `docker images` would show it: nginx:1.10
    repository: str  # where the registry keeps it: library/nginx
    tag: str
    digest: str  # pin it as <name>@<digest>
    media_type: str
    size: int  # config and layers as stored; every platform of an index
    node_reference: str  # how a task on a node names it


@dataclass
class Listing:
    registry: RegistryInfo | None
    images: list[RegistryImage] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """`image list --json` (schema in the README)."""
        return {
            "registry": asdict(self.registry) if self.registry else None,
            "images": [asdict(i) for i in self.images],
        }


def list_images(provider: Provider | None = None) -> Listing:
    """Every tagged image the registry holds, with its size; no images when it is not running."""
    info = _provider(provider).registry()
    if info is None or not info.host_url:
        return Listing(info)
    client = _client(info)
    try:
        images = [
            image
            for repository in client.repositories()
            for tag in client.tags(repository)
            if (image := _describe(client, info, repository, tag)) is not None
        ]
    finally:
        client.close()
    return Listing(info, images)


def _describe(
    client: RegistryClient, info: RegistryInfo, repository: str, tag: str
) -> RegistryImage | None:
    manifest = client.manifest(repository, tag)
    if manifest is None:  # untagged meanwhile
        return None
    return RegistryImage(
        name=f"{repository.removeprefix('library/')}:{tag}",
        repository=repository,
        tag=tag,
        digest=manifest.digest,
        media_type=manifest.media_type,
        size=_size(client, repository, manifest.body, manifest.media_type),
        node_reference=node_reference(repository, tag, info.node_address),
    )


def _size(client: RegistryClient, repository: str, body: dict[str, Any], media_type: str) -> int:
    if media_type in INDEX_TYPES:
        total = 0
        for child in body.get("manifests") or []:
            manifest = client.manifest(repository, str(child["digest"]))
            if manifest is not None:
                total += _size(client, repository, manifest.body, manifest.media_type)
        return total
    blobs = [body.get("config") or {}, *(body.get("layers") or [])]
    return sum(int(b.get("size", 0)) for b in blobs)


def remove(provider: Provider | None = None) -> bool:
    """Remove the registry and every image in it; False if there was none."""
    return _provider(provider).delete_registry()
