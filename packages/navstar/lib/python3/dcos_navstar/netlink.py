"""The node's addresses and routes for VIPs and the overlay, through iproute2.

- Every VIP address sits on `lo` (label `lo:navstar`): a host process's
  connect() to it then finds a route (a local one) and the OUTPUT hook's DNAT
  sends the connection to a backend. The kernel here has no dummy interfaces.
- `unreachable` routes cover the VIP range and the overlay subnets, so
  traffic that no rule or more specific route catches fails on the node with
  EHOSTUNREACH and never leaves it.

Changes are `ip -batch` scripts of idempotent commands (replace/del), computed
from the wanted state and what `ip -json` shows.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("navstar.netlink")

VIP_LABEL = "lo:navstar"


def run_batch(commands: list[str]) -> None:
    """Run `ip` commands in one batch; `fdb ...` lines go to `bridge` after them."""
    ip_lines = [c for c in commands if not c.startswith("fdb ")]
    bridge_lines = [c for c in commands if c.startswith("fdb ")]
    for tool, lines in (("ip", ip_lines), ("bridge", bridge_lines)):
        if not lines:
            continue
        proc = subprocess.run(
            [tool, "-force", "-batch", "-"],
            input="\n".join(lines) + "\n",
            text=True,
            capture_output=True,
        )
        if proc.returncode != 0:
            log.warning("%s -batch: %s", tool, proc.stderr.strip())


def ip_json(*args: str) -> list[dict[str, Any]]:
    proc = subprocess.run(["ip", "-json", *args], capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    return list(json.loads(proc.stdout))


def current_vip_addresses() -> set[str]:
    out = set()
    for link in ip_json("-4", "addr", "show", "dev", "lo"):
        for info in link.get("addr_info", []):
            if info.get("label") == VIP_LABEL:
                out.add(str(info["local"]))
    return out


def vip_address_commands(current: Iterable[str], wanted: Iterable[str]) -> list[str]:
    current, wanted = set(current), set(wanted)
    return [
        *(f"addr add {a}/32 dev lo label {VIP_LABEL}" for a in sorted(wanted - current)),
        *(f"addr del {a}/32 dev lo" for a in sorted(current - wanted)),
    ]


def current_unreachable() -> set[str]:
    routes = ip_json("-4", "route", "show", "type", "unreachable")
    return {str(r["dst"]) for r in routes if r.get("dst")}


def unreachable_commands(current: Iterable[str], wanted: Iterable[str]) -> list[str]:
    current, wanted = set(current), set(wanted)
    return [
        *(f"route replace unreachable {n}" for n in sorted(wanted - current)),
        *(f"route del unreachable {n}" for n in sorted(current - wanted)),
    ]
