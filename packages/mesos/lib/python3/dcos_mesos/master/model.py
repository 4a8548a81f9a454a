"""The master's view of agents, frameworks, tasks and offers, and their JSON (v0 and v1)."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Any

from dcos_mesos import MESOS_VERSION
from dcos_mesos.ids import v0_status, value, wrap
from dcos_mesos.resources import Resources

MAX_COMPLETED_TASKS = 1000
MAX_COMPLETED_FRAMEWORKS = 50


def time_info(seconds: float) -> dict[str, int]:
    return {"nanoseconds": int(seconds * 1e9)}


@dataclass
class Task:
    info: dict[str, Any]  # the TaskInfo as launched (v1 JSON)
    framework_id: str
    agent_id: str
    role: str
    executor_id: str = ""
    state: str = "TASK_STAGING"
    statuses: list[dict[str, Any]] = field(default_factory=list)
    status_update_state: str = ""
    status_update_uuid: str = ""
    user: str = ""

    @property
    def id(self) -> str:
        return value(self.info.get("task_id"))

    @property
    def resources(self) -> Resources:
        return Resources.from_v1(self.info.get("resources"))

    def to_v1(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.info.get("name", ""),
            "task_id": wrap(self.id),
            "framework_id": wrap(self.framework_id),
            "agent_id": wrap(self.agent_id),
            "state": self.state,
            "resources": self.resources.to_v1(self.role),
            "statuses": self.statuses,
        }
        if self.executor_id:
            out["executor_id"] = wrap(self.executor_id)
        if self.status_update_state:
            out["status_update_state"] = self.status_update_state
            out["status_update_uuid"] = self.status_update_uuid
        for key in ("labels", "discovery", "container", "health_check", "kill_policy"):
            if key in self.info:
                out[key] = self.info[key]
        if self.user:
            out["user"] = self.user
        return out

    def to_v0(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.info.get("name", ""),
            "framework_id": self.framework_id,
            "executor_id": self.executor_id,
            "slave_id": self.agent_id,
            "state": self.state,
            "resources": self.resources.to_v0(),
            "role": self.role,
            "statuses": [v0_status(s) for s in self.statuses],
        }
        if self.user:
            out["user"] = self.user
        if "labels" in self.info:
            out["labels"] = self.info["labels"].get("labels", [])
        for key in ("discovery", "container"):
            if key in self.info:
                out[key] = self.info[key]
        if "health_check" in self.info:
            out["health_check"] = self.info["health_check"]
        return out


@dataclass
class Offer:
    id: str
    framework_id: str
    agent_id: str
    role: str
    resources: Resources

    def to_v1(self, agent: Agent) -> dict[str, Any]:
        return {
            "id": wrap(self.id),
            "framework_id": wrap(self.framework_id),
            "agent_id": wrap(self.agent_id),
            "hostname": agent.hostname,
            "url": {
                "scheme": "http",
                "address": {"hostname": agent.hostname, "ip": agent.ip, "port": agent.port},
                "path": "/slave(1)",
            },
            "resources": self.resources.to_v1(self.role),
            "attributes": agent.info.get("attributes", []),
            "executor_ids": [],
            "allocation_info": {"role": self.role},
            **({"domain": agent.info["domain"]} if "domain" in agent.info else {}),
        }

    def to_v0(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "framework_id": self.framework_id,
            "allocation_info": {"role": self.role},
            "slave_id": self.agent_id,
            "resources": self.resources.to_v0(),
        }


@dataclass
class Agent:
    id: str
    info: dict[str, Any]  # v1 AgentInfo: hostname, port, attributes, id
    ip: str
    total: Resources
    registered_time: float = field(default_factory=time.time)
    reregistered_time: float | None = None
    active: bool = True
    version: str = MESOS_VERSION
    capabilities: list[dict[str, str]] = field(default_factory=list)
    tasks: dict[tuple[str, str], Task] = field(default_factory=dict)  # (framework, task)
    executors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    missed_pings: int = 0
    pinged: bool = True

    @property
    def hostname(self) -> str:
        return str(self.info.get("hostname", self.ip))

    @property
    def port(self) -> int:
        return int(self.info.get("port", 5051))

    @property
    def pid(self) -> str:
        return f"slave(1)@{self.ip}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    def used(self) -> Resources:
        total = Resources()
        for task in self.tasks.values():
            if task.state not in (
                "TASK_FINISHED",
                "TASK_FAILED",
                "TASK_KILLED",
                "TASK_ERROR",
                "TASK_LOST",
                "TASK_DROPPED",
                "TASK_GONE",
            ):
                total = total + task.resources
        for executor in self.executors.values():
            total = total + Resources.from_v1(executor.get("resources"))
        return total

    def info_v1(self) -> dict[str, Any]:
        out = dict(self.info)
        out["id"] = wrap(self.id)
        out["resources"] = self.total.to_v1()
        return out

    def info_v0(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "hostname": self.hostname,
            "port": self.port,
            "attributes": attributes_v0(self.info.get("attributes", [])),
        }
        if "domain" in self.info:
            out["domain"] = self.info["domain"]
        return out


@dataclass
class Framework:
    id: str
    info: dict[str, Any]  # v1 FrameworkInfo, with `id`
    registered_time: float = field(default_factory=time.time)
    reregistered_time: float = 0.0
    unregistered_time: float = 0.0
    connected: bool = False
    active: bool = False
    recovered: bool = False
    stream: Any = None
    tasks: dict[str, Task] = field(default_factory=dict)
    unreachable_tasks: dict[str, Task] = field(default_factory=dict)
    completed_tasks: collections.deque[Task] = field(
        default_factory=lambda: collections.deque(maxlen=MAX_COMPLETED_TASKS)
    )
    offers: dict[str, Offer] = field(default_factory=dict)
    executors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    failover_handle: Any = None

    def __post_init__(self) -> None:
        if not self.reregistered_time:
            self.reregistered_time = self.registered_time

    @property
    def name(self) -> str:
        return str(self.info.get("name", ""))

    def capability(self, name: str) -> bool:
        return any(c.get("type") == name for c in self.info.get("capabilities", []))

    @property
    def multi_role(self) -> bool:
        return self.capability("MULTI_ROLE")

    @property
    def partition_aware(self) -> bool:
        return self.capability("PARTITION_AWARE")

    @property
    def roles(self) -> list[str]:
        if self.multi_role:
            return list(self.info.get("roles") or ["*"])
        return [self.info.get("role") or "*"]

    def used(self) -> Resources:
        total = Resources()
        for task in self.tasks.values():
            if task.state not in (
                "TASK_FINISHED",
                "TASK_FAILED",
                "TASK_KILLED",
                "TASK_ERROR",
                "TASK_LOST",
                "TASK_DROPPED",
                "TASK_GONE",
            ):
                total = total + task.resources
        for executor in self.executors.values():
            total = total + Resources.from_v1(executor.get("resources"))
        return total

    def offered(self) -> Resources:
        total = Resources()
        for offer in self.offers.values():
            total = total + offer.resources
        return total

    def summary_v0(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "used_resources": self.used().to_v0(),
            "offered_resources": self.offered().to_v0(),
            "capabilities": [c.get("type") for c in self.info.get("capabilities", [])],
            "hostname": self.info.get("hostname", ""),
            "webui_url": self.info.get("webui_url", ""),
            "active": self.active,
            "connected": self.connected,
            "recovered": self.recovered,
        }

    def full_v0(self) -> dict[str, Any]:
        out = self.summary_v0()
        out.update(
            {
                "user": self.info.get("user", ""),
                "failover_timeout": float(self.info.get("failover_timeout", 0.0)),
                "checkpoint": bool(self.info.get("checkpoint", False)),
                "registered_time": self.registered_time,
                "unregistered_time": self.unregistered_time,
                "resources": (self.used() + self.offered()).to_v0(),
            }
        )
        if "principal" in self.info:
            out["principal"] = self.info["principal"]
        if self.reregistered_time != self.registered_time:
            out["reregistered_time"] = self.reregistered_time
        if self.multi_role:
            out["roles"] = self.roles
        else:
            out["role"] = self.roles[0]
        out["tasks"] = [t.to_v0() for t in self.tasks.values()]
        out["unreachable_tasks"] = [t.to_v0() for t in self.unreachable_tasks.values()]
        out["completed_tasks"] = [t.to_v0() for t in self.completed_tasks]
        out["offers"] = [o.to_v0() for o in self.offers.values()]
        out["executors"] = [
            {**executor_v0(ex), "slave_id": agent_id}
            for (agent_id, _), ex in self.executors.items()
        ]
        if "labels" in self.info:
            out["labels"] = self.info["labels"].get("labels", [])
        return out

    def to_v1(self, agents: dict[str, Agent]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "framework_info": self.info,
            "active": self.active,
            "connected": self.connected,
            "recovered": self.recovered,
            "registered_time": time_info(self.registered_time),
            "reregistered_time": time_info(self.reregistered_time),
            "offers": [
                o.to_v1(agents[o.agent_id]) for o in self.offers.values() if o.agent_id in agents
            ],
            "allocated_resources": self.used().to_v1(),
            "offered_resources": self.offered().to_v1(),
        }
        if self.unregistered_time:
            out["unregistered_time"] = time_info(self.unregistered_time)
        return out


def attributes_v0(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in attributes:
        kind = attr.get("type", "TEXT")
        if kind == "SCALAR":
            out[attr["name"]] = attr["scalar"]["value"]
        elif kind == "TEXT":
            out[attr["name"]] = attr["text"]["value"]
        elif kind == "RANGES":
            ranges = [(r["begin"], r["end"]) for r in attr["ranges"].get("range", [])]
            out[attr["name"]] = "[" + ", ".join(f"{b}-{e}" for b, e in ranges) + "]"
        elif kind == "SET":
            out[attr["name"]] = "{" + ", ".join(attr["set"].get("item", [])) + "}"
    return out


def parse_attributes(text: str) -> list[dict[str, Any]]:
    """Mesos's `--attributes` text (`rack:r1;zone:a`) as v1 Attribute JSON."""
    out: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, val = part.partition(":")
        try:
            out.append({"name": name, "type": "SCALAR", "scalar": {"value": float(val)}})
        except ValueError:
            out.append({"name": name, "type": "TEXT", "text": {"value": val}})
    return out


def executor_v0(executor: dict[str, Any]) -> dict[str, Any]:
    command = executor.get("command", {})
    resources = Resources.from_v1(executor.get("resources"))
    out: dict[str, Any] = {
        "executor_id": value(executor.get("executor_id")),
        "name": executor.get("name", ""),
        "framework_id": value(executor.get("framework_id")),
        "command": {
            **({"shell": command["shell"]} if "shell" in command else {}),
            **({"value": command["value"]} if "value" in command else {}),
            "argv": command.get("arguments", []),
            "uris": [
                {"value": u.get("value", ""), "executable": bool(u.get("executable", False))}
                for u in command.get("uris", [])
            ],
        },
        "resources": resources.to_v0(),
    }
    roles = {r.get("allocation_info", {}).get("role") for r in executor.get("resources", [])}
    roles.discard(None)
    if roles:
        out["role"] = sorted(roles)[0]
    if "labels" in executor:
        out["labels"] = executor["labels"].get("labels", [])
    if "type" in executor:
        out["type"] = executor["type"]
    return out
