"""e2e suites: each test makes its own cluster from the host; every cluster a run makes
carries the run's id prefix, and the session ends by proving none is left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.installer import build
from minidcos.pytest_plugin import new_run_prefix, provider_proving_no_leftovers

RUN_PREFIX = new_run_prefix("e")


@pytest.fixture(scope="session")
def provider() -> Iterator[DockerProvider]:
    yield from provider_proving_no_leftovers(RUN_PREFIX, DockerProvider())


@pytest.fixture(scope="session")
def installer() -> Path:
    return build.build()


@pytest.fixture
def cluster_id(request: pytest.FixtureRequest) -> str:
    return f"{RUN_PREFIX}-{request.node.name[5:25].replace('_', '-').strip('-')}"
