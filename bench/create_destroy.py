"""Create and destroy times of bare clusters (systemd up, no DC/OS) of 1, 4 and 10 nodes.

The node image is built first (not timed), so the figures are for a cached image.
Prints the figures and writes bench/results/create_destroy.json.

    python bench/create_destroy.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import timed, write_results

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.status import Status

SHAPES = {1: (1, 0, 0), 4: (1, 2, 1), 10: (1, 6, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    provider = DockerProvider()
    provider.ensure_image(Status())
    figures: dict[str, dict[str, object]] = {}
    for size, (masters, agents, public) in SHAPES.items():
        creates, destroys = [], []
        for run in range(args.repeat):
            spec = ClusterSpec(masters, agents, public, cluster_id=f"bench-bare-{size}-{run}")
            provider.delete_cluster(spec.cluster_id)
            cluster, create_s = timed(partial(Cluster.create, spec, provider=provider))
            _, destroy_s = timed(cluster.destroy)
            creates.append(create_s)
            destroys.append(destroy_s)
        figures[f"{size}_nodes"] = {
            "shape": {"masters": masters, "agents": agents, "public_agents": public},
            "create_s": round(statistics.median(creates), 2),
            "destroy_s": round(statistics.median(destroys), 2),
            "create_runs_s": [round(c, 2) for c in creates],
            "destroy_runs_s": [round(d, 2) for d in destroys],
        }
    one = float(figures["1_nodes"]["create_s"])  # type: ignore[arg-type]
    print(f"{'nodes':>5} {'create s':>9} {'destroy s':>10} {'create / 1-node':>16}")
    for size in SHAPES:
        f = figures[f"{size}_nodes"]
        ratio = float(f["create_s"]) / one  # type: ignore[arg-type]
        f["create_ratio_to_1_node"] = round(ratio, 2)
        print(f"{size:>5} {f['create_s']:>9} {f['destroy_s']:>10} {ratio:>16.2f}")
    path = write_results("create_destroy", {"repeat": args.repeat, "results": figures})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
