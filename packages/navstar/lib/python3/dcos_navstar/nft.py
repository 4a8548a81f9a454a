"""The node's VIP rules: one nftables table, replaced whole in one transaction.

    table ip navstar
      set vip_addresses     every VIP address (they sit on `lo`, see netlink.py)
      map vips_tcp/udp      address . port -> goto the VIP's chain
      chain vip_<n>         count the connection, then DNAT to a backend picked by
                            `numgen inc` (round robin); conntrack keeps each
                            connection on the backend its first packet got
      chain prerouting      (nat, -110) traffic from containers and other hosts
      chain output          (nat, -110) traffic from this host's processes
      chain postrouting     (nat, +90) source NAT where replies could not find
                            their way back (below)

Priority -110 runs before Docker's own DNAT (-100), which would otherwise
catch a VIP port that equals a published host port (a VIP address is local).
NAT chains see only the first packet of a connection, so a chain's counter
counts connections.

Source NAT (masquerade), only where it is needed:
- a host process that connects to a VIP picks the VIP itself as its source
  (the address is local): when the backend is elsewhere, it gets the
  outgoing interface's address instead;
- hairpin: a container reaching itself (or a neighbour on its bridge) through
  a VIP gets the bridge's address, or it would drop a packet from itself;
- overlay containers reaching anything outside the overlay (DC/OS's overlay
  bridges do not masquerade; the agent module adds this rule).
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass, field
from typing import Any

from dcos_navstar.vips import Backend

log = logging.getLogger("navstar.nft")

TABLE = "navstar"
DNAT_PRIORITY = -110
SNAT_PRIORITY = 90


@dataclass(frozen=True)
class VipRule:
    """A VIP resolved to an address, with its backends in a stable order."""

    address: str
    port: int
    protocol: str
    backends: tuple[Backend, ...]

    @property
    def name(self) -> str:
        return f"{self.address}:{self.port}/{self.protocol}"


@dataclass
class Ruleset:
    rules: list[VipRule] = field(default_factory=list)
    vip_addresses: list[str] = field(default_factory=list)
    hairpin_subnets: list[str] = field(default_factory=list)
    overlay_subnets: list[str] = field(default_factory=list)

    def chain_names(self) -> dict[str, str]:
        """VIP name -> its chain (stable for a given rule list)."""
        return {rule.name: f"vip_{i}" for i, rule in enumerate(self.rules)}


def _elements(items: list[str]) -> str:
    return f" elements = {{ {', '.join(items)} }};" if items else ""


def render(ruleset: Ruleset) -> str:
    """The nft script that replaces the table atomically (create, delete, define)."""
    chains = ruleset.chain_names()
    lines = [
        f"table ip {TABLE} {{}}",
        f"delete table ip {TABLE}",
        f"table ip {TABLE} {{",
        f"  set vip_addresses {{ type ipv4_addr;{_elements(sorted(set(ruleset.vip_addresses)))} }}",
    ]
    for protocol in ("tcp", "udp"):
        entries = [
            f"{rule.address} . {rule.port} : goto {chains[rule.name]}"
            for rule in ruleset.rules
            if rule.protocol == protocol and rule.backends
        ]
        lines.append(
            f"  map vips_{protocol} {{ type ipv4_addr . inet_service : verdict;"
            f"{_elements(entries)} }}"
        )
    for rule in ruleset.rules:
        if not rule.backends:
            continue
        targets = ", ".join(f"{i} : {b.ip} . {b.port}" for i, b in enumerate(rule.backends))
        lines += [
            f"  chain {chains[rule.name]} {{",
            f'    comment "{rule.name}"',
            f"    meta l4proto {rule.protocol} counter dnat ip addr . port to "
            f"numgen inc mod {len(rule.backends)} map {{ {targets} }}",
            "  }",
        ]
    lookup = [
        "    meta l4proto tcp ip daddr . tcp dport vmap @vips_tcp",
        "    meta l4proto udp ip daddr . udp dport vmap @vips_udp",
    ]
    lines += [
        "  chain prerouting {",
        f"    type nat hook prerouting priority {DNAT_PRIORITY}; policy accept;",
        *lookup,
        "  }",
        "  chain output {",
        f"    type nat hook output priority {DNAT_PRIORITY}; policy accept;",
        *lookup,
        "  }",
        "  chain postrouting {",
        f"    type nat hook postrouting priority {SNAT_PRIORITY}; policy accept;",
        '    ct status dnat ip saddr @vip_addresses oifname != "lo" masquerade',
    ]
    for subnet in ruleset.hairpin_subnets:
        lines.append(f"    ct status dnat ip saddr {subnet} ip daddr {subnet} masquerade")
    if ruleset.overlay_subnets:
        overlay = "{ " + ", ".join(ruleset.overlay_subnets) + " }"
        lines.append(f"    ip saddr {overlay} ip daddr != {overlay} masquerade")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def delete_script() -> str:
    return f"table ip {TABLE} {{}}\ndelete table ip {TABLE}\n"


class NftError(Exception):
    pass


def apply(script: str) -> None:
    """Run an nft script in one transaction (python3-nftables, else the nft tool)."""
    try:
        import nftables  # Debian's python3-nftables, on nodes
    except ImportError:  # pragma: no cover - hosts without the binding
        proc = subprocess.run(["nft", "-f", "-"], input=script, text=True, capture_output=True)
        if proc.returncode != 0:
            raise NftError(proc.stderr.strip()) from None
        return
    nft = nftables.Nftables()
    rc, _out, err = nft.cmd(script)
    if rc != 0:
        raise NftError(err.strip())


def read_counters() -> dict[str, int]:
    """Packets counted per VIP chain comment (= connections, see above)."""
    proc = subprocess.run(
        ["nft", "-j", "list", "table", "ip", TABLE], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return {}
    return counters_from_json(json.loads(proc.stdout))


def counters_from_json(data: dict[str, Any]) -> dict[str, int]:
    comments: dict[str, str] = {}
    counts: dict[str, int] = {}
    for item in data.get("nftables", []):
        chain = item.get("chain")
        if chain and chain.get("comment"):
            comments[chain["name"]] = chain["comment"]
        rule = item.get("rule")
        if rule:
            for expr in rule.get("expr", []):
                if "counter" in expr:
                    counts[rule["chain"]] = counts.get(rule["chain"], 0) + int(
                        expr["counter"].get("packets", 0)
                    )
    return {comments[c]: n for c, n in counts.items() if c in comments}
