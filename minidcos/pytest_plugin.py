"""Helpers for suites that create clusters from the host (tests/engine, test_e2e).

Every cluster a run makes carries the run's id prefix, and the session ends
by proving that none with that prefix is left (and removing any that is).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from minidcos.backends.docker.provider import DockerProvider


def new_run_prefix(letter: str) -> str:
    """A short, unique prefix for every cluster id of one test run."""
    return f"{letter}{secrets.token_hex(3)}"


def provider_proving_no_leftovers(run_prefix: str) -> Iterator[DockerProvider]:
    """Body of a session fixture: yields the provider, then checks nothing of the run is left."""
    provider = DockerProvider()
    yield provider
    left = [c for c in provider.list_clusters() if c.startswith(run_prefix)]
    for cluster_id in left:
        provider.delete_cluster(cluster_id)
    assert not left, f"the test run left clusters behind: {left}"
