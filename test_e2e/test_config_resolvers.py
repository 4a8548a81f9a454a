"""`resolvers` pointing at a DNS server the test runs on a node: names outside the cluster's
zones are answered by it, through spartan on every node and through Mesos-DNS."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import pytest

from minidcos import Cluster
from test_e2e.dcos import until

NAME = "upstream-e2e.example"
ADDRESS = "192.0.2.53"  # a documentation address: only the test's resolver knows it


def resolver_on_master(addresses: Mapping[str, str]) -> dict[str, Any]:
    """The config names master_0's own address, where the test serves DNS on port 53."""
    return {"resolvers": [addresses["master_0"]]}


pytestmark = pytest.mark.minidcos_cluster(
    masters=1, agents=1, public_agents=0, extra_config=resolver_on_master
)


def dig(node: Any, server: str, name: str, port: int = 53) -> str:
    proc = node.run(
        ["dig", "+short", "+time=2", "+tries=1", "-p", str(port), f"@{server}", name, "A"],
        check=False,
    )
    return str(proc.stdout.decode().strip())


def answers(node: Any, server: str, port: int = 53) -> bool:
    return dig(node, server, NAME, port) == ADDRESS


@pytest.fixture(scope="module")
def resolver(minidcos_cluster: Cluster) -> Iterator[subprocess.Popen[bytes]]:
    master = minidcos_cluster.masters[0]
    process = master.popen(
        [
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--bind-interfaces",
            f"--listen-address={master.ip_address}",
            "--port=53",
            "--no-resolv",
            "--no-hosts",
            f"--address=/{NAME}/{ADDRESS}",
            "--log-queries",
            "--log-facility=-",
        ]
    )
    until(partial(answers, master, master.ip_address), "the test's resolver answering", 30)
    yield process
    process.kill()
    master.run(["pkill", "-f", f"address=/{NAME}/"], check=False)


def test_the_config_names_the_resolver(minidcos_cluster: Cluster) -> None:
    master = minidcos_cluster.masters[0]
    for node in minidcos_cluster.nodes:
        config = json.loads(node.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
        assert json.loads(config["resolvers"]) == [master.ip_address], node


def test_nothing_answers_the_name_before_the_resolver_runs(minidcos_cluster: Cluster) -> None:
    assert ADDRESS not in dig(minidcos_cluster.agents[0], "198.51.100.1", NAME)


def test_every_node_resolves_through_the_resolver(
    minidcos_cluster: Cluster, resolver: subprocess.Popen[bytes]
) -> None:
    master = minidcos_cluster.masters[0]
    for node in minidcos_cluster.nodes:
        # Through spartan, and through the node's own resolv.conf (which names spartan).
        until(partial(answers, node, "198.51.100.1"), f"spartan on {node} answering", 30)
        hosts = node.run(["getent", "hosts", NAME]).stdout.decode()
        assert hosts.split()[0] == ADDRESS, (node, hosts)
    # Mesos-DNS forwards names outside its zone to the same resolvers.
    assert dig(master, master.ip_address, NAME, port=61053) == ADDRESS
