"""Fixtures for the integration suite, which runs on a master of a live cluster.

`minidcos docker run --test-env pytest` runs it from
/opt/mesosphere/active/dcos-integration-test with /opt/mesosphere/environment.export
sourced and MASTER_HOSTS, SLAVE_HOSTS, PUBLIC_SLAVE_HOSTS, DCOS_DNS_ADDRESS,
DCOS_NUM_MASTERS and DCOS_NUM_AGENTS set, as dcos-test-utils expects.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import testinfra


def _hosts(name: str) -> list[str]:
    return [h for h in os.environ.get(name, "").split(",") if h]


@pytest.fixture(scope="session")
def master_hosts() -> list[str]:
    hosts = _hosts("MASTER_HOSTS")
    if not hosts:
        pytest.exit("MASTER_HOSTS is not set: run the suite with `minidcos docker run --test-env`")
    return hosts


@pytest.fixture(scope="session")
def agent_hosts() -> list[str]:
    return _hosts("SLAVE_HOSTS")


@pytest.fixture(scope="session")
def public_agent_hosts() -> list[str]:
    return _hosts("PUBLIC_SLAVE_HOSTS")


@pytest.fixture(scope="session")
def all_hosts(
    master_hosts: list[str], agent_hosts: list[str], public_agent_hosts: list[str]
) -> list[str]:
    return master_hosts + agent_hosts + public_agent_hosts


@pytest.fixture(scope="session")
def host() -> Any:
    """testinfra's host for the node the suite runs on (a master)."""
    return testinfra.get_host("local://")


@pytest.fixture(scope="session")
def expanded_config() -> dict[str, Any]:
    with open("/opt/mesosphere/etc/expanded.config.json") as f:
        config: dict[str, Any] = json.load(f)
    return config


@pytest.fixture(scope="session")
def acs_token() -> str:
    """The cluster token `minidcos docker run --test-env` passes (DCOS_ACS_TOKEN)."""
    token = os.environ.get("DCOS_ACS_TOKEN", "")
    if not token:
        pytest.exit("DCOS_ACS_TOKEN is not set: run the suite with `minidcos docker run -te`")
    return token


@pytest.fixture(scope="session")
def dcos_session(acs_token: str) -> Any:
    """A requests session that sends the token, as DC/OS's clients do through Admin Router."""
    import requests

    session = requests.Session()
    session.trust_env = False  # only the cluster's own nodes, never a proxy
    session.headers["Authorization"] = f"token={acs_token}"
    return session
