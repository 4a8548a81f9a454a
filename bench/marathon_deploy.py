"""Marathon: deploying 10, 50 and 100 instances to all-healthy, and the master's memory.

On a cluster of 1 master and 3 private agents: POST a small command app
(`sleep`, with a COMMAND health check Mesos runs) and time until every
instance is running and healthy and the deployment is done; then delete it
and wait until its tasks are gone. Reports seconds and instances per second
for each size, the master's memory (sum of its processes' RSS, and
Marathon's own) idle and with 100 instances running, and the machine's core
count. Budgets (issue 15): 100 instances in under 10 s; the master under 700 MiB.
Prints the figures and writes bench/results/marathon_deploy.json.

    python bench/marathon_deploy.py [--sizes 10 50 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

from minidcos import iam
from minidcos._util.polling import Poll, wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

SHAPE = (1, 3, 0)
DEPLOY_BUDGET_S = 10.0
MASTER_BUDGET_MIB = 700
MIB = 1024


TOKEN: dict[str, str | None] = {}  # the cluster token (None with auth off)


def request(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if TOKEN.get("value"):
        headers["Authorization"] = f"token={TOKEN['value']}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def rss_mib(node: Node, pattern: str | None = None) -> float:
    """RSS of every process on the node, or of those whose command line contains `pattern`."""
    out = node.run(["ps", "-e", "-o", "rss=,args="]).stdout.decode().splitlines()
    total = 0
    for line in out:
        kib, _, args = line.strip().partition(" ")
        if pattern is None or pattern in args:
            total += int(kib)
    return round(total / MIB, 1)


def app_definition(app_id: str, instances: int) -> dict[str, Any]:
    return {
        "id": app_id,
        "cmd": "sleep 3600",
        "cpus": 0.01,
        "mem": 8,
        "instances": instances,
        "healthChecks": [
            {
                "protocol": "COMMAND",
                "command": {"value": "true"},
                "delaySeconds": 0,
                "intervalSeconds": 30,
                "gracePeriodSeconds": 60,
                "timeoutSeconds": 10,
            }
        ],
    }


def deploy(marathon: str, app_id: str, instances: int) -> float:
    start = time.monotonic()
    request("POST", f"{marathon}/v2/apps", app_definition(app_id, instances))

    def all_healthy() -> Poll[None]:
        app = request("GET", f"{marathon}/v2/apps{app_id}")["app"]
        done = (
            app["tasksHealthy"] == instances
            and app["tasksRunning"] == instances
            and not app["deployments"]
        )
        return Poll(done, detail=f"{app['tasksRunning']} running, {app['tasksHealthy']} healthy")

    wait_for(all_healthy, 300, f"{instances} healthy instances", interval_s=0.1, max_interval_s=0.1)
    return time.monotonic() - start


def delete(master_ip: str, app_id: str) -> int:
    """Delete the app; how many of its tasks Mesos has not confirmed killed a minute later."""
    request("DELETE", f"http://{master_ip}/marathon/v2/apps{app_id}?force=true")

    def stopped() -> Poll[None]:
        return Poll(not request("GET", f"http://{master_ip}/marathon/v2/deployments"))

    try:
        wait_for(stopped, 60, f"{app_id} to stop")
    except TimeoutError:
        tasks = request("GET", f"http://{master_ip}:5050/master/tasks")["tasks"]
        prefix = app_id.strip("/") + "."
        left = [t for t in tasks if t["state"] == "TASK_RUNNING" and t["id"].startswith(prefix)]
        print(
            f"warning: {len(left)} tasks of {app_id} still TASK_RUNNING in Mesos "
            "a minute after the kill"
        )
        return len(left)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--idle-s", type=float, default=10.0, help="settle time before memory")
    args = parser.parse_args()
    provider = DockerProvider()
    provider.ensure_image(Status())
    spec = ClusterSpec(*SHAPE, cluster_id="bench-marathon")
    provider.delete_cluster(spec.cluster_id)
    with Cluster.create(spec, install=InstallSpec(build()), provider=provider) as cluster:
        master = cluster.masters[0]
        marathon = f"http://{master.ip_address}/marathon"
        TOKEN["value"] = iam.test_user_token(master) if iam.auth_enabled(master) else None
        time.sleep(args.idle_s)
        idle = {"master_mib": rss_mib(master), "marathon_mib": rss_mib(master, "dcos-marathon")}
        deployments = []
        loaded: dict[str, float] = {}
        unconfirmed = 0
        for size in args.sizes:
            app_id = f"/bench-{size}"
            seconds = deploy(marathon, app_id, size)
            deployments.append(
                {
                    "instances": size,
                    "seconds": round(seconds, 2),
                    "instances_per_s": round(size / seconds, 1),
                }
            )
            print(f"{size:4d} instances healthy in {seconds:6.2f} s ({size / seconds:6.1f}/s)")
            if size == max(args.sizes):
                time.sleep(args.idle_s)
                loaded = {
                    "master_mib": rss_mib(master),
                    "marathon_mib": rss_mib(master, "dcos-marathon"),
                }
            unconfirmed += delete(master.ip_address, app_id)
    largest = max(deployments, key=lambda d: d["instances"])
    figures = {
        "shape": {"masters": SHAPE[0], "agents": SHAPE[1], "public_agents": SHAPE[2]},
        "deployments": deployments,
        "budget_100_instances_s": DEPLOY_BUDGET_S,
        "ratio_to_budget": round(largest["seconds"] / DEPLOY_BUDGET_S, 2),
        "memory_idle": idle,
        f"memory_with_{largest['instances']}_instances": loaded,
        "budget_master_mib": MASTER_BUDGET_MIB,
        "ratio_master_to_budget": round(loaded.get("master_mib", 0) / MASTER_BUDGET_MIB, 2),
        "kills_unconfirmed_by_mesos": unconfirmed,
    }
    print(json.dumps(figures, indent=2))
    print(f"written to {write_results('marathon_deploy', figures)}")


if __name__ == "__main__":
    main()
