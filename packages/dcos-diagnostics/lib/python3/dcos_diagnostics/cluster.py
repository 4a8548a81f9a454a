"""A master's view of the whole cluster: every node's health, polled and aggregated.

The result is DC/OS's "report" (GET /system/health/v1/report): `Units` keyed by
unit ID, each with the nodes it runs on, and `Nodes` keyed by IP, each with its
units. Every other master endpoint is a projection of it (see views.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPConnection
from typing import Any

from dcos_internal_utils import node

from .health import HEALTHY, UNHEALTHY

PORT = 1050
HEALTH_PATH = "/system/health/v1"
POLL_TIMEOUT = 3.0  # seconds per node; a slow node must not stall the report
CACHE_SECONDS = 5.0
# A node that does not answer is charged to its diagnostics service, the unit
# that evidently is not doing its job, so the failure shows up per unit too.
UNREACHABLE_UNIT = "dcos-diagnostics.service"

Health = dict[str, Any]


@dataclass(frozen=True)
class ClusterNode:
    ip: str
    role: str  # diagnostics' role names: master, agent, agent_public


@dataclass(frozen=True)
class PollResult:
    node: ClusterNode
    health: Health | None  # the node's /system/health/v1 answer
    error: str = ""


def cluster_nodes(config: dict[str, Any] | None = None) -> list[ClusterNode]:
    """Every node of the cluster, masters first.

    DC/OS finds masters in Exhibitor and agents in Mesos (/slaves). Mesos is
    not part of the distribution yet, so the lists genconf wrote are the truth;
    with static master discovery they are in DC/OS too.
    """
    config = config if config is not None else node.expanded_config()
    roles = (
        ("master_list", "master"), ("agent_list", "agent"), ("public_agent_list", "agent_public"),
    )
    nodes: dict[str, ClusterNode] = {}
    for key, role in roles:
        for ip in node.config_list(key, config):
            nodes.setdefault(ip, ClusterNode(ip, role))
    return list(nodes.values())


def fetch_health(ip: str, port: int = PORT, timeout: float = POLL_TIMEOUT) -> Health:
    conn = HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", HEALTH_PATH)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200].decode(errors='replace')}")
        health = json.loads(body)
        if not isinstance(health, dict) or not isinstance(health.get("units"), list):
            raise RuntimeError("answer is not a health document")
        return health
    finally:
        conn.close()


def poll(
    nodes: list[ClusterNode],
    fetch: Callable[[ClusterNode], Health],
) -> list[PollResult]:
    """Ask every node at once; a failure becomes that node's result, never the caller's."""

    def one(n: ClusterNode) -> PollResult:
        try:
            return PollResult(n, fetch(n))
        except Exception as exc:  # any failure of one node is data about that node
            url = f"http://{n.ip}:{PORT}{HEALTH_PATH}"
            return PollResult(n, None, f"GET {url} failed: {type(exc).__name__}: {exc}")

    if not nodes:
        return []
    with ThreadPoolExecutor(max_workers=min(32, len(nodes))) as pool:
        return list(pool.map(one, nodes))


def _unreachable_units(error: str) -> list[dict[str, Any]]:
    return [{
        "id": UNREACHABLE_UNIT, "health": UNHEALTHY, "output": error,
        "description": "node did not answer the health request",
        "help": "", "name": "DC/OS Diagnostics Agent",
    }]


def build_report(results: list[PollResult], now: datetime | None = None) -> dict[str, Any]:
    """DC/OS's report from each node's answer, with DC/OS's field names.

    `Nodes[ip].Health` is the worst of the node's units. In `Units[id].Nodes`
    each node's Health is that unit's health on that node (DC/OS copies the
    node's overall health there, which says nothing about the unit).
    `Leader` is always false: there is no Mesos leader to compare with yet.
    """
    stamp = (now or datetime.now(UTC)).isoformat()
    units: dict[str, dict[str, Any]] = {}
    nodes: dict[str, dict[str, Any]] = {}
    for result in results:
        health = result.health or {}
        unit_list: list[dict[str, Any]] = (
            health["units"] if result.health else _unreachable_units(result.error)
        )
        worst = max((u.get("health", UNHEALTHY) for u in unit_list), default=HEALTHY)
        base = {
            "Leader": False,
            "Role": result.node.role,
            "IP": result.node.ip,
            "Host": str(health.get("hostname", "")),
            "Health": worst,
            "Output": {u["id"]: u.get("output", "") for u in unit_list},
            "MesosID": str(health.get("mesos_id", "")),
        }
        node_units = []
        for u in unit_list:
            unit = {
                "UnitName": u["id"],
                "Health": u.get("health", UNHEALTHY),
                "Title": u.get("description", ""),
                "Timestamp": stamp,
                "PrettyName": u.get("name", ""),
            }
            node_units.append(unit)
            merged = units.setdefault(u["id"], {**unit, "Nodes": []})
            merged["Health"] = max(merged["Health"], unit["Health"])
            merged["Nodes"].append({**base, "Health": unit["Health"]})
        nodes[result.node.ip] = {**base, "Units": node_units}
    return {"Units": units, "Nodes": nodes, "UpdatedTime": stamp}


class ReportCache:
    """The last report, rebuilt when older than `ttl` or when the caller insists.

    One poll at a time: requests that arrive during a poll wait for it and share
    its result rather than each polling the whole cluster.
    """

    def __init__(self, make: Callable[[], dict[str, Any]], ttl: float = CACHE_SECONDS) -> None:
        self._make = make
        self._ttl = ttl
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._made_at = 0.0

    def get(self, fresh: bool = False) -> dict[str, Any]:
        requested_at = time.monotonic()
        with self._lock:
            # A poll that started after this request counts as fresh for it too.
            if self._report is not None and (
                self._made_at >= requested_at
                or (not fresh and requested_at - self._made_at < self._ttl)
            ):
                return self._report
            started = time.monotonic()
            self._report = self._make()
            self._made_at = started
            return self._report
