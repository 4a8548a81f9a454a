"""Instances and their tasks, as Marathon's instance tracker keeps them.

An app instance has one task (`<app_safe_id>.<uuid>`, instance
`<app_safe_id>.marathon-<uuid>`); a pod instance (`<pod>.instance-<uuid>`) has
one task per container (`<pod>.instance-<uuid>.<container>`), launched
together as a Mesos task group under executor `instance-<pod>.<uuid>`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from . import pathid

# Marathon's instance conditions, by the Mesos task state that leads to them.
CONDITION_BY_STATE = {
    "TASK_STAGING": "Staging",
    "TASK_STARTING": "Starting",
    "TASK_RUNNING": "Running",
    "TASK_KILLING": "Killing",
    "TASK_FINISHED": "Finished",
    "TASK_FAILED": "Failed",
    "TASK_KILLED": "Killed",
    "TASK_ERROR": "Error",
    "TASK_LOST": "Gone",
    "TASK_DROPPED": "Dropped",
    "TASK_GONE": "Gone",
    "TASK_GONE_BY_OPERATOR": "Gone",
    "TASK_UNKNOWN": "Unknown",
    "TASK_UNREACHABLE": "Unreachable",
}
TERMINAL = frozenset({"Error", "Failed", "Finished", "Killed", "Gone", "Dropped", "Unknown"})
# Terminations that count as a failure for the launch backoff and lastTaskFailure.
FAILURES = frozenset({"TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE"})
ACTIVE = frozenset(
    {"Created", "Staging", "Starting", "Running", "Killing", "Unreachable", "UnreachableInactive"}
)


def uuid1() -> str:
    """Marathon's ids carry time-based UUIDs."""
    return str(uuid.uuid1())


def new_app_task_id(app_id: str) -> str:
    return f"{pathid.safe_path(app_id)}.{uuid1()}"


def app_instance_id(task_id: str) -> str:
    safe, _, task_uuid = task_id.rpartition(".")
    return f"{safe}.marathon-{task_uuid}"


def new_pod_instance_id(pod_id: str) -> str:
    return f"{pathid.safe_path(pod_id)}.instance-{uuid1()}"


def pod_executor_id(instance_id: str) -> str:
    safe, _, rest = instance_id.rpartition(".instance-")
    return f"instance-{safe}.{rest}"


def pod_task_id(instance_id: str, container_name: str) -> str:
    return f"{instance_id}.{container_name}"


def instance_id_of_task(task_id: str) -> str:
    """The instance a task id belongs to (either scheme)."""
    for marker in (".instance-", ".marathon-"):
        if marker in task_id:
            head, _, tail = task_id.partition(marker)
            return f"{head}{marker}{tail.split('.')[0]}"
    return app_instance_id(task_id)


def run_spec_id_of_task(task_id: str) -> str:
    return pathid.from_safe_path(instance_id_of_task(task_id).rpartition(".")[0])


@dataclass
class Task:
    task_id: str
    state: str = "TASK_STAGING"
    staged_at: str = ""
    started_at: str | None = None
    host_ports: list[int] = field(default_factory=list)
    ip_addresses: list[dict[str, str]] = field(default_factory=list)
    healthy: bool | None = None  # as Mesos reports it (Mesos-run health checks)
    container_name: str | None = None
    message: str = ""

    @property
    def condition(self) -> str:
        return CONDITION_BY_STATE.get(self.state, "Staging")


@dataclass
class Instance:
    instance_id: str
    run_spec_id: str
    run_spec_version: str
    config_version: str  # the spec's lastConfigChangeAt when launched
    agent_id: str
    host: str
    agent_attributes: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    condition: str = "Created"
    since: str = ""
    is_pod: bool = False
    executor_id: str = ""
    unreachable_since: float | None = None
    kill_requested_at: float | None = None

    @property
    def is_active(self) -> bool:
        return self.condition in ACTIVE

    @property
    def is_terminal(self) -> bool:
        return self.condition in TERMINAL

    @property
    def counts_as_running(self) -> bool:
        """Active, not being killed, and not written off as unreachable for too long."""
        return (
            self.is_active
            and self.condition != "UnreachableInactive"
            and self.kill_requested_at is None
        )

    def derive_condition(self) -> str:
        """An instance's condition from its tasks' (Instance.InstanceState)."""
        conditions = [t.condition for t in self.tasks.values()]
        if not conditions:
            return self.condition
        if "Unreachable" in conditions:
            return (
                "UnreachableInactive" if self.condition == "UnreachableInactive" else "Unreachable"
            )
        if "Killing" in conditions:
            return "Killing"
        if all(c in TERMINAL for c in conditions):
            for c in ("Error", "Failed", "Gone", "Dropped", "Unknown", "Killed"):
                if c in conditions:
                    return c
            return "Finished"
        if any(c in TERMINAL for c in conditions) and not self.is_pod:
            return next(c for c in conditions if c in TERMINAL)
        if "Staging" in conditions or "Created" in conditions:
            return "Staging"
        if "Starting" in conditions:
            return "Starting"
        return "Running"

    def started_at(self) -> str | None:
        started = [t.started_at for t in self.tasks.values() if t.started_at]
        return min(started) if started else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tasks"] = [asdict(t) for t in self.tasks.values()]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Instance:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["tasks"] = {t["task_id"]: Task(**t) for t in data.get("tasks", [])}
        return cls(**fields)


def render_task(
    instance: Instance,
    task: Task,
    service_ports: list[int],
    health: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """A task as `/v2/tasks` and `/v2/apps/<id>/tasks` show it (Marathon's EnrichedTask)."""
    out: dict[str, Any] = {
        "id": task.task_id,
        "state": "TASK_STAGING" if task.condition == "Created" else task.state,
    }
    if instance.is_active:
        out["startedAt"] = task.started_at
        out["stagedAt"] = task.staged_at
        out["ports"] = task.host_ports
        out["version"] = instance.run_spec_version
    if task.ip_addresses:
        out["ipAddresses"] = task.ip_addresses
    out["appId"] = instance.run_spec_id
    out["slaveId"] = instance.agent_id
    out["host"] = instance.host
    if service_ports:
        out["servicePorts"] = service_ports
    if health:
        out["healthCheckResults"] = health
    return out
