"""Node metrics, read from /proc (through psutil) when someone asks for them.

Nothing is polled in the background: an idle node pays nothing. CPU
percentages need two readings; they cover the time since the previous
request (at least MIN_CPU_WINDOW_S, so back-to-back requests agree), which on
the first request after start is a short window taken there and then.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

from .datapoints import BYTES, COUNT, PERCENT, Datapoint, timestamp

MIN_CPU_WINDOW_S = 1.0
FIRST_CPU_WINDOW_S = 0.25


def _total(times: Any) -> float:
    return float(sum(times))


@dataclass
class CpuPercent:
    total: float = 0.0
    user: float = 0.0
    system: float = 0.0
    idle: float = 0.0
    wait: float = 0.0


def _pct(part: float, whole: float) -> float:
    if whole <= 0:
        whole = 1.0
    return max(round(part / whole * 100, 2), 0.0)


class CpuSampler:
    """CPU use in percent over the time since the last reading."""

    def __init__(self, read: Any = None) -> None:
        self._read = read or (lambda: psutil.cpu_times(percpu=False))
        self._lock = threading.Lock()
        self._last = self._read()
        self._last_at = time.monotonic()
        self._current: CpuPercent | None = None

    def percent(self) -> CpuPercent:
        with self._lock:
            now = time.monotonic()
            if self._current is None and now - self._last_at < FIRST_CPU_WINDOW_S:
                time.sleep(FIRST_CPU_WINDOW_S - (now - self._last_at))
                now = time.monotonic()
            if self._current is None or now - self._last_at >= MIN_CPU_WINDOW_S:
                current = self._read()
                whole = _total(current) - _total(self._last)
                self._current = CpuPercent(
                    total=_pct(
                        (current.user - self._last.user) + (current.system - self._last.system),
                        whole,
                    ),
                    user=_pct(current.user - self._last.user, whole),
                    system=_pct(current.system - self._last.system, whole),
                    idle=_pct(current.idle - self._last.idle, whole),
                    wait=_pct(
                        getattr(current, "iowait", 0.0) - getattr(self._last, "iowait", 0.0), whole
                    ),
                )
                self._last, self._last_at = current, now
            return self._current


def filesystems() -> list[str]:
    """The root filesystem and every directory a physical device is mounted on."""
    paths = ["/"]
    for part in psutil.disk_partitions(all=False):
        if part.mountpoint not in paths and os.path.isdir(part.mountpoint):
            paths.append(part.mountpoint)
    return paths


def node_datapoints(cpu: CpuSampler) -> list[Datapoint]:
    ts = timestamp()
    points: list[Datapoint] = []

    def add(name: str, value: Any, unit: str, tags: dict[str, str] | None = None) -> None:
        points.append(Datapoint(name, value, unit, ts, dict(tags or {})))

    add("system.uptime", int(time.time() - psutil.boot_time()), COUNT)
    percent = cpu.percent()
    add("cpu.cores", psutil.cpu_count() or 0, COUNT)
    add("cpu.total", percent.total, PERCENT)
    add("cpu.user", percent.user, PERCENT)
    add("cpu.system", percent.system, PERCENT)
    add("cpu.idle", percent.idle, PERCENT)
    add("cpu.wait", percent.wait, PERCENT)
    load1, load5, load15 = os.getloadavg()
    add("load.1min", load1, COUNT)
    add("load.5min", load5, COUNT)
    add("load.15min", load15, COUNT)
    for path in filesystems():
        try:
            usage = psutil.disk_usage(path)
            stat = os.statvfs(path)
        except OSError:
            continue
        tags = {"path": path}
        add("filesystem.capacity.total", usage.total, BYTES, tags)
        add("filesystem.capacity.used", usage.used, BYTES, tags)
        add("filesystem.capacity.free", usage.free, BYTES, tags)
        add("filesystem.inode.total", stat.f_files, COUNT, tags)
        add("filesystem.inode.used", stat.f_files - stat.f_ffree, COUNT, tags)
        add("filesystem.inode.free", stat.f_ffree, COUNT, tags)
    memory = psutil.virtual_memory()
    add("memory.total", memory.total, BYTES)
    add("memory.free", memory.free, BYTES)
    add("memory.buffers", getattr(memory, "buffers", 0), BYTES)
    add("memory.cached", getattr(memory, "cached", 0), BYTES)
    swap = psutil.swap_memory()
    add("swap.total", swap.total, BYTES)
    add("swap.free", swap.free, BYTES)
    add("swap.used", swap.used, BYTES)
    for nic, counters in sorted(psutil.net_io_counters(pernic=True).items()):
        tags = {"interface": nic}
        add("network.in", counters.bytes_recv, BYTES, tags)
        add("network.out", counters.bytes_sent, BYTES, tags)
        add("network.in.packets", counters.packets_recv, COUNT, tags)
        add("network.out.packets", counters.packets_sent, COUNT, tags)
        add("network.in.dropped", counters.dropin, COUNT, tags)
        add("network.out.dropped", counters.dropout, COUNT, tags)
        add("network.in.errors", counters.errin, COUNT, tags)
        add("network.out.errors", counters.errout, COUNT, tags)
    add("process.count", len(psutil.pids()), COUNT)
    return points
