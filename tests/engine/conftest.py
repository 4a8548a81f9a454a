"""Engine-backed tests: every cluster they make carries this run's id prefix, and the
session ends by proving none is left."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.pytest_plugin import new_run_prefix, provider_proving_no_leftovers

RUN_PREFIX = new_run_prefix("t")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def provider() -> Iterator[DockerProvider]:
    yield from provider_proving_no_leftovers(RUN_PREFIX, DockerProvider())


@pytest.fixture
def cluster_id(request: pytest.FixtureRequest) -> str:
    """Readable, and one per test item: parametrized variants never share an id, so one
    that fails to clean up cannot make the next fail with "already exists"."""
    item = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:4]
    return f"{RUN_PREFIX}-{request.node.name[:15].replace('_', '-').strip('-')}-{item}"


@pytest.fixture
def bare_cluster(provider: DockerProvider, cluster_id: str) -> Iterator[Cluster]:
    with Cluster.create(ClusterSpec(1, 1, 0, cluster_id), provider=provider) as cluster:
        yield cluster
