"""`enable_lb: false` and `dcos_overlay_enable: false`: every node is told, Navstar runs,
and none of it is there.

No VIP rules, addresses or names (a VIP-labelled app still runs and still has
its task names), no overlay (no VTEP, no CNI network, no Docker network, no
overlay in the overlay endpoints; an app asking for `dcos` fails to launch),
and no unreachable routes for the ranges switched off.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from minidcos.cluster import Cluster
from minidcos.node import Node

pytestmark = pytest.mark.minidcos_cluster(
    masters=1,
    agents=1,
    public_agents=0,
    extra_config={"enable_lb": False, "dcos_overlay_enable": False},
)


@pytest.fixture(scope="module")
def plain_cluster(minidcos_cluster: Cluster) -> Cluster:
    return minidcos_cluster


def out(node: Node, *argv: str) -> str:
    return node.run(list(argv), check=False).stdout.decode()


def marathon(cluster: Cluster) -> str:
    return f"http://{cluster.masters[0].ip_address}:8080"


def wait_app(cluster: Cluster, app_id: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app = requests.get(f"{marathon(cluster)}/v2/apps{app_id}", timeout=10).json()["app"]
        if app["tasksRunning"] == 1 or app.get("lastTaskFailure"):
            return dict(app)
        time.sleep(0.5)
    raise TimeoutError(f"{app_id} neither ran nor failed in {timeout_s} s")


def test_every_node_is_told(plain_cluster: Cluster) -> None:
    for node in plain_cluster.nodes:
        config = json.loads(node.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
        assert (config["enable_lb"], config["dcos_overlay_enable"]) == ("false", "false"), node


def test_no_vips(plain_cluster: Cluster) -> None:
    master, agent = plain_cluster.masters[0], plain_cluster.agents[0]
    app = {
        "id": "/vip-off",
        "cmd": "python3 -m http.server $PORT0",
        "cpus": 0.05,
        "mem": 32,
        "portDefinitions": [{"port": 0, "labels": {"VIP_0": "/vipoff:80"}}],
    }
    assert requests.post(f"{marathon(plain_cluster)}/v2/apps", json=app, timeout=10).ok
    assert wait_app(plain_cluster, "/vip-off")["tasksRunning"] == 1
    # Navstar has seen the task (its names are served) but made no VIP of it.
    deadline = time.monotonic() + 30
    while "vip-off.marathon.autoip" not in out(master, "curl", "-s", "localhost:62080/v1/records"):
        assert time.monotonic() < deadline, "Navstar never served the task's names"
        time.sleep(0.5)
    assert json.loads(out(master, "curl", "-s", "localhost:62080/v1/vips")) == []
    for node in (master, agent):
        assert "navstar" not in out(node, "nft", "list", "tables")
        assert "lo:navstar" not in out(node, "ip", "addr", "show", "dev", "lo")
        assert "198.18.0.0/16" not in out(node, "ip", "route", "show", "type", "unreachable")
        assert out(node, "dig", "+short", "vipoff.marathon.l4lb.thisdcos.directory").strip() == ""


def test_no_overlay(plain_cluster: Cluster) -> None:
    master, agent = plain_cluster.masters[0], plain_cluster.agents[0]
    for node, port in ((master, 5050), (agent, 5051)):
        info = json.loads(out(node, "curl", "-s", f"localhost:{port}/overlay-agent/overlay"))
        assert info["overlays"] == []
        assert "vtep1024" not in out(node, "ip", "link")
        assert "198.19.0.0/17" not in out(node, "ip", "route")
    state = json.loads(out(master, "curl", "-s", "localhost:5050/overlay-master/state"))
    assert state["agents"] == []
    assert out(agent, "ls", "/opt/mesosphere/etc/dcos/network/cni/").strip() == ""
    assert " dcos " not in out(agent, "docker", "network", "ls")
    app = {
        "id": "/overlay-off",
        "cmd": "sleep 1000",
        "cpus": 0.05,
        "mem": 16,
        "container": {"type": "MESOS", "portMappings": [{"containerPort": 80}]},
        "networks": [{"mode": "container", "name": "dcos"}],
    }
    assert requests.post(f"{marathon(plain_cluster)}/v2/apps", json=app, timeout=10).ok
    failure = wait_app(plain_cluster, "/overlay-off").get("lastTaskFailure") or {}
    assert "Unknown CNI network 'dcos'" in failure.get("message", ""), failure
