"""v1 operator-API tasks as Marathon's launches make them (for the tests)."""

from __future__ import annotations

from typing import Any

AGENT_1 = "agent-1"
AGENT_2 = "agent-2"
AGENTS = {AGENT_1: "192.0.2.11", AGENT_2: "192.0.2.12"}
MARATHON = "fw-marathon"
FRAMEWORKS = {MARATHON: "marathon"}


def port(number: int, labels: dict[str, str], protocol: str = "tcp") -> dict[str, Any]:
    return {
        "number": number,
        "protocol": protocol,
        "labels": {"labels": [{"key": k, "value": v} for k, v in labels.items()]},
    }


def status(ip: str, healthy: bool | None = None, ts: float = 1.0) -> dict[str, Any]:
    out: dict[str, Any] = {
        "state": "TASK_RUNNING",
        "timestamp": ts,
        "uuid": f"u{ts}",
        "container_status": {
            "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": ip}]}]
        },
    }
    if healthy is not None:
        out["healthy"] = healthy
    return out


def task(
    task_id: str,
    name: str,
    agent: str = AGENT_1,
    ports: list[dict[str, Any]] | None = None,
    container: dict[str, Any] | None = None,
    ip: str | None = None,
    healthy: bool | None = None,
    health_check: bool = False,
    state: str = "TASK_RUNNING",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "task_id": {"value": task_id},
        "framework_id": {"value": MARATHON},
        "agent_id": {"value": agent},
        "name": name,
        "state": state,
        "statuses": [status(ip or AGENTS[agent], healthy)],
        "discovery": {"visibility": "FRAMEWORK", "name": name, "ports": {"ports": ports or []}},
    }
    if container is not None:
        out["container"] = container
    if health_check:
        out["health_check"] = {"type": "HTTP"}
    return out


HOST_WEB = task("web.1", "web", ports=[port(31001, {"VIP_0": "/web:80"})])
BRIDGE = task(
    "bridged.1",
    "bridged",
    agent=AGENT_2,
    ip="172.17.0.2",
    ports=[port(31002, {"network-scope": "host"})],
    container={
        "type": "DOCKER",
        "docker": {
            "network": "BRIDGE",
            "port_mappings": [{"host_port": 31002, "container_port": 80, "protocol": "tcp"}],
        },
    },
)
OVERLAY = task(
    "ovl.1",
    "ovl",
    agent=AGENT_2,
    ip="198.19.1.2",
    ports=[
        port(
            8080,
            {"VIP_0": "192.0.2.200:8080", "network-scope": "container", "network-name": "dcos"},
        )
    ],
    container={"type": "MESOS", "network_infos": [{"name": "dcos", "port_mappings": []}]},
)
