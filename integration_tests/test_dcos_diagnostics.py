"""dcos-diagnostics as DC/OS's own test_dcos_diagnostics.py checks it.

Every node answers /system/health/v1 through Admin Router, as DC/OS's tests ask
it: masters on port 80, agents on 61001 (Admin Router Agent; diagnostics has no
TCP port of its own there). Masters aggregate the whole cluster, with the agents
Mesos knows. Field sets are compared exactly, as DC/OS's tests do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import acs
import pytest
import requests
from polling import Poll, wait_for

BASE = "/system/health/v1"
MASTER_PORT = 80  # Admin Router
AGENT_PORT = 61001  # Admin Router Agent
MASTERS = set(filter(None, os.environ.get("MASTER_HOSTS", "").split(",")))
HEALTH_FIELDS = {
    "units",
    "hostname",
    "ip",
    "dcos_version",
    "node_role",
    "mesos_id",
    "dcos_diagnostics_version",
}
UNIT_FIELDS = {"id", "health", "output", "description", "help", "name"}
UNIT_SUMMARY_FIELDS = {"id", "name", "health", "description"}
NODE_FIELDS = {"host_ip", "health", "role"}
UNIT_NODE_FIELDS = {"host_ip", "health", "role", "output", "help"}
WANTS_DIR = "/etc/systemd/system/dcos.target.wants"
# Install-time units DC/OS leaves out of health.
NOT_REPORTED = {"dcos-setup.service", "dcos-download.service", "dcos-link-env.service"}
# Units this suite may stop for a moment: nothing else in the cluster needs them.
STOPPABLE = ("dcos-epmd.service", "dcos-pkgpanda-api.socket")
FRESH_CLUSTER_WAIT = 60  # seconds a fresh cluster may need until every unit is up

T = TypeVar("T")
_session = requests.Session()
_session.trust_env = False  # only ever the cluster's own nodes, never a proxy
_session.headers.update(acs.auth_headers())  # Admin Router's protected locations


def get(ip: str, path: str, fresh: bool = False) -> Any:
    port = MASTER_PORT if ip in MASTERS else AGENT_PORT
    url = f"http://{ip}:{port}{BASE}{path}" + ("?cache=0" if fresh else "")
    response = _session.get(url, timeout=15)
    response.raise_for_status()
    return response.json()


def retry(check: Callable[[], T], timeout: float = FRESH_CLUSTER_WAIT) -> T:
    """The check's result once it passes; its last failure is in the error if it never does."""
    result: T = wait_for(
        lambda: Poll(True, check()),
        timeout,
        getattr(check, "__name__", "check"),
        transient=(AssertionError, requests.RequestException),
    )
    return result


@pytest.fixture(scope="module")
def roles(
    master_hosts: list[str], agent_hosts: list[str], public_agent_hosts: list[str]
) -> dict[str, str]:
    """Each node's IP and the role diagnostics must report for it."""
    expected = {ip: "master" for ip in master_hosts}
    expected.update({ip: "agent" for ip in agent_hosts})
    expected.update({ip: "agent_public" for ip in public_agent_hosts})
    return expected


@pytest.fixture(scope="module")
def local_ip(host: Any, master_hosts: list[str]) -> str:
    ip = str(host.check_output("/opt/mesosphere/bin/detect_ip")).split()[0]
    assert ip in master_hosts, "the suite must run on a master"
    return ip


