"""Image archives: what `docker save` writes, and OCI image layouts (skopeo, buildah, Docker 25+).

An archive is read and checked whole before anything is pushed: every file
its index names must be there and every config must parse, so that an
archive which is not an image archive (or a broken one) is refused with a
message and leaves nothing half-pushed behind.

- `docker save` (manifest.json): each image is a config file and a list of
  layer tars, named by RepoTags; the registry gets them with a schema 2
  manifest made for them.
- OCI layout (oci-layout + index.json + blobs/sha256/...): manifests and
  blobs are pushed exactly as they are, so digests (and digest-pinned
  references) survive. Names come from the index's annotations.

An archive with both (Docker 25 and later write both) is read as OCI layout.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from minidcos.backends.registry.reference import Reference, parse
from minidcos.errors import UsageError

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Layer:
    member: str  # its file in the archive
    diff_id: str  # sha256 of the uncompressed tar, from the image's config


@dataclass(frozen=True)
class SavedImage:
    """An image of a `docker save` archive: config and layers; the manifest is made at push."""

    names: tuple[Reference, ...]
    config: bytes
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class OciImage:
    """A manifest (or an index of them) of an OCI layout, pushed byte for byte."""

    names: tuple[Reference, ...]
    media_type: str
    manifest: bytes
    blobs: tuple[Blob, ...]  # config and layers, in push order
    children: tuple[OciImage, ...] = ()  # an index's manifests, pushed first


@dataclass
class Archive:
    path: Path
    images: list[SavedImage | OciImage] = field(default_factory=list)

    def open_member(self, tar: tarfile.TarFile, member: str) -> IO[bytes]:
        handle = tar.extractfile(_normalise(member))
        if handle is None:
            raise UsageError(f"{self.path}: {member} is not a file")
        return handle


def _normalise(member: str) -> str:
    return member.removeprefix("./")


def _refuse(path: Path, reason: str) -> UsageError:
    return UsageError(
        f"{path} is not an image archive: {reason}. Use a `docker save` archive "
        "(docker save -o FILE.tar IMAGE...) or an OCI image layout archive"
    )


def read(path: Path) -> Archive:
    """Read and check the whole archive; UsageError naming what is wrong."""
    if not path.is_file():
        raise UsageError(f"--archive {path}: no such file")
    try:
        with tarfile.open(path, "r:*") as tar:
            # docker save links a layer that two images share (../<id>/layer.tar).
            members = {
                _normalise(m.name): m
                for m in tar.getmembers()
                if m.isfile() or m.issym() or m.islnk()
            }
            if "index.json" in members and "oci-layout" in members:
                images = _read_oci(path, tar, members)
            elif "manifest.json" in members:
                images = _read_docker_save(path, tar, members)
            else:
                raise _refuse(path, "it holds neither manifest.json nor an OCI index.json")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _refuse(path, f"it is not a readable tar file ({exc})") from exc
    if not images:
        raise _refuse(path, "it names no image")
    return Archive(path, images)


def _json(path: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> Any:
    if name not in members:
        raise UsageError(f"{path} is a broken image archive: {name} is missing")
    handle = tar.extractfile(members[name])
    assert handle is not None
    try:
        return json.loads(handle.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is a broken image archive: {name} is not JSON ({exc})") from exc


def _names(path: Path, texts: list[str], what: str) -> tuple[Reference, ...]:
    try:
        return tuple(parse(t) for t in texts)
    except UsageError as exc:
        raise UsageError(f"{path}: {what} has a name Docker would refuse: {exc}") from exc


def _read_docker_save(
    path: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]
) -> list[SavedImage | OciImage]:
    entries = _json(path, tar, members, "manifest.json")
    if not isinstance(entries, list):
        raise _refuse(path, "its manifest.json is not a list of images")
    images: list[SavedImage | OciImage] = []
    for entry in entries:
        if not isinstance(entry, dict) or "Config" not in entry or "Layers" not in entry:
            raise _refuse(path, "an entry of its manifest.json has no Config or Layers")
        config_name = _normalise(str(entry["Config"]))
        tags = [str(t) for t in entry.get("RepoTags") or []]
        if not tags:
            raise UsageError(
                f"{path}: image {config_name} has no name (it was saved by id); "
                "save it by name: docker save -o FILE.tar NAME:TAG"
            )
        config = _json(path, tar, members, config_name)
        diff_ids = ((config or {}).get("rootfs") or {}).get("diff_ids") or []
        layers = [_normalise(str(x)) for x in entry["Layers"]]
        if len(diff_ids) != len(layers):
            raise UsageError(
                f"{path} is a broken image archive: {config_name} lists {len(diff_ids)} "
                f"layers, manifest.json {len(layers)}"
            )
        for layer in layers:
            if layer not in members:
                raise UsageError(f"{path} is a broken image archive: layer {layer} is missing")
        handle = tar.extractfile(members[config_name])
        assert handle is not None
        images.append(
            SavedImage(
                names=_names(path, tags, config_name),
                config=handle.read(),
                layers=tuple(Layer(m, str(d)) for m, d in zip(layers, diff_ids, strict=True)),
            )
        )
    return images


def _blob_name(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _read_oci(
    path: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]
) -> list[SavedImage | OciImage]:
    index = _json(path, tar, members, "index.json")
    images: list[SavedImage | OciImage] = []
    for descriptor in (index or {}).get("manifests") or []:
        annotations = descriptor.get("annotations") or {}
        name = next((annotations[k] for k in NAME_ANNOTATIONS if _full_name(annotations, k)), "")
        if not name:
            raise UsageError(
                f"{path}: the OCI index names no image for {descriptor.get('digest')} "
                f"(annotations {sorted(annotations)}); give it a full name such as "
                "myorg/app:1.0 when you make the archive"
            )
        images.append(_oci_image(path, tar, members, descriptor, _names(path, [name], "index")))
    return images


def _full_name(annotations: dict[str, str], key: str) -> bool:
    """containerd's image name is a full reference; ref.name may be only a tag ("1.0")."""
    value = annotations.get(key, "")
    return bool(value) and (key == NAME_ANNOTATIONS[0] or "/" in value or ":" in value)


