"""Unit state read from systemd, for health reporting and readiness."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

PROPERTIES = (
    "Id",
    "Description",
    "Documentation",
    "LoadState",
    "ActiveState",
    "SubState",
    "Result",
    "Type",
    "TriggeredBy",
)


@dataclass(frozen=True)
class UnitState:
    id: str
    description: str
    documentation: str
    load_state: str
    active_state: str
    sub_state: str
    result: str
    type: str
    triggered_by: str

    @property
    def healthy(self) -> bool:
        """DC/OS's reading of health: running, or a one-shot whose last run succeeded."""
        if self.load_state != "loaded":
            return False
        if self.active_state == "active":
            return True
        if self.active_state == "activating":
            # A one-shot doing its job right now is fine; a service stuck
            # restarting (auto-restart) is not.
            return self.type == "oneshot" and self.sub_state == "start"
        if self.active_state == "inactive":
            # One-shots, and services a timer or socket starts, sit inactive
            # between runs; any other service that is inactive is down.
            return self.result == "success" and (self.type == "oneshot" or bool(self.triggered_by))
        return False

    @property
    def problem(self) -> str:
        if self.healthy:
            return ""
        return (
            f"{self.id} is {self.active_state} ({self.sub_state}), result {self.result}, "
            f"load state {self.load_state}"
        )


def unit_states(units: list[str]) -> list[UnitState]:
    """The state of each unit, in one `systemctl show` call."""
    if not units:
        return []
    out = subprocess.run(
        ["systemctl", "show", "--property=" + ",".join(PROPERTIES), "--", *units],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    states = []
    for block in out.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        states.append(
            UnitState(
                id=props.get("Id", ""),
                description=props.get("Description", ""),
                documentation=props.get("Documentation", ""),
                load_state=props.get("LoadState", ""),
                active_state=props.get("ActiveState", ""),
                sub_state=props.get("SubState", ""),
                result=props.get("Result", ""),
                type=props.get("Type", ""),
                triggered_by=props.get("TriggeredBy", ""),
            )
        )
    return states
