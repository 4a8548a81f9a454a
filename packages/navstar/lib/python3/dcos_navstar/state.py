"""The cluster as the operator event stream shows it: agents, frameworks, tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dcos_navstar.tasks import Task, value


def agent_ip(agent: dict[str, Any]) -> str:
    """An agent's address: its libprocess PID (`slave(1)@ip:port`), else its hostname."""
    pid = str(agent.get("pid", ""))
    if "@" in pid:
        return pid.split("@", 1)[1].rsplit(":", 1)[0]
    return str((agent.get("agent_info") or {}).get("hostname", ""))


@dataclass
class ClusterState:
    agents: dict[str, str] = field(default_factory=dict)  # agent id -> IP
    frameworks: dict[str, str] = field(default_factory=dict)  # framework id -> name
    tasks: dict[tuple[str, str], Task] = field(default_factory=dict)

    def reset(self, get_state: dict[str, Any]) -> None:
        """Start over from a SUBSCRIBED event's `get_state`."""
        self.agents.clear()
        self.frameworks.clear()
        self.tasks.clear()
        for agent in (get_state.get("get_agents") or {}).get("agents", []):
            self.add_agent(agent)
        frameworks = get_state.get("get_frameworks") or {}
        for framework in frameworks.get("frameworks", []) + frameworks.get(
            "completed_frameworks", []
        ):
            self.add_framework(framework)
        tasks = get_state.get("get_tasks") or {}
        for task in tasks.get("tasks", []):
            self.add_task(task)

    def add_agent(self, agent: dict[str, Any]) -> None:
        agent_id = value((agent.get("agent_info") or {}).get("id"))
        if agent_id:
            self.agents[agent_id] = agent_ip(agent)

    def add_framework(self, framework: dict[str, Any]) -> None:
        info = framework.get("framework_info") or {}
        framework_id = value(info.get("id"))
        if framework_id:
            self.frameworks[framework_id] = str(info.get("name", ""))

    def add_task(self, task: dict[str, Any]) -> None:
        view = Task.from_v1(task)
        if not view.terminal:
            self.tasks[view.key] = view

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one event; True if it may change VIPs or records."""
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self.reset((event.get("subscribed") or {}).get("get_state") or {})
            return True
        if kind == "TASK_ADDED":
            self.add_task((event.get("task_added") or {}).get("task") or {})
            return True
        if kind == "TASK_UPDATED":
            update = event.get("task_updated") or {}
            status = update.get("status") or {}
            key = (value(update.get("framework_id")), value(status.get("task_id")))
            task = self.tasks.get(key)
            if task is None:
                return False
            task.update(status, str(update.get("state", "")))
            if task.terminal:
                del self.tasks[key]
            return True
        if kind == "AGENT_ADDED":
            self.add_agent((event.get("agent_added") or {}).get("agent") or {})
            return True
        if kind == "AGENT_REMOVED":
            agent_id = value((event.get("agent_removed") or {}).get("agent_id"))
            self.agents.pop(agent_id, None)
            return True
        if kind in ("FRAMEWORK_ADDED", "FRAMEWORK_UPDATED"):
            self.add_framework((event.get(kind.lower()) or {}).get("framework") or {})
            return True
        return False

    def unknown_frameworks(self) -> set[str]:
        return {t.framework_id for t in self.tasks.values()} - set(self.frameworks)
