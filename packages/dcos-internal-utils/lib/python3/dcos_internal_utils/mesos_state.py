"""What DC/OS's node services read out of Mesos's `/state`: containers and tasks.

An agent's `/state` lists, per framework, its executors (running and
completed), each with the container it runs in, its sandbox directory and its
tasks. dcos-log finds sandboxes here, dcos-metrics the dimensions of a
container's metrics. A master's `/state` lists tasks with the agent they run
on and their container (in each status's `container_status`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dcos_internal_utils.httpclient import get_json

AGENT_PORT = 5051
MASTER_PORT = 5050


@dataclass(frozen=True)
class Container:
    """One executor's container on an agent, with what DC/OS tags its metrics with."""

    container_id: str
    framework_id: str
    framework_name: str
    framework_role: str
    framework_principal: str
    executor_id: str
    executor_name: str
    source: str
    directory: str
    task_id: str = ""
    task_name: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=dict)  # cpus, mem (MB), disk (MB)
    running: bool = True


def agent_state(host: str, timeout: float = 5.0) -> Any:
    return get_json(f"http://{host}:{AGENT_PORT}/state", timeout=timeout)


def _labels(item: dict[str, Any]) -> dict[str, str]:
    labels = item.get("labels") or []
    if isinstance(labels, dict):  # {"labels": [...]} as some Mesos messages nest it
        labels = labels.get("labels", [])
    return {str(lb.get("key", "")): str(lb.get("value", "")) for lb in labels if lb.get("key")}


def _executors(state: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any], bool]]:
    for group, running_framework in (("frameworks", True), ("completed_frameworks", False)):
        for framework in state.get(group) or []:
            for key, running in (("executors", True), ("completed_executors", False)):
                for executor in framework.get(key) or []:
                    yield framework, executor, running and running_framework


def containers(state: dict[str, Any]) -> dict[str, Container]:
    """Container ID -> Container, for every executor in an agent's `/state`.

    A running executor wins over a completed one with the same container ID.
    """
    found: dict[str, Container] = {}
    for framework, executor, running in _executors(state):
        container_id = executor.get("container") or ""
        if not container_id or (container_id in found and found[container_id].running):
            continue
        tasks = (
            (executor.get("tasks") or [])
            + (executor.get("queued_tasks") or [])
            + (executor.get("completed_tasks") or [])
        )
        task = tasks[0] if tasks else {}
        found[container_id] = Container(
            container_id=container_id,
            framework_id=str(framework.get("id", "")),
            framework_name=str(framework.get("name", "")),
            framework_role=str(framework.get("role", "")),
            framework_principal=str(framework.get("principal", "")),
            executor_id=str(executor.get("id", "")),
            executor_name=str(executor.get("name", "")),
            source=str(executor.get("source", "")),
            directory=str(executor.get("directory", "")),
            task_id=str(task.get("id", "")),
            task_name=str(task.get("name", "")),
            labels={**_labels(executor), **_labels(task)},
            resources={
                k: float(v)
                for k, v in (executor.get("resources") or {}).items()
                if isinstance(v, int | float)
            },
            running=running,
        )
    return found


def sandbox_directory(
    state: dict[str, Any], framework_id: str, executor_id: str, container_id: str
) -> str | None:
    """The sandbox of one executor run, as the agent reports it (None if it does not)."""
    for framework, executor, _ in _executors(state):
        if (
            framework.get("id") == framework_id
            and executor.get("id") == executor_id
            and executor.get("container") == container_id
        ):
            return str(executor.get("directory") or "") or None
    return None


@dataclass(frozen=True)
class TaskLocation:
    """Where a task's sandbox is: DC/OS's "canonical task ID"."""

    task_id: str
    agent_id: str
    framework_id: str
    executor_id: str  # empty for a task of the command executor
    container_ids: list[str]  # outermost first; the last one is the task's own


def container_ids(status: dict[str, Any]) -> list[str]:
    """The container ID chain of a task status, outermost first."""
    node = (status.get("container_status") or {}).get("container_id")
    chain: list[str] = []
    while isinstance(node, dict) and node.get("value"):
        chain.append(str(node["value"]))
        node = node.get("parent")
    return list(reversed(chain))


def find_task(state: dict[str, Any], task_id: str, completed: bool) -> TaskLocation | None:
    """A task of a master's `/state` (running ones, or completed ones when `completed`)."""
    keys = ("completed_tasks",) if completed else ("tasks", "unreachable_tasks")
    groups = ("frameworks", "completed_frameworks")
    for group in groups:
        for framework in state.get(group) or []:
            for key in keys:
                for task in framework.get(key) or []:
                    if task.get("id") != task_id:
                        continue
                    chain: list[str] = []
                    for status in reversed(task.get("statuses") or []):
                        chain = container_ids(status)
                        if chain:
                            break
                    if not chain:
                        continue
                    return TaskLocation(
                        task_id=task_id,
                        agent_id=str(task.get("slave_id", "")),
                        framework_id=str(task.get("framework_id") or framework.get("id", "")),
                        executor_id=str(task.get("executor_id", "")),
                        container_ids=chain,
                    )
    return None
