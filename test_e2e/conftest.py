"""e2e suites: each module makes its cluster through minidcos's pytest plugin (the
`minidcos_cluster` marker and fixture, or `cluster_factory`), so the suites run side by
side: `pytest -n 3 --dist loadfile test_e2e` (what `tox -e e2e` runs).

`--dist loadfile` keeps a module's tests on one worker, with the module's one cluster
(`--dist loadgroup` would not: pytest-xdist 3.8 marks groups in `item._nodeid`, which
pytest 9 no longer reads). The modules are handed out longest first, so that the
workers finish close together.
"""

from __future__ import annotations

import pytest

# Longest first (minutes on a loaded 2-core machine: cluster creation and scenarios).
LONGEST_FIRST = [
    "test_failover",  # 3 masters, 2 agents; leaders, ZooKeeper quorum (~5)
    "test_agents",  # 1 master, 2 agents; agent restart, partition, clients (~4)
    "test_config_five_masters",  # 5 masters (~3)
    "test_upgrade",  # 1 master, 1 agent, upgraded node by node (~2)
    "test_dcoscli",  # 1 master, 1 agent; DC/OS's CLI: login, logs, packages, bundles (~4)
    "test_ui",  # 1 master, 1 + 1 agents; a headless Chromium through every view (~3)
    "test_own_image",  # 1 master, 1 agent; build, load, deploy, redeploy (~2)
    "test_config_resolvers",
    "test_config_dns_search",
    "test_config_enable_lb",
    "test_library_example",
    "test_telemetry_disabled",
    "test_oauth_disabled",
    "test_config_rejected",
]


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = _module(item)
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: a module's tests keep their order
