"""DC/OS's overlay modules, as the Mesos master and agent run them.

The overlay agent (in every agent, and in each master without bridges, as
DC/OS's `agent-master.json` has it) takes the node's share of the overlays
from ZooKeeper (dcos_internal_utils.overlay), and on agents sets up the two
ways containers join an overlay: the CNI network `<name>` (bridge `m-<name>`,
first half of the agent's subnet) for the Mesos containerizer, and the Docker
network `<name>` (bridge `d-<name>`, second half) for the Docker
containerizer. It answers `/overlay-agent/overlay`; the master answers
`/overlay-master/state` with every node's share. Navstar builds the VXLAN
plane between nodes from the same data.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from dcos_internal_utils import overlay
from dcos_internal_utils.overlay import Allocation, NetworkConfig

from dcos_mesos.agent.launcher import run

log = logging.getLogger("mesos.overlay")

CNI_CONFIG_DIR = Path("/opt/mesosphere/etc/dcos/network/cni")
CNI_DATA_DIR = "/var/run/dcos/cni/networks"


def cni_config(name: str, allocation: Allocation, network: NetworkConfig) -> dict[str, Any]:
    """The CNI network for the Mesos containerizer: Debian's bridge and host-local plugins."""
    mesos_net, _docker_net = overlay.bridge_networks(allocation.subnets[name])
    return {
        "cniVersion": "0.4.0",
        "name": name,
        "type": "bridge",
        "bridge": overlay.MESOS_BRIDGE_PREFIX + name,
        "isGateway": True,
        # The overlay is routed, not NATed (Navstar masquerades what leaves it).
        "ipMasq": False,
        "hairpinMode": True,
        "mtu": network.mtu,
        "ipam": {
            "type": "host-local",
            "dataDir": CNI_DATA_DIR,
            "subnet": str(mesos_net),
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }


def docker_network_argv(name: str, allocation: Allocation, network: NetworkConfig) -> list[str]:
    _mesos_net, docker_net = overlay.bridge_networks(allocation.subnets[name])
    return [
        "docker",
        "network",
        "create",
        "--driver=bridge",
        f"--opt=com.docker.network.bridge.name={overlay.DOCKER_BRIDGE_PREFIX}{name}",
        "--opt=com.docker.network.bridge.enable_ip_masquerade=false",
        f"--opt=com.docker.network.driver.mtu={network.mtu}",
        f"--subnet={docker_net}",
        name,
    ]


class OverlayAgent:
    def __init__(self, config: dict[str, Any], ip: str, bridges: bool) -> None:
        self.enabled = overlay.enabled(config)
        self.network = NetworkConfig.from_config(config)
        self.ip = ip
        self.bridges = bridges
        self.allocation: Allocation | None = None
        self.status = overlay.STATUS_CONFIGURING
        self.error = ""

    async def start(self, zk_client: Any) -> None:
        if not self.enabled:
            return
        try:
            self.allocation = await asyncio.to_thread(
                overlay.allocate, zk_client, self.network, self.ip, self.bridges
            )
            if self.bridges:
                for spec in self.network.overlays:
                    await self._configure(spec.name, self.allocation)
            self.status = overlay.STATUS_OK
            log.info("overlay: %s", self.allocation.to_json().decode())
        except Exception as exc:  # reported in /overlay-agent/overlay, as DC/OS's module does
            log.exception("overlay configuration failed")
            self.status, self.error = overlay.STATUS_FAILED, str(exc)

    async def _configure(self, name: str, allocation: Allocation) -> None:
        CNI_CONFIG_DIR.mkdir(parents=True, exist_ok=True)
        path = CNI_CONFIG_DIR / f"{name}.conf"
        path.write_text(json.dumps(cni_config(name, allocation, self.network), indent=2) + "\n")
        _mesos_net, docker_net = overlay.bridge_networks(allocation.subnets[name])
        rc, out = await run(
            ["docker", "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", name]
        )
        if rc == 0 and out.strip() != str(docker_net):
            await run(["docker", "network", "rm", name])  # left from another allocation
            rc = 1
        if rc != 0:
            rc, out = await run(docker_network_argv(name, allocation, self.network))
            if rc != 0:
                raise RuntimeError(f"docker network create {name}: {out}")
        # Docker's FORWARD chain drops what it does not know where its policy is
        # DROP: let overlay traffic through, in the chain Docker leaves to users.
        subnet = str(allocation.subnets[name])
        for direction in ("-s", "-d"):
            rule = ["DOCKER-USER", direction, subnet, "-j", "ACCEPT"]
            rc, _ = await run(["iptables", "-w", "-C", *rule])
            if rc != 0:
                await run(["iptables", "-w", "-I", *rule])

    def agent_json(self) -> dict[str, Any]:
        if self.allocation is None:
            return {"ip": self.ip, "overlays": []}
        return self.allocation.agent_info(self.network, self.status, self.error)


async def master_state(zk_client: Any, network: NetworkConfig) -> dict[str, Any]:
    allocations = await asyncio.to_thread(overlay.read_all, zk_client)
    return overlay.master_state(network, allocations)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def overlay_handler(agent: OverlayAgent) -> Handler:
    """`/overlay-agent/overlay`: this node's AgentInfo."""

    async def handle(request: web.Request) -> web.Response:
        return web.json_response(agent.agent_json())

    return handle


def overlay_master_handler(agent: OverlayAgent, zk_client: Any) -> Handler:
    """`/overlay-master/state`: the network config and every node's AgentInfo."""

    async def handle(request: web.Request) -> web.Response:
        if not agent.enabled:
            return web.json_response({"network": agent.network.info(), "agents": []})
        return web.json_response(await master_state(zk_client, agent.network))

    return handle
