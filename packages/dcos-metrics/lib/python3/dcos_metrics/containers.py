"""Container metrics on an agent: each Mesos container's cgroups, tagged as DC/OS tags them.

The agent's `/state` says which containers run here (and their framework,
executor and task). A container's usage is read from its cgroups, found, in
this order, through:
- the Docker container `mesos-<container-id>` (a task in Docker), whose pid
  Docker gives;
- the executor pid the agent's `/containers` reports;
- the cgroup named after the container ID (Mesos names them so);
and when none of these is there, Mesos's own statistics in `/containers`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dcos_internal_utils import cgroups, mesos_state
from dcos_internal_utils.docker import Docker, DockerError
from dcos_internal_utils.httpclient import UNAVAILABLE, HTTPStatusError, get_json

from .datapoints import BYTES, COUNT, SECONDS, Datapoint, Dimensions, timestamp

log = logging.getLogger("dcos-metrics.containers")

DOCKER_NAME_PREFIX = "mesos-"  # the name Mesos gives a task's Docker container
STATE_CACHE_S = 2.0
DISK_CACHE_S = 30.0

# DC/OS's container datapoints: (name, ResourceStatistics field, unit).
CONTAINER_METRICS = (
    ("processes", "processes", COUNT),
    ("threads", "threads", COUNT),
    ("cpus.user.time", "cpus_user_time_secs", SECONDS),
    ("cpus.system.time", "cpus_system_time_secs", SECONDS),
    ("cpus.limit", "cpus_limit", COUNT),
    ("cpus.nr.periods", "cpus_nr_periods", COUNT),
    ("cpus.nr.throttled", "cpus_nr_throttled", COUNT),
    ("cpus.throttled.time", "cpus_throttled_time_secs", SECONDS),
    ("mem.total", "mem_total_bytes", BYTES),
    ("mem.total.memsw", "mem_total_memsw_bytes", BYTES),
    ("mem.limit", "mem_limit_bytes", BYTES),
    ("mem.soft.limit", "mem_soft_limit_bytes", BYTES),
    ("mem.cache", "mem_cache_bytes", BYTES),
    ("mem.rss", "mem_rss_bytes", BYTES),
    ("mem.mapped.file", "mem_mapped_file_bytes", BYTES),
    ("mem.swap", "mem_swap_bytes", BYTES),
    ("mem.unevictable", "mem_unevictable_bytes", BYTES),
    ("mem.low.pressure", "mem_low_pressure_counter", COUNT),
    ("mem.medium.pressure", "mem_medium_pressure_counter", COUNT),
    ("mem.critical.pressure", "mem_critical_pressure_counter", COUNT),
    ("disk.limit", "disk_limit_bytes", BYTES),
    ("disk.used", "disk_used_bytes", BYTES),
    ("net.rx.packets", "net_rx_packets", COUNT),
    ("net.rx.bytes", "net_rx_bytes", BYTES),
    ("net.rx.errors", "net_rx_errors", COUNT),
    ("net.rx.dropped", "net_rx_dropped", COUNT),
    ("net.tx.packets", "net_tx_packets", COUNT),
    ("net.tx.bytes", "net_tx_bytes", BYTES),
    ("net.tx.errors", "net_tx_errors", COUNT),
    ("net.tx.dropped", "net_tx_dropped", COUNT),
)


@dataclass
class AgentView:
    """One reading of the agent: its ID, its containers, their pids and Mesos's statistics."""

    agent_id: str
    containers: dict[str, mesos_state.Container]
    pids: dict[str, int]
    mesos_statistics: dict[str, dict[str, Any]]


def _network_statistics(pid: int) -> dict[str, int]:
    """Counters of the pid's own network namespace (none when it shares the node's)."""
    try:
        if os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net"):
            return {}
        text = Path(f"/proc/{pid}/net/dev").read_text()
    except OSError:
        return {}
    totals = dict.fromkeys(
        (
            "net_rx_bytes",
            "net_rx_packets",
            "net_rx_errors",
            "net_rx_dropped",
            "net_tx_bytes",
            "net_tx_packets",
            "net_tx_errors",
            "net_tx_dropped",
        ),
        0,
    )
    for line in text.splitlines()[2:]:
        name, _, counters = line.partition(":")
        if name.strip() == "lo":
            continue
        v = [int(x) for x in counters.split()]
        if len(v) < 12:
            continue
        totals["net_rx_bytes"] += v[0]
        totals["net_rx_packets"] += v[1]
        totals["net_rx_errors"] += v[2]
        totals["net_rx_dropped"] += v[3]
        totals["net_tx_bytes"] += v[8]
        totals["net_tx_packets"] += v[9]
        totals["net_tx_errors"] += v[10]
        totals["net_tx_dropped"] += v[11]
    return totals


def _disk_usage(directory: str) -> int:
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):  # gone since the listing
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


