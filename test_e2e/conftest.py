"""e2e suites: each test makes its own cluster from the host; every cluster a run makes
carries the run's id prefix, and the session ends by proving none is left."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.installer import build

RUN_PREFIX = f"e{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def provider() -> Iterator[DockerProvider]:
    provider = DockerProvider()
    yield provider
    left = [c for c in provider.list_clusters() if c.startswith(RUN_PREFIX)]
    for cluster_id in left:
        provider.delete_cluster(cluster_id)
    assert not left, f"e2e tests left clusters behind: {left}"


@pytest.fixture(scope="session")
def installer() -> Path:
    return build.build()


@pytest.fixture
def cluster_id(request: pytest.FixtureRequest) -> str:
    return f"{RUN_PREFIX}-{request.node.name[5:25].replace('_', '-').strip('-')}"
