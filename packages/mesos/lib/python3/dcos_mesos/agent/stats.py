"""Resource statistics of running containers, read from their cgroups (cgroup v1)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from dcos_mesos.agent import launcher

CGROUP_ROOT = Path("/sys/fs/cgroup")
USER_HZ = os.sysconf("SC_CLK_TCK")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _kv(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def _blkio(folder: Path) -> dict[str, Any]:
    def entries(name: str) -> list[dict[str, Any]]:
        totals: dict[str, int] = {}
        for line in _read(folder / name).splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].isdigit():
                totals[parts[1].upper()] = totals.get(parts[1].upper(), 0) + int(parts[2])
        return [{"op": op, "value": v} for op, v in sorted(totals.items())]

    serviced = entries("blkio.throttle.io_serviced")
    service_bytes = entries("blkio.throttle.io_service_bytes")
    return {"throttling": [{"io_serviced": serviced, "io_service_bytes": service_bytes}]}


def statistics(cgroup: str, cpus_limit: float, mem_limit: int) -> dict[str, Any]:
    """Mesos's ResourceStatistics of one container, from its cgroup path in each hierarchy."""
    memory = CGROUP_ROOT / "memory" / cgroup.lstrip("/")
    cpuacct = CGROUP_ROOT / "cpuacct" / cgroup.lstrip("/")
    cpu = CGROUP_ROOT / "cpu" / cgroup.lstrip("/")
    mem_stat = _kv(_read(memory / "memory.stat"))
    cpu_stat = _kv(_read(cpuacct / "cpuacct.stat"))
    throttle = _kv(_read(cpu / "cpu.stat"))
    usage = _read(memory / "memory.usage_in_bytes").strip()
    out: dict[str, Any] = {
        "timestamp": time.time(),
        "cpus_limit": cpus_limit,
        "cpus_user_time_secs": cpu_stat.get("user", 0) / USER_HZ,
        "cpus_system_time_secs": cpu_stat.get("system", 0) / USER_HZ,
        "cpus_nr_periods": throttle.get("nr_periods", 0),
        "cpus_nr_throttled": throttle.get("nr_throttled", 0),
        "cpus_throttled_time_secs": throttle.get("throttled_time", 0) / 1e9,
        "mem_limit_bytes": mem_limit,
        "mem_total_bytes": int(usage) if usage.isdigit() else 0,
        "mem_rss_bytes": mem_stat.get("total_rss", mem_stat.get("rss", 0)),
        "mem_cache_bytes": mem_stat.get("total_cache", mem_stat.get("cache", 0)),
        "mem_anon_bytes": mem_stat.get("total_rss", 0),
        "mem_file_bytes": mem_stat.get("total_cache", 0),
        "mem_mapped_file_bytes": mem_stat.get("total_mapped_file", 0),
        "mem_swap_bytes": mem_stat.get("total_swap", 0),
    }
    blkio_dir = CGROUP_ROOT / "blkio" / cgroup.lstrip("/")
    if blkio_dir.is_dir():
        out["blkio_statistics"] = _blkio(blkio_dir)
    return out


async def control_groups(units: list[str]) -> dict[str, str]:
    """Each unit's cgroup path, as systemd reports it."""
    if not units:
        return {}
    _rc, out = await launcher.run(["systemctl", "show", "--property=Id,ControlGroup", "--", *units])
    groups = {}
    for block in out.split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if props.get("ControlGroup"):
            groups[props.get("Id", "")] = props["ControlGroup"]
    return groups
