"""VIPs from task port labels, and each VIP's backends (Minuteman's rules).

A discovery port labelled `VIP_<n>: /<name>:<port>` (a named VIP) or
`VIP_<n>: <ip>:<port>` (an unnamed VIP) makes the task's port a backend of
that VIP: the agent's address and the port's number, or the task's own
address when the port is scoped to a container network.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from dcos_navstar import L4LB_DOMAIN
from dcos_navstar.labels import label
from dcos_navstar.tasks import Task, labels

log = logging.getLogger("navstar.vips")

PROTOCOLS = ("tcp", "udp")


@dataclass(frozen=True, order=True)
class Vip:
    """A VIP as tasks name it: a literal address, or a name within a framework."""

    protocol: str
    host: str  # an IPv4 address, or the fully qualified l4lb name
    port: int

    @property
    def named(self) -> bool:
        try:
            ipaddress.IPv4Address(self.host)
        except ValueError:
            return True
        return False

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, order=True)
class Backend:
    ip: str
    port: int


def named_vip_host(name: str, framework: str) -> str:
    """`/l4lbtest` of marathon -> `l4lbtest.marathon.l4lb.thisdcos.directory`."""
    return f"{label(name)}.{label(framework)}.{L4LB_DOMAIN}"


def parse_vip_label(text: str, protocol: str, framework: str) -> Vip | None:
    host, sep, port_text = text.strip().partition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        if not label(host):
            return None
        host = named_vip_host(host, framework)
    return Vip(protocol, host, int(port_text))


def task_vips(task: Task, framework: str, agent_ip: str) -> list[tuple[Vip, Backend]]:
    """Every (VIP, backend) the task's discovery ports declare."""
    out = []
    for port in task.discovery_ports():
        port_labels = labels(port.get("labels"))
        vip_values = [v for k, v in port_labels.items() if k.upper().startswith("VIP")]
        if not vip_values:
            continue
        protocol = str(port.get("protocol", "tcp")).lower()
        if protocol not in PROTOCOLS:
            log.warning("task %s: VIPs on protocol %s are not supported", task.task_id, protocol)
            continue
        number = int(port.get("number", 0))
        if port_labels.get("network-scope") == "container":
            ip = task.container_ip() or agent_ip
        else:
            ip = agent_ip
        if not ip or not number:
            continue
        for text in vip_values:
            vip = parse_vip_label(text, protocol, framework)
            if vip is None:
                log.warning("task %s: bad VIP label value %r", task.task_id, text)
                continue
            out.append((vip, Backend(ip, number)))
    return out


def vip_table(
    tasks: list[Task], frameworks: dict[str, str], agents: dict[str, str]
) -> dict[Vip, set[Backend]]:
    """Each VIP some live task declares, with its healthy backends (possibly none)."""
    table: dict[Vip, set[Backend]] = {}
    for task in tasks:
        if task.terminal:
            continue
        agent_ip = agents.get(task.agent_id, "")
        framework = frameworks.get(task.framework_id, "")
        for vip, backend in task_vips(task, framework, agent_ip):
            backends = table.setdefault(vip, set())
            if task.healthy:
                backends.add(backend)
    return table
