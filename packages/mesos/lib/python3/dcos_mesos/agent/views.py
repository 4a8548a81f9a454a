"""The agent's JSON: /state (v0) and the v1 agent API's GET_* responses."""

from __future__ import annotations

from typing import Any

from dcos_mesos import MESOS_VERSION
from dcos_mesos.agent.core import Agent
from dcos_mesos.agent.stats import Usage
from dcos_mesos.agent.store import ContainerRecord, TaskRecord
from dcos_mesos.ids import v0_status, value
from dcos_mesos.master.model import attributes_v0
from dcos_mesos.master.views import BUILD
from dcos_mesos.resources import Resources

CAPABILITIES = ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"]


def task_v0(agent: Agent, record: ContainerRecord, task: TaskRecord) -> dict[str, Any]:
    info = task.info
    resources = Resources.from_v1(info.get("resources"))
    role = "*"
    for res in info.get("resources") or []:
        role = res.get("allocation_info", {}).get("role", role)
    out: dict[str, Any] = {
        "id": task.id,
        "name": info.get("name", ""),
        "framework_id": record.framework_id,
        "executor_id": record.executor_id,
        "slave_id": agent.agent_id,
        "state": task.state,
        "resources": resources.to_v0(),
        "role": role,
        "statuses": [v0_status(s) for s in task.statuses],
    }
    if "labels" in info:
        out["labels"] = info["labels"].get("labels", [])
    for key in ("discovery", "container", "health_check"):
        if key in info:
            out[key] = info[key]
    return out


def executor_v0(agent: Agent, record: ContainerRecord) -> dict[str, Any]:
    info = record.executor_info
    resources = Resources()
    for task in record.tasks.values():
        resources = resources + Resources.from_v1(task.info.get("resources"))
    if record.kind == "group":
        resources = resources + Resources.from_v1(info.get("resources"))
    out: dict[str, Any] = {
        "id": record.executor_id,
        "name": info.get("name", ""),
        "source": info.get("source", ""),
        "container": record.id,
        "directory": record.sandbox,
        "resources": resources.to_v0(),
    }
    if "labels" in info:
        out["labels"] = info["labels"].get("labels", [])
    if record.kind == "group":
        out["type"] = "DEFAULT"
    live = [t for t in record.tasks.values() if not t.terminal]
    done = [t for t in record.tasks.values() if t.terminal]
    out["tasks"] = [task_v0(agent, record, t) for t in live]
    out["queued_tasks"] = []
    out["completed_tasks"] = [task_v0(agent, record, t) for t in done]
    return out


def frameworks_v0(
    agent: Agent, records: list[ContainerRecord], completed: bool
) -> list[dict[str, Any]]:
    grouped: dict[str, list[ContainerRecord]] = {}
    for record in records:
        grouped.setdefault(record.framework_id, []).append(record)
    out = []
    for framework_id, recs in grouped.items():
        info = agent.frameworks.get(framework_id) or recs[0].framework_info
        entry: dict[str, Any] = {
            "id": framework_id,
            "name": info.get("name", ""),
            "user": info.get("user", ""),
            "failover_timeout": float(info.get("failover_timeout", 0.0)),
            "checkpoint": bool(info.get("checkpoint", False)),
            "hostname": info.get("hostname", ""),
        }
        if "principal" in info:
            entry["principal"] = info["principal"]
        caps = [c.get("type") for c in info.get("capabilities", [])]
        entry["capabilities"] = caps
        if "MULTI_ROLE" in caps:
            entry["roles"] = info.get("roles", [])
        else:
            entry["role"] = info.get("role", "*")
        if completed:
            entry["executors"] = []
            entry["completed_executors"] = [executor_v0(agent, r) for r in recs]
        else:
            entry["executors"] = [executor_v0(agent, r) for r in recs]
            entry["completed_executors"] = [
                executor_v0(agent, r) for r in agent.completed if r.framework_id == framework_id
            ]
        out.append(entry)
    return out


def state(agent: Agent) -> dict[str, Any]:
    total = agent.resources
    live = list(agent.containers.values())
    live_ids = {r.framework_id for r in live}
    allocated = Resources()
    for record in live:
        for task in record.live_tasks():
            allocated = allocated + Resources.from_v1(task.info.get("resources"))
    out: dict[str, Any] = {
        "version": MESOS_VERSION,
        **BUILD,
        "start_time": agent.start_time,
        "id": agent.agent_id,
        "pid": agent.pid,
        "hostname": agent.info.get("hostname", agent.ip),
        "capabilities": CAPABILITIES,
        "resources": total.to_v0(),
        "reserved_resources": {r: res.to_v0() for r, res in total.reservations().items()},
        "unreserved_resources": total.unreserved().to_v0(),
        "reserved_resources_full": {r: res.to_v1() for r, res in total.reservations().items()},
        "unreserved_resources_full": total.unreserved().to_v1(),
        "reserved_resources_allocated": {
            r: res.to_v0() for r, res in allocated.reservations().items()
        },
        "unreserved_resources_allocated": allocated.unreserved().to_v0(),
        "attributes": attributes_v0(agent.info.get("attributes", [])),
    }
    if agent.master_hostname:
        out["master_hostname"] = agent.master_hostname
    out["log_dir"] = agent.flags.get("log_dir", "/var/log/mesos")
    out["flags"] = dict(agent.flags)
    out["frameworks"] = frameworks_v0(agent, live, completed=False)
    done = [r for r in agent.completed if r.framework_id not in live_ids]
    out["completed_frameworks"] = frameworks_v0(agent, done, completed=True)
    return out


