"""The overlay's data plane on a node: `vtep1024` and a route per other node.

Each node (masters too, so that they reach containers) has a kernel VXLAN
device `vtep1024` (VNI 1024, UDP 64000, learning off) with its VTEP address
and MAC from ZooKeeper (dcos_internal_utils.overlay). For every other node
it holds, on that device: an FDB entry (the node's VTEP MAC behind its node
address), a permanent neighbour entry (VTEP address -> MAC), and a route to
each of the node's overlay subnets through its VTEP address. Nothing is
learnt or flooded.
"""

from __future__ import annotations

import logging

from dcos_internal_utils import overlay
from dcos_internal_utils.overlay import Allocation

from dcos_navstar import netlink

log = logging.getLogger("navstar.vxlan")

# A VXLAN header and its UDP/IP envelope take 50 bytes of the node's 1500.
VTEP_MTU = 1450


def device_commands(me: Allocation, exists: bool) -> list[str]:
    dev = overlay.VTEP_NAME
    out = []
    if not exists:
        out.append(
            f"link add {dev} type vxlan id {overlay.VNI} dstport {overlay.VXLAN_PORT} "
            f"local {me.ip} nolearning"
        )
    out += [
        f"link set {dev} address {me.vtep_mac} mtu {VTEP_MTU}",
        f"addr replace {me.vtep_ip}/{me.vtep_prefix} dev {dev}",
        f"link set {dev} up",
    ]
    return out


def peer_commands(me: Allocation, peers: list[Allocation]) -> list[str]:
    """neighbour, FDB and route entries for every other node (idempotent `replace`s)."""
    dev = overlay.VTEP_NAME
    out = []
    for peer in peers:
        if peer.ip == me.ip:
            continue
        out += [
            f"neigh replace {peer.vtep_ip} lladdr {peer.vtep_mac} dev {dev} nud permanent",
            f"fdb replace {peer.vtep_mac} dev {dev} dst {peer.ip} self permanent",
        ]
        out += [
            f"route replace {subnet} via {peer.vtep_ip} dev {dev} onlink"
            for subnet in peer.subnets.values()
        ]
    return out


def removal_commands(gone: list[Allocation]) -> list[str]:
    dev = overlay.VTEP_NAME
    out = []
    for peer in gone:
        out += [f"route del {subnet}" for subnet in peer.subnets.values()]
        out += [
            f"neigh del {peer.vtep_ip} dev {dev}",
            f"fdb del {peer.vtep_mac} dev {dev} dst {peer.ip} self",
        ]
    return out


def vtep_exists() -> bool:
    return bool(netlink.ip_json("link", "show", "dev", overlay.VTEP_NAME))


class Vxlan:
    """Keeps the node's VXLAN state equal to the allocations in ZooKeeper."""

    def __init__(self, my_ip: str) -> None:
        self.my_ip = my_ip
        self.peers: dict[str, Allocation] = {}
        self.configured = False

    def sync(self, allocations: list[Allocation]) -> None:
        me = next((a for a in allocations if a.ip == self.my_ip), None)
        if me is None:
            return  # Mesos on this node has not allocated its share yet
        commands = []
        if not self.configured or not vtep_exists():
            commands += device_commands(me, vtep_exists())
            self.peers = {}
        wanted = {a.ip: a for a in allocations if a.ip != self.my_ip}
        commands += peer_commands(me, [a for ip, a in wanted.items() if self.peers.get(ip) != a])
        commands += removal_commands([a for ip, a in self.peers.items() if ip not in wanted])
        netlink.run_batch(commands)
        self.peers = wanted
        self.configured = True
        if commands:
            log.info("overlay: %d peers (%d commands)", len(wanted), len(commands))
