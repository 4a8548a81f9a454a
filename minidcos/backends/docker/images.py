"""The node image: a debootstrap base rootfs, then Dockerfile.node on top of it.

Both images are tagged by a hash of their inputs, so an image is rebuilt only
when an input changed, and two clusters never race over one tag.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import docker
import docker.errors

from minidcos._util import paths
from minidcos._util.apt_sources import Mirrors, host_mirrors
from minidcos.errors import ProviderError
from minidcos.status import Status, Step

BASE_REPO = "minidcos/base"
NODE_REPO = "minidcos/node"
IMAGE_LABEL = "minidcos.image"

NODE_IMAGES = paths.PROJECT_ROOT / "node_images"
DOCKERFILE = paths.PROJECT_ROOT / "Dockerfile.node"


def _require(path: Path) -> Path:
    if not path.exists():
        raise ProviderError(
            f"{path} is missing",
            hint="run minidcos from a checkout of the project (pip install -e .), "
            "or set MINIDCOS_PROJECT_ROOT to one",
        )
    return path


def base_tag(mirrors: Mirrors) -> str:
    script = _require(NODE_IMAGES / "build-rootfs.sh")
    digest = paths.content_hash(
        [
            ("build-rootfs.sh", script.read_bytes()),
            ("mirrors", json.dumps([mirrors.debian, mirrors.security]).encode()),
        ]
    )
    return f"{BASE_REPO}:{digest[:16]}"


def node_tag(base: str) -> str:
    files = [
        (str(p.relative_to(paths.PROJECT_ROOT)), p.read_bytes())
        for p in paths.tree_files(_require(NODE_IMAGES))
    ]
    digest = paths.content_hash(
        [("base", base.encode()), ("Dockerfile.node", _require(DOCKERFILE).read_bytes()), *files]
    )
    return f"{NODE_REPO}:{digest[:16]}"


def _exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_node_image(client: docker.DockerClient, status: Status) -> str:
    """The node image's tag; builds the base and the node image where they are missing."""
    mirrors = host_mirrors()
    base = base_tag(mirrors)
    node = node_tag(base)
    if _exists(client, node):
        return node
    with status.step(f"Building node image {node}") as step:
        if not _exists(client, base):
            _build_base(client, base, mirrors, step)
        _build_node(client, base, node, step)
    return node


def _build_base(client: docker.DockerClient, tag: str, mirrors: Mirrors, step: Step) -> None:
    rootfs = paths.cache_dir() / f"rootfs-{tag.split(':')[1]}.tar"
    if not rootfs.exists():
        step.update("debootstrap: Debian 12 base rootfs from the host's mirror")
        argv = ["bash", str(NODE_IMAGES / "build-rootfs.sh"), str(rootfs)]
        proc = subprocess.Popen(
            [*argv, mirrors.debian, mirrors.security],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert proc.stdout is not None
        output: list[str] = []
        for line in proc.stdout:  # debootstrap's own progress, on the rewritten line
            output.append(line)
            step.progress(line.strip())
        if proc.wait() != 0:
            raise ProviderError(
                f"building the base rootfs failed (exit {proc.returncode}):\n"
                + "".join(output[-30:]),
                hint="is debootstrap installed (bash setup.sh --host-only) "
                "and the mirror reachable?",
            )
    step.update(f"docker import {rootfs.name} as {tag}")
    repo, _, version = tag.partition(":")
    client.api.import_image_from_file(
        str(rootfs), repository=repo, tag=version, changes=[f"LABEL {IMAGE_LABEL}=base"]
    )
    rootfs.unlink()  # the image holds it now


def _context() -> io.BytesIO:
    """The build context: Dockerfile.node and node_images/, nothing else of the checkout."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(DOCKERFILE), arcname="Dockerfile.node")
        for path in paths.tree_files(NODE_IMAGES):
            tar.add(str(path), arcname=str(path.relative_to(paths.PROJECT_ROOT)))
    buf.seek(0)
    return buf


def _build_node(client: docker.DockerClient, base: str, tag: str, step: Step) -> None:
    step.update(f"docker build Dockerfile.node FROM {base}")
    stream = client.api.build(
        fileobj=_context(),
        custom_context=True,
        dockerfile="Dockerfile.node",
        tag=tag,
        buildargs={"BASE": base},
        labels={IMAGE_LABEL: "node"},
        rm=True,
        forcerm=True,
        decode=True,
    )
    log: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            raise ProviderError(
                f"building {tag} failed: {chunk['error'].strip()}\n" + "".join(log[-30:]),
                hint="see the apt output above; a mirror that is not reachable is the usual cause",
            )
        text = chunk.get("stream", "")
        log.append(text)
        if text.startswith("Step "):
            step.update(text.strip().split(" : ")[0] + ": " + text.strip().split(" : ", 1)[-1][:70])
        elif text.strip():
            step.progress(text.strip())  # apt's own output, while a step runs
