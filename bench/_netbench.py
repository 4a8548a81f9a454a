"""Shared by bench/dns.py and bench/vip.py: a cluster to measure on, Marathon apps, and
the suite's netperf.py run on a node (it ships with the integration tests on every node)."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import requests

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

NETPERF = "/opt/mesosphere/active/dcos-integration-test/netperf.py"


def cluster(cluster_id: str | None, name: str, agents: int) -> tuple[Cluster, bool]:
    """The cluster given, or a new one (created: True) that the caller destroys."""
    provider = DockerProvider()
    if cluster_id:
        return Cluster(cluster_id, provider=provider), False
    provider.ensure_image(Status())
    spec = ClusterSpec(1, agents, 0, cluster_id=name)
    provider.delete_cluster(spec.cluster_id)
    return Cluster.create(spec, install=InstallSpec(build()), provider=provider), True


def marathon(master: Node) -> str:
    # Marathon itself (no Admin Router, so no token), from this machine.
    return f"http://{master.ip_address}:8080"


def deploy(master: Node, app: dict[str, Any], timeout_s: float = 240) -> dict[str, Any]:
    response = requests.post(f"{marathon(master)}/v2/apps", json=app, timeout=10)
    response.raise_for_status()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        current = requests.get(f"{marathon(master)}/v2/apps{app['id']}", timeout=10).json()["app"]
        if current["tasksRunning"] == current["instances"] and current["tasks"]:
            return dict(current["tasks"][0])
        time.sleep(0.5)
    raise TimeoutError(f"{app['id']} did not run in {timeout_s} s")


def delete(master: Node, app_id: str) -> None:
    requests.delete(f"{marathon(master)}/v2/apps{app_id}", params={"force": "true"}, timeout=10)


def netperf(node: Node, *args: str, retry_s: float = 30) -> dict[str, Any]:
    """Run netperf.py on `node`; retried while the server it measures is still starting."""
    deadline = time.monotonic() + retry_s
    while True:
        result = node.run(["python3", NETPERF, *args], check=False)
        if result.returncode == 0:
            return dict(json.loads(result.stdout.decode().strip().splitlines()[-1]))
        if time.monotonic() > deadline:
            output = (result.stdout + result.stderr).decode()[-2000:]
            raise RuntimeError(f"netperf {' '.join(args)}: {output}")
        time.sleep(0.5)


def wait_resolves(node: Node, name: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = node.run(["dig", "+short", name, "@198.51.100.1"], check=False).stdout.decode()
        if answer.strip():
            return answer.split()[0]
        time.sleep(0.5)
    raise TimeoutError(f"{name} did not resolve in {timeout_s} s")


def machine_load() -> list[float]:
    """The 1, 5 and 15 minute load averages: benchmarks are only fair on a quiet machine."""
    return [round(x, 2) for x in os.getloadavg()]
