"""What the agent knows about its containers and tasks, checkpointed under its meta dir.

Layout (Mesos's paths):
  <work_dir>/meta/slaves/latest                  the agent id
  <work_dir>/meta/slaves/<agent>/containers/<container>.json   one record per container
  <work_dir>/meta/slaves/<agent>/containers/<container>.exit    how its unit ended
  <work_dir>/meta/slaves/<agent>/containers/<container>.journal how much output is journalled
  <work_dir>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>   the sandbox
Records are rewritten whole and renamed into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dcos_mesos.ids import is_terminal, value


@dataclass
class TaskRecord:
    info: dict[str, Any]
    state: str = "TASK_STAGING"
    statuses: list[dict[str, Any]] = field(default_factory=list)  # every status sent
    pending: list[dict[str, Any]] = field(default_factory=list)  # not yet acknowledged
    container_id: str = ""  # the task's own (nested) container in a task group
    unit: str = ""
    killing: bool = False
    exited: bool = False
    launched: bool = False  # the launch finished (an exit seen before then waits for it)
    healthy: bool | None = None

    @property
    def id(self) -> str:
        return value(self.info.get("task_id"))

    @property
    def terminal(self) -> bool:
        return is_terminal(self.state)


@dataclass
class ContainerRecord:
    id: str
    framework_id: str
    executor_id: str
    kind: str  # "command", "docker" or "group"
    sandbox: str
    executor_info: dict[str, Any]
    framework_info: dict[str, Any]
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    launched_at: float = 0.0
    destroyed: bool = False
    statsd: bool = False  # dcos-metrics was asked for a StatsD port for it (given back at its end)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        tasks = {k: TaskRecord(**v) for k, v in data.pop("tasks", {}).items()}
        return cls(**data, tasks=tasks)

    def live_tasks(self) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if not t.terminal]

    def done(self) -> bool:
        """Every task ended and every update was acknowledged: the container can be forgotten."""
        return all(t.terminal and not t.pending for t in self.tasks.values())


class Store:
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.meta = work_dir / "meta" / "slaves"

    def agent_id(self) -> str:
        try:
            return (self.meta / "latest").read_text().strip()
        except OSError:
            return ""

    def set_agent_id(self, agent_id: str) -> None:
        self.meta.mkdir(parents=True, exist_ok=True)
        _write(self.meta / "latest", agent_id.encode())

    def containers_dir(self, agent_id: str) -> Path:
        return self.meta / agent_id / "containers"

    def sandbox(
        self, agent_id: str, framework_id: str, executor_id: str, container_id: str
    ) -> Path:
        return (
            self.work_dir
            / "slaves"
            / agent_id
            / "frameworks"
            / framework_id
            / "executors"
            / executor_id
            / "runs"
            / container_id
        )

    def save(self, agent_id: str, record: ContainerRecord) -> None:
        folder = self.containers_dir(agent_id)
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / f"{record.id}.json", json.dumps(asdict(record)).encode())

    def forget(self, agent_id: str, container_id: str) -> None:
        for suffix in (".json", ".exit", ".journal"):
            with contextlib.suppress(FileNotFoundError):
                (self.containers_dir(agent_id) / f"{container_id}{suffix}").unlink()

    def load(self, agent_id: str) -> list[ContainerRecord]:
        folder = self.containers_dir(agent_id)
        out = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                out.append(ContainerRecord.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue  # a record we cannot read is one we cannot recover
        return out

    def exit_file(self, agent_id: str, unit_key: str) -> Path:
        return self.containers_dir(agent_id) / f"{unit_key}.exit"

    def journal_checkpoint(self, agent_id: str, unit_key: str) -> Path:
        """How much of a container's stdout and stderr is in the journal already."""
        return self.containers_dir(agent_id) / f"{unit_key}.journal"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
