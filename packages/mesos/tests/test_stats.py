"""/monitor/statistics and /containers: usage from the cgroups of each task's processes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from dcos_internal_utils import cgroups
from dcos_mesos.agent import launcher, stats, views
from dcos_mesos.agent.stats import Running, Usage
from dcos_mesos.resources import Resources

NODE = "/docker/5234ca39"  # the node is a container: its mounts' root is its own cgroup
UNIT = "system.slice/mesos-c1.service"


def node_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, cgroups.Mount]:
    """cgroup v1 as a node sees it when its hierarchies are mounted from the node's own
    cgroup (the mount's root) while /proc shows a task's full path below the host's root."""
    mountinfo = "\n".join(
        f"{30 + i} 20 0:{40 + i} {NODE} {tmp_path}/{c} rw - cgroup cgroup rw,{c}"
        for i, c in enumerate(("cpu", "cpuacct", "memory", "pids"))
    )
    mountinfo += f"\n50 20 0:60 {NODE} {tmp_path}/unified rw - cgroup2 cgroup2 rw\n"
    files = {
        "cpu/cpu.stat": "nr_periods 4\nnr_throttled 1\nthrottled_time 1000000\n",
        "cpu/cpu.cfs_quota_us": "25000\n",
        "cpu/cpu.cfs_period_us": "100000\n",
        # No cpuacct group: systemd makes none when cpu and cpuacct are mounted apart.
        "unified/cpu.stat": "usage_usec 1500000\nuser_usec 1250000\nsystem_usec 250000\n",
        "memory/memory.usage_in_bytes": "8388608\n",
        "memory/memory.limit_in_bytes": "33554432\n",
        "memory/memory.stat": "total_rss 4194304\ntotal_cache 1048576\n",
        "pids/cgroup.procs": "4242\n",
        "pids/tasks": "4242\n",
        "unified/cgroup.procs": "4242\n",
    }
    for name, content in files.items():
        controller, leaf = name.split("/")
        path = tmp_path / controller / UNIT / leaf
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    proc = tmp_path / "proc"
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "cgroup").write_text(
        "".join(f"{i}:{c}:{NODE}/{UNIT}\n" for i, c in enumerate(("cpu", "memory", "pids"), 1))
        + f"4:cpuacct:{NODE}\n0::{NODE}/{UNIT}\n"
    )
    monkeypatch.setattr(cgroups, "PROC", proc)
    return cgroups.mounts(mountinfo)


def test_statistics_below_a_mount_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = node_tree(tmp_path, monkeypatch)
    usage = stats.statistics(4242, Resources.parse("cpus:0.25;mem:32"), found)
    assert (usage["cpus_user_time_secs"], usage["cpus_system_time_secs"]) == (1.25, 0.25)
    assert usage["cpus_limit"] == 0.25
    assert usage["cpus_nr_throttled"] == 1
    assert usage["mem_total_bytes"] == 8 * 1024 * 1024
    assert usage["mem_rss_bytes"] == 4 * 1024 * 1024
    assert usage["mem_limit_bytes"] == 32 * 1024 * 1024
    assert usage["processes"] == 1


def test_limits_come_from_resources_when_the_cgroups_lack_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = node_tree(tmp_path, monkeypatch)
    for leaf in ("cpu/cpu.cfs_quota_us", "memory/memory.limit_in_bytes"):
        (tmp_path / leaf.split("/")[0] / UNIT / leaf.split("/")[1]).unlink()
    usage = stats.statistics(4242, Resources.parse("cpus:0.5;mem:64"), found)
    assert usage["cpus_limit"] == 0.5
    assert usage["mem_limit_bytes"] == 64 * 1024 * 1024
    assert stats.statistics(999999, Resources(), found) == {}  # a process that is gone


def test_usage_of_tasks_and_task_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main_pids(container_ids: list[str]) -> dict[str, int]:
        return {c: 100 + i for i, c in enumerate(container_ids)}

    async def docker_pids(container_ids: list[str]) -> dict[str, int]:
        return dict.fromkeys(container_ids, 900)

    seen: list[int] = []

    def statistics(pid: int, resources: Resources, found: object) -> dict[str, object]:
        seen.append(pid)
        return {"timestamp": 1.0, "cpus_user_time_secs": 1.5, "mem_total_bytes": pid}

    monkeypatch.setattr(launcher, "main_pids", main_pids)
    monkeypatch.setattr(stats, "docker_pids", docker_pids)
    monkeypatch.setattr(stats, "statistics", statistics)
    running = [
        Running("plain", "command", Resources()),
        Running("in-docker", "docker", Resources()),
        Running("n1", "group", Resources(), parent="g"),
        Running("n2", "group", Resources(), parent="g"),
    ]
    usage = asyncio.run(stats.usage(running))
    assert usage.executor_pids == {"plain": 100, "in-docker": 101, "n1": 102, "n2": 103}
    assert 900 in seen and 101 not in seen  # Docker's container, not the `docker run` client
    assert usage.statistics["g"]["mem_total_bytes"] == 102 + 103
    assert usage.statistics["g"]["cpus_user_time_secs"] == 3.0


def test_containers_show_the_executor_pid(tmp_path: Path) -> None:
    from test_agent import FakeMaster, new_agent, record

    agent = new_agent(tmp_path, FakeMaster())
    agent.agent_id = "S1"
    agent.containers["c1"] = record("c1", "t1")
    usage = Usage({"c1": {"timestamp": 1.0, "mem_total_bytes": 5}}, {"c1": os.getpid()})
    (entry,) = views.containers(agent, usage)
    assert entry["status"]["executor_pid"] == os.getpid()
    assert entry["statistics"]["mem_total_bytes"] == 5
    (monitored,) = views.monitor_statistics(agent, usage)
    assert monitored["statistics"]["mem_total_bytes"] == 5
