from __future__ import annotations

import ipaddress

import pytest
from dcos_internal_utils import overlay
from dcos_navstar import vxlan
from zk_fake import FakeZooKeeper

NETWORK = overlay.NetworkConfig.parse(overlay.DEFAULT_NETWORK)


def test_the_default_layout_stays_in_our_own_range() -> None:
    assert NETWORK.vtep_subnet == ipaddress.IPv4Network("198.19.128.0/20")
    assert [o.info() for o in NETWORK.overlays] == [
        {"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}
    ]


def test_bad_configs_are_refused() -> None:
    with pytest.raises(overlay.OverlayError, match="overlaps"):
        overlay.NetworkConfig.parse(
            {
                "vtep_subnet": "198.19.0.0/20",
                "vtep_mac_oui": "70:B3:D5:00:00:00",
                "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}],
            }
        )
    with pytest.raises(overlay.OverlayError, match="prefix"):
        overlay.NetworkConfig.parse(
            {
                "vtep_subnet": "198.19.128.0/20",
                "vtep_mac_oui": "70:B3:D5:00:00:00",
                "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 16}],
            }
        )


def test_nodes_get_distinct_subnets_vteps_and_macs() -> None:
    zk = FakeZooKeeper()
    master = overlay.allocate(zk, NETWORK, "192.0.2.1", bridges=False)
    agent = overlay.allocate(zk, NETWORK, "192.0.2.11", bridges=True)
    assert (str(master.vtep_ip), str(agent.vtep_ip)) == ("198.19.128.1", "198.19.128.2")
    assert master.subnets["dcos"] != agent.subnets["dcos"]
    assert agent.vtep_mac == "70:b3:d5:13:80:02"
    # A restart finds its allocation unchanged.
    assert overlay.allocate(zk, NETWORK, "192.0.2.11", bridges=True) == agent


def test_a_lost_race_plans_again() -> None:
    zk = FakeZooKeeper()
    zk.ensure_path(overlay.CLAIMS)
    # Another node claims the first VTEP address just before our commit.
    zk.before_commit.append(
        lambda: zk.nodes.update({f"{overlay.CLAIMS}/vtep-198.19.128.1": b"192.0.2.99"})
    )
    mine = overlay.allocate(zk, NETWORK, "192.0.2.11", bridges=True)
    assert str(mine.vtep_ip) == "198.19.128.2"


def test_agent_info_has_dc_os_shape() -> None:
    zk = FakeZooKeeper()
    agent = overlay.allocate(zk, NETWORK, "192.0.2.11", bridges=True)
    info = agent.agent_info(NETWORK, overlay.STATUS_OK)
    [dcos] = info["overlays"]
    assert dcos["info"] == {"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}
    assert dcos["subnet"] == "198.19.0.0/24"
    assert dcos["mesos_bridge"] == {"name": "m-dcos", "ip": "198.19.0.0/25"}
    assert dcos["docker_bridge"] == {"name": "d-dcos", "ip": "198.19.0.128/25"}
    assert dcos["backend"]["vxlan"] == {
        "vni": 1024,
        "vtep_name": "vtep1024",
        "vtep_ip": "198.19.128.1/20",
        "vtep_mac": "70:b3:d5:13:80:01",
    }
    assert dcos["state"] == {"status": "STATUS_OK"}
    state = overlay.master_state(NETWORK, overlay.read_all(zk))
    assert state["network"]["vtep_subnet"] == "198.19.128.0/20"
    assert [a["ip"] for a in state["agents"]] == ["192.0.2.11"]


def test_vxlan_programs_every_other_node() -> None:
    zk = FakeZooKeeper()
    me = overlay.allocate(zk, NETWORK, "192.0.2.11", bridges=True)
    peer = overlay.allocate(zk, NETWORK, "192.0.2.12", bridges=True)
    assert vxlan.device_commands(me, exists=False)[0] == (
        "link add vtep1024 type vxlan id 1024 dstport 64000 local 192.0.2.11 nolearning"
    )
    assert vxlan.peer_commands(me, [me, peer]) == [
        f"neigh replace {peer.vtep_ip} lladdr {peer.vtep_mac} dev vtep1024 nud permanent",
        f"fdb replace {peer.vtep_mac} dev vtep1024 dst 192.0.2.12 self permanent",
        f"route replace 198.19.1.0/24 via {peer.vtep_ip} dev vtep1024 onlink",
    ]