# -- v1 agent API -------------------------------------------------------------------


def get_tasks(agent: Agent) -> dict[str, Any]:
    live: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for record in agent.containers.values():
        for task in record.tasks.values():
            (done if task.terminal else live).append(agent.task_v1(record, task))
    for record in agent.completed:
        done += [agent.task_v1(record, t) for t in record.tasks.values()]
    return {
        "pending_tasks": [],
        "queued_tasks": [],
        "launched_tasks": live,
        "terminated_tasks": done,
        "completed_tasks": [],
    }


def get_executors(agent: Agent) -> dict[str, Any]:
    return {
        "executors": [{"executor_info": r.executor_info} for r in agent.containers.values()],
        "completed_executors": [{"executor_info": r.executor_info} for r in agent.completed],
    }


def get_frameworks(agent: Agent) -> dict[str, Any]:
    live = {r.framework_id for r in agent.containers.values()}
    return {
        "frameworks": [{"framework_info": agent.frameworks.get(f, {})} for f in sorted(live)],
        "completed_frameworks": [
            {"framework_info": r.framework_info}
            for r in agent.completed
            if r.framework_id not in live
        ],
    }


def get_state(agent: Agent) -> dict[str, Any]:
    return {
        "get_tasks": get_tasks(agent),
        "get_executors": get_executors(agent),
        "get_frameworks": get_frameworks(agent),
    }


def get_agent(agent: Agent) -> dict[str, Any]:
    info = dict(agent.info)
    info["id"] = {"value": agent.agent_id}
    info["resources"] = agent.resources.to_v1()
    return {"agent_info": info}


def containers(agent: Agent, usage: Usage) -> list[dict[str, Any]]:
    """/containers (v0): one entry per running container, nested containers with `parent`."""
    out = []
    for record in agent.containers.values():
        entries: list[tuple[str, str, TaskRecord | None]] = []
        if record.kind == "group":
            entries.append((record.id, "", None))
            entries += [(t.container_id, record.id, t) for t in record.live_tasks()]
        else:
            entries += [(record.id, "", t) for t in record.live_tasks()]
        for cid, parent, task in entries:
            if task is None and not record.live_tasks():
                continue
            container_id: dict[str, Any] = {"value": cid}
            if parent:
                container_id["parent"] = {"value": parent}
            status: dict[str, Any] = {"container_id": container_id}
            if task is not None:
                status.update(agent.container_status(record, task))
            if cid in usage.executor_pids:
                status["executor_pid"] = usage.executor_pids[cid]
            out.append(
                {
                    "container_id": cid,
                    "executor_id": record.executor_id,
                    "executor_name": record.executor_info.get("name", ""),
                    "framework_id": record.framework_id,
                    "source": record.executor_info.get("source", ""),
                    "status": status,
                    "statistics": usage.statistics.get(cid, {}),
                }
            )
    return out


def get_containers(agent: Agent, usage: Usage) -> dict[str, Any]:
    out = []
    for entry in containers(agent, usage):
        item: dict[str, Any] = {
            "framework_id": {"value": entry["framework_id"]},
            "executor_id": {"value": entry["executor_id"]},
            "executor_name": entry["executor_name"],
            "container_id": entry["status"]["container_id"],
            "container_status": entry["status"],
        }
        if entry["statistics"]:
            item["resource_statistics"] = entry["statistics"]
        out.append(item)
    return {"containers": out}


def monitor_statistics(agent: Agent, usage: Usage) -> list[dict[str, Any]]:
    return [
        {
            "executor_id": e["executor_id"],
            "executor_name": e["executor_name"],
            "framework_id": e["framework_id"],
            "source": e["source"],
            "statistics": e["statistics"],
        }
        for e in containers(agent, usage)
        if "parent" not in e["status"]["container_id"]
    ]


def all_task_records(agent: Agent) -> list[tuple[ContainerRecord, TaskRecord]]:
    return [(r, t) for r in agent.containers.values() for t in r.tasks.values()]


def find_container(
    agent: Agent, container_id: str
) -> tuple[ContainerRecord, TaskRecord | None] | None:
    for record in agent.containers.values():
        if record.id == container_id:
            return record, next(iter(record.live_tasks()), None)
        for task in record.tasks.values():
            if task.container_id == container_id:
                return record, task
    return None


def framework_id_of(task: dict[str, Any]) -> str:
    return value(task.get("framework_id"))
