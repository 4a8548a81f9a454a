"""Mesos's identifiers and small protobuf-JSON helpers shared by master and agent."""

from __future__ import annotations

import base64
import itertools
import os
import time
import uuid
from typing import Any

TERMINAL_STATES = frozenset(
    {
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
    }
)


def new_uuid() -> str:
    return str(uuid.uuid4())


def status_uuid() -> str:
    """A status update's `uuid`: 16 random bytes, base64 as protobuf JSON writes `bytes`."""
    return base64.b64encode(os.urandom(16)).decode()


def value(obj: Any) -> str:
    """`{"value": "x"}` -> "x" (Mesos's ID messages); strings pass through."""
    if isinstance(obj, dict):
        return str(obj.get("value", ""))
    return "" if obj is None else str(obj)


def wrap(text: str) -> dict[str, str]:
    return {"value": text}


def is_terminal(state: str) -> bool:
    return state in TERMINAL_STATES


class Sequence:
    """Mesos-style ids: `<master id>-S0` for agents, `<master id>-0000` for frameworks."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._agents = itertools.count()
        self._frameworks = itertools.count()
        self._offers = itertools.count()

    def agent(self) -> str:
        return f"{self.prefix}-S{next(self._agents)}"

    def framework(self) -> str:
        return f"{self.prefix}-{next(self._frameworks):04d}"

    def offer(self) -> str:
        return f"{self.prefix}-O{next(self._offers)}"


def status(
    task_id: str,
    state: str,
    *,
    agent_id: str = "",
    executor_id: str = "",
    source: str = "SOURCE_EXECUTOR",
    reason: str = "",
    message: str = "",
    with_uuid: bool = True,
    healthy: bool | None = None,
    container_status: dict[str, Any] | None = None,
    timestamp: float | None = None,
) -> dict[str, Any]:
    """A v1 TaskStatus as Mesos writes it in JSON."""
    out: dict[str, Any] = {"task_id": wrap(task_id), "state": state, "source": source}
    if agent_id:
        out["agent_id"] = wrap(agent_id)
    if executor_id:
        out["executor_id"] = wrap(executor_id)
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    out["timestamp"] = time.time() if timestamp is None else timestamp
    if with_uuid:
        out["uuid"] = status_uuid()
    if healthy is not None:
        out["healthy"] = healthy
    if container_status:
        out["container_status"] = container_status
    return out


def v0_status(status: dict[str, Any]) -> dict[str, Any]:
    """A TaskStatus as the v0 endpoints show it in a task's `statuses`."""
    out: dict[str, Any] = {"state": status["state"], "timestamp": status.get("timestamp", 0.0)}
    if "labels" in status:
        out["labels"] = status["labels"].get("labels", [])
    if "container_status" in status:
        out["container_status"] = status["container_status"]
    if "healthy" in status:
        out["healthy"] = status["healthy"]
    return out
