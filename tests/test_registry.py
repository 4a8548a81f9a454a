"""The registry without an engine: names, archives, and what create, destroy and clean do to it.

Pushing and listing against the real registry are in tests/engine/test_registry.py.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from minidcos.backends.registry import archive as archives
from minidcos.backends.registry.archive import OciImage, SavedImage
from minidcos.backends.registry.reference import node_reference, parse
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.errors import UsageError
from tests.conftest import Cli
from tests.fake_provider import FakeProvider
from tests.image_archives import docker_save, layer_tar, oci_layout, sha256

NODE_ADDRESS = "minidcos-registry:5000"


@pytest.mark.parametrize(
    ("text", "repository", "ref", "familiar"),
    [
        ("nginx", "library/nginx", "latest", "nginx"),
        ("nginx:1.10", "library/nginx", "1.10", "nginx:1.10"),
        ("docker.io/library/nginx:1.10", "library/nginx", "1.10", "nginx:1.10"),
        ("index.docker.io/myorg/app:2", "myorg/app", "2", "myorg/app:2"),
        ("myorg/app@sha256:" + "a" * 64, "myorg/app", "sha256:" + "a" * 64, None),
        ("minidcos-registry:5000/team/tool:1", "team/tool", "1", None),
        ("quay.io/team/tool:1", "quay.io/team/tool", "1", "quay.io/team/tool:1"),
        ("localhost:5001/tool", "localhost/tool", "latest", "localhost:5001/tool"),
    ],
)
def test_where_each_name_lives_in_the_registry(
    text: str, repository: str, ref: str, familiar: str | None
) -> None:
    reference = parse(text)
    assert reference.repository_in_registry(NODE_ADDRESS) == repository
    assert reference.ref == ref
    if familiar is not None:
        assert reference.familiar() == familiar


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Nginx:1", "is not an image name"),
        ("nginx:-bad", "'-bad' is not a valid tag"),
        ("nginx@sha256:abc", "the digest must be sha256: and 64 hex digits"),
        ("a//b", "is not an image name"),
        ("", "is not an image name"),
    ],
)
def test_bad_names_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(text)


def test_how_nodes_name_what_the_registry_holds() -> None:
    assert node_reference("library/nginx", "1.10", NODE_ADDRESS) == "nginx:1.10"
    assert node_reference("myorg/app", "sha256:" + "b" * 64, NODE_ADDRESS).startswith(
        "myorg/app@sha256:"
    )
    # Docker mirrors only Docker Hub: another registry's image is named through ours.
    assert (
        node_reference("quay.io/team/tool", "1", NODE_ADDRESS)
        == "minidcos-registry:5000/quay.io/team/tool:1"
    )


# -- archives -------------------------------------------------------------------

BASE = layer_tar({"bin/hello": b"#!/bin/sh\necho hello\n"})
APP = layer_tar({"app/run": b"#!/bin/sh\necho app\n"})


def test_a_docker_save_archive_is_read_whole(tmp_path: Path) -> None:
    path = docker_save(
        tmp_path / "two.tar", [(["myorg/base:1"], [BASE]), (["myorg/app:1", "app:2"], [BASE, APP])]
    )
    archive = archives.read(path)
    base, app = archive.images
    assert isinstance(base, SavedImage) and isinstance(app, SavedImage)
    assert [n.familiar() for n in app.names] == ["myorg/app:1", "app:2"]
    assert [layer.diff_id for layer in app.layers] == [sha256(BASE), sha256(APP)]


def test_an_oci_layout_archive_keeps_its_manifest_bytes(tmp_path: Path) -> None:
    path, digest = oci_layout(tmp_path / "oci.tar", "myorg/app:1", [BASE, APP])
    (image,) = archives.read(path).images
    assert isinstance(image, OciImage)
    assert sha256(image.manifest) == digest  # pushed as is: digest pins survive
    assert image.names[0].familiar() == "myorg/app:1" and len(image.blobs) == 3


def _tar(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "is not an image archive: it is not a readable tar file"),
        ({"hello.txt": b"hi"}, "is not an image archive: it holds neither manifest.json"),
        ({"manifest.json": b"{not json"}, "is a broken image archive: manifest.json is not JSON"),
        ({"manifest.json": b"{}"}, "its manifest.json is not a list of images"),
        (
            {"manifest.json": b'[{"Config": "c.json", "RepoTags": ["a:1"], "Layers": []}]'},
            "is a broken image archive: c.json is missing",
        ),
        (
            {
                "manifest.json": b'[{"Config": "c.json", "RepoTags": [], "Layers": []}]',
                "c.json": b"{}",
            },
            "has no name (it was saved by id)",
        ),
        (
            {
                "manifest.json": b'[{"Config": "c.json", "RepoTags": ["a:1"], "Layers": ["l"]}]',
                "c.json": b'{"rootfs": {"diff_ids": []}}',
            },
            "c.json lists 0 layers, manifest.json 1",
        ),
        (
            {
                "manifest.json": b'[{"Config": "c.json", "RepoTags": ["a:1"], "Layers": ["l"]}]',
                "c.json": b'{"rootfs": {"diff_ids": ["sha256:x"]}}',
            },
            "layer l is missing",
        ),
        (
            {
                "manifest.json": b'[{"Config": "c.json", "RepoTags": ["A:1"], "Layers": []}]',
                "c.json": b'{"rootfs": {"diff_ids": []}}',
            },
            "has a name Docker would refuse",
        ),
    ],
)
def test_what_is_not_an_image_archive_is_refused_before_anything_is_pushed(
    tmp_path: Path, files: dict[str, bytes] | None, message: str
) -> None:
    path = tmp_path / "bad.tar"
    if files is None:
        path.write_bytes(b"this is not a tar file at all" * 50)
    else:
        _tar(path, files)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        archives.read(path)


def test_a_missing_archive_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--archive .*: no such file"):
        archives.read(tmp_path / "nope.tar")


# -- the registry's life beside clusters (fake engine) -----------------------------


def test_create_attaches_the_registry_and_destroy_keeps_it(provider: FakeProvider) -> None:
    cluster = Cluster.create(ClusterSpec(1, 1, 0, "r1"), provider=provider)
    info = provider.registry()
    assert info is not None and info.networks == ("minidcos-r1",)
    cluster.destroy()
    info = provider.registry()
    assert info is not None and info.running and info.networks == ()


def test_create_without_the_registry_touches_none(provider: FakeProvider) -> None:
    Cluster.create(ClusterSpec(1, 0, 0, "r2"), provider=provider, registry=False)
    assert provider.registry() is None
    assert not any("registry" in call for call in provider.calls)


def test_clean_keeps_the_registry_unless_asked(cli: Cli, provider: FakeProvider) -> None:
    Cluster.create(ClusterSpec(1, 0, 0, "r3"), provider=provider)
    assert cli("docker", "clean").code == 0
    assert provider.list_clusters() == [] and provider.registry() is not None
    result = cli("docker", "clean", "--registry")
    assert result.code == 0 and "removed the image registry" in result.err
    assert provider.registry() is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name images from this machine's Docker engine, or give --archive FILE"),
        (("app:1", "--archive", "x.tar"), "name images from this machine's Docker engine"),
        (("App:1",), "is not an image name"),
        (("--archive", "/nonexistent/x.tar"), "--archive /nonexistent/x.tar: no such file"),
    ],
)
def test_image_load_refuses_bad_input_before_starting_anything(
    cli: Cli, provider: FakeProvider, args: tuple[str, ...], message: str
) -> None:
    result = cli("docker", "image", "load", *args)
    assert result.code == 1 and message in result.err
    assert provider.registry() is None


def test_image_list_without_a_registry_says_how_to_start_one(
    cli: Cli, provider: FakeProvider
) -> None:
    result = cli("docker", "image", "list")
    assert result.code == 0 and "no registry is running" in result.err
    assert cli("docker", "image", "list", "--json").out.strip().startswith('{\n  "registry": null')
