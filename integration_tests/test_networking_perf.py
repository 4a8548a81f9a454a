"""The two performance-sensitive network paths, measured from this master.

DNS: spartan's latency for a `*.marathon.mesos` name (forwarded to Mesos-DNS),
a `*.l4lb.thisdcos.directory` name (Navstar's records) and `leader.mesos`,
with `ready.spartan` (a record dnsmasq holds itself) as the floor. VIP: iperf3
throughput and connections per second through a named VIP and directly to
its backend. The figures are printed; the tests fail only on a functional
error (no answer, a wrong answer, a failed transfer), never on a timing: the
budgets are the benchmarks' (bench/dns.py, bench/vip.py).
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from typing import Any

import netperf
import networking_apps as net
import pytest
from polling import wait_for

SPARTAN = "198.51.100.1"
NETPERF = "/opt/mesosphere/active/dcos-integration-test/netperf.py"
QPS = 1000
SECONDS = 2


@pytest.fixture(scope="module", autouse=True)
def cleanup() -> Iterator[None]:
    yield
    net.delete_all()


@pytest.fixture(scope="module")
def lb_enabled(expanded_config: dict[str, Any]) -> None:
    if expanded_config.get("enable_lb") != "true":
        pytest.skip("the load balancer is off (enable_lb: false)")


def a_records(name: str) -> list[str]:
    try:
        return sorted({str(i[4][0]) for i in socket.getaddrinfo(name, None, socket.AF_INET)})
    except socket.gaierror:
        return []


def test_dns_latency_through_spartan(lb_enabled: None) -> None:
    vip_name = f"dnsperf-{net.short_id()}"
    definition, _ = net.app(vip=f"/{vip_name}:80", name="dnsperf")
    net.deploy(definition)
    [task] = net.tasks_of(net.wait_healthy(definition["id"], 1))
    mesos_name = "-".join(reversed(definition["id"].strip("/").split("/"))) + ".marathon.mesos"
    names = {
        "marathon.mesos": (mesos_name, [task["host"]]),
        "l4lb": (f"{vip_name}.marathon.l4lb.thisdcos.directory", None),
        "leader.mesos": ("leader.mesos", None),
        "floor (ready.spartan)": ("ready.spartan", ["127.0.0.1"]),
    }
    for label, (name, expected) in names.items():
        # A right answer first: the timing below is of answers known to be right.
        answer = wait_for(
            functools.partial(a_records, name), net.ROUTE_TIMEOUT_S, f"{name} resolves"
        )
        if expected is not None:
            assert answer == expected, f"{name}: {answer}"
        figures = netperf.dns(SPARTAN, name, QPS, SECONDS)
        print(
            f"{label:<22} {name:<60} p50 {figures.get('p50_ms')} ms  p99 "
            f"{figures.get('p99_ms')} ms  ({figures.get('qps')} qps, {figures['lost']} lost)"
        )
        assert figures["queries"] > 0, f"no answers for {name}: {figures}"
        assert set(figures["rcodes"]) == {"NOERROR"}, f"{name}: {figures['rcodes']}"


def iperf_app(vip_name: str) -> dict[str, Any]:
    """iperf3's server on the first port and an accept-and-close server (for connection rates)
    on the second, each behind a named VIP."""
    return {
        "id": f"/networking/iperf-{net.short_id()}",
        "cmd": "iperf3 -s -p $PORT0 & exec python3 " + NETPERF + " accept --port $PORT1",
        "cpus": 0.1,
        "mem": 64,
        "acceptedResourceRoles": ["*", "slave_public"],
        "portDefinitions": [
            {"port": 0, "protocol": "tcp", "labels": {"VIP_0": f"/{vip_name}:5201"}},
            {"port": 0, "protocol": "tcp", "labels": {"VIP_0": f"/{vip_name}:80"}},
        ],
    }


def running_task(app_id: str) -> Any:
    app = net.get_app(app_id)
    return app["tasks"][0] if app["tasksRunning"] == 1 and app["tasks"] else None


def vip_lists(vip: str, backend: tuple[str, int]) -> bool:
    return net.backends_of(vip) == [backend]


def test_vip_throughput_against_the_direct_path(lb_enabled: None) -> None:
    vip_name = f"iperf-{net.short_id()}"
    definition = iperf_app(vip_name)
    net.deploy(definition)
    task = wait_for(
        functools.partial(running_task, definition["id"]),
        net.DEPLOY_TIMEOUT_S,
        "the iperf3 server running",
        transient=net.TRANSIENT,
    )
    vip_host = f"{vip_name}.marathon.l4lb.thisdcos.directory"
    iperf_direct, accept_direct = (
        (task["host"], int(task["ports"][0])),
        (task["host"], int(task["ports"][1])),
    )
    for port, direct in ((5201, iperf_direct), (80, accept_direct)):
        wait_for(
            functools.partial(vip_lists, f"{vip_host}:{port}", direct),
            net.ROUTE_TIMEOUT_S,
            f"{vip_host}:{port} listing its backend",
            transient=net.TRANSIENT,
        )
    paths = {"direct": (iperf_direct, accept_direct), "vip": ((vip_host, 5201), (vip_host, 80))}
    results: dict[str, dict[str, Any]] = {}
    for label, ((host, port), (accept_host, accept_port)) in paths.items():
        throughput = wait_for(
            functools.partial(netperf.tcp, host, port, SECONDS),
            net.ROUTE_TIMEOUT_S,
            f"iperf3 to {host}:{port}",
            transient=(OSError, RuntimeError, ValueError),
        )
        results[label] = {**throughput, **netperf.connect(accept_host, accept_port, 1)}
        print(f"{label:<7} {host}:{port}  {results[label]}")
    print(
        f"throughput VIP / direct: {results['vip']['gbit_s'] / results['direct']['gbit_s']:.2f}; "
        f"connections/s VIP / direct: {results['vip']['per_s'] / results['direct']['per_s']:.2f}"
    )
    assert results["vip"]["bytes"] > 0 and results["direct"]["bytes"] > 0
    assert results["vip"]["connections"] > 0 and results["direct"]["connections"] > 0
