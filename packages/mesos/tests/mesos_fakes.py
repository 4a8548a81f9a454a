"""Fakes for the master's collaborators: agents that record calls, framework streams."""

from __future__ import annotations

import asyncio
from typing import Any

from dcos_mesos.master.core import Flags, Master, MemoryRegistry
from dcos_mesos.master.model import Agent
from dcos_mesos.resources import DCOS_PORTS, Resources
from dcos_mesos.streams import EventStream


class RecordingAgents:
    def __init__(self, ok: bool = True) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.ok = ok

    async def post(self, agent: Agent, path: str, body: dict[str, Any]) -> bool:
        self.calls.append((agent.id, path, body))
        return self.ok


def events(stream: EventStream) -> list[dict[str, Any]]:
    import json

    from dcos_internal_utils import recordio

    out = []
    decoder = recordio.Decoder()
    while not stream._queue.empty():
        item = stream._queue.get_nowait()
        if item is None:
            break
        out += [json.loads(r) for r in decoder.feed(item)]
    return out


def new_master(
    registry: MemoryRegistry | None = None, agents: RecordingAgents | None = None
) -> Master:
    info = {
        "id": "m1",
        "pid": "master@192.0.2.1:5050",
        "hostname": "192.0.2.1",
        "port": 5050,
        "address": {"ip": "192.0.2.1", "port": 5050, "hostname": "192.0.2.1"},
        "version": "1.4.0",
    }
    return Master(
        info, Flags({"cluster": "test"}), registry or MemoryRegistry(), agents or RecordingAgents()
    )


def agent_body(
    ip: str = "192.0.2.10",
    role: str = "*",
    agent_id: str = "",
    tasks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {"hostname": ip, "port": 5051}
    if agent_id:
        info["id"] = {"value": agent_id}
    return {
        "agent_info": info,
        "ip": ip,
        "version": "1.4.0",
        "resources": Resources.parse(f"cpus:2;mem:2048;disk:1000;ports:{DCOS_PORTS}", role).to_v1(),
        "tasks": tasks or [],
        "executors": [],
        "frameworks": [],
    }


def subscribe_call(
    name: str = "fw", roles: list[str] | None = None, framework_id: str = ""
) -> dict[str, Any]:
    info: dict[str, Any] = {"user": "root", "name": name, "failover_timeout": 60}
    if roles:
        info["roles"] = roles
        info["capabilities"] = [{"type": "MULTI_ROLE"}]
    if framework_id:
        info["id"] = {"value": framework_id}
    call: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
    if framework_id:
        call["framework_id"] = {"value": framework_id}
    return call


async def settle() -> None:
    """Let call_soon/call_later(0) callbacks and spawned tasks run."""
    for _ in range(5):
        await asyncio.sleep(0)
