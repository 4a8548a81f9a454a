"""Push the images of an archive into the registry, layer by layer, manifest last.

A manifest is what makes an image appear (in tag lists, to `docker pull`),
and it goes in only once every blob it names is there: a push that fails
half-way leaves no image listed.

A `docker save` layer goes in as it is: a plain tar (Docker schema 2's
`rootfs.diff.tar`, whose digest is the layer's diff_id) or, when the archive
holds it compressed, as gzip. Plain layers cost a little more disk in the
registry, but a pull over the cluster's bridge then does what `docker load`
does (no decompression), which is what a pull waits for on a small machine.
Layers already in the registry are not sent again, and a blob another
repository holds is mounted rather than uploaded (where each blob went is
remembered in the cache folder).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from minidcos._util import paths
from minidcos.backends.registry.archive import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    GZIP_MAGIC,
    Archive,
    Blob,
    OciImage,
    SavedImage,
    blob_member,
    iter_chunks,
)
from minidcos.backends.registry.client import RegistryClient
from minidcos.backends.registry.reference import Reference, node_reference
from minidcos.errors import UsageError
from minidcos.status import Step


@dataclass(frozen=True)
class PushedLayer:
    digest: str
    size: int
    action: str  # pushed, present (the repository had it), mounted (another one had it)
    media_type: str = DOCKER_LAYER


@dataclass
class PushedImage:
    name: str  # as the archive names it: nginx:1.10
    repository: str  # where the registry keeps it: library/nginx
    ref: str  # tag, or digest
    digest: str  # the manifest's digest: pin it as repository@digest
    size: int  # config and layers as stored
    node_reference: str  # how a task on a node names it
    layers: list[PushedLayer] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KnownLayer:
    """Where a layer went before: the blob it became, and one repository that holds it."""

    digest: str
    size: int
    media_type: str
    repository: str


class LayerCache:
    """diff_id -> KnownLayer, in the cache folder."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "registry-layers.json"
        try:
            self.entries: dict[str, dict[str, Any]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def get(self, diff_id: str) -> KnownLayer | None:
        try:
            return KnownLayer(**self.entries[diff_id])
        except (KeyError, TypeError):  # unknown, or written by an older version
            return None

    def put(self, diff_id: str, layer: KnownLayer) -> None:
        self.entries[diff_id] = asdict(layer)
        partial = self.path.with_name(f"{self.path.name}.{paths.unique_suffix()}")
        partial.write_text(json.dumps(self.entries))
        os.replace(partial, self.path)  # a racing push loses an entry, never the file


class Pusher:
    def __init__(self, client: RegistryClient, registry_address: str, step: Step) -> None:
        self.client = client
        self.registry_address = registry_address
        self.step = step
        self.cache = LayerCache()

    def push(self, archive: Archive) -> list[PushedImage]:
        pushed: list[PushedImage] = []
        with tarfile.open(archive.path, "r:*") as tar:
            for image in archive.images:
                if isinstance(image, SavedImage):
                    pushed += self._push_saved(archive, tar, image)
                else:
                    pushed += self._push_oci(archive, tar, image)
        return pushed

    # -- docker save --------------------------------------------------------

    def _repositories(self, names: tuple[Reference, ...]) -> list[tuple[Reference, str]]:
        return [(n, n.repository_in_registry(self.registry_address)) for n in names]

    def _push_saved(
        self, archive: Archive, tar: tarfile.TarFile, image: SavedImage
    ) -> list[PushedImage]:
        targets = self._repositories(image.names)
        first = targets[0][1]
        label = targets[0][0].familiar()
        layers: list[PushedLayer] = []
        for number, layer in enumerate(image.layers, 1):
            where = f"{label}: layer {number}/{len(image.layers)}"
            handle = archive.open_member(tar, layer.member)
            layers.append(self._layer(handle, layer.diff_id, first, where))
        config_digest = f"sha256:{hashlib.sha256(image.config).hexdigest()}"
        config = self._blob_bytes(first, config_digest, image.config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": DOCKER_MANIFEST,
                "config": {
                    "mediaType": DOCKER_CONFIG,
                    "size": config.size,
                    "digest": config_digest,
                },
                "layers": [
                    {"mediaType": x.media_type, "size": x.size, "digest": x.digest} for x in layers
                ],
            },
            indent=3,
        ).encode()
        blobs = [config_digest, *(x.digest for x in layers)]
        size = config.size + sum(x.size for x in layers)
        return [
            self._put_manifest(
                name, repository, first, blobs, DOCKER_MANIFEST, manifest, size, layers
            )
            for name, repository in targets
        ]

    def _layer(self, handle: IO[bytes], diff_id: str, repository: str, where: str) -> PushedLayer:
        # Where the layer went before; else the plain layer it would be (digest = diff_id).
        known = self.cache.get(diff_id) or KnownLayer(diff_id, -1, DOCKER_LAYER, repository)
        found = self._present(repository, known.digest, known.repository)
        if found:
            size = known.size if known.size >= 0 else self.client.blob_size(repository, diff_id)
            self._say(where, known.digest, size, found)
            return PushedLayer(known.digest, size, found, known.media_type)
        chunks = iter_chunks(handle)
        head = next(chunks, b"")
        media_type = DOCKER_LAYER_GZIP if head.startswith(GZIP_MAGIC) else DOCKER_LAYER
        digest, size = self.client.upload_blob(
            repository,
            itertools.chain([head], chunks),
            lambda n: self.step.progress(f"{where}: {n / 1e6:.1f} MB sent"),
        )
        if media_type == DOCKER_LAYER and digest != diff_id:
            raise UsageError(
                f"{where}: the layer's content does not match its config "
                f"({digest} is not {diff_id}): the archive is damaged"
            )
        self.cache.put(diff_id, KnownLayer(digest, size, media_type, repository))
        self._say(where, digest, size, "pushed")
        return PushedLayer(digest, size, "pushed", media_type)

    def _present(self, repository: str, digest: str, source: str) -> str:
        """ "present" or "mounted" when the repository has (or can link) the blob, else ""."""
        if self.client.has_blob(repository, digest):
            return "present"
        if source != repository and self.client.mount_blob(repository, digest, source):
            return "mounted"
        return ""

    def _blob_bytes(self, repository: str, digest: str, data: bytes) -> PushedLayer:
        if self.client.has_blob(repository, digest):
            return PushedLayer(digest, len(data), "present")
        _, size = self.client.upload_blob(repository, [data])  # committed under `digest`
        return PushedLayer(digest, size, "pushed")

    def _say(self, where: str, digest: str, size: int, action: str) -> None:
        self.step.update(f"{where} {digest[7:19]} {size / 1e6:.1f} MB: {action}")

    def _put_manifest(
        self,
        name: Reference,
        repository: str,
        source: str,
        blobs: list[str],
        media_type: str,
        raw: bytes,
        size: int,
        layers: list[PushedLayer],
    ) -> PushedImage:
        if repository != source:  # a second name in another repository: link, never re-send
            for digest in blobs:
                if not self._present(repository, digest, source):
                    raise UsageError(f"{digest} could not be linked into {repository}")
        digest = self.client.put_manifest(repository, name.ref, media_type, raw)
        self.step.update(f"{name.familiar()}: manifest {digest[7:19]} as {repository}:{name.ref}")
        return PushedImage(
            name=name.familiar(),
            repository=repository,
            ref=name.ref,
            digest=digest,
            size=size,
            node_reference=node_reference(repository, name.ref, self.registry_address),
            layers=layers,
        )

    # -- OCI layout ---------------------------------------------------------

    def _push_oci(
        self, archive: Archive, tar: tarfile.TarFile, image: OciImage
    ) -> list[PushedImage]:
        targets = self._repositories(image.names)
        first = targets[0][1]
        layers, size = self._oci_content(archive, tar, image, first, targets[0][0].familiar())
        blobs = [x.digest for x in layers]
        return [
            self._put_manifest(
                name, repository, first, blobs, image.media_type, image.manifest, size, layers
            )
            for name, repository in targets
        ]

    def _oci_content(
        self, archive: Archive, tar: tarfile.TarFile, image: OciImage, repository: str, label: str
    ) -> tuple[list[PushedLayer], int]:
        """Every blob (and, for an index, every platform's manifest) in `repository`."""
        done: list[PushedLayer] = []
        size = 0
        for child in image.children:
            child_layers, child_size = self._oci_content(archive, tar, child, repository, label)
            done += child_layers
            size += child_size
            self.client.put_manifest(
                repository,
                f"sha256:{hashlib.sha256(child.manifest).hexdigest()}",
                child.media_type,
                child.manifest,
            )
        for number, blob in enumerate(image.blobs, 1):
            done.append(self._oci_blob(archive, tar, blob, repository, f"{label}: blob {number}"))
            size += blob.size
        return done, size

    def _oci_blob(
        self, archive: Archive, tar: tarfile.TarFile, blob: Blob, repository: str, where: str
    ) -> PushedLayer:
        if self.client.has_blob(repository, blob.digest):
            self._say(where, blob.digest, blob.size, "present")
            return PushedLayer(blob.digest, blob.size, "present")
        handle = archive.open_member(tar, blob_member(blob.digest))
        digest, size = self.client.upload_blob(
            repository,
            iter_chunks(handle),
            lambda n: self.step.progress(f"{where}: {n / 1e6:.1f} MB sent"),
        )
        if digest != blob.digest:
            raise UsageError(
                f"{archive.path} is damaged: blob {blob.digest} holds content whose digest "
                f"is {digest}"
            )
        self._say(where, digest, size, "pushed")
        return PushedLayer(digest, size, "pushed")
