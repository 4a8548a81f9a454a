"""A 3-master cluster forms a ZooKeeper quorum of 3, and keeps one through failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minidcos import Cluster, ClusterSpec, InstallSpec, Node, Status
from minidcos._util.polling import wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.errors import CommandError


@pytest.fixture(scope="module")
def three_masters(provider: DockerProvider, installer: Path) -> Iterator[Cluster]:
    from test_e2e.conftest import RUN_PREFIX

    spec = ClusterSpec(masters=3, agents=0, public_agents=0, cluster_id=f"{RUN_PREFIX}-zk3")
    with Cluster.create(
        spec, install=InstallSpec(installer), provider=provider, status=Status()
    ) as cluster:
        yield cluster


def exhibitor_status(node: Node) -> list[dict[str, Any]]:
    out = node.run(
        [
            "curl",
            "-fsS",
            "--max-time",
            "3",
            f"http://{node.ip_address}:8181/exhibitor/v1/cluster/status",
        ]
    ).stdout
    return list(json.loads(out))


def eventually(predicate: Callable[[], Any], timeout_s: float = 120, what: str = "") -> Any:
    """The predicate's first truthy answer; a node being restarted may not answer for a while
    (curl fails on the node: CommandError), and its half-written answer is no JSON."""
    return wait_for(
        predicate,
        timeout_s,
        what or predicate.__name__,
        transient=(CommandError, ValueError),
    )


def test_quorum_of_three(three_masters: Cluster) -> None:
    ips = sorted(m.ip_address for m in three_masters.masters)
    for master in three_masters.masters:
        servers = exhibitor_status(master)
        assert sorted(s["hostname"] for s in servers) == ips
        assert all(s["code"] == 3 for s in servers)
        assert sum(s["isLeader"] for s in servers) == 1


def test_znode_is_replicated(three_masters: Cluster) -> None:
    first, *others = three_masters.masters
    zk = "/usr/share/zookeeper/bin/zkCli.sh"
    first.run(["bash", "-c", f"{zk} -server 127.0.0.1:2181 create /e2e-quorum replicated"])
    for master in others:
        out = master.run(["bash", "-c", f"{zk} -server 127.0.0.1:2181 get /e2e-quorum"]).stdout
        assert b"replicated" in out


def test_quorum_survives_a_follower_and_elects_a_new_leader(three_masters: Cluster) -> None:
    masters = three_masters.masters
    servers = exhibitor_status(masters[0])
    leader_ip = next(s["hostname"] for s in servers if s["isLeader"])
    leader = next(m for m in masters if m.ip_address == leader_ip)
    follower = next(m for m in masters if m.ip_address != leader_ip)
    rest = next(m for m in masters if m not in (leader, follower))

    follower.run(["systemctl", "stop", "dcos-exhibitor"])
    try:

        def two_serving_same_leader() -> bool:
            status = exhibitor_status(rest)
            serving = [s for s in status if s["code"] == 3]
            return len(serving) == 2 and any(
                s["hostname"] == leader_ip and s["isLeader"] for s in status
            )

        eventually(two_serving_same_leader, 30)
    finally:
        follower.run(["systemctl", "start", "dcos-exhibitor"])

    eventually(lambda: sum(s["code"] == 3 for s in exhibitor_status(rest)) == 3, what="3 serving")
    leader.run(["systemctl", "stop", "dcos-exhibitor"])
    try:

        def new_leader() -> str | None:
            status = exhibitor_status(rest)
            leaders = [s["hostname"] for s in status if s["isLeader"] and s["code"] == 3]
            return leaders[0] if leaders and leaders[0] != leader_ip else None

        assert eventually(new_leader, 60) != leader_ip
    finally:
        leader.run(["systemctl", "start", "dcos-exhibitor"])
    eventually(lambda: sum(s["code"] == 3 for s in exhibitor_status(leader)) == 3, what="3 serving")
