"""What Navstar reads from a Mesos task (the v1 operator API's `Task`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TERMINAL_STATES = {
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_DROPPED",
    "TASK_GONE",
    "TASK_GONE_BY_OPERATOR",
    "TASK_UNKNOWN",
}


def value(wrapped: Any) -> str:
    """`{"value": "x"}` -> "x" (Mesos's ID wrappers)."""
    if isinstance(wrapped, dict):
        return str(wrapped.get("value", ""))
    return "" if wrapped is None else str(wrapped)


def labels(proto: Any) -> dict[str, str]:
    """Mesos `Labels` (`{"labels": [{"key", "value"}]}`) as a dict."""
    if not isinstance(proto, dict):
        return {}
    return {
        str(item.get("key", "")): str(item.get("value", "")) for item in proto.get("labels", [])
    }


@dataclass
class Task:
    """A task as the operator stream describes it, plus the statuses seen since."""

    framework_id: str
    task_id: str
    agent_id: str
    name: str
    state: str
    info: dict[str, Any]
    statuses: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_v1(cls, task: dict[str, Any]) -> Task:
        return cls(
            framework_id=value(task.get("framework_id")),
            task_id=value(task.get("task_id")),
            agent_id=value(task.get("agent_id")),
            name=str(task.get("name", "")),
            state=str(task.get("state", "")),
            info=task,
            statuses=list(task.get("statuses") or []),
        )

    @property
    def key(self) -> tuple[str, str]:
        return self.framework_id, self.task_id

    def update(self, status: dict[str, Any], state: str) -> None:
        uuid = status.get("uuid")
        if not uuid or all(s.get("uuid") != uuid for s in self.statuses):
            self.statuses.append(status)
        self.state = state or str(status.get("state", self.state))

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def latest_status(self) -> dict[str, Any] | None:
        if not self.statuses:
            return None
        return max(self.statuses, key=lambda s: float(s.get("timestamp", 0.0)))

    @property
    def healthy(self) -> bool:
        """Whether the task takes VIP traffic (DC/OS's rule).

        A running task whose latest status says healthy, or, for a task without
        a Mesos health check, one whose status says nothing about its health.
        """
        status = self.latest_status()
        if self.state != "TASK_RUNNING" or status is None:
            return False
        if status.get("state", "TASK_RUNNING") != "TASK_RUNNING":
            return False
        healthy = status.get("healthy")
        if healthy is None:
            return "health_check" not in self.info
        return bool(healthy)

    def container_ip(self) -> str:
        """The task's own address (`network_infos`), newest status first; "" if none."""
        for status in sorted(
            self.statuses, key=lambda s: float(s.get("timestamp", 0.0)), reverse=True
        ):
            infos = (status.get("container_status") or {}).get("network_infos") or []
            for info in infos:
                for address in info.get("ip_addresses") or []:
                    ip = address.get("ip_address")
                    if ip and address.get("protocol", "IPv4") == "IPv4":
                        return str(ip)
        return ""

    @property
    def discovery_name(self) -> str:
        discovery = self.info.get("discovery") or {}
        return str(discovery.get("name") or self.name)

    def discovery_ports(self) -> list[dict[str, Any]]:
        discovery = self.info.get("discovery") or {}
        return list((discovery.get("ports") or {}).get("ports") or [])

    def has_port_mappings(self) -> bool:
        """Whether the task maps host ports into its container (bridge, or overlay + mappings)."""
        container = self.info.get("container") or {}
        if container.get("type") == "DOCKER":
            return bool((container.get("docker") or {}).get("port_mappings"))
        infos = container.get("network_infos") or []
        if not infos:
            return False
        return bool(infos[0].get("port_mappings"))
