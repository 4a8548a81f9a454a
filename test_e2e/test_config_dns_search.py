"""`dns_search: mesos`: every node searches `mesos`, so a task resolves `leader` unqualified."""

from __future__ import annotations

import json

import pytest

from minidcos import Cluster
from test_e2e.dcos import Api, deploy, server_app

pytestmark = pytest.mark.minidcos_cluster(
    masters=1, agents=1, public_agents=0, extra_config={"dns_search": "mesos"}
)


def test_every_node_searches_the_domain(minidcos_cluster: Cluster) -> None:
    for node in minidcos_cluster.nodes:
        config = json.loads(node.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
        assert config["dns_search"] == "mesos", node
        resolv = node.run(["cat", "/etc/resolv.conf"]).stdout.decode().splitlines()
        assert "search mesos" in resolv, (node, resolv)


def test_a_task_resolves_leader_unqualified(minidcos_cluster: Cluster) -> None:
    api = Api(minidcos_cluster)
    (task,) = deploy(api, server_app("/dns-search")).values()
    master = minidcos_cluster.masters[0]
    answer = json.loads(
        master.run(
            [
                "curl",
                "-fsS",
                "--max-time",
                "10",
                f"http://{task['host']}:{task['ports'][0]}/dns_search",
            ]
        ).stdout
    )
    leader = minidcos_cluster.leader().ip_address
    assert answer["search_hit_leader"] == leader, answer  # `leader`, found through the search
    assert answer["always_hit_leader"] == leader, answer  # `leader.mesos`
    assert "error" in str(answer["always_miss"]), answer  # no such name, searched or not
