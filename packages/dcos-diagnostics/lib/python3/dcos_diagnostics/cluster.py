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

MASTER_PORT = 1050
# On agents diagnostics listens on its unix socket only; Admin Router Agent
# fronts it on 61001, which is where DC/OS's diagnostics master asks.
AGENT_PORT = 61001
MESOS_PORT = 5050
HEALTH_PATH = "/system/health/v1"
POLL_TIMEOUT = 3.0  # seconds per node; a slow node must not stall the report
MESOS_TIMEOUT = 2.0
CACHE_SECONDS = 5.0
# A node that does not answer is charged to its diagnostics service, the unit
# that evidently is not doing its job, so the failure shows up per unit too.
UNREACHABLE_UNIT = "dcos-diagnostics.service"

Health = dict[str, Any]


@dataclass(frozen=True)
class ClusterNode:
    ip: str
    role: str  # diagnostics' role names: master, agent, agent_public

    @property
    def port(self) -> int:
        return MASTER_PORT if self.role == "master" else AGENT_PORT


@dataclass(frozen=True)
class PollResult:
    node: ClusterNode
    health: Health | None  # the node's /system/health/v1 answer
    error: str = ""


@dataclass(frozen=True)
class MesosView:
    """What the Mesos leader says: who leads, and the agents it knows."""

    leader_ip: str
    agents: list[ClusterNode]


def _config_nodes(config: dict[str, Any], roles: tuple[tuple[str, str], ...]) -> list[ClusterNode]:
    nodes: dict[str, ClusterNode] = {}
    for key, role in roles:
        for ip in node.config_list(key, config):
            nodes.setdefault(ip, ClusterNode(ip, role))
    return list(nodes.values())


def agent_role(slave: dict[str, Any]) -> str:
    """agent_public for the agents DC/OS makes public (public_ip attribute, slave_public role)."""
    attributes = slave.get("attributes") or {}
    if str(attributes.get("public_ip", "")).lower() == "true":
        return "agent_public"
    if "slave_public" in (slave.get("reserved_resources") or {}):
        return "agent_public"
    return "agent"


def _http_get(ip: str, port: int, path: str, timeout: float) -> tuple[int, dict[str, str], bytes]:
    conn = HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


HTTPGet = Callable[[str, int, str, float], tuple[int, dict[str, str], bytes]]


def mesos_view(masters: list[str], get: HTTPGet = _http_get) -> MesosView | None:
    """The leader (any master's /master/redirect names it) and its /slaves.

    None if Mesos is down.
    """
    for master in masters:
        try:
            status, headers, _ = get(master, MESOS_PORT, "/master/redirect", MESOS_TIMEOUT)
            if status not in (301, 302, 307):
                continue
            # "//192.0.2.1:5050" (Mesos leaves the scheme to the client)
            location = headers.get("location", "").split("//", 1)[-1]
            leader_ip = location.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
            if not leader_ip:
                continue
            status, _, body = get(leader_ip, MESOS_PORT, "/slaves", MESOS_TIMEOUT)
            if status != 200:
                continue
            slaves = json.loads(body).get("slaves") or []
        except (OSError, ValueError):
            continue
        agents: dict[str, ClusterNode] = {}
        for slave in slaves:
            pid = str(slave.get("pid", ""))
            ip = pid.split("@", 1)[-1].rsplit(":", 1)[0] if "@" in pid else slave.get("hostname")
            if ip:
                agents.setdefault(str(ip), ClusterNode(str(ip), agent_role(slave)))
        return MesosView(leader_ip, list(agents.values()))
    return None


def cluster_nodes(
    config: dict[str, Any] | None = None, mesos: MesosView | None = None
) -> list[ClusterNode]:
    """Every node of the cluster, masters first.

    As DC/OS's diagnostics: the masters from the config (static master
    discovery), the agents as the Mesos leader knows them. While Mesos does
    not answer, the agent lists genconf wrote stand in.
    """
    config = config if config is not None else node.expanded_config()
    masters = _config_nodes(config, (("master_list", "master"),))
    if mesos is None:
        agents = _config_nodes(
            config, (("agent_list", "agent"), ("public_agent_list", "agent_public"))
        )
    else:
        agents = mesos.agents
    known = {m.ip for m in masters}
    return masters + [a for a in agents if a.ip not in known]


def fetch_health(ip: str, port: int = MASTER_PORT, timeout: float = POLL_TIMEOUT) -> Health:
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
            url = f"http://{n.ip}:{n.port}{HEALTH_PATH}"
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


def build_report(
    results: list[PollResult], now: datetime | None = None, leader_ip: str = ""
) -> dict[str, Any]:
    """DC/OS's report from each node's answer, with DC/OS's field names.

    `Nodes[ip].Health` is the worst of the node's units. In `Units[id].Nodes`
    each node's Health is that unit's health on that node (DC/OS copies the
    node's overall health there, which says nothing about the unit).
    `Leader` is true for the master that leads Mesos.
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
            "Leader": bool(leader_ip) and result.node.ip == leader_ip,
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
