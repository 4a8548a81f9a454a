"""The master's JSON views: the v0 endpoints and the v1 operator API's responses."""

from __future__ import annotations

import time
from typing import Any

from dcos_mesos import MESOS_VERSION
from dcos_mesos.ids import is_terminal, value
from dcos_mesos.master.core import Master
from dcos_mesos.master.model import Agent, Framework, Task, executor_v0
from dcos_mesos.resources import Resources

BUILD = {"build_date": "2017-11-06 21:37:20", "build_time": 1510004240.0, "build_user": "dcos"}
TASK_STATES = (
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_RUNNING",
    "TASK_KILLING",
    "TASK_FINISHED",
    "TASK_KILLED",
    "TASK_FAILED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_UNREACHABLE",
)


def pid(master: Master) -> str:
    return str(master.info.get("pid", ""))


def agent_v0(master: Master, agent: Agent) -> dict[str, Any]:
    out = agent.info_v0()
    out.update(
        {
            "pid": agent.pid,
            "registered_time": agent.registered_time,
            "resources": agent.total.to_v0(),
            "used_resources": agent.used().to_v0(),
            "offered_resources": master.offered_on(agent.id).to_v0(),
            "reserved_resources": {r: res.to_v0() for r, res in agent.total.reservations().items()},
            "unreserved_resources": agent.total.unreserved().to_v0(),
            "active": agent.active,
            "version": agent.version,
            "capabilities": [c.get("type") for c in agent.capabilities],
        }
    )
    if agent.reregistered_time is not None:
        out["reregistered_time"] = agent.reregistered_time
    return out


def recovered_v0(record: dict[str, Any]) -> dict[str, Any]:
    info = record.get("info", {})
    from dcos_mesos.master.model import attributes_v0

    return {
        "id": value(info.get("id")),
        "hostname": info.get("hostname", ""),
        "port": info.get("port", 5051),
        "attributes": attributes_v0(info.get("attributes", [])),
    }


def header(master: Master) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": MESOS_VERSION,
        **BUILD,
        "start_time": master.start_time,
    }
    if master.elected_time is not None:
        out["elected_time"] = master.elected_time
    out.update(
        {
            "id": master.id,
            "pid": pid(master),
            "hostname": master.info.get("hostname", ""),
            "activated_slaves": float(sum(a.active for a in master.agents.values())),
            "deactivated_slaves": float(sum(not a.active for a in master.agents.values())),
            "unreachable_slaves": float(len(master.unreachable_agents)),
        }
    )
    if master.leader_info is not None:
        out["leader"] = str(master.leader_info.get("pid", ""))
        out["leader_info"] = master_info_v0(master.leader_info)
    return out


def master_info_v0(info: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": info.get("id", ""),
        "pid": info.get("pid", ""),
        "port": info.get("port", 5050),
        "hostname": info.get("hostname", ""),
    }
    if "domain" in info:
        out["domain"] = info["domain"]
    return out


def state(master: Master) -> dict[str, Any]:
    out = header(master)
    out["cluster"] = master.flags.values.get("cluster", "")
    if not out["cluster"]:
        del out["cluster"]
    out["log_dir"] = master.flags.values.get("log_dir", "/var/log/mesos")
    out["flags"] = dict(master.flags.values)
    out["slaves"] = [agent_v0(master, a) for a in master.agents.values()]
    out["recovered_slaves"] = [recovered_v0(r) for r in master.recovered_agents.values()]
    out["frameworks"] = [f.full_v0() for f in master.frameworks.values()]
    out["completed_frameworks"] = [f.full_v0() for f in master.completed_frameworks]
    out["orphan_tasks"] = []
    out["unregistered_frameworks"] = []
    return out


def _counts(tasks: list[Task]) -> dict[str, int]:
    counts = dict.fromkeys(TASK_STATES, 0)
    for task in tasks:
        if task.state in counts:
            counts[task.state] += 1
    return counts


