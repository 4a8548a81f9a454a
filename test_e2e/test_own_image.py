"""Deploying your own image, as the README shows it: build it on this machine, load it
with `minidcos docker image load`, and run it as a Marathon Docker app by the same
name; a new build loaded under the same tag runs after a restart (forcePullImage).
"""

from __future__ import annotations

import io
import secrets
import tarfile
from collections.abc import Iterator
from typing import Any

import docker
import pytest
import requests

from minidcos import iam
from minidcos import registry as image_registry
from minidcos._util.polling import Poll, wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.backends.registry.client import RegistryClient
from minidcos.cli import run
from minidcos.cluster import Cluster
from minidcos.pytest_plugin import ClusterFactory
from minidcos.status import Status

DEPLOY_TIMEOUT_S = 180
TRANSIENT = (requests.RequestException, KeyError, IndexError)


@pytest.fixture(scope="module")
def cluster(cluster_factory: ClusterFactory) -> Iterator[Cluster]:
    with cluster_factory(masters=1, agents=1, name="own-image") as made:
        yield made


@pytest.fixture(scope="module")
def provider(cluster_factory: ClusterFactory) -> DockerProvider:
    assert isinstance(cluster_factory.provider, DockerProvider), "this suite builds with Docker"
    return cluster_factory.provider


@pytest.fixture
def image_name(cluster_factory: ClusterFactory, provider: DockerProvider) -> Iterator[str]:
    """A name of this test's own, removed from this machine and untagged in the registry."""
    name = f"{cluster_factory.run_prefix}-own/web:1.0"
    yield name
    docker.from_env().api.remove_image(name, force=True)
    info = provider.registry()
    if info is not None and info.host_url:
        client = RegistryClient(info.host_url)
        digest = client.manifest_digest(name.split(":")[0], "1.0")
        if digest:
            client.delete_manifest(name.split(":")[0], digest)
        client.close()


def build(provider: DockerProvider, name: str, page: str) -> None:
    """`docker build` on this machine: the offline set's httpd with a page of our own."""
    httpd = next(r for r in provider.shipped_images(Status.silent()) if r.name == "minidcos/httpd")
    dockerfile = f"FROM {httpd.reference}\nRUN echo '{page}' > /var/www/html/index.html\n"
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    context.seek(0)
    docker.from_env().images.build(fileobj=context, custom_context=True, tag=name, rm=True)


def served(master_ip: str, token: str | None, app_id: str) -> str:
    headers = {"Authorization": f"token={token}"} if token else {}
    marathon = f"http://{master_ip}/marathon/v2/apps{app_id}"

    def probe() -> Poll[str]:
        app = requests.get(marathon, headers=headers, timeout=5).json()["app"]
        if app["deployments"] or app["tasksRunning"] != 1:
            return Poll(False, detail=f"{app['tasksRunning']} running, {app['deployments']}")
        task = app["tasks"][0]
        page = requests.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=5)
        return Poll(page.status_code == 200, page.text.strip(), f"HTTP {page.status_code}")

    return str(wait_for(probe, DEPLOY_TIMEOUT_S, f"{app_id} to serve", transient=TRANSIENT))


def test_load_and_deploy_your_own_image(
    cluster: Cluster, provider: DockerProvider, image_name: str
) -> None:
    master = cluster.masters[0]
    token = iam.test_user_token(master) if iam.auth_enabled(master) else None
    headers = {"Authorization": f"token={token}"} if token else {}
    first, second = (f"own image {secrets.token_hex(4)}" for _ in range(2))

    build(provider, image_name, first)
    assert run(["docker", "image", "load", image_name]) == 0  # as a user types it
    app_id = f"/own-{secrets.token_hex(3)}"
    app: dict[str, Any] = {
        "id": app_id,
        "cpus": 0.1,
        "mem": 64,
        "instances": 1,
        "container": {
            "type": "DOCKER",
            "docker": {"image": image_name, "forcePullImage": True},
            "portMappings": [{"containerPort": 80, "hostPort": 0}],
        },
        "networks": [{"mode": "container/bridge"}],
    }
    marathon = f"http://{master.ip_address}/marathon/v2/apps"
    created = requests.post(marathon, json=app, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    try:
        assert served(master.ip_address, token, app_id) == first

        build(provider, image_name, second)  # a new build under the same tag
        image_registry.load_images([image_name], provider=provider)
        restart = requests.post(f"{marathon}{app_id}/restart", headers=headers, timeout=30)
        assert restart.status_code == 200, restart.text
        assert served(master.ip_address, token, app_id) == second
    finally:
        requests.delete(
            f"{marathon}{app_id}", params={"force": "true"}, headers=headers, timeout=30
        )
