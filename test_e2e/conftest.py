"""e2e suites: each module makes its cluster through minidcos's pytest plugin (the
`minidcos_cluster` marker and fixture, or `cluster_factory`), so the suites run side by
side: `pytest -n 3 --dist loadgroup test_e2e` (what `tox -e e2e` runs).

Each module is one xdist group (its tests share its cluster, so they must run on one
worker) unless it names a group of its own (the dcoscli modules share one cluster), and
the modules are handed out longest first, so that the workers finish close together.
"""

from __future__ import annotations

import pytest

# Longest first (minutes on a loaded 2-core machine: cluster creation and scenarios).
LONGEST_FIRST = [
    "test_failover",  # 3 masters, 2 agents; leaders, ZooKeeper quorum (~7)
    "test_agents",  # 1 master, 2 agents; agent restart, partition, clients (~5)
    "test_config_five_masters",  # 5 masters (~3)
    "test_upgrade",  # 1 master, 1 agent, upgraded node by node (~3)
    "test_dcoscli_login",  # these two share a cluster and DC/OS's CLI (~3)
    "test_dcoscli_logs_metrics",
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(_module(item)))

    def rank(item: pytest.Item) -> int:
        module = _module(item)
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: a module's tests keep their order