def state_summary(master: Master) -> dict[str, Any]:
    all_tasks: list[Task] = []
    for framework in master.frameworks.values():
        all_tasks += list(framework.tasks.values()) + list(framework.unreachable_tasks.values())
        all_tasks += list(framework.completed_tasks)
    slaves = []
    for agent in master.agents.values():
        entry = agent_v0(master, agent)
        on_agent = [t for t in all_tasks if t.agent_id == agent.id]
        entry.update(_counts(on_agent))
        entry["framework_ids"] = sorted({t.framework_id for t in on_agent})
        slaves.append(entry)
    frameworks = []
    for framework in master.frameworks.values():
        entry = framework.summary_v0()
        own = [t for t in all_tasks if t.framework_id == framework.id]
        entry.update(_counts(own))
        entry["slave_ids"] = sorted({t.agent_id for t in own})
        frameworks.append(entry)
    out: dict[str, Any] = {"hostname": master.info.get("hostname", "")}
    if master.flags.values.get("cluster"):
        out["cluster"] = master.flags.values["cluster"]
    out["slaves"] = slaves
    out["frameworks"] = frameworks
    return out


def slaves(master: Master) -> dict[str, Any]:
    return {
        "slaves": [agent_v0(master, a) for a in master.agents.values()],
        "recovered_slaves": [recovered_v0(r) for r in master.recovered_agents.values()],
    }


def frameworks(master: Master) -> dict[str, Any]:
    return {
        "frameworks": [f.full_v0() for f in master.frameworks.values()],
        "completed_frameworks": [f.full_v0() for f in master.completed_frameworks],
        "unregistered_frameworks": [],
    }


def tasks(master: Master, limit: int = 100, offset: int = 0, order: str = "des") -> dict[str, Any]:
    found: list[Task] = []
    for framework in list(master.frameworks.values()) + master.completed_frameworks:
        found += list(framework.tasks.values())
        found += list(framework.unreachable_tasks.values())
        found += list(framework.completed_tasks)

    def started(task: Task) -> float:
        return float(task.statuses[0].get("timestamp", 0.0)) if task.statuses else time.time()

    found.sort(key=started, reverse=(order == "des"))
    return {"tasks": [t.to_v0() for t in found[offset : offset + limit]]}


def roles(master: Master) -> dict[str, Any]:
    names: dict[str, list[str]] = {}
    for framework in master.frameworks.values():
        for role in framework.roles:
            names.setdefault(role, []).append(framework.id)
    for agent in master.agents.values():
        for role in agent.total.reservations():
            names.setdefault(role, [])
    out = []
    for role in sorted(names):
        used = Resources()
        for fid in names[role]:
            used = used + master.frameworks[fid].used()
        out.append(
            {"name": role, "weight": 1.0, "frameworks": names[role], "resources": used.to_v0()}
        )
    return {"roles": out}


