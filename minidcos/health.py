"""The health of each node's DC/OS units, as dcos-diagnostics reports it (`status`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minidcos.node import Node
from minidcos.wait import TRANSIENT, health_url, http_json


@dataclass(frozen=True)
class NodeHealth:
    node: Node
    answering: bool  # whether dcos-diagnostics answered at all
    units: dict[str, int]  # unit id -> health (0 healthy, 1 unhealthy)
    problem: str = ""  # why it did not answer

    @property
    def healthy(self) -> bool:
        return self.answering and bool(self.units) and not any(self.units.values())

    def summary(self) -> str:
        if not self.answering:
            return f"diagnostics not answering ({self.problem})"
        bad = sorted(u for u, h in self.units.items() if h != 0)
        return f"unhealthy: {', '.join(bad)}" if bad else f"{len(self.units)} units, all healthy"

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.node.reference,
            "role": self.node.role.value,
            "ip_address": self.node.ip_address,
            "container_name": self.node.container_name,
            "diagnostics_answering": self.answering,
            "healthy": self.healthy,
            "units": [{"id": unit, "health": h} for unit, h in sorted(self.units.items())],
        }


def node_health(node: Node, timeout_s: float = 2.0) -> NodeHealth:
    try:
        units = http_json(health_url(node), timeout=timeout_s).get("units", [])
    except TRANSIENT as exc:
        return NodeHealth(node, False, {}, type(exc).__name__)
    return NodeHealth(node, True, {str(u["id"]): int(u["health"]) for u in units})
