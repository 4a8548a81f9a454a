"""Resource statistics of running containers (Mesos's ResourceStatistics), from their cgroups.

A container's usage is read from the cgroups of one of its processes with
dcos_internal_utils.cgroups, which knows where each hierarchy is mounted on
this node (a node that is itself a container may see its hierarchies mounted
from a root below the host's) and which hierarchy counts a unit's CPU time.
The process is the unit's main process (the container's executor), or, for a
task in Docker, the Docker container's first process, whose cgroup is Docker's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from dcos_internal_utils import cgroups

from dcos_mesos.agent import launcher
from dcos_mesos.resources import Resources

# Counters a parent container (a task group's executor) adds up from its nested containers,
# as its own cgroup, which holds theirs, would in Mesos.
SUMMED = (
    "cpus_user_time_secs",
    "cpus_system_time_secs",
    "cpus_limit",
    "cpus_nr_periods",
    "cpus_nr_throttled",
    "cpus_throttled_time_secs",
    "mem_total_bytes",
    "mem_limit_bytes",
    "mem_rss_bytes",
    "mem_cache_bytes",
    "mem_mapped_file_bytes",
    "mem_swap_bytes",
    "mem_unevictable_bytes",
    "processes",
    "threads",
)


@dataclass(frozen=True)
class Running:
    """One running task's container (its own systemd unit) as the agent knows it."""

    container_id: str
    kind: str  # the record's: "command", "docker" or "group"
    resources: Resources
    parent: str = ""  # the task group's container, for a nested one


@dataclass
class Usage:
    statistics: dict[str, dict[str, Any]]
    executor_pids: dict[str, int]


async def docker_pids(container_ids: list[str]) -> dict[str, int]:
    """The first process of each task's Docker container (`mesos-<container id>`)."""
    if not container_ids:
        return {}
    names = [f"mesos-{c}" for c in container_ids]
    _rc, out = await launcher.run(
        ["docker", "inspect", "--format", "{{.Name}} {{.State.Pid}}", *names], 10.0
    )
    pids = {}
    for line in out.splitlines():
        name, _, pid = line.strip().lstrip("/").partition(" ")
        if name.startswith("mesos-") and pid.isdigit() and pid != "0":
            pids[name[len("mesos-") :]] = int(pid)
    return pids


def statistics(pid: int, resources: Resources, found: dict[str, cgroups.Mount]) -> dict[str, Any]:
    """One container's ResourceStatistics (limits its cgroups lack come from its resources)."""
    stats = cgroups.statistics(pid, found)
    if not stats:
        return {}
    stats.setdefault("cpus_limit", resources.scalar("cpus"))
    mem = resources.scalar("mem")
    if mem > 0:
        stats.setdefault("mem_limit_bytes", int(mem * 1024 * 1024))
    return stats


def _summed(children: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamp": max(c.get("timestamp", 0.0) for c in children)}
    for key in SUMMED:
        values = [c[key] for c in children if key in c]
        if values:
            out[key] = round(sum(values), 3) if isinstance(values[0], float) else sum(values)
    return out


async def usage(running: list[Running]) -> Usage:
    """Statistics and executor pids of the running containers (a task group's parent
    container sums its nested ones)."""
    main, docker = await asyncio.gather(
        launcher.main_pids([r.container_id for r in running]),
        docker_pids([r.container_id for r in running if r.kind == "docker"]),
    )

    def read() -> dict[str, dict[str, Any]]:
        found = cgroups.mounts()
        out: dict[str, dict[str, Any]] = {}
        for r in running:
            pid = docker.get(r.container_id) or main.get(r.container_id)
            if pid:
                stats = statistics(pid, r.resources, found)
                if stats:
                    out[r.container_id] = stats
        return out

    stats = await asyncio.to_thread(read)
    for parent in {r.parent for r in running if r.parent}:
        children = [
            stats[r.container_id] for r in running if r.parent == parent and r.container_id in stats
        ]
        if children:
            stats[parent] = _summed(children)
    return Usage(stats, main)