class ContainerMetrics:
    def __init__(
        self,
        agent_url: Callable[[], str],
        docker: Docker | None = None,
        statistics: Callable[[int], dict[str, Any]] = cgroups.statistics,
        find_cgroup: Callable[[str], dict[str, Path]] = cgroups.find_named,
    ) -> None:
        self.agent_url = agent_url
        self.docker = docker or Docker()
        self.statistics = statistics
        self.find_cgroup = find_cgroup
        self._cgroup_dirs: dict[str, dict[str, Path]] = {}
        self._lock = threading.Lock()
        self._view: AgentView | None = None
        self._view_at = 0.0
        self._disk: dict[str, tuple[float, int]] = {}

    # -- reading the agent --

    def view(self) -> AgentView:
        with self._lock:
            if self._view is None or time.monotonic() - self._view_at > STATE_CACHE_S:
                self._view = self._read_agent()
                self._view_at = time.monotonic()
                for gone in set(self._cgroup_dirs) - set(self._view.containers):
                    del self._cgroup_dirs[gone]
            return self._view

    def _read_agent(self) -> AgentView:
        base = self.agent_url()
        state = get_json(base + "/state", timeout=5.0)
        containers = {cid: c for cid, c in mesos_state.containers(state).items() if c.running}
        pids: dict[str, int] = {}
        mesos_statistics: dict[str, dict[str, Any]] = {}
        try:
            for item in get_json(base + "/containers", timeout=5.0) or []:
                cid = str(item.get("container_id", ""))
                pid = (item.get("status") or {}).get("executor_pid")
                if cid and isinstance(pid, int) and pid > 0:
                    pids[cid] = pid
                if cid and item.get("statistics"):
                    mesos_statistics[cid] = dict(item["statistics"])
        except (*UNAVAILABLE, HTTPStatusError) as exc:
            log.warning("agent /containers: %s", exc)
        pids.update(self._docker_pids(set(containers)))
        return AgentView(str(state.get("id", "")), containers, pids, mesos_statistics)

    def _docker_pids(self, container_ids: set[str]) -> dict[str, int]:
        if not self.docker.available():
            return {}
        found: dict[str, int] = {}
        try:
            listed = self.docker.containers(all=False, filters={"name": [DOCKER_NAME_PREFIX]})
            for item in listed:
                names = [n.lstrip("/") for n in item.get("Names") or []]
                for name in names:
                    cid = name[len(DOCKER_NAME_PREFIX) :]
                    if name.startswith(DOCKER_NAME_PREFIX) and cid in container_ids:
                        pid = self.docker.inspect_container(item["Id"])["State"].get("Pid", 0)
                        if pid:
                            found[cid] = int(pid)
        except (DockerError, OSError, KeyError) as exc:
            log.warning("docker: %s", exc)
        return found

    # -- datapoints --

    def _disk_used(self, container: mesos_state.Container) -> int:
        cached = self._disk.get(container.container_id)
        if cached and time.monotonic() - cached[0] < DISK_CACHE_S:
            return cached[1]
        used = _disk_usage(container.directory) if container.directory else 0
        self._disk[container.container_id] = (time.monotonic(), used)
        return used

    def statistics_of(self, view: AgentView, container_id: str) -> dict[str, Any]:
        stats = dict(view.mesos_statistics.get(container_id, {}))
        pid = view.pids.get(container_id)
        if pid:
            stats.update(self.statistics(pid))
            stats.update(_network_statistics(pid))
        else:
            dirs = self._cgroup_dirs.get(container_id)
            if not dirs or not all(d.is_dir() for d in dirs.values()):
                dirs = self._cgroup_dirs[container_id] = self.find_cgroup(container_id)
            if dirs:
                stats.update(cgroups.statistics_of(dirs))
        container = view.containers[container_id]
        disk_mb = container.resources.get("disk")
        if disk_mb:
            stats.setdefault("disk_limit_bytes", int(disk_mb * 1024 * 1024))
        stats.setdefault("disk_used_bytes", self._disk_used(container))
        return stats

    def datapoints(self, view: AgentView, container_id: str) -> list[Datapoint]:
        container = view.containers[container_id]
        stats = self.statistics_of(view, container_id)
        ts = timestamp()
        tags = {
            "container_id": container.container_id,
            "source": container.source,
            "framework_id": container.framework_id,
            "executor_id": container.executor_id,
            "executor_name": container.executor_name,
        }
        return [
            Datapoint(name, stats.get(field, 0), unit, ts, dict(tags))
            for name, field, unit in CONTAINER_METRICS
        ]

    @staticmethod
    def dimensions(
        view: AgentView, container_id: str, cluster_id: str, hostname: str
    ) -> Dimensions:
        container = view.containers.get(container_id)
        if container is None:
            return Dimensions(view.agent_id, cluster_id, hostname, container_id=container_id)
        return Dimensions(
            mesos_id=view.agent_id,
            cluster_id=cluster_id,
            hostname=hostname,
            container_id=container_id,
            executor_id=container.executor_id,
            framework_name=container.framework_name,
            framework_id=container.framework_id,
            framework_role=container.framework_role,
            framework_principal=container.framework_principal,
            task_name=container.task_name,
            task_id=container.task_id,
            labels=dict(container.labels),
        )
