"""The offline image set: small images built here from Debian packages, under our own names.

    minidcos/slim      Debian 12 minbase (debootstrap from the host's mirror, docker import)
    minidcos/python3   slim + python3 (the test app's Docker variant runs on it)
    minidcos/httpd     slim + nginx-light serving /var/www/html on port 80
    minidcos/registry  slim + docker-registry: the registry every cluster pulls through

Nothing is pulled from any registry: the base comes from debootstrap, the rest
from `apt-get install` in a `docker build` on top of it (images/*.Dockerfile).
Each image is tagged by a hash of its inputs, so it is built once and rebuilt
only when an input changed, and two runs never race over one tag.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from minidcos._util import paths
from minidcos._util.apt_sources import Mirrors, host_mirrors
from minidcos.backends.base import ImageRef
from minidcos.backends.docker.images import IMAGE_LABEL, NODE_IMAGES
from minidcos.errors import ProviderError
from minidcos.status import Status, Step

IMAGES = paths.PROJECT_ROOT / "images"
SLIM = "minidcos/slim"
# Built FROM minidcos/slim, each from images/<short name>.Dockerfile.
DERIVED = ("minidcos/python3", "minidcos/httpd", "minidcos/registry")
# What goes into the registry at create time, so that tasks can use it by name.
SHIPPED = (SLIM, "minidcos/python3", "minidcos/httpd")
REGISTRY_IMAGE = "minidcos/registry"


@dataclass(frozen=True)
class ImageSet:
    images: dict[str, ImageRef]  # name -> the built image

    def __getitem__(self, name: str) -> ImageRef:
        return self.images[name]

    def shipped(self) -> list[ImageRef]:
        return [self.images[name] for name in SHIPPED]


def slim_tag(mirrors: Mirrors) -> ImageRef:
    script = NODE_IMAGES / "build-rootfs.sh"
    digest = paths.content_hash(
        [
            ("build-rootfs.sh", script.read_bytes()),
            ("mirrors", json.dumps([mirrors.debian, mirrors.security]).encode()),
            ("include", b""),  # a bare minbase
        ]
    )
    return ImageRef(SLIM, digest[:16])


def _dockerfile(name: str) -> Path:
    return IMAGES / f"{name.split('/')[1]}.Dockerfile"


def _context_files(name: str) -> list[Path]:
    """The Dockerfile and its own folder under images/ (index.html, config.yml)."""
    folder = IMAGES / name.split("/")[1]
    return [_dockerfile(name), *(paths.tree_files(folder) if folder.is_dir() else [])]


def derived_tag(name: str, base: ImageRef) -> ImageRef:
    digest = paths.content_hash(
        [("base", base.reference.encode())]
        + [(str(p.relative_to(paths.PROJECT_ROOT)), p.read_bytes()) for p in _context_files(name)]
    )
    return ImageRef(name, digest[:16])


def planned(mirrors: Mirrors | None = None) -> ImageSet:
    """The tags the image set has for the current inputs (built or not)."""
    slim = slim_tag(mirrors or host_mirrors())
    return ImageSet({SLIM: slim, **{name: derived_tag(name, slim) for name in DERIVED}})


def _exists(client: docker.DockerClient, ref: ImageRef) -> bool:
    try:
        client.images.get(ref.reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_image_set(client: docker.DockerClient, status: Status) -> ImageSet:
    """Every image of the set in the host's engine, building the ones whose inputs changed."""
    mirrors = host_mirrors()
    wanted = planned(mirrors)
    missing = [ref for ref in wanted.images.values() if not _exists(client, ref)]
    if not missing:
        return wanted
    with status.step(f"Building the image set ({', '.join(r.name for r in missing)})") as step:
        if wanted[SLIM] in missing:
            _build_slim(client, wanted[SLIM], mirrors, step)
        for name in DERIVED:
            if wanted[name] in missing:
                _build_derived(client, name, wanted[SLIM], wanted[name], step)
    return wanted


def _build_slim(client: docker.DockerClient, ref: ImageRef, mirrors: Mirrors, step: Step) -> None:
    # A name of its own per run: two creates building at once must not share a file.
    rootfs = paths.cache_dir() / f"slim-{ref.tag}-{paths.unique_suffix()}.tar"
    step.update("debootstrap: Debian 12 minbase from the host's mirror")
    argv = ["bash", str(NODE_IMAGES / "build-rootfs.sh"), str(rootfs)]
    try:
        proc = subprocess.run(
            [*argv, mirrors.debian, mirrors.security, ""],
            capture_output=True,
            text=True,
            errors="replace",
        )
        if proc.returncode != 0:
            raise ProviderError(
                f"building the {SLIM} rootfs failed (exit {proc.returncode}):\n"
                + (proc.stdout + proc.stderr)[-3000:],
                hint="is debootstrap installed (bash setup.sh --host-only) "
                "and the host's Debian mirror reachable?",
            )
        step.update(f"docker import {rootfs.name} as {ref.reference}")
        client.api.import_image_from_file(
            str(rootfs),
            repository=ref.name,
            tag=ref.tag,
            changes=[
                f"LABEL {IMAGE_LABEL}=slim",
                'LABEL org.opencontainers.image.description="Debian 12 minbase, built by '
                'miniDC/OS with debootstrap"',
                'CMD ["bash"]',
            ],
        )
    finally:
        rootfs.unlink(missing_ok=True)


def _build_derived(
    client: docker.DockerClient, name: str, base: ImageRef, ref: ImageRef, step: Step
) -> None:
    step.update(f"docker build {_dockerfile(name).name} FROM {base.reference}")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in _context_files(name):  # the Dockerfile and its own folder, nothing else
            tar.add(str(path), arcname=str(path.relative_to(paths.PROJECT_ROOT)))
    buf.seek(0)
    stream = client.api.build(
        fileobj=buf,
        custom_context=True,
        dockerfile=str(_dockerfile(name).relative_to(paths.PROJECT_ROOT)),
        tag=ref.reference,
        buildargs={"BASE": base.reference},
        labels={IMAGE_LABEL: name.split("/")[1]},
        rm=True,
        forcerm=True,
        decode=True,
    )
    _follow_build(stream, ref, step)


def _follow_build(stream: Iterator[dict[str, Any]], ref: ImageRef, step: Step) -> None:
    log: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            raise ProviderError(
                f"building {ref.reference} failed: {chunk['error'].strip()}\n" + "".join(log[-30:]),
                hint="see apt's output above; a mirror that is not reachable is the usual cause",
            )
        text = chunk.get("stream", "")
        log.append(text)
        if text.strip():
            step.progress(text.strip())  # apt's own output, on the rewritten line
