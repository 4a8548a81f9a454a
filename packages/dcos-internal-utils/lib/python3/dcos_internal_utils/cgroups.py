"""Resource usage of a process's cgroup, in Mesos's ResourceStatistics shape.

A task's processes (a Mesos container, a Docker container) share one cgroup
per controller; its counters are what Mesos reports in `/monitor/statistics`
and `/containers` and what dcos-metrics turns into datapoints. Reads cgroup v1
(what the nodes have here) and the unified v2 hierarchy.

The node itself is a container, so a process's path in /proc/<pid>/cgroup may
start with the node's own cgroup (`/docker/<id>/...`) while the node sees that
cgroup mounted as /sys/fs/cgroup/<controller>: the mount's root is subtracted.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path(os.environ.get("DCOS_PROC_DIR", "/proc"))
V2 = "unified"  # the key used for the cgroup v2 hierarchy below


@dataclass(frozen=True)
class Mount:
    point: Path
    root: str


def mounts(mountinfo: str | None = None) -> dict[str, Mount]:
    """Controller -> where its hierarchy is mounted (from /proc/self/mountinfo)."""
    if mountinfo is None:
        mountinfo = (PROC / "self" / "mountinfo").read_text()
    found: dict[str, Mount] = {}
    for line in mountinfo.splitlines():
        head, _, tail = line.partition(" - ")
        fields, tail_fields = head.split(), tail.split()
        if len(fields) < 5 or len(tail_fields) < 3:
            continue
        fstype, super_options = tail_fields[0], tail_fields[2]
        mount = Mount(Path(fields[4]), fields[3])
        if fstype == "cgroup2":
            found.setdefault(V2, mount)
        elif fstype == "cgroup":
            for option in super_options.split(","):
                if option.startswith("name="):  # a named hierarchy: systemd's own, name=systemd
                    found.setdefault(option, mount)
                if option in ("rw", "ro") or "=" in option:
                    continue
                found.setdefault(option, mount)
    return found


def process_cgroups(pid: int) -> dict[str, str]:
    """Controller -> the process's cgroup path, from /proc/<pid>/cgroup."""
    paths: dict[str, str] = {}
    for line in (PROC / str(pid) / "cgroup").read_text().splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            paths[V2] = path
            continue
        for controller in controllers.split(","):
            paths[controller] = path
    return paths


