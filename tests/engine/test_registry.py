"""The registry on the real engine: racing starts, pushes from the engine and from archives,
what a refused archive leaves, and its life beside clusters.

Everything here uses a registry of this run's own (its own container and
volume name), removed at the end, so the engine's shared registry is never
touched.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests

from minidcos import registry
from minidcos.backends.base import RegistryInfo
from minidcos.backends.docker.provider import DockerProvider
from minidcos.backends.docker.registry import LABEL
from minidcos.cli import run
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.errors import UsageError
from minidcos.status import Status
from tests.engine.conftest import RUN_PREFIX
from tests.image_archives import docker_save, layer_tar, oci_layout, sha256

REGISTRY_NAME = f"{RUN_PREFIX}-registry"


@pytest.fixture(scope="module")
def own() -> Iterator[DockerProvider]:
    """A provider whose registry is this run's own; removed with its volume at the end."""
    provider = DockerProvider(registry_name=REGISTRY_NAME)
    yield provider
    provider.delete_registry()
    assert provider.registry() is None


@pytest.fixture(scope="module")
def running(own: DockerProvider) -> RegistryInfo:
    return registry.ensure(own)


def tags(info: RegistryInfo, repository: str) -> list[str]:
    response = requests.get(f"{info.host_url}/v2/{repository}/tags/list", timeout=10)
    return sorted(response.json().get("tags") or []) if response.status_code == 200 else []


