"""Image archives made byte by byte, as `docker save` and OCI tools write them.

Small real images (a layer holding a few files), so that reading, checking
and pushing archives is tested on the real formats without an engine.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def layer_tar(files: dict[str, bytes]) -> bytes:
    """A layer: a tar of `files` (path in the image -> content)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image_config(layers: list[bytes], cmd: list[str] | None = None) -> bytes:
    config: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": cmd or ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in layers]},
    }
    return json.dumps(config).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_save(path: Path, images: list[tuple[list[str], list[bytes]]]) -> Path:
    """A `docker save` archive: for each image (RepoTags, layers), config + layer tars."""
    entries = []
    with tarfile.open(path, "w") as tar:
        written: set[str] = set()
        for tags, layers in images:
            config = image_config(layers)
            config_name = f"{hashlib.sha256(config).hexdigest()}.json"
            _add(tar, config_name, config)
            names = []
            for layer in layers:
                name = f"{hashlib.sha256(layer).hexdigest()}/layer.tar"
                if name not in written:
                    _add(tar, name, layer)
                    written.add(name)
                names.append(name)
            entries.append({"Config": config_name, "RepoTags": tags, "Layers": names})
        _add(tar, "manifest.json", json.dumps(entries).encode())
    return path


def oci_layout(path: Path, name: str, layers: list[bytes]) -> tuple[Path, str]:
    """An OCI image layout archive of one image (gzip layers); (path, manifest digest)."""
    blobs: dict[str, bytes] = {}
    compressed = [gzip.compress(layer, mtime=0) for layer in layers]
    config = image_config(layers)
    for blob in [config, *compressed]:
        blobs[sha256(blob)] = blob
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha256(blob),
                    "size": len(blob),
                }
                for blob in compressed
            ],
        }
    ).encode()
    blobs[sha256(manifest)] = manifest
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha256(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": name},
            }
        ],
    }
    with tarfile.open(path, "w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "index.json", json.dumps(index).encode())
        for digest, blob in blobs.items():
            _add(tar, f"blobs/sha256/{digest.split(':')[1]}", blob)
    return path, sha256(manifest)
