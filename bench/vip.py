"""VIP throughput and connection rate against the direct path, in the same run.

An app on agent B runs iperf3's server and an accept-and-close server
(netperf.py), each port behind a named VIP. From agent A: iperf3 TCP
throughput through the VIP and directly to the backend's address, then TCP
connections per second through the VIP and directly. Budget (the
project's performance budget): VIP throughput at least 0.9 of direct. Prints the figures and
ratios and the machine's load (run it on a quiet machine); writes
bench/results/vip.json.

    python bench/vip.py [--cluster-id ID] [--seconds 10]

Without --cluster-id it creates a 1-master, 2-agent cluster and destroys it after.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results
from _netbench import NETPERF, cluster, delete, deploy, machine_load, netperf, wait_resolves

BUDGET_RATIO = 0.9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cluster-id", help="an existing cluster with two agents (kept)")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    the_cluster, created = cluster(args.cluster_id, "bench-vip", agents=2)
    master = the_cluster.masters[0]
    agents = list(the_cluster.agents) + list(the_cluster.public_agents)
    client, server = agents[0], agents[1]
    vip = f"benchvip{uuid.uuid4().hex[:6]}"
    app_id = f"/bench/{vip}"
    results: dict[str, dict[str, Any]] = {}
    load_before = machine_load()
    try:
        task = deploy(
            master,
            {
                "id": app_id,
                "cmd": "iperf3 -s -p $PORT0 & exec python3 " + NETPERF + " accept --port $PORT1",
                "cpus": 0.1,
                "mem": 64,
                "acceptedResourceRoles": ["*", "slave_public"],
                "constraints": [["hostname", "CLUSTER", server.ip_address]],
                "portDefinitions": [
                    {"port": 0, "labels": {"VIP_0": f"/{vip}:5201"}},
                    {"port": 0, "labels": {"VIP_0": f"/{vip}:80"}},
                ],
            },
        )
        vip_host = f"{vip}.marathon.l4lb.thisdcos.directory"
        vip_ip = wait_resolves(client, vip_host)
        paths = {
            "direct": ((task["host"], task["ports"][0]), (task["host"], task["ports"][1])),
            "vip": ((vip_ip, 5201), (vip_ip, 80)),
        }
        for label, ((host, port), (http_host, http_port)) in paths.items():
            seconds = str(args.seconds)
            tcp = netperf(client, "tcp", "--host", host, "--port", str(port), "--seconds", seconds)
            rate = netperf(
                client, "connect", "--host", http_host, "--port", str(http_port), "--seconds", "3"
            )
            results[label] = {"gbit_s": tcp["gbit_s"], "connections_per_s": rate["per_s"]}
            print(
                f"{label:<7} {host}:{port}  {tcp['gbit_s']:7.3f} Gbit/s  "
                f"{rate['per_s']:6d} connections/s"
            )
    finally:
        delete(master, app_id)
        if created:
            the_cluster.destroy()
    ratio = results["vip"]["gbit_s"] / results["direct"]["gbit_s"]
    connect_ratio = results["vip"]["connections_per_s"] / max(
        1, results["direct"]["connections_per_s"]
    )
    path = write_results(
        "vip",
        {
            "seconds": args.seconds,
            "results": results,
            "throughput_ratio_vip_to_direct": round(ratio, 3),
            "connections_ratio_vip_to_direct": round(connect_ratio, 3),
            "budget_ratio": BUDGET_RATIO,
            "machine_load": {"before": load_before, "after": machine_load()},
        },
    )
    print(
        f"VIP / direct: throughput {ratio:.2f} (budget >= {BUDGET_RATIO}), "
        f"connections/s {connect_ratio:.2f}; load {machine_load()}"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
