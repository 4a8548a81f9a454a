"""cgroup statistics from a cgroup v1 tree laid out in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

from dcos_internal_utils import cgroups

NODE = "/docker/5234ca39"  # the node's own cgroup: the root of every mount it sees
UNIT = "system.slice/mesos-c0ffee.service"


def tree(tmp_path: Path) -> dict[str, cgroups.Mount]:
    mountinfo = (
        "\n".join(
            f"{30 + i} 20 0:{40 + i} {NODE} {tmp_path}/{c} rw,nosuid - cgroup cgroup rw,{c}"
            for i, c in enumerate(("cpu", "cpuacct", "memory", "blkio", "pids"))
        )
        + f"\n50 20 0:60 / {tmp_path}/systemd rw - cgroup cgroup rw,name=systemd\n"
    )
    found = cgroups.mounts(mountinfo)
    files = {
        "cpuacct/cpuacct.stat": f"user {3 * os.sysconf('SC_CLK_TCK')}\nsystem 0\n",
        "cpu/cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 500000000\n",
        "cpu/cpu.cfs_quota_us": "50000\n",
        "cpu/cpu.cfs_period_us": "100000\n",
        "memory/memory.usage_in_bytes": "4096\n",
        "memory/memory.limit_in_bytes": "134217728\n",
        "memory/memory.stat": "rss 1\ntotal_rss 2048\ntotal_cache 1024\n",
        "pids/cgroup.procs": "330\n331\n",
        "pids/tasks": "330\n331\n332\n",
        "blkio/blkio.throttle.io_serviced": "8:0 Read 4\n8:0 Write 6\nTotal 10\n",
        "blkio/blkio.throttle.io_service_bytes": "8:0 Read 4096\nTotal 4096\n",
    }
    for name, content in files.items():
        controller, leaf = name.split("/")
        path = tmp_path / controller / UNIT / leaf
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return found


def test_mounts_and_the_node_prefix(tmp_path: Path) -> None:
    found = tree(tmp_path)
    assert set(found) == {"cpu", "cpuacct", "memory", "blkio", "pids", "name=systemd"}
    assert cgroups.directory(found["memory"], f"{NODE}/{UNIT}") == tmp_path / "memory" / UNIT


def test_statistics_of_a_container_found_by_its_id(tmp_path: Path) -> None:
    found = tree(tmp_path)
    dirs = cgroups.find_named("c0ffee", found)
    assert dirs["cpuacct"] == tmp_path / "cpuacct" / UNIT
    stats = cgroups.statistics_of(dirs)
    assert stats["cpus_user_time_secs"] == 3.0
    assert stats["cpus_limit"] == 0.5
    assert stats["cpus_nr_throttled"] == 2 and stats["cpus_throttled_time_secs"] == 0.5
    assert stats["mem_total_bytes"] == 4096 and stats["mem_rss_bytes"] == 2048
    assert stats["mem_limit_bytes"] == 134217728
    assert (stats["processes"], stats["threads"]) == (2, 3)
    devices = stats["blkio_statistics"]["throttling"]
    assert {"op": "TOTAL", "value": 10} in next(d for d in devices if "device" not in d)["serviced"]
    assert cgroups.find_named("nothing-like-it", found) == {}


def test_statistics_of_this_process() -> None:
    # Whatever the host has, reading our own cgroups works or says nothing.
    stats = cgroups.statistics(os.getpid())
    assert stats == {} or "timestamp" in stats


def test_cpu_time_from_the_unified_hierarchy_when_cpuacct_is_shared(tmp_path: Path) -> None:
    found = tree(tmp_path)
    # As systemd leaves it when cpu and cpuacct are mounted apart: no cpuacct group.
    for leaf in (tmp_path / "cpuacct" / UNIT).iterdir():
        leaf.unlink()
    (tmp_path / "cpuacct" / UNIT).rmdir()
    unified = tmp_path / "unified" / UNIT
    unified.mkdir(parents=True)
    (unified / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    found["unified"] = cgroups.Mount(tmp_path / "unified", NODE)
    stats = cgroups.statistics_of(cgroups.find_named("c0ffee", found))
    assert (stats["cpus_user_time_secs"], stats["cpus_system_time_secs"]) == (2.0, 0.5)
