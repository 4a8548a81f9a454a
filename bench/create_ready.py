"""Create-to-ready time of a 1/2/1 DC/OS cluster beside bare nodes of the same shape.

Both from the same run, with the image and the installer cached, so the ratio
shows what installing and starting DC/OS costs over booting systemd
(the budget: under 15 s for create + wait, destroy under 3 s, on 2 cores).
Also reports each node's idle memory (sum of its processes' RSS).
Prints the figures and writes bench/results/create_ready.json.

    python bench/create_ready.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import timed, write_results

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

SHAPE = (1, 2, 1)
MIB = 1024 * 1024


def rss_mib(node: Node) -> float:
    """Sum of the RSS of every process on the node (ps reports KiB)."""
    out = node.run(["ps", "-e", "-o", "rss="]).stdout.decode().split()
    return sum(int(kib) for kib in out) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle-s", type=float, default=10.0, help="settle time before memory")
    args = parser.parse_args()
    provider = DockerProvider()
    provider.ensure_image(Status())
    installer = build()
    bare, ready, destroy = [], [], []
    memory: dict[str, list[float]] = {"master": [], "agent": [], "public_agent": []}
    for run in range(args.repeat):
        spec = ClusterSpec(*SHAPE, cluster_id=f"bench-bare-{run}")
        provider.delete_cluster(spec.cluster_id)
        cluster, seconds = timed(partial(Cluster.create, spec, provider=provider))
        bare.append(seconds)
        cluster.destroy()

        spec = ClusterSpec(*SHAPE, cluster_id=f"bench-dcos-{run}")
        provider.delete_cluster(spec.cluster_id)
        install = InstallSpec(installer)
        cluster, seconds = timed(partial(Cluster.create, spec, install=install, provider=provider))
        ready.append(seconds)
        if run == 0:
            time.sleep(args.idle_s)
            for node in cluster.nodes:
                memory[node.role.value].append(rss_mib(node))
        _, seconds = timed(cluster.destroy)
        destroy.append(seconds)

    bare_s, ready_s = statistics.median(bare), statistics.median(ready)
    idle_rss = {role: round(max(v), 1) for role, v in memory.items() if v}
    figures = {
        "shape": {"masters": SHAPE[0], "agents": SHAPE[1], "public_agents": SHAPE[2]},
        "repeat": args.repeat,
        "bare_create_s": round(bare_s, 2),
        "dcos_create_and_wait_s": round(ready_s, 2),
        "ratio_dcos_to_bare": round(ready_s / bare_s, 2),
        "budget_create_and_wait_s": 15,
        "ratio_to_budget": round(ready_s / 15, 2),
        "destroy_s": round(statistics.median(destroy), 2),
        "budget_destroy_s": 3,
        "runs": {
            "bare_s": [round(x, 2) for x in bare],
            "dcos_s": [round(x, 2) for x in ready],
            "destroy_s": [round(x, 2) for x in destroy],
        },
        "idle_rss_mib": idle_rss,
        "budget_rss_mib": {"master": 700, "agent": 350, "public_agent": 350},
    }
    print(f"bare 1/2/1 create:            {bare_s:6.2f} s")
    print(
        f"DC/OS 1/2/1 create + wait:    {ready_s:6.2f} s  ({ready_s / bare_s:.2f}x bare; "
        f"budget 15 s: {ready_s / 15:.2f})"
    )
    print(f"destroy:                      {figures['destroy_s']:6} s  (budget 3 s)")
    for role, mib in idle_rss.items():
        print(f"idle RSS {role:<13}        {mib:6} MiB")
    path = write_results("create_ready", figures)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