def _oci_image(
    path: Path,
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    descriptor: dict[str, Any],
    names: tuple[Reference, ...],
) -> OciImage:
    digest = str(descriptor.get("digest", ""))
    document = _blob_name(digest)
    manifest = _json(path, tar, members, document)
    handle = tar.extractfile(members[document])
    assert handle is not None
    raw = handle.read()
    media_type = str(descriptor.get("mediaType") or manifest.get("mediaType") or OCI_MANIFEST)
    if media_type in INDEX_TYPES:
        # Push the platforms the archive holds; an index is pushed only when whole.
        present = [d for d in manifest.get("manifests") or [] if _blob_name(d["digest"]) in members]
        children = tuple(_oci_image(path, tar, members, d, ()) for d in present)
        if not children:
            raise UsageError(f"{path} is a broken image archive: index {digest} has no manifest")
        if len(children) < len(manifest.get("manifests") or []):
            if len(children) != 1:
                raise UsageError(
                    f"{path}: index {digest} holds {len(children)} of its platforms; "
                    "save one platform or all of them"
                )
            only = children[0]
            return OciImage(names, only.media_type, only.manifest, only.blobs)
        return OciImage(names, media_type, raw, (), children)
    if media_type not in MANIFEST_TYPES:
        raise UsageError(f"{path}: {digest} is a {media_type}, not an image manifest")
    blobs = [manifest.get("config") or {}, *(manifest.get("layers") or [])]
    for blob in blobs:
        if _blob_name(str(blob.get("digest", ""))) not in members:
            raise UsageError(
                f"{path} is a broken image archive: blob {blob.get('digest')} is missing"
            )
    return OciImage(
        names,
        media_type,
        raw,
        tuple(
            Blob(str(b["digest"]), int(b.get("size", 0)), str(b.get("mediaType"))) for b in blobs
        ),
    )


def iter_chunks(handle: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


def blob_member(digest: str) -> str:
    return _blob_name(digest)
