"""Task launch latency: ACCEPT (submission) to TASK_RUNNING, over 50 command tasks.

Through the v1 scheduler API from the host, as any framework launches, one
task at a time (an offer is taken first and not timed). Real Mesos needs
about a second per launch; the budget here is a p50 under 200 ms. Prints the
figures and the ratios and writes bench/results/task_launch.json.

    python bench/task_launch.py [--tasks 50] [--cluster-id ID]

Without --cluster-id it creates (and destroys) a 1-master, 1-agent cluster.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.status import Status

REAL_MESOS_S = 1.0  # submission to TASK_RUNNING on Mesos 1.4, the reference
BUDGET_P50_S = 0.2
CLIENT = Path(__file__).resolve().parents[1] / "integration_tests" / "mesos_scheduler.py"


def client_module() -> Any:
    spec = importlib.util.spec_from_file_location("mesos_scheduler", CLIENT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(master_ip: str, tasks: int) -> list[float]:
    module = client_module()
    scheduler = module.Scheduler(f"http://{master_ip}:5050", name="bench-task-launch")
    latencies = []
    try:
        for i in range(tasks):
            offer = scheduler.offer()
            task = module.command_task(f"bench-{i}", "sleep 60", cpus=0.01, mem=8)
            start = time.monotonic()
            scheduler.launch(offer, [task])
            scheduler.wait_state(task["task_id"]["value"], {"TASK_RUNNING"}, 30)
            latencies.append(time.monotonic() - start)
    finally:
        scheduler.teardown()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--cluster-id", help="use this running cluster instead of a new one")
    args = parser.parse_args()
    if args.cluster_id:
        cluster = Cluster(args.cluster_id)
        latencies = measure(cluster.masters[0].ip_address, args.tasks)
    else:
        spec = ClusterSpec(1, 1, 0, cluster_id="bench-task-launch")
        with Cluster.create(spec, install=InstallSpec(build()), status=Status()) as cluster:
            latencies = measure(cluster.masters[0].ip_address, args.tasks)
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    figures = {
        "tasks": len(latencies),
        "p50_s": round(p50, 4),
        "p99_s": round(p99, 4),
        "mean_s": round(statistics.mean(latencies), 4),
        "max_s": round(max(latencies), 4),
        "budget_p50_s": BUDGET_P50_S,
        "p50_to_budget": round(p50 / BUDGET_P50_S, 3),
        "real_mesos_s": REAL_MESOS_S,
        "p50_to_real_mesos": round(p50 / REAL_MESOS_S, 3),
    }
    for key, val in figures.items():
        print(f"{key:>18}: {val}")
    print(f"written to {write_results('task_launch', figures)}")


if __name__ == "__main__":
    main()
