"""Admin Router's auth overhead: a small GET with auth on, auth off, and straight upstream.

All three from the same run against one master, in interleaved rounds
(medians reported, so a busy moment does not favour one mode): Exhibitor's cluster list,
straight to Exhibitor (port 8181), through Admin Router's protected
/exhibitor/ location with a cluster token (auth on), and the same through
Admin Router restarted with ADMINROUTER_ACTIVATE_AUTH_MODULE=false (auth
off). Prints requests per second and p99 latency of each, and the ratios;
writes bench/results/adminrouter_auth.json. Budget: auth costs under 10% of
throughput (auth on / auth off >= 0.90).

    python bench/adminrouter_auth.py [--cluster-id ID] [--requests N] [--connections C]

Without --cluster-id it creates a 1-master cluster and destroys it after.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

from minidcos import iam
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

UPSTREAM_PATH = "/exhibitor/v1/cluster/list"
ADMINROUTER_PATH = "/exhibitor" + UPSTREAM_PATH
ENV_FILE = "/opt/mesosphere/etc/adminrouter.env"


def load(
    host: str, port: int, path: str, headers: dict[str, str], requests: int, connections: int
) -> dict[str, float]:
    """`requests` GETs over `connections` keep-alive connections: req/s and latency."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    per_connection = requests // connections

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine = []
        for _ in range(per_connection):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    failures.append(f"{response.status} for {path}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }


def set_auth(master: Node, on: bool) -> None:
    """Rewrite adminrouter.env and restart Admin Router, then wait until it answers."""
    value = "true" if on else "false"
    master.run(
        [
            "sed",
            "-i",
            f"s/^ADMINROUTER_ACTIVATE_AUTH_MODULE=.*/ADMINROUTER_ACTIVATE_AUTH_MODULE={value}/",
            ENV_FILE,
        ]
    )
    master.run(["systemctl", "restart", "dcos-adminrouter.service"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = master.run(
            [
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                f"http://{master.ip_address}{ADMINROUTER_PATH}",
            ],
            check=False,
        )
        if probe.stdout.decode() == ("401" if on else "200"):
            return
        time.sleep(0.2)
    raise SystemExit(f"Admin Router did not come back with auth {value}")


def measure(
    master: Node, requests: int, connections: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Each mode once per round, rounds interleaved; the median round of each mode."""
    token = iam.test_user_token(master)
    if token is None:
        raise SystemExit("could not get a cluster token from the master's dcos-oauth")
    ip = master.ip_address
    auth = {"Authorization": f"token={token}"}
    warmup = max(connections * 20, requests // 10)
    runs: dict[str, list[dict[str, float]]] = {"upstream": [], "auth_on": [], "auth_off": []}
    try:
        for _ in range(rounds):
            load(ip, 8181, UPSTREAM_PATH, {}, warmup, connections)
            runs["upstream"].append(load(ip, 8181, UPSTREAM_PATH, {}, requests, connections))
            set_auth(master, True)
            load(ip, 80, ADMINROUTER_PATH, auth, warmup, connections)
            runs["auth_on"].append(load(ip, 80, ADMINROUTER_PATH, auth, requests, connections))
            set_auth(master, False)
            load(ip, 80, ADMINROUTER_PATH, {}, warmup, connections)
            runs["auth_off"].append(load(ip, 80, ADMINROUTER_PATH, {}, requests, connections))
    finally:
        set_auth(master, True)
    return {
        mode: sorted(rows, key=lambda r: r["requests_per_s"])[len(rows) // 2]
        for mode, rows in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cluster-id", help="an existing cluster (default: make one)")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians")
    args = parser.parse_args()
    if args.cluster_id:
        figures = measure(
            Cluster(args.cluster_id).masters[0], args.requests, args.connections, args.rounds
        )
    else:
        spec = ClusterSpec(1, 0, 0, cluster_id="bench-auth")
        Cluster(spec.cluster_id).provider.delete_cluster(spec.cluster_id)
        with Cluster.create(spec, install=InstallSpec(build()), status=Status()) as cluster:
            figures = measure(cluster.masters[0], args.requests, args.connections, args.rounds)
    on, off, up = figures["auth_on"], figures["auth_off"], figures["upstream"]
    ratios = {
        "auth_on_over_auth_off_throughput": round(on["requests_per_s"] / off["requests_per_s"], 3),
        "auth_off_over_upstream_throughput": round(off["requests_per_s"] / up["requests_per_s"], 3),
        "auth_on_minus_auth_off_p99_ms": round(on["p99_ms"] - off["p99_ms"], 3),
    }
    for name, row in figures.items():
        print(
            f"{name:9} {row['requests_per_s']:9.1f} req/s   p50 {row['p50_ms']:7.3f} ms   "
            f"p99 {row['p99_ms']:7.3f} ms"
        )
    print(
        f"auth on / auth off throughput: {ratios['auth_on_over_auth_off_throughput']:.3f} "
        "(budget: at least 0.90)"
    )
    print(f"auth off / upstream throughput: {ratios['auth_off_over_upstream_throughput']:.3f}")
    path = write_results(
        "adminrouter_auth",
        {
            "path": ADMINROUTER_PATH,
            "connections": args.connections,
            "requests_per_round": args.requests,
            "rounds": args.rounds,
            "figures": figures,
            "ratios": ratios,
        },
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