def directory(mount: Mount, path: str) -> Path:
    """The directory of cgroup `path` under `mount`, as this node sees it."""
    root = mount.root.rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :]
    return mount.point / path.lstrip("/")


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    text = _read(path)
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in (_read(path) or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values


def _count_lines(root: Path, name: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        if name in files:
            total += sum(1 for line in (_read(Path(dirpath) / name) or "").splitlines() if line)
    return total


def _blkio_v1(directory: Path) -> dict[str, Any]:
    """blkio.throttle.* as Mesos's CgroupInfo.Blkio.Statistics (throttling policy)."""
    devices: dict[str, dict[str, Any]] = {}
    for source, key in (("io_serviced", "serviced"), ("io_service_bytes", "service_bytes")):
        for line in (_read(directory / f"blkio.throttle.{source}") or "").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "Total":
                device_key, op, value = "total", "TOTAL", parts[1]
            elif len(parts) == 3 and ":" in parts[0]:
                device_key, op, value = parts[0], parts[1].upper(), parts[2]
            else:
                continue
            entry = devices.setdefault(device_key, {})
            if device_key != "total":
                major, minor = device_key.split(":")
                entry["device"] = {"major_number": int(major), "minor_number": int(minor)}
            entry.setdefault(key, []).append({"op": op, "value": int(value)})
    return {"throttling": list(devices.values())} if devices else {}


def _statistics_v1(dirs: dict[str, Path]) -> dict[str, Any]:
    """Statistics from a container's directory in each v1 hierarchy (controller -> dir)."""
    stats: dict[str, Any] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    cpuacct = _keyed(dirs["cpuacct"] / "cpuacct.stat") if "cpuacct" in dirs else {}
    unified = _keyed(dirs[V2] / "cpu.stat") if V2 in dirs else {}
    if cpuacct:
        stats["cpus_user_time_secs"] = round(cpuacct.get("user", 0) / ticks, 2)
        stats["cpus_system_time_secs"] = round(cpuacct.get("system", 0) / ticks, 2)
    elif "user_usec" in unified:
        # systemd makes no cpuacct group for a unit when cpu and cpuacct are mounted
        # apart; the unified hierarchy (hybrid mode) still counts its CPU time.
        stats["cpus_user_time_secs"] = round(unified["user_usec"] / 1e6, 2)
        stats["cpus_system_time_secs"] = round(unified.get("system_usec", 0) / 1e6, 2)
    if "cpu" in dirs:
        cpu_dir = dirs["cpu"]
        cpu_stat = _keyed(cpu_dir / "cpu.stat")
        if cpu_stat:
            stats["cpus_nr_periods"] = cpu_stat.get("nr_periods", 0)
            stats["cpus_nr_throttled"] = cpu_stat.get("nr_throttled", 0)
            stats["cpus_throttled_time_secs"] = cpu_stat.get("throttled_time", 0) / 1e9
        quota, period = _int(cpu_dir / "cpu.cfs_quota_us"), _int(cpu_dir / "cpu.cfs_period_us")
        shares = _int(cpu_dir / "cpu.shares")
        if quota and period and quota > 0:
            stats["cpus_limit"] = round(quota / period, 3)
        elif shares:
            stats["cpus_limit"] = round(shares / 1024, 3)
    if "memory" in dirs:
        mem_dir = dirs["memory"]
        usage = _int(mem_dir / "memory.usage_in_bytes")
        if usage is not None:
            stats["mem_total_bytes"] = usage
            memory = _keyed(mem_dir / "memory.stat")
            for name, key in (
                ("total_rss", "mem_rss_bytes"),
                ("total_cache", "mem_cache_bytes"),
                ("total_mapped_file", "mem_mapped_file_bytes"),
                ("total_swap", "mem_swap_bytes"),
                ("total_unevictable", "mem_unevictable_bytes"),
            ):
                stats[key] = memory.get(name, 0)
            for source, key in (
                ("memory.limit_in_bytes", "mem_limit_bytes"),
                ("memory.soft_limit_in_bytes", "mem_soft_limit_bytes"),
                ("memory.memsw.usage_in_bytes", "mem_total_memsw_bytes"),
            ):
                value = _int(mem_dir / source)
                if value is not None:
                    stats[key] = value
    counted = next((c for c in ("pids", "cpuacct", "memory") if c in dirs), None)
    if counted:
        stats["processes"] = _count_lines(dirs[counted], "cgroup.procs")
        stats["threads"] = _count_lines(dirs[counted], "tasks")
    elif V2 in dirs:
        stats["processes"] = _count_lines(dirs[V2], "cgroup.procs")
        stats["threads"] = _count_lines(dirs[V2], "cgroup.threads")
    if "blkio" in dirs:
        blkio = _blkio_v1(dirs["blkio"])
        if blkio:
            stats["blkio_statistics"] = blkio
    return stats


def _statistics_v2(where: Path) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    cpu = _keyed(where / "cpu.stat")
    if cpu:
        stats["cpus_user_time_secs"] = round(cpu.get("user_usec", 0) / 1e6, 2)
        stats["cpus_system_time_secs"] = round(cpu.get("system_usec", 0) / 1e6, 2)
        stats["cpus_nr_periods"] = cpu.get("nr_periods", 0)
        stats["cpus_nr_throttled"] = cpu.get("nr_throttled", 0)
        stats["cpus_throttled_time_secs"] = cpu.get("throttled_usec", 0) / 1e6
    quota, _, period = (_read(where / "cpu.max") or "").strip().partition(" ")
    if quota.isdigit() and period.isdigit():
        stats["cpus_limit"] = round(int(quota) / int(period), 3)
    current = _int(where / "memory.current")
    if current is not None:
        memory = _keyed(where / "memory.stat")
        stats["mem_total_bytes"] = current
        stats["mem_rss_bytes"] = memory.get("anon", 0)
        stats["mem_cache_bytes"] = memory.get("file", 0)
        stats["mem_mapped_file_bytes"] = memory.get("file_mapped", 0)
        stats["mem_unevictable_bytes"] = memory.get("unevictable", 0)
        stats["mem_swap_bytes"] = _int(where / "memory.swap.current") or 0
        limit = _int(where / "memory.max")
        if limit is not None:
            stats["mem_limit_bytes"] = limit
    stats["processes"] = _count_lines(where, "cgroup.procs")
    stats["threads"] = _count_lines(where, "cgroup.threads")
    return stats


V1_CONTROLLERS = ("cpuacct", "cpu", "memory", "blkio", "pids")


def _stamped(stats: dict[str, Any]) -> dict[str, Any]:
    if stats:
        stats["timestamp"] = round(time.time(), 3)
    return stats


def statistics(pid: int, found: dict[str, Mount] | None = None) -> dict[str, Any]:
    """The ResourceStatistics of the cgroups `pid` is in (empty if the process is gone)."""
    try:
        cgroups = process_cgroups(pid)
    except OSError:
        return {}
    found = found if found is not None else mounts()
    if any(c in found for c in V1_CONTROLLERS):
        # A controller the process sits higher up in (its whole node, say) would
        # count others too: only those at the process's own cgroup are its.
        own = cgroups.get(V2) or cgroups.get("name=systemd")
        dirs = {
            c: directory(found[c], cgroups[c])
            for c in (*V1_CONTROLLERS, V2)
            if c in found and c in cgroups and (own is None or cgroups[c] == own)
        }
        return _stamped(_statistics_v1(dirs))
    if V2 in found and V2 in cgroups:
        return _stamped(_statistics_v2(directory(found[V2], cgroups[V2])))
    return {}


def find_named(
    fragment: str, found: dict[str, Mount] | None = None, max_depth: int = 4
) -> dict[str, Path]:
    """Controller -> the cgroup directory whose name contains `fragment` (a container ID).

    Mesos names a container's cgroup after its ID (`mesos/<id>`; here the
    systemd unit `mesos-<id>.service`), so a container can be found without
    knowing one of its processes.
    """
    found = found if found is not None else mounts()
    dirs: dict[str, Path] = {}
    for controller in (*V1_CONTROLLERS, V2):
        mount = found.get(controller)
        if mount is None or controller in dirs:
            continue
        base_depth = len(mount.point.parts)
        for root, subdirs, _ in os.walk(mount.point):
            depth = len(Path(root).parts) - base_depth
            match = next((d for d in subdirs if fragment in d), None)
            if match is not None:
                dirs[controller] = Path(root) / match
                break
            if depth >= max_depth:
                subdirs.clear()
    return dirs


def statistics_of(dirs: dict[str, Path]) -> dict[str, Any]:
    """The ResourceStatistics of a cgroup given by its directories (see find_named)."""
    if V2 in dirs and not any(c in dirs for c in V1_CONTROLLERS):
        return _stamped(_statistics_v2(dirs[V2]))
    return _stamped(_statistics_v1(dirs))
