"""dcos-metrics' message shape: datapoints and the dimensions they share.

    {"datapoints": [{"name": "cpu.total", "value": 3.5, "unit": "percent",
                     "timestamp": "2017-06-06T20:18:07.154Z", "tags": {...}}, ...],
     "dimensions": {"mesos_id": "...", "cluster_id": "...", "hostname": "10.0.0.5", ...}}

`tags` is left out when a datapoint has none; dimensions keep `mesos_id` and
`hostname` always and every other key only when it has a value, as DC/OS does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

COUNT, BYTES, PERCENT, SECONDS = "count", "bytes", "percent", "seconds"


def timestamp(now: float | None = None) -> str:
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Datapoint:
    name: str
    value: Any
    unit: str
    timestamp: str
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "timestamp": self.timestamp,
        }
        if self.tags:
            out["tags"] = self.tags
        return out


@dataclass
class Dimensions:
    mesos_id: str = ""
    cluster_id: str = ""
    hostname: str = ""
    container_id: str = ""
    executor_id: str = ""
    framework_name: str = ""
    framework_id: str = ""
    framework_role: str = ""
    framework_principal: str = ""
    task_name: str = ""
    task_id: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mesos_id": self.mesos_id}
        for key in (
            "cluster_id",
            "container_id",
            "executor_id",
            "framework_name",
            "framework_id",
            "framework_role",
            "framework_principal",
            "task_name",
            "task_id",
        ):
            value = getattr(self, key)
            if value:
                out[key] = value
        out["hostname"] = self.hostname
        if self.labels:
            out["labels"] = self.labels
        return out


def message(datapoints: list[Datapoint], dimensions: Dimensions) -> dict[str, Any]:
    return {
        "datapoints": [dp.to_json() for dp in datapoints],
        "dimensions": dimensions.to_json(),
    }
