"""The DNS records Navstar serves, and the hosts file spartan reads them from.

`<task>.<framework>.{agentip,autoip,containerip}.dcos.thisdcos.directory`
for every running task, and `<name>.<framework>.l4lb.thisdcos.directory` for
every named VIP, as DC/OS's navstar_dns builds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dcos_navstar import DCOS_DOMAIN
from dcos_navstar.labels import label
from dcos_navstar.tasks import Task


@dataclass(frozen=True, order=True)
class Record:
    name: str
    ip: str
    rtype: str = "A"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "host": self.ip, "rtype": self.rtype}


def task_name(task: Task, framework: str, kind: str) -> str:
    return f"{label(task.discovery_name)}.{label(framework)}.{kind}.{DCOS_DOMAIN}"


def autoip(task: Task, agent_ip: str) -> str:
    """DC/OS's `autoip`: the task's own address unless it maps host ports into its container.

    A host-networked task's own address is the agent's (Mesos reports it so).
    """
    if task.has_port_mappings():
        return agent_ip
    return task.container_ip() or agent_ip


def task_records(task: Task, framework: str, agent_ip: str) -> list[Record]:
    if task.state != "TASK_RUNNING" or not agent_ip or not framework:
        return []
    return [
        Record(task_name(task, framework, "agentip"), agent_ip),
        Record(task_name(task, framework, "containerip"), task.container_ip() or agent_ip),
        Record(task_name(task, framework, "autoip"), autoip(task, agent_ip)),
    ]


def all_records(
    tasks: list[Task],
    frameworks: dict[str, str],
    agents: dict[str, str],
    named_vips: dict[str, str],
) -> list[Record]:
    """Every record, sorted; `named_vips` maps each l4lb name to its address."""
    out: set[Record] = set()
    for task in tasks:
        out.update(
            task_records(task, frameworks.get(task.framework_id, ""), agents.get(task.agent_id, ""))
        )
    out.update(Record(name, ip) for name, ip in named_vips.items())
    return sorted(out)


def hosts_file(records: list[Record]) -> str:
    """dnsmasq's hosts-file format: one address and its names per line."""
    by_ip: dict[str, list[str]] = {}
    for record in records:
        if record.rtype == "A":
            by_ip.setdefault(record.ip, []).append(record.name)
    lines = ["# Written by dcos-navstar: the *.thisdcos.directory records spartan answers."]
    lines += [f"{ip} {' '.join(sorted(names))}" for ip, names in sorted(by_ip.items())]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> bool:
    """Replace `path` in one rename (dnsmasq rereads it on the inotify event); True if changed."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True
