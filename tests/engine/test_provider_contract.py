"""The provider contract against the Docker provider, on the real engine."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from minidcos.backends.docker.provider import DockerProvider
from tests.engine.conftest import RUN_PREFIX
from tests.provider_contract import ProviderContract


class TestDockerProvider(ProviderContract):
    @pytest.fixture(scope="class")
    @classmethod
    def new_cluster_id(cls, provider: DockerProvider) -> Callable[[], str]:
        counter = itertools.count()
        return lambda: f"{RUN_PREFIX}-contract-{next(counter)}"
