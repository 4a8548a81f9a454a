"""Mesos-DNS query latency at a fixed rate, directly on 61053 and through spartan.

dnsperf runs on a master at a fixed rate (default 5,000 queries/s) for
`leader.mesos` and for a running task's name (`<task>.<framework>.mesos`),
once against Mesos-DNS itself (127.0.0.1:61053) and once through spartan
(198.51.100.1:53, which forwards `mesos` to the masters' Mesos-DNS and keeps
answers a second). Each query's latency comes from dnsperf's verbose output.
Budget (the project's performance budget): p99 under 1 ms through spartan at 5,000 qps.
Prints the figures and the ratio to the budget, writes bench/results/mesos_dns.json.

    python bench/mesos_dns.py [--cluster-id ID] [--rate 5000] [--seconds 10]

Without --cluster-id it creates a 1-master, 1-agent cluster and destroys it after.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results
from _netbench import netperf

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

TASK = "bench-dns"
TARGETS = {"mesos_dns": ("127.0.0.1", 61053), "spartan": ("198.51.100.1", 53)}
BUDGET_P99_MS = 1.0


def start_task(master: Node) -> None:
    """A long-running command task, started with Mesos's own mesos-execute."""
    command = (
        f"setsid nohup /opt/mesosphere/bin/mesos-execute --master=leader.mesos:5050 "
        f"--name={TASK} --command='sleep 3600' > /tmp/{TASK}.log 2>&1 & echo $! > /tmp/{TASK}.pid"
    )
    master.run(["bash", "-c", command])


def task_name(master: Node, timeout_s: float = 120) -> str:
    """The task's A record name, as Mesos-DNS enumerates it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = master.run(["curl", "-s", "127.0.0.1:8123/v1/enumerate"], check=False)
        try:
            frameworks = json.loads(out.stdout)["frameworks"]
        except (ValueError, KeyError):
            frameworks = []
        for framework in frameworks:
            for task in framework["tasks"]:
                if task["name"] == TASK:
                    names = [r["name"] for r in task["records"] if r["rtype"] == "A"]
                    return str(names[0]).rstrip(".")
        time.sleep(0.5)
    raise RuntimeError(f"Mesos-DNS has no record for task {TASK} after {timeout_s} s")


def dnsperf(
    master: Node, server: str, port: int, name: str, rate: int, seconds: int
) -> dict[str, Any]:
    """The suite's netperf.py (dnsperf, per-query latencies) on the master."""
    figures = netperf(
        master, "dns", "--server", server, "--port", str(port), "--name", name,
        "--qps", str(rate), "--seconds", str(seconds),
    )  # fmt: skip
    if not figures["queries"]:
        raise RuntimeError(f"dnsperf against {server}:{port} gave no answers: {figures}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cluster-id", help="an existing cluster with Mesos (kept)")
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    provider = DockerProvider()
    created = None
    if args.cluster_id:
        cluster = Cluster(args.cluster_id, provider=provider)
    else:
        provider.ensure_image(Status())
        spec = ClusterSpec(1, 1, 0, cluster_id="bench-mesos-dns")
        provider.delete_cluster(spec.cluster_id)
        cluster = created = Cluster.create(spec, install=InstallSpec(build()), provider=provider)
    master = cluster.masters[0]
    try:
        start_task(master)
        names = {"leader.mesos": "leader.mesos", "task": task_name(master)}
        results: dict[str, dict[str, dict[str, Any]]] = {}
        for target, (server, port) in TARGETS.items():
            for label, name in names.items():
                figures = dnsperf(master, server, port, name, args.rate, args.seconds)
                results.setdefault(target, {})[label] = figures
                print(
                    f"{target:<9} {name:<40} p50 {figures['p50_ms']:6.3f} ms  "
                    f"p99 {figures['p99_ms']:6.3f} ms  ({figures['qps']} qps, "
                    f"{figures['lost']} lost; p99 / budget {figures['p99_ms'] / BUDGET_P99_MS:.2f})"
                )
    finally:
        # Ends mesos-execute, which ends its framework and so the task.
        master.run(["bash", "-c", f"kill -INT $(cat /tmp/{TASK}.pid)"], check=False)
        if created is not None:
            created.destroy()
    worst = max(f["p99_ms"] for f in results["spartan"].values())
    path = write_results(
        "mesos_dns",
        {
            "rate_qps": args.rate,
            "seconds": args.seconds,
            "names": names,
            "results": results,
            "budget_p99_ms_through_spartan": BUDGET_P99_MS,
            "ratio_to_budget": round(worst / BUDGET_P99_MS, 2),
        },
    )
    print(f"through spartan, worst p99 / budget: {worst / BUDGET_P99_MS:.2f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
