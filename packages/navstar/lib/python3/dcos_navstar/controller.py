"""One node's controller: cluster state in, kernel state and DNS records out.

Events arrive from the leading master's stream; each burst of them leads to
one reconcile, which computes the VIP table, makes sure every named VIP has
its address (ZooKeeper), and then, only where something changed, replaces the
nftables table, the VIP addresses on `lo` and spartan's records file.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcos_navstar import netlink, nft
from dcos_navstar.allocation import NamedIps
from dcos_navstar.ranges import Settings
from dcos_navstar.records import Record, all_records, hosts_file, write_atomically
from dcos_navstar.state import ClusterState
from dcos_navstar.vips import Backend, Vip, vip_table

log = logging.getLogger("navstar")

# Interfaces whose containers may reach themselves through a VIP (hairpin).
BRIDGE_PREFIXES = ("docker", "m-", "d-", "br-")


@dataclass
class VipView:
    vip: Vip
    address: str
    backends: list[Backend]

    def to_json(self) -> dict[str, Any]:
        return {
            "vip": str(self.vip),
            "protocol": self.vip.protocol,
            "backend": [{"ip": b.ip, "port": b.port} for b in self.backends],
        }


def resolve(table: dict[Vip, set[Backend]], named: dict[str, str]) -> list[VipView]:
    out = []
    for vip in sorted(table):
        address = named.get(vip.host, "") if vip.named else vip.host
        if address:
            out.append(VipView(vip, address, sorted(table[vip])))
    return out


def build_ruleset(
    views: list[VipView], hairpin: list[str], overlay_subnets: list[str]
) -> nft.Ruleset:
    return nft.Ruleset(
        rules=[
            nft.VipRule(v.address, v.vip.port, v.vip.protocol, tuple(v.backends)) for v in views
        ],
        vip_addresses=sorted({v.address for v in views}),
        hairpin_subnets=hairpin,
        overlay_subnets=overlay_subnets,
    )


def local_bridge_subnets() -> list[str]:
    out = set()
    for link in netlink.ip_json("-4", "addr", "show"):
        if str(link.get("ifname", "")).startswith(BRIDGE_PREFIXES):
            for info in link.get("addr_info", []):
                network = ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", False)
                out.add(str(network))
    return sorted(out)


@dataclass
class Controller:
    settings: Settings
    records_path: Path
    named_ips: NamedIps | None  # None when the load balancer is off
    state: ClusterState = field(default_factory=ClusterState)
    vips: list[VipView] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    connection_totals: dict[str, int] = field(default_factory=dict)
    _script: str = ""
    _addresses: set[str] = field(default_factory=set)
    _dirty: asyncio.Event = field(default_factory=asyncio.Event)
    synced: asyncio.Event = field(default_factory=asyncio.Event)

    def changed(self) -> None:
        self._dirty.set()

    async def run(self) -> None:
        """Reconcile after each burst of changes (the first event of a burst starts it)."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconcile failed: retrying in a second")
                await asyncio.sleep(1.0)
                self._dirty.set()

    async def reconcile(self) -> None:
        tasks = list(self.state.tasks.values())
        named: dict[str, str] = {}
        views: list[VipView] = []
        if self.settings.enable_lb and self.named_ips is not None:
            table = vip_table(tasks, self.state.frameworks, self.state.agents)
            names = sorted({v.host for v in table if v.named})
            named_ips = self.named_ips
            named = await asyncio.to_thread(lambda: {n: named_ips.address(n) for n in names})
            views = resolve(table, named)
        records = all_records(tasks, self.state.frameworks, self.state.agents, named)
        await asyncio.to_thread(self._program, views, records)
        # The API shows what the kernel and spartan have, never what is still to come.
        self.vips = views
        self.records = records
        self.synced.set()

    def _program(self, views: list[VipView], records: list[Record]) -> None:
        # Rules and addresses first, names last: a name never points at a VIP
        # that does not work yet.
        if self.settings.enable_lb:
            self._program_vips(views)
        if write_atomically(self.records_path, hosts_file(records)):
            log.info("records: %d", len(records))

    def _program_vips(self, views: list[VipView]) -> None:
        overlay = self.settings.overlay_networks() if self.settings.overlay_enabled else []
        ruleset = build_ruleset(views, local_bridge_subnets(), overlay)
        script = nft.render(ruleset)
        if script != self._script:
            for name, count in nft.read_counters().items():
                self.connection_totals[name] = self.connection_totals.get(name, 0) + count
            nft.apply(script)
            self._script = script
            log.info("VIPs: %s", ", ".join(f"{v.vip}={len(v.backends)}" for v in views) or "none")
        wanted = set(ruleset.vip_addresses)
        if wanted != self._addresses:
            netlink.run_batch(netlink.vip_address_commands(netlink.current_vip_addresses(), wanted))
            self._addresses = wanted

    def connections(self) -> dict[str, int]:
        current = nft.read_counters() if self.settings.enable_lb else {}
        names = set(current) | set(self.connection_totals)
        return {n: current.get(n, 0) + self.connection_totals.get(n, 0) for n in sorted(names)}

    def setup_node(self) -> None:
        """Unreachable routes for the ranges; no stale rules from a previous run."""
        # Only adds (route replace): a range switched off stays unreachable until a reboot.
        netlink.run_batch(netlink.unreachable_commands(set(), self.settings.unreachable_networks()))
        if not self.settings.enable_lb:
            nft.apply(nft.delete_script())
            netlink.run_batch(netlink.vip_address_commands(netlink.current_vip_addresses(), set()))
