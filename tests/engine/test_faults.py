"""Faults on real (bare) nodes: partitions cut exactly the pair asked for, inside the nodes,
and heal restores them; a frozen node is exported as frozen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.node import Node
from tests.engine.conftest import RUN_PREFIX


@pytest.fixture(scope="module")
def bare_cluster(provider: DockerProvider) -> Iterator[Cluster]:
    """One bare master and agent for the module: each test heals what it broke."""
    with Cluster.create(ClusterSpec(1, 1, 0, f"{RUN_PREFIX}-faults"), provider=provider) as made:
        yield made


def reaches(source: Node, target: Node) -> bool:
    return (
        source.run(["ping", "-c", "1", "-W", "1", target.ip_address], check=False).returncode == 0
    )


def gateway_reachable(node: Node) -> bool:
    gateway = node.ip_address.rsplit(".", 1)[0] + ".1"
    return node.run(["ping", "-c", "1", "-W", "1", gateway], check=False).returncode == 0


def test_a_partition_cuts_the_pair_and_heal_restores_it(bare_cluster: Cluster) -> None:
    master, agent = bare_cluster.masters[0], bare_cluster.agents[0]
    assert reaches(master, agent) and reaches(agent, master)
    fault = bare_cluster.faults.partition([agent], [master])
    try:
        assert not reaches(master, agent) and not reaches(agent, master)
        # Only the other side is cut: the bridge and its gateway (the host) still answer.
        assert gateway_reachable(agent) and gateway_reachable(master)
        rules = agent.run(["iptables", "-S"]).stdout.decode()
        assert f"-A INPUT -j minidcos-{fault.id}" in rules
    finally:
        bare_cluster.faults.heal()
    assert reaches(master, agent) and reaches(agent, master)
    assert "minidcos-" not in agent.run(["iptables", "-S"]).stdout.decode()
    assert bare_cluster.faults.active() == []


def test_a_one_way_partition(bare_cluster: Cluster) -> None:
    master, agent = bare_cluster.masters[0], bare_cluster.agents[0]
    bare_cluster.faults.partition([agent], [master], drop="outgoing")
    try:
        # Packets from the agent to the master are dropped; the master's reach the agent.
        counters = "iptables -w -L {chain} -v -n -x | awk 'NR>2 {{s+=$1}} END {{print s+0}}'"
        (fault,) = bare_cluster.faults.active()
        chain = f"minidcos-{fault.id}"
        reaches(master, agent)  # the echo request arrives; the agent's reply is dropped
        dropped_on_agent = int(
            agent.run(["sh", "-c", counters.format(chain=chain)]).stdout.decode().strip()
        )
        assert dropped_on_agent >= 1
        assert not reaches(agent, master)
    finally:
        bare_cluster.faults.heal()
    assert reaches(agent, master)


def test_a_frozen_node_is_exported_as_frozen(bare_cluster: Cluster, tmp_path: Path) -> None:
    fault = bare_cluster.faults.pause(bare_cluster.agents[0])
    try:
        bundle = bare_cluster.export_logs(tmp_path / "bundle")
    finally:
        bare_cluster.faults.heal()
    summary = (bundle / "summary.txt").read_text()
    assert f"{fault.id}  pause: agent_0 frozen" in summary
    assert "frozen (paused): nothing could be read from it" in summary
    # The running master is read: its systemd journal and its units, DC/OS or not.
    assert (bundle / "master_0" / "systemd.log").stat().st_size > 0
    assert (bundle / "master_0" / "system-state.txt").is_file()
