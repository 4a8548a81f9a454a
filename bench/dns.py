"""Spartan's DNS latency for the cluster's own names, with dnsmasq's own floor.

dnsperf on a master against spartan (198.51.100.1) for a `*.marathon.mesos`
name (forwarded to Mesos-DNS, answered from spartan's cache), a
`*.l4lb.thisdcos.directory` name (Navstar's records, held by dnsmasq) and
`leader.mesos`, at 1,000 and 5,000 queries/s: p50, p99 and lost queries.
The floor is the same run for `ready.spartan`, a record dnsmasq answers
itself. Budget (the project's performance budget): p99 under 1 ms at 5,000 qps. Prints the
figures with their ratios to the floor and to the budget, and the machine's
load (run it on a quiet machine); writes bench/results/dns.json.

    python bench/dns.py [--cluster-id ID] [--seconds 10] [--rates 1000,5000]

Without --cluster-id it creates a 1-master, 1-agent cluster and destroys it after.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results
from _netbench import cluster, delete, deploy, machine_load, netperf, wait_resolves

BUDGET_P99_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cluster-id", help="an existing cluster (kept)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rates", default="1000,5000")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    the_cluster, created = cluster(args.cluster_id, "bench-dns", agents=1)
    master = the_cluster.masters[0]
    vip = f"benchdns{uuid.uuid4().hex[:6]}"
    app_id = f"/bench/{vip}"
    results: dict[str, dict[str, Any]] = {}
    load_before = machine_load()
    try:
        deploy(
            master,
            {
                "id": app_id,
                "cmd": "python3 -m http.server $PORT0",
                "cpus": 0.05,
                "mem": 32,
                "portDefinitions": [{"port": 0, "labels": {"VIP_0": f"/{vip}:80"}}],
            },
        )
        names = {
            "marathon.mesos": f"{vip}-bench.marathon.mesos",
            "l4lb": f"{vip}.marathon.l4lb.thisdcos.directory",
            "leader.mesos": "leader.mesos",
            "floor": "ready.spartan",
        }
        for name in names.values():
            wait_resolves(master, name)
        for rate in rates:
            for label, name in names.items():
                figures = netperf(
                    master,
                    "dns",
                    "--name",
                    name,
                    "--qps",
                    str(rate),
                    "--seconds",
                    str(args.seconds),
                )
                results.setdefault(str(rate), {})[label] = figures
            floor = results[str(rate)]["floor"]
            for label, figures in results[str(rate)].items():
                print(
                    f"{rate:>5} qps  {label:<15} p50 {figures['p50_ms']:6.3f} ms  "
                    f"p99 {figures['p99_ms']:6.3f} ms  lost {figures['lost']:>4}  "
                    f"p99/floor {figures['p99_ms'] / max(floor['p99_ms'], 0.001):5.2f}  "
                    f"p99/budget {figures['p99_ms'] / BUDGET_P99_MS:5.2f}"
                )
    finally:
        delete(master, app_id)
        if created:
            the_cluster.destroy()
    top = str(max(rates))
    worst = max(f["p99_ms"] for k, f in results[top].items() if k != "floor")
    path = write_results(
        "dns",
        {
            "seconds": args.seconds,
            "names": names,
            "results": results,
            "budget_p99_ms": BUDGET_P99_MS,
            "worst_p99_ms_at_top_rate": worst,
            "ratio_to_budget": round(worst / BUDGET_P99_MS, 2),
            "ratio_to_floor": round(worst / max(results[top]["floor"]["p99_ms"], 0.001), 2),
            "machine_load": {"before": load_before, "after": machine_load()},
        },
    )
    print(f"worst p99 at {top} qps: {worst} ms (budget {BUDGET_P99_MS} ms); load {machine_load()}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