@pytest.fixture(scope="module")
def node_health(roles: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {ip: get(ip, "") for ip in roles}


def assert_unit_list(units: Any, fields: set[str]) -> None:
    assert isinstance(units, list) and units, "units must be a non-empty list"
    for unit in units:
        assert set(unit) == fields, unit
        assert unit["id"] and unit["name"] and unit["description"], unit
        assert unit["health"] in (0, 1), unit


def assert_node_list(nodes: Any) -> None:
    assert isinstance(nodes, list) and nodes, "nodes must be a non-empty list"
    for node in nodes:
        assert set(node) == NODE_FIELDS, node
        assert node["host_ip"] and node["role"] and node["health"] in (0, 1), node


def test_health_of_every_node(
    roles: dict[str, str], node_health: dict[str, dict[str, Any]]
) -> None:
    for ip, role in roles.items():
        answer = node_health[ip]
        assert set(answer) == HEALTH_FIELDS, (ip, sorted(answer))
        assert_unit_list(answer["units"], UNIT_FIELDS)
        assert answer["node_role"] == role, ip
        assert answer["ip"] == ip
        for field in ("hostname", "dcos_version", "dcos_diagnostics_version"):
            assert answer[field], (ip, field)
        assert answer["mesos_id"], (ip, "mesos_id must name the node's Mesos master or agent")
        ids = {u["id"] for u in answer["units"]}
        # The socket is wanted by dcos.target; the service it starts is reported too.
        assert {"dcos-diagnostics.socket", "dcos-diagnostics.service"} <= ids, (ip, ids)


def test_local_units_are_the_dcos_target_units(host: Any, local_ip: str) -> None:
    wanted = set(os.listdir(WANTS_DIR)) - NOT_REPORTED
    reported = {u["id"] for u in get(local_ip, "")["units"]}
    assert wanted <= reported, wanted - reported
    assert not reported & NOT_REPORTED
    for unit in reported - wanted:
        # Anything beyond the wanted units must be started by one of them.
        trigger = unit.rsplit(".", 1)[0]
        assert unit.endswith(".service"), unit
        assert {f"{trigger}.socket", f"{trigger}.timer"} & wanted, unit


def test_nodes_lists_every_node(master_hosts: list[str], roles: dict[str, str]) -> None:
    for master in master_hosts:
        answer = get(master, "/nodes", fresh=True)
        assert set(answer) == {"nodes"}
        assert_node_list(answer["nodes"])
        assert len(answer["nodes"]) == len(roles)
        assert {n["host_ip"]: n["role"] for n in answer["nodes"]} == roles
        for ip, role in roles.items():
            one = get(master, f"/nodes/{ip}")
            assert set(one) == NODE_FIELDS and one["host_ip"] == ip and one["role"] == role


def test_units_of_each_node(
    master_hosts: list[str], node_health: dict[str, dict[str, Any]]
) -> None:
    for master in master_hosts:
        for ip, answer in node_health.items():
            units = get(master, f"/nodes/{ip}/units")
            assert set(units) == {"units"}
            assert_unit_list(units["units"], UNIT_SUMMARY_FIELDS)
            assert {u["id"] for u in units["units"]} == {u["id"] for u in answer["units"]}, ip
            for unit in units["units"]:
                one = get(master, f"/nodes/{ip}/units/{unit['id']}")
                assert_unit_list([one], UNIT_FIELDS)
                assert one["id"] == unit["id"] and one["help"], one


def test_units_of_the_cluster(
    master_hosts: list[str], roles: dict[str, str], node_health: dict[str, dict[str, Any]]
) -> None:
    everywhere = {u["id"] for answer in node_health.values() for u in answer["units"]}
    for master in master_hosts:
        units = get(master, "/units")
        assert set(units) == {"units"}
        assert_unit_list(units["units"], UNIT_SUMMARY_FIELDS)
        assert {u["id"] for u in units["units"]} == everywhere
        for unit_id in everywhere:
            one = get(master, f"/units/{unit_id}")
            assert_unit_list([one], UNIT_SUMMARY_FIELDS)
            nodes = get(master, f"/units/{unit_id}/nodes")
            assert set(nodes) == {"nodes"}
            assert_node_list(nodes["nodes"])
            running_it = {
                ip for ip, a in node_health.items() if unit_id in {u["id"] for u in a["units"]}
            }
            assert {n["host_ip"] for n in nodes["nodes"]} == running_it, unit_id
            for node in nodes["nodes"]:
                detail = get(master, f"/units/{unit_id}/nodes/{node['host_ip']}")
                assert set(detail) == UNIT_NODE_FIELDS, detail
                assert detail["help"] and detail["role"] == roles[detail["host_ip"]]


def test_mesos_ids_are_mesos_own(
    master_hosts: list[str], node_health: dict[str, dict[str, Any]]
) -> None:
    response = _session.get(f"http://{master_hosts[0]}/mesos/master/state", timeout=15)
    state = response.json()
    agents = {s["pid"].split("@")[1].rsplit(":", 1)[0]: s["id"] for s in state["slaves"]}
    for ip, answer in node_health.items():
        if ip in agents:
            assert answer["mesos_id"] == agents[ip], ip
    leaders = [
        ip for ip, n in get(master_hosts[0], "/report", fresh=True)["Nodes"].items() if n["Leader"]
    ]
    assert leaders == [state["leader"].split("@")[1].rsplit(":", 1)[0]]


def test_diagnostics_runs_on_every_node(master_hosts: list[str], roles: dict[str, str]) -> None:
    nodes = get(master_hosts[0], "/units/dcos-diagnostics.socket/nodes")["nodes"]
    assert sorted(n["host_ip"] for n in nodes) == sorted(roles)


def test_exhibitor_runs_on_exactly_the_masters(master_hosts: list[str]) -> None:
    units = {u["id"] for u in get(master_hosts[0], "/units")["units"]}
    if "dcos-exhibitor.service" not in units:
        pytest.skip("dcos-exhibitor.service is not part of this cluster")
    nodes = get(master_hosts[0], "/units/dcos-exhibitor.service/nodes")["nodes"]
    assert sorted(n["host_ip"] for n in nodes) == sorted(master_hosts)
    assert all(n["role"] == "master" for n in nodes)


def test_report_has_every_node_and_every_unit_is_healthy(
    master_hosts: list[str], roles: dict[str, str]
) -> None:
    def healthy_report() -> None:
        report = get(master_hosts[0], "/report", fresh=True)
        assert {"Units", "Nodes"} <= set(report)
        assert set(report["Nodes"]) == set(roles)
        assert report["Units"]
        for ip, node in report["Nodes"].items():
            assert node["IP"] == ip and node["Role"] == roles[ip]
        unhealthy = [
            f"{unit_id} on {node['IP']}: {node['Output'].get(unit_id, '')}"
            for unit_id, unit in report["Units"].items()
            for node in unit["Nodes"]
            if node["Health"] != 0
        ]
        assert not unhealthy, "\n".join(unhealthy)
        assert all(unit["Health"] == 0 for unit in report["Units"].values())

    retry(healthy_report)


def test_stopped_unit_is_unhealthy(host: Any, local_ip: str) -> None:
    present = {u["id"] for u in get(local_ip, "")["units"]}
    unit = next((u for u in STOPPABLE if u in present), None)
    if unit is None:
        pytest.skip(f"none of {STOPPABLE} runs on this master")
    path = f"/nodes/{local_ip}/units/{unit}"
    retry(lambda: _assert_health(get(local_ip, path, fresh=True), 0))

    host.run_expect([0], f"systemctl stop {unit}")
    try:
        one = retry(lambda: _assert_health(get(local_ip, path, fresh=True), 1), timeout=30)
        assert one["output"], "an unhealthy unit must say why"
        local = {u["id"]: u for u in get(local_ip, "")["units"]}
        assert local[unit]["health"] == 1
        report = get(local_ip, "/report")  # the poll above refreshed it
        assert report["Units"][unit]["Health"] == 1
        assert report["Nodes"][local_ip]["Health"] == 1
    finally:
        host.run_expect([0], f"systemctl start {unit}")
    retry(lambda: _assert_health(get(local_ip, path, fresh=True), 0), timeout=30)


def _assert_health(unit: dict[str, Any], expected: int) -> dict[str, Any]:
    assert unit["health"] == expected, unit
    return unit
