"""The `dcos` overlay's layout, shared by Mesos (its overlay master and agent
endpoints, the agent's CNI and Docker networks) and Navstar (the VXLAN data
plane).

DC/OS's config key `dcos_overlay_network` names the VTEP subnet, the VTEP MAC
OUI and the overlays. Each node gets a VTEP address and MAC and, from every
overlay, a subnet of `prefix` bits; an agent splits its subnet in two halves,
the first for the Mesos bridge (`m-<overlay>`, the CNI network) and the second
for the Docker bridge (`d-<overlay>`, the Docker network), as DC/OS's overlay
modules do.

Allocations live in ZooKeeper: `/navstar/overlay/agents/<node ip>` holds a
node's layout as JSON, and `/navstar/overlay/claims/<what>` makes each subnet
and VTEP address unique. A node takes the lowest free values in one
multi-op transaction (a compare-and-set: it fails as a whole when another node
took a value first, and the node tries again with fresh data). A node keeps
its allocation for good, so restarts change nothing.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

ROOT = "/navstar/overlay"
AGENTS = f"{ROOT}/agents"
CLAIMS = f"{ROOT}/claims"

VNI = 1024
VTEP_NAME = f"vtep{VNI}"
VXLAN_PORT = 64000
DEFAULT_MTU = 1420
MESOS_BRIDGE_PREFIX = "m-"
DOCKER_BRIDGE_PREFIX = "d-"

# The overlay modules' status values (AgentOverlayInfo.State.Status).
STATUS_OK = "STATUS_OK"
STATUS_CONFIGURING = "STATUS_CONFIGURING"
STATUS_FAILED = "STATUS_FAILED"

# miniDC/OS's defaults: DC/OS's (9.0.0.0/8, VTEPs in 44.128.0.0/20) are public
# address space; ours stay in 198.19.0.0/16, which never leaves a machine.
DEFAULT_NETWORK: dict[str, Any] = {
    "vtep_subnet": "198.19.128.0/20",
    "vtep_mac_oui": "70:B3:D5:00:00:00",
    "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}],
}


class OverlayError(Exception):
    """The overlay config is unusable, or the overlay ran out of subnets or addresses."""


@dataclass(frozen=True)
class Overlay:
    name: str
    subnet: ipaddress.IPv4Network
    prefix: int

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "subnet": str(self.subnet), "prefix": self.prefix}

    def agent_subnets(self) -> list[ipaddress.IPv4Network]:
        return list(self.subnet.subnets(new_prefix=self.prefix))


@dataclass(frozen=True)
class NetworkConfig:
    vtep_subnet: ipaddress.IPv4Network
    vtep_mac_oui: str
    overlays: tuple[Overlay, ...]
    mtu: int = DEFAULT_MTU

    @classmethod
    def parse(cls, value: Any, mtu: Any = DEFAULT_MTU) -> NetworkConfig:
        """DC/OS's `dcos_overlay_network` (a JSON string or a mapping)."""
        data = json.loads(value) if isinstance(value, str) else value
        if not isinstance(data, dict):
            raise OverlayError("dcos_overlay_network: must be a JSON object")
        try:
            vtep = ipaddress.IPv4Network(str(data["vtep_subnet"]))
            oui = str(data.get("vtep_mac_oui", DEFAULT_NETWORK["vtep_mac_oui"]))
            overlays = tuple(
                Overlay(str(o["name"]), ipaddress.IPv4Network(str(o["subnet"])), int(o["prefix"]))
                for o in data.get("overlays", [])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OverlayError(f"dcos_overlay_network: {exc}") from None
        octets = oui.split(":")
        if len(octets) != 6 or any(o != "00" for o in octets[3:]):
            raise OverlayError(f"dcos_overlay_network: vtep_mac_oui {oui} must end in :00:00:00")
        for overlay in overlays:
            if overlay.prefix < overlay.subnet.prefixlen or overlay.prefix > 30:
                raise OverlayError(
                    f"dcos_overlay_network: overlay {overlay.name}: prefix {overlay.prefix} must "
                    f"be between {overlay.subnet.prefixlen} and 30"
                )
            if overlay.subnet.overlaps(vtep):
                raise OverlayError(
                    f"dcos_overlay_network: overlay {overlay.name} ({overlay.subnet}) overlaps "
                    f"the VTEP subnet {vtep}"
                )
        return cls(vtep, oui.lower(), overlays, int(mtu))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NetworkConfig:
        return cls.parse(
            config.get("dcos_overlay_network") or DEFAULT_NETWORK,
            config.get("dcos_overlay_mtu") or DEFAULT_MTU,
        )

    def info(self) -> dict[str, Any]:
        """NetworkConfig as `/overlay-master/state` shows it."""
        return {
            "vtep_subnet": str(self.vtep_subnet),
            "vtep_mac_oui": self.vtep_mac_oui.upper(),
            "overlays": [o.info() for o in self.overlays],
        }

    def overlay(self, name: str) -> Overlay | None:
        return next((o for o in self.overlays if o.name == name), None)


def enabled(config: dict[str, Any]) -> bool:
    return str(config.get("dcos_overlay_enable", "true")).lower() == "true"


def vtep_mac(oui: str, vtep_ip: ipaddress.IPv4Address) -> str:
    """The VTEP MAC: the OUI, then the low 24 bits of the VTEP address (as DC/OS)."""
    low = vtep_ip.packed[1:]
    return ":".join(oui.split(":")[:3] + [f"{b:02x}" for b in low])


def bridge_networks(
    subnet: ipaddress.IPv4Network,
) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """(Mesos bridge network, Docker bridge network): the two halves of an agent's subnet."""
    first, second = subnet.subnets(prefixlen_diff=1)
    return first, second


@dataclass
class Allocation:
    """One node's share of the overlays."""

    ip: str
    vtep_ip: ipaddress.IPv4Address
    vtep_prefix: int
    vtep_mac: str
    subnets: dict[str, ipaddress.IPv4Network] = field(default_factory=dict)
    bridges: bool = False  # an agent (Mesos and Docker bridges) rather than a master

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "ip": self.ip,
                "vtep_ip": str(self.vtep_ip),
                "vtep_prefix": self.vtep_prefix,
                "vtep_mac": self.vtep_mac,
                "subnets": {k: str(v) for k, v in self.subnets.items()},
                "bridges": self.bridges,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Allocation:
        raw = json.loads(data)
        return cls(
            ip=str(raw["ip"]),
            vtep_ip=ipaddress.IPv4Address(raw["vtep_ip"]),
            vtep_prefix=int(raw["vtep_prefix"]),
            vtep_mac=str(raw["vtep_mac"]),
            subnets={k: ipaddress.IPv4Network(v) for k, v in raw.get("subnets", {}).items()},
            bridges=bool(raw.get("bridges", False)),
        )

    def overlay_info(
        self, network: NetworkConfig, name: str, status: str, error: str = ""
    ) -> dict[str, Any]:
        """AgentOverlayInfo, the shape DC/OS's overlay modules report."""
        overlay = network.overlay(name)
        out: dict[str, Any] = {"info": overlay.info() if overlay else {"name": name}}
        subnet = self.subnets.get(name)
        if subnet is not None:
            out["subnet"] = str(subnet)
            if self.bridges:
                mesos_net, docker_net = bridge_networks(subnet)
                out["mesos_bridge"] = {"name": MESOS_BRIDGE_PREFIX + name, "ip": str(mesos_net)}
                out["docker_bridge"] = {"name": DOCKER_BRIDGE_PREFIX + name, "ip": str(docker_net)}
        out["backend"] = {
            "vxlan": {
                "vni": VNI,
                "vtep_name": VTEP_NAME,
                "vtep_ip": f"{self.vtep_ip}/{self.vtep_prefix}",
                "vtep_mac": self.vtep_mac,
            }
        }
        state: dict[str, Any] = {"status": status}
        if error:
            state["error"] = error
        out["state"] = state
        return out

    def agent_info(self, network: NetworkConfig, status: str, error: str = "") -> dict[str, Any]:
        """AgentInfo: what `/overlay-agent/overlay` answers."""
        return {
            "ip": self.ip,
            "overlays": [
                self.overlay_info(network, o.name, status, error) for o in network.overlays
            ],
        }


def master_state(
    network: NetworkConfig, allocations: list[Allocation], status: str = STATUS_OK
) -> dict[str, Any]:
    """State: what `/overlay-master/state` answers."""
    return {
        "network": network.info(),
        "agents": [a.agent_info(network, status) for a in sorted(allocations, key=_ip_key)],
    }


def _ip_key(allocation: Allocation) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(allocation.ip)


def plan(
    network: NetworkConfig, ip: str, bridges: bool, taken: set[str]
) -> tuple[Allocation, list[str]]:
    """The lowest free VTEP address and subnets for `ip`, and the claims that make them ours.

    `taken` holds the claim names already in ZooKeeper.
    """
    vtep_ip = next(
        (a for a in network.vtep_subnet.hosts() if claim_name("vtep", a) not in taken), None
    )
    if vtep_ip is None:
        raise OverlayError(
            f"Unable to allocate a VTEP IP due to exhaustion of {network.vtep_subnet}"
        )
    claims = [claim_name("vtep", vtep_ip)]
    subnets: dict[str, ipaddress.IPv4Network] = {}
    for overlay in network.overlays:
        subnet = next(
            (s for s in overlay.agent_subnets() if claim_name("subnet", s) not in taken), None
        )
        if subnet is None:
            raise OverlayError(f"No free subnets available in the {overlay.name} overlay")
        subnets[overlay.name] = subnet
        claims.append(claim_name("subnet", subnet))
    allocation = Allocation(
        ip=ip,
        vtep_ip=vtep_ip,
        vtep_prefix=network.vtep_subnet.prefixlen,
        vtep_mac=vtep_mac(network.vtep_mac_oui, vtep_ip),
        subnets=subnets,
        bridges=bridges,
    )
    return allocation, claims


def claim_name(kind: str, value: Any) -> str:
    return f"{kind}-{str(value).replace('/', '_')}"


def allocate(zk: Any, network: NetworkConfig, ip: str, bridges: bool) -> Allocation:
    """This node's allocation: the one in ZooKeeper, or a new one (blocking kazoo calls)."""
    from kazoo.exceptions import NodeExistsError, NoNodeError

    zk.ensure_path(AGENTS)
    zk.ensure_path(CLAIMS)
    path = f"{AGENTS}/{ip}"
    for _ in range(100):
        try:
            data, _stat = zk.get(path)
            return Allocation.from_json(data)
        except NoNodeError:
            pass
        allocation, claims = plan(network, ip, bridges, set(zk.get_children(CLAIMS)))
        transaction = zk.transaction()
        for claim in claims:
            transaction.create(f"{CLAIMS}/{claim}", ip.encode())
        transaction.create(path, allocation.to_json())
        results = transaction.commit()
        if not any(isinstance(r, Exception) for r in results):
            return allocation
        if any(isinstance(r, NodeExistsError) for r in results):
            continue  # another node took a value first: plan again with fresh claims
        raise OverlayError(f"allocating the overlay for {ip} failed: {results}")
    raise OverlayError(f"allocating the overlay for {ip}: too much contention")


def read_all(zk: Any) -> list[Allocation]:
    """Every node's allocation (blocking kazoo calls)."""
    from kazoo.exceptions import NoNodeError

    out = []
    try:
        children = zk.get_children(AGENTS)
    except NoNodeError:
        return []
    for child in children:
        try:
            data, _ = zk.get(f"{AGENTS}/{child}")
        except NoNodeError:
            continue
        out.append(Allocation.from_json(data))
    return sorted(out, key=_ip_key)