def metrics(master: Master) -> dict[str, float]:
    total = Resources()
    used = Resources()
    for agent in master.agents.values():
        total = total + agent.total
        used = used + agent.used()
    states = _counts(master.all_tasks())
    out: dict[str, float] = {
        "master/elected": 1.0 if master.elected else 0.0,
        "master/uptime_secs": time.time() - master.start_time,
        "master/slaves_active": float(sum(a.active for a in master.agents.values())),
        "master/slaves_inactive": float(sum(not a.active for a in master.agents.values())),
        "master/slaves_connected": float(len(master.agents)),
        "master/slaves_disconnected": 0.0,
        "master/slaves_unreachable": float(len(master.unreachable_agents)),
        "master/frameworks_active": float(sum(f.active for f in master.frameworks.values())),
        "master/frameworks_inactive": float(sum(not f.active for f in master.frameworks.values())),
        "master/frameworks_connected": float(sum(f.connected for f in master.frameworks.values())),
        "master/frameworks_disconnected": float(
            sum(not f.connected for f in master.frameworks.values())
        ),
        "master/outstanding_offers": float(sum(len(f.offers) for f in master.frameworks.values())),
        "master/tasks_staging": float(states["TASK_STAGING"]),
        "master/tasks_starting": float(states["TASK_STARTING"]),
        "master/tasks_running": float(states["TASK_RUNNING"]),
        "master/tasks_killing": float(states["TASK_KILLING"]),
        "master/tasks_unreachable": float(states["TASK_UNREACHABLE"]),
    }
    for name in ("cpus", "mem", "disk", "gpus"):
        out[f"master/{name}_total"] = total.scalar(name)
        out[f"master/{name}_used"] = used.scalar(name)
        out[f"master/{name}_percent"] = (
            used.scalar(name) / total.scalar(name) if total.scalar(name) else 0.0
        )
    for state in ("finished", "failed", "killed", "lost", "error", "dropped"):
        out[f"master/tasks_{state}"] = master.metrics.get(f"master/tasks_{state}", 0.0)
    for key in (
        "master/slave_registrations",
        "master/slave_reregistrations",
        "master/messages_status_update",
    ):
        out[key] = master.metrics.get(key, 0.0)
    out["registrar/state_fetch_ms"] = 0.0
    # DC/OS's node-poststart check (dcos-checks mesos-metrics) reads this. Mesos's
    # masters each recover a replica of the registry's log; here the registry is
    # ZooKeeper's, replicated by its quorum, so a master has no replica of its own
    # to recover, and one that answers this has it.
    out["registrar/log/recovered"] = 1.0
    return out


# -- v1 operator API --------------------------------------------------------------


def get_tasks(master: Master) -> dict[str, Any]:
    tasks_, completed, unreachable = [], [], []
    for framework in list(master.frameworks.values()) + master.completed_frameworks:
        tasks_ += [t.to_v1() for t in framework.tasks.values()]
        unreachable += [t.to_v1() for t in framework.unreachable_tasks.values()]
        completed += [t.to_v1() for t in framework.completed_tasks]
    return {
        "pending_tasks": [],
        "tasks": tasks_,
        "unreachable_tasks": unreachable,
        "completed_tasks": completed,
    }


def get_agents(master: Master) -> dict[str, Any]:
    return {
        "agents": [master.agent_v1(a) for a in master.agents.values()],
        "recovered_agents": [r.get("info", {}) for r in master.recovered_agents.values()],
    }


def get_frameworks(master: Master) -> dict[str, Any]:
    return {
        "frameworks": [f.to_v1(master.agents) for f in master.frameworks.values()],
        "completed_frameworks": [f.to_v1(master.agents) for f in master.completed_frameworks],
    }


def get_executors(master: Master) -> dict[str, Any]:
    out = []
    for framework in master.frameworks.values():
        for (agent_id, _), executor in framework.executors.items():
            out.append({"executor_info": executor, "agent_id": {"value": agent_id}})
    return {"executors": out}


def get_state(master: Master) -> dict[str, Any]:
    return {
        "get_tasks": get_tasks(master),
        "get_executors": get_executors(master),
        "get_frameworks": get_frameworks(master),
        "get_agents": get_agents(master),
    }


def get_roles(master: Master) -> dict[str, Any]:
    out = []
    for role in roles(master)["roles"]:
        used = Resources()
        for fid in role["frameworks"]:
            used = used + master.frameworks[fid].used()
        out.append(
            {
                "name": role["name"],
                "weight": 1.0,
                "frameworks": [{"value": f} for f in role["frameworks"]],
                "resources": used.to_v1(),
            }
        )
    return {"roles": out}


def framework_executors_v0(framework: Framework) -> list[dict[str, Any]]:
    return [executor_v0(e) for e in framework.executors.values()]


def running(task: Task) -> bool:
    return not is_terminal(task.state)
