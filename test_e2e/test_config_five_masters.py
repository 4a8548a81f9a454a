"""5 masters: ZooKeeper forms a quorum of 5, Mesos's quorum is 3, one leader is elected and
`master.mesos` names all five."""

from __future__ import annotations

import json

import pytest

from minidcos import Cluster
from test_e2e.dcos import get_json, master_state

pytestmark = pytest.mark.minidcos_cluster(masters=5, agents=0, public_agents=0)


def test_zookeeper_quorum_of_five(minidcos_cluster: Cluster) -> None:
    ips = sorted(m.ip_address for m in minidcos_cluster.masters)
    for master in minidcos_cluster.masters:
        servers = get_json(f"http://{master.ip_address}:8181/exhibitor/v1/cluster/status")
        assert sorted(s["hostname"] for s in servers) == ips, master
        assert [s["code"] for s in servers] == [3] * 5, servers
        assert sum(bool(s["isLeader"]) for s in servers) == 1, servers


def test_the_config_on_every_master(minidcos_cluster: Cluster) -> None:
    for master in minidcos_cluster.masters:
        config = json.loads(master.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
        assert (config["num_masters"], config["master_quorum"]) == ("5", "3"), master
        assert len(json.loads(config["master_list"])) == 5


def test_one_mesos_leader_with_a_quorum_of_three(minidcos_cluster: Cluster) -> None:
    leader = minidcos_cluster.leader()
    for master in minidcos_cluster.masters:
        assert master_state(master, "/flags")["flags"]["quorum"] == "3", master
        assert master_state(master)["leader_info"]["hostname"] == leader.ip_address, master


def test_master_mesos_names_all_five(minidcos_cluster: Cluster) -> None:
    node = minidcos_cluster.masters[-1]
    answer = node.run(["dig", "+short", "+time=2", "@198.51.100.1", "master.mesos", "A"])
    assert sorted(answer.stdout.decode().split()) == sorted(
        m.ip_address for m in minidcos_cluster.masters
    )
