"""DNS latency and TCP throughput measurements, run on a node.

The integration suite imports it; the benchmarks run it on a node through
`minidcos` (it ships with the suite at
/opt/mesosphere/active/dcos-integration-test/netperf.py):

    python3 netperf.py dns --server 198.51.100.1 --name leader.mesos --qps 5000 --seconds 10
    python3 netperf.py tcp --host 198.18.0.7 --port 5201 --seconds 5
    python3 netperf.py connect --host 198.18.0.7 --port 80 --seconds 3
    python3 netperf.py accept --port 80     (the server `connect` measures against)

Each prints one JSON object. dnsperf's per-query latencies (`-v`) go to a file
on tmpfs rather than a pipe, so that writing them costs the node as little as
possible while it measures.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def parse_dnsperf(out: str, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    rcodes: dict[str, int] = {}
    lost = 0
    for line in out.splitlines():
        if line.startswith("> "):
            fields = line.split()
            rcodes[fields[1]] = rcodes.get(fields[1], 0) + 1
            latencies.append(float(fields[-1]) * 1000)
        elif line.strip().startswith("Queries lost:"):
            lost = int(line.split()[2])
    latencies.sort()
    if not latencies:
        return {"queries": 0, "lost": lost, "rcodes": rcodes}
    return {
        "queries": len(latencies),
        "lost": lost,
        "qps": round(len(latencies) / seconds),
        "rcodes": rcodes,
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "max_ms": round(latencies[-1], 3),
        "mean_ms": round(statistics.fmean(latencies), 3),
    }


def dns(server: str, name: str, qps: int, seconds: float, port: int = 53) -> dict[str, Any]:
    """dnsperf at `qps` for `seconds` against one name: per-query latencies, lost queries."""
    with tempfile.NamedTemporaryFile("w", dir="/run", suffix=".queries") as queries:
        queries.write(f"{name} A\n")
        queries.flush()
        with tempfile.TemporaryFile("w+", dir="/run") as out:
            subprocess.run(
                [
                    "dnsperf", "-s", server, "-p", str(port), "-d", queries.name,
                    "-Q", str(qps), "-l", str(seconds), "-v",
                ],
                stdout=out, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
            out.seek(0)
            return parse_dnsperf(out.read(), seconds)


def tcp(host: str, port: int, seconds: float) -> dict[str, Any]:
    """iperf3's TCP throughput to a server at host:port."""
    proc = subprocess.run(
        ["iperf3", "-c", host, "-p", str(port), "-t", str(seconds), "-J"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(proc.stdout or "{}")
    if proc.returncode != 0 or "error" in report:
        raise RuntimeError(f"iperf3 to {host}:{port}: {report.get('error') or proc.stderr}")
    received = report["end"]["sum_received"]
    return {"gbit_s": round(received["bits_per_second"] / 1e9, 3), "bytes": received["bytes"]}


def connect(host: str, port: int, seconds: float) -> dict[str, Any]:
    """TCP connections per second (connect, close), one at a time."""
    count = 0
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        with socket.create_connection((host, port), timeout=5):
            count += 1
    return {"connections": count, "per_s": round(count / (time.monotonic() - started))}


def accept(port: int) -> None:
    """A server for `connect`: accept each connection and close it at once (runs until killed)."""
    with socket.create_server(("0.0.0.0", port), backlog=1024, reuse_port=True) as server:
        while True:
            conn, _ = server.accept()
            conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p_dns = sub.add_parser("dns")
    p_dns.add_argument("--server", default="198.51.100.1")
    p_dns.add_argument("--port", type=int, default=53)
    p_dns.add_argument("--name", required=True)
    p_dns.add_argument("--qps", type=int, default=1000)
    p_dns.add_argument("--seconds", type=float, default=5)
    p_accept = sub.add_parser("accept")
    p_accept.add_argument("--port", type=int, required=True)
    for name in ("tcp", "connect"):
        p = sub.add_parser(name)
        p.add_argument("--host", required=True)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args(argv)
    if args.what == "dns":
        result = dns(args.server, args.name, args.qps, args.seconds, args.port)
    elif args.what == "accept":
        accept(args.port)
        return 0
    elif args.what == "tcp":
        result = tcp(args.host, args.port, args.seconds)
    else:
        result = connect(args.host, args.port, args.seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
