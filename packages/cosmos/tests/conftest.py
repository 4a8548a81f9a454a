"""Fixtures of the Cosmos tests (the stand-ins are in cosmos_fakes.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cosmos_fakes import RepoServer, make_cosmos
from dcos_cosmos.handlers import Cosmos


@pytest.fixture
def repo_server() -> Iterator[RepoServer]:
    server = RepoServer()
    yield server
    server.server.shutdown()


@pytest.fixture
def cosmos(repo_server: RepoServer) -> Cosmos:
    return make_cosmos(repo_server)
