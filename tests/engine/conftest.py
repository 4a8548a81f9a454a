"""Engine-backed tests: every cluster they make carries this run's id prefix, and the
session ends by proving none is left."""

from __future__ import annotations

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
    return f"{RUN_PREFIX}-{request.node.name[:20].replace('_', '-').strip('-')}"


@pytest.fixture
def bare_cluster(provider: DockerProvider, cluster_id: str) -> Iterator[Cluster]:
    with Cluster.create(ClusterSpec(1, 1, 0, cluster_id), provider=provider) as cluster:
        yield cluster
