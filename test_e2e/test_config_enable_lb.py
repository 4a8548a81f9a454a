"""`enable_lb: false`: every node is told, and no VIP is load balanced.

A Marathon app asks for a named VIP (`VIP_0` label). With the load balancer off,
Navstar (where the distribution has it) programs no VIP and serves no
`*.l4lb.thisdcos.directory` name for it.
"""

from __future__ import annotations

import json

import pytest

from minidcos import Cluster
from test_e2e.dcos import Api, deploy, server_app

pytestmark = pytest.mark.minidcos_cluster(
    masters=1, agents=1, public_agents=0, extra_config={"enable_lb": False}
)

NAVSTAR = "http://127.0.0.1:62080"
VIP_NAME = "e2e-nolb.marathon.l4lb.thisdcos.directory"


def test_every_node_is_told(minidcos_cluster: Cluster) -> None:
    for node in minidcos_cluster.nodes:
        config = json.loads(node.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
        assert config["enable_lb"] == "false", node


def test_a_vip_is_not_load_balanced(minidcos_cluster: Cluster) -> None:
    agent = minidcos_cluster.agents[0]
    if agent.run(["systemctl", "cat", "dcos-navstar.service"], check=False).returncode != 0:
        pytest.skip("this distribution has no Navstar (dcos-navstar) yet: nothing balances VIPs")
    api = Api(minidcos_cluster)
    app = server_app("/e2e-nolb")
    app["portDefinitions"] = [{"port": 0, "labels": {"VIP_0": "/e2e-nolb:8080"}}]
    deploy(api, app)
    vips = json.loads(agent.run(["curl", "-fsS", "--max-time", "5", f"{NAVSTAR}/v1/vips"]).stdout)
    assert "e2e-nolb" not in json.dumps(vips), vips
    answer = agent.run(["dig", "+short", "+time=2", "@198.51.100.1", VIP_NAME], check=False)
    assert answer.stdout.decode().strip() == "", answer.stdout
