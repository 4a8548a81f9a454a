"""Start dcos-metrics on the sockets systemd passes (see api.py for what each serves)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from dcos_internal_utils import http, mesos_state, node

from .api import Metrics, Node, api_router, prometheus_router, statsd_router
from .containers import ContainerMetrics
from .node import CpuSampler
from .statsd import StatsdServer

STATSD_STATE = Path("/run/dcos/dcos-metrics/statsd-containers.json")
PROMETHEUS_PORT = 61091


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-role", "--role", choices=("master", "agent"), required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    ip = node.detect_ip()
    port = mesos_state.MASTER_PORT if args.role == "master" else mesos_state.AGENT_PORT
    this = Node(args.role, ip, node.cluster_id(), f"http://{ip}:{port}")
    containers = statsd = None
    if args.role == "agent":
        containers = ContainerMetrics(agent_url=lambda: this.mesos_url)
        state_file = Path(os.environ.get("DCOS_METRICS_STATSD_STATE", str(STATSD_STATE)))
        statsd = StatsdServer(state_file)
        statsd.restore()
        statsd.start()
    metrics = Metrics(this, CpuSampler(), containers, statsd)

    sockets = http.systemd_sockets()
    if not sockets:  # started by hand: the addresses the units give
        sockets = [
            http.unix_socket(f"/run/dcos/dcos-metrics-{args.role}.sock"),
            http.tcp_socket("0.0.0.0", PROMETHEUS_PORT),
        ]
        if statsd is not None:
            sockets.append(http.unix_socket("/run/dcos/dcos-metrics-statsd.sock"))
    bindings = []
    for sock in sockets:
        address = http.socket_address(sock)
        if address.endswith("-statsd.sock"):
            if statsd is None:
                continue
            bindings.append((sock, statsd_router(statsd)))
        elif address.startswith("/"):
            bindings.append((sock, api_router(metrics)))
        else:
            bindings.append((sock, prometheus_router(metrics)))
    http.serve_sockets(bindings)
