"""This node's answer to GET /system/health/v1, shaped exactly as DC/OS's."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from http.client import HTTPConnection
from typing import Any, ClassVar

from dcos_internal_utils import node, systemd

from . import __version__, units

HEALTHY, UNHEALTHY = 0, 1
JOURNAL_LINES = 20


def split_description(description: str, unit_id: str) -> tuple[str, str]:
    """(name, description) from a DC/OS unit Description "Pretty Name: what it does".

    DC/OS leaves the name empty when the Description has no single ": ", but its
    own tests require a name, so the unit ID stands in for it.
    """
    parts = description.split(": ")
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return unit_id, description or unit_id


def unit_entry(state: systemd.UnitState, journal: str = "") -> dict[str, Any]:
    """One element of `units`: exactly id, health, output, description, help, name."""
    name, description = split_description(state.description, state.id)
    output = "" if state.healthy else "\n".join(p for p in (state.problem, journal) if p)
    return {
        "id": state.id,
        "health": HEALTHY if state.healthy else UNHEALTHY,
        "output": output,
        "description": description,
        "help": "",  # DC/OS fills help only in the master's per-node views
        "name": name,
    }


def journal_tail(unit: str, lines: int = JOURNAL_LINES) -> str:
    """The last lines a unit logged: the first thing anyone debugging it wants."""
    try:
        return subprocess.run(
            ["journalctl", "--no-pager", "-o", "short-iso", "-n", str(lines), "-u", unit],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"journalctl failed: {exc}"


def units_health() -> list[dict[str, Any]]:
    names = units.discover()
    states = systemd.unit_states(names)
    return [unit_entry(s, "" if s.healthy else journal_tail(s.id)) for s in states]


class MesosId:
    """The local Mesos master's or agent's ID (its /state `id`), "" while there is none.

    Answers are kept a while because the ID only changes when Mesos restarts,
    and health is polled every few seconds.
    """

    PORTS: ClassVar[dict[str, int]] = {"master": 5050, "slave": 5051, "slave_public": 5051}
    KEEP_FOUND, KEEP_MISSING = 60.0, 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = ""
        self._expires = 0.0

    def get(self, role: str, ip: str) -> str:
        with self._lock:
            if time.monotonic() < self._expires:
                return self._value
            self._value = self._fetch(ip, self.PORTS.get(role, 5051))
            keep = self.KEEP_FOUND if self._value else self.KEEP_MISSING
            self._expires = time.monotonic() + keep
            return self._value

    @staticmethod
    def _fetch(ip: str, port: int) -> str:
        try:
            conn = HTTPConnection(ip, port, timeout=1)
            try:
                conn.request("GET", "/state")
                response = conn.getresponse()
                if response.status != 200:
                    return ""
                return str(json.load(response).get("id", ""))
            finally:
                conn.close()
        except (OSError, ValueError):
            return ""


_mesos_id = MesosId()


def node_health() -> dict[str, Any]:
    """The full /system/health/v1 document: exactly DC/OS's seven fields."""
    role = node.role()
    ip = node.detect_ip()
    return {
        "units": units_health(),
        "hostname": socket.gethostname(),
        "ip": ip,
        "dcos_version": str(node.dcos_version().get("version", "")),
        "node_role": node.ROLE_NAMES[role],
        "mesos_id": _mesos_id.get(role, ip),
        "dcos_diagnostics_version": __version__,
    }