def test_two_racing_creates_start_one_registry(own: DockerProvider, cluster_id: str) -> None:
    barrier = threading.Barrier(2)
    results: list[Cluster | BaseException] = []

    def create(suffix: str) -> None:
        provider = DockerProvider(registry_name=REGISTRY_NAME)  # each run its own provider
        barrier.wait()
        try:
            results.append(
                Cluster.create(ClusterSpec(1, 0, 0, cluster_id + suffix), provider=provider)
            )
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=create, args=(s,)) for s in ("-a", "-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert all(isinstance(r, Cluster) for r in results), results
        containers = docker.from_env().api.containers(
            all=True, filters={"label": [f"{LABEL}={REGISTRY_NAME}"]}
        )
        assert len(containers) == 1
        info = own.registry()
        assert info is not None and info.running
        assert set(info.networks) == {f"minidcos-{cluster_id}-a", f"minidcos-{cluster_id}-b"}
    finally:
        for made in results:
            if isinstance(made, Cluster):
                made.destroy()


def test_the_offline_image_set_is_in_it(running: RegistryInfo, own: DockerProvider) -> None:
    listing = registry.list_images(own)
    names = {i.node_reference for i in listing.images}
    assert {"minidcos/slim:latest", "minidcos/python3:latest", "minidcos/httpd:latest"} <= names
    # Each build is there under its input hash too, and latest names it.
    for ref in own.shipped_images(Status.silent()):
        assert ref.tag in tags(running, ref.name)
    # Pushed once: a second ensure sends nothing.
    started = time.monotonic()
    registry.ensure(own)
    assert time.monotonic() - started < 30


@pytest.fixture
def engine_image() -> Iterator[str]:
    """A small image in this machine's engine (a layer with one file), removed afterwards."""
    client = docker.from_env()
    name = f"{RUN_PREFIX}-test/hello:1"
    layer = layer_tar({"hello.txt": b"hello from the engine\n"})
    client.api.import_image_from_data(layer, repository=name.split(":")[0], tag="1")
    yield name
    client.api.remove_image(name, force=True)


def test_load_from_the_engine_then_docker_pulls_it(
    running: RegistryInfo, own: DockerProvider, engine_image: str
) -> None:
    (pushed,) = registry.load_images([engine_image], provider=own)
    repository = engine_image.split(":")[0]
    assert pushed.repository == repository and pushed.ref == "1"
    assert pushed.node_reference == engine_image  # a Docker Hub name keeps its name on nodes
    assert all(layer.action in ("pushed", "present") for layer in pushed.layers)
    listed = {i.node_reference: i for i in registry.list_images(own).images}
    assert listed[engine_image].digest == pushed.digest and listed[engine_image].size > 0
    # The real Docker pulls what we pushed (the manifest and blobs are what it expects).
    client = docker.from_env()
    port = running.host_url.rsplit(":", 1)[1]
    pulled = f"127.0.0.1:{port}/{repository}:1"
    try:
        image = client.images.pull(pulled)
        assert image.id == client.images.get(engine_image).id
    finally:
        client.api.remove_image(pulled, force=True)
    # Loading it again sends no layer: they are all there.
    (again,) = registry.load_images([engine_image], provider=own)
    assert again.digest == pushed.digest and {x.action for x in again.layers} == {"present"}


def test_load_from_archives(running: RegistryInfo, own: DockerProvider, tmp_path: Path) -> None:
    base = layer_tar({"bin/base": b"base\n"})
    app = layer_tar({"app/run": b"app\n"})
    saved = docker_save(
        tmp_path / "saved.tar",
        [([f"{RUN_PREFIX}-test/base:1"], [base]), ([f"{RUN_PREFIX}-test/app:1"], [base, app])],
    )
    pushed = registry.load_images([], archive=saved, provider=own)
    assert [p.name for p in pushed] == [f"{RUN_PREFIX}-test/base:1", f"{RUN_PREFIX}-test/app:1"]
    # The base layer went once; the app's copy of it was linked, not sent again.
    assert pushed[1].layers[0].action in ("mounted", "present")

    oci, digest = oci_layout(tmp_path / "oci.tar", f"{RUN_PREFIX}-test/oci:2", [base, app])
    (image,) = registry.load_images([], archive=oci, provider=own)
    assert image.digest == digest  # byte for byte: a digest pin made elsewhere still holds
    assert "2" in tags(running, f"{RUN_PREFIX}-test/oci")


def test_a_refused_archive_leaves_nothing_listed(
    running: RegistryInfo, own: DockerProvider, tmp_path: Path
) -> None:
    not_an_archive = tmp_path / "notes.tar"
    not_an_archive.write_bytes(b"not a tar" * 100)
    with pytest.raises(UsageError, match="is not an image archive"):
        registry.load_images([], archive=not_an_archive, provider=own)

    # A layer whose content is not what its config says: caught while it is pushed.
    good = layer_tar({"a": b"1"})
    damaged = docker_save(tmp_path / "damaged.tar", [([f"{RUN_PREFIX}-test/bad:1"], [good])])
    swapped = tmp_path / "swapped.tar"
    _swap_layer(damaged, swapped, sha256(good).split(":")[1], layer_tar({"a": b"2"}))
    with pytest.raises(UsageError, match="does not match its config"):
        registry.load_images([], archive=swapped, provider=own)
    names = {i.name for i in registry.list_images(own).images}
    assert f"{RUN_PREFIX}-test/bad:1" not in names


def _swap_layer(source: Path, target: Path, layer_hex: str, replacement: bytes) -> None:
    with tarfile.open(source) as tar_in, tarfile.open(target, "w") as tar_out:
        for member in tar_in.getmembers():
            data = tar_in.extractfile(member)
            content = data.read() if data else b""
            if member.name == f"{layer_hex}/layer.tar":
                content = replacement
            member.size = len(content)
            tar_out.addfile(member, io.BytesIO(content))


def test_a_cluster_reaches_it_and_destroy_leaves_it(
    running: RegistryInfo, own: DockerProvider, cluster_id: str, engine_image: str
) -> None:
    with Cluster.create(ClusterSpec(1, 1, 0, cluster_id), provider=own) as cluster:
        info = own.registry()
        assert info is not None and info.networks == (f"minidcos-{cluster_id}",)
        for node in cluster.nodes:
            # By its fixed name, on the cluster's own network; Docker pulls a
            # Docker Hub name through it (its mirror).
            node.run(["curl", "-fsS", "http://minidcos-registry:5000/v2/"])
            node.run(["docker", "pull", "minidcos/slim:latest"])
            out = node.run(["docker", "run", "--rm", "minidcos/slim", "cat", "/etc/debian_version"])
            assert out.stdout.decode().startswith("12.")
        # An image loaded after the cluster exists is there at once.
        registry.load_images([engine_image], provider=own)
        agent = cluster.agents[0]
        agent.run(["docker", "pull", engine_image])
        out = agent.run(["docker", "create", "--name", "probe", engine_image, "x"])
        copied = agent.run(["docker", "cp", "probe:/hello.txt", "-"]).stdout
        assert b"hello from the engine" in copied and out.returncode == 0
        # An image it does not hold fails at once, without reaching out of the machine.
        started = time.monotonic()
        missing = cluster.agents[0].run(["docker", "pull", "nosuchimage:1"], check=False)
        assert missing.returncode != 0 and time.monotonic() - started < 30
    info = own.registry()
    assert info is not None and info.running and info.networks == ()
    # It is no cluster's: `clean` (which removes what carries the cluster label) keeps it.
    api = docker.from_env().api
    container = api.inspect_container(REGISTRY_NAME)
    assert "minidcos.cluster" not in container["Config"]["Labels"]
    assert "minidcos.cluster" not in (api.inspect_volume(REGISTRY_NAME)["Labels"] or {})


def test_the_cli_loads_and_lists_as_json(
    running: RegistryInfo,
    engine_image: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MINIDCOS_REGISTRY_NAME", REGISTRY_NAME)
    assert run(["docker", "image", "load", "--json", engine_image]) == 0
    captured = capsys.readouterr()
    (loaded,) = json.loads(captured.out)
    assert loaded["node_reference"] == engine_image and loaded["digest"].startswith("sha256:")
    assert "manifest" in captured.err  # progress per layer and manifest, on stderr
    assert run(["docker", "image", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["registry"]["container_name"] == REGISTRY_NAME
    found = [i for i in listing["images"] if i["node_reference"] == engine_image]
    assert found and found[0]["digest"] == loaded["digest"] and found[0]["size"] > 0
