"""Cluster node list, polling and report aggregation from fake node answers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from dcos_diagnostics import cluster, views
from dcos_diagnostics.cluster import ClusterNode

CONFIG = {
    "master_list": '["192.0.2.1", "192.0.2.2"]',
    "agent_list": '["192.0.2.3"]',
    "public_agent_list": '["192.0.2.4"]',
}


def _unit(uid: str, health: int = 0, output: str = "") -> dict[str, Any]:
    return {
        "id": uid,
        "health": health,
        "output": output,
        "description": f"does {uid}",
        "help": "",
        "name": uid.split(".")[0],
    }


def _answer(host: str, units: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "units": units,
        "hostname": host,
        "ip": host,
        "dcos_version": "2.2.0",
        "node_role": "master",
        "mesos_id": f"id-{host}",
        "dcos_diagnostics_version": "0",
    }


ANSWERS = {
    "192.0.2.1": _answer(
        "192.0.2.1", [_unit("dcos-exhibitor.service"), _unit("dcos-diagnostics.socket")]
    ),
    "192.0.2.2": _answer(
        "192.0.2.2", [_unit("dcos-exhibitor.service", 1, "dead"), _unit("dcos-diagnostics.socket")]
    ),
    "192.0.2.3": _answer("192.0.2.3", [_unit("dcos-diagnostics.socket")]),
}


def _fetch(n: ClusterNode) -> dict[str, Any]:
    if n.ip not in ANSWERS:
        raise ConnectionRefusedError("refused")
    return ANSWERS[n.ip]


@pytest.fixture
def report() -> dict[str, Any]:
    return cluster.build_report(cluster.poll(cluster.cluster_nodes(CONFIG), _fetch))


def test_cluster_nodes_in_config_order_with_diagnostics_roles() -> None:
    assert cluster.cluster_nodes(CONFIG) == [
        ClusterNode("192.0.2.1", "master"),
        ClusterNode("192.0.2.2", "master"),
        ClusterNode("192.0.2.3", "agent"),
        ClusterNode("192.0.2.4", "agent_public"),
    ]
    assert cluster.cluster_nodes({"master_list": "[]"}) == []


def test_poll_asks_in_parallel() -> None:
    started = threading.Barrier(3, timeout=5)

    def slow(n: ClusterNode) -> dict[str, Any]:
        started.wait()  # only passes if all three are in flight at once
        return _answer(n.ip, [])

    results = cluster.poll([ClusterNode(f"192.0.2.{i}", "agent") for i in range(3)], slow)
    assert [r.error for r in results] == ["", "", ""]


def test_report_has_dcos_field_names(report: dict[str, Any]) -> None:
    assert set(report) == {"Units", "Nodes", "UpdatedTime"}
    assert list(report["Nodes"]) == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    node = report["Nodes"]["192.0.2.2"]
    assert set(node) == {"Leader", "Role", "IP", "Host", "Health", "Output", "Units", "MesosID"}
    assert node["Health"] == 1 and node["Output"]["dcos-exhibitor.service"] == "dead"
    unit = report["Units"]["dcos-exhibitor.service"]
    assert set(unit) == {"UnitName", "Nodes", "Health", "Title", "Timestamp", "PrettyName"}
    assert unit["Health"] == 1
    assert [(n["IP"], n["Health"]) for n in unit["Nodes"]] == [("192.0.2.1", 0), ("192.0.2.2", 1)]


def test_silent_node_is_unhealthy_with_the_error(report: dict[str, Any]) -> None:
    silent = report["Nodes"]["192.0.2.4"]
    assert silent["Health"] == 1 and silent["Role"] == "agent_public"
    assert "ConnectionRefusedError" in silent["Output"][cluster.UNREACHABLE_UNIT]
    # An agent is asked through Admin Router Agent, as DC/OS asks it.
    assert "192.0.2.4:61001" in silent["Output"][cluster.UNREACHABLE_UNIT]


def test_views_have_exact_field_sets(report: dict[str, Any]) -> None:
    nodes = views.nodes(report)["nodes"]
    assert [(n["host_ip"], n["role"], n["health"]) for n in nodes] == [
        ("192.0.2.1", "master", 0),
        ("192.0.2.2", "master", 1),
        ("192.0.2.3", "agent", 0),
        ("192.0.2.4", "agent_public", 1),
    ]
    assert all(set(n) == {"host_ip", "health", "role"} for n in nodes)
    assert views.node(report, "192.0.2.3") == {"host_ip": "192.0.2.3", "health": 0, "role": "agent"}
    unit_fields = {"id", "name", "health", "description"}
    node_units = views.node_units(report, "192.0.2.1")
    assert node_units is not None
    assert all(set(u) == unit_fields for u in node_units["units"])
    assert all(set(u) == unit_fields for u in views.units(report)["units"])
    one = views.node_unit(report, "192.0.2.2", "dcos-exhibitor.service")
    assert one is not None
    assert set(one) == {"id", "health", "output", "description", "help", "name"}
    assert one["output"] == "dead" and one["help"]
    unit_nodes = views.unit_nodes(report, "dcos-exhibitor.service")
    assert unit_nodes is not None
    assert [n["host_ip"] for n in unit_nodes["nodes"]] == ["192.0.2.1", "192.0.2.2"]
    detail = views.unit_node(report, "dcos-exhibitor.service", "192.0.2.2")
    assert detail is not None
    assert set(detail) == {"host_ip", "health", "role", "output", "help"}
    assert detail["health"] == 1 and detail["output"] == "dead"


def test_views_say_none_for_unknown_things(report: dict[str, Any]) -> None:
    assert views.node(report, "192.0.2.99") is None
    assert views.node_unit(report, "192.0.2.1", "nope.service") is None
    assert views.unit(report, "nope.service") is None
    assert views.unit_node(report, "dcos-exhibitor.service", "192.0.2.3") is None


def test_cache_reuses_then_refreshes() -> None:
    calls: list[float] = []

    def make() -> dict[str, Any]:
        calls.append(time.monotonic())
        return {"n": len(calls)}

    cache = cluster.ReportCache(make, ttl=60)
    assert cache.get() == {"n": 1}
    assert cache.get() == {"n": 1}
    assert cache.get(fresh=True) == {"n": 2}
    expired = cluster.ReportCache(make, ttl=0)
    expired.get()
    assert expired.get() == {"n": 4}


SLAVES = {
    "slaves": [
        {
            "id": "S0",
            "pid": "slave(1)@192.0.2.3:5051",
            "hostname": "192.0.2.3",
            "attributes": {},
            "reserved_resources": {},
        },
        {
            "id": "S1",
            "pid": "slave(1)@192.0.2.7:5051",
            "hostname": "192.0.2.7",
            "attributes": {"public_ip": "true"},
            "reserved_resources": {},
        },
        {
            "id": "S2",
            "pid": "slave(1)@192.0.2.8:5051",
            "hostname": "192.0.2.8",
            "attributes": {},
            "reserved_resources": {"slave_public": {"cpus": 2.0}},
        },
    ]
}


def _mesos(down: set[str]) -> cluster.HTTPGet:
    """Masters 192.0.2.1 (leader) and .2 as Mesos answers: /master/redirect and /slaves."""
    import json

    def get(ip: str, port: int, path: str, timeout: float) -> tuple[int, dict[str, str], bytes]:
        assert port == 5050
        if ip in down:
            raise ConnectionRefusedError("refused")
        if path == "/master/redirect":
            return 307, {"location": "//192.0.2.1:5050"}, b""
        if path == "/slaves" and ip == "192.0.2.1":
            return 200, {}, json.dumps(SLAVES).encode()
        return 404, {}, b""

    return get


def test_agents_come_from_mesos_with_their_roles() -> None:
    view = cluster.mesos_view(["192.0.2.1", "192.0.2.2"], _mesos(set()))
    assert view is not None and view.leader_ip == "192.0.2.1"
    assert cluster.cluster_nodes(CONFIG, view) == [
        ClusterNode("192.0.2.1", "master"),
        ClusterNode("192.0.2.2", "master"),
        ClusterNode("192.0.2.3", "agent"),
        ClusterNode("192.0.2.7", "agent_public"),
        ClusterNode("192.0.2.8", "agent_public"),
    ]


def test_any_master_names_the_leader() -> None:
    view = cluster.mesos_view(["192.0.2.2", "192.0.2.1"], _mesos({"192.0.2.9"}))
    assert view is not None and view.leader_ip == "192.0.2.1"


def test_without_mesos_the_config_lists_stand_in() -> None:
    assert (
        cluster.mesos_view(["192.0.2.1", "192.0.2.2"], _mesos({"192.0.2.1", "192.0.2.2"})) is None
    )
    assert [n.ip for n in cluster.cluster_nodes(CONFIG, None)] == [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
    ]


def test_the_mesos_leader_is_marked() -> None:
    results = cluster.poll(cluster.cluster_nodes(CONFIG), _fetch)
    report = cluster.build_report(results, leader_ip="192.0.2.1")
    assert [ip for ip, n in report["Nodes"].items() if n["Leader"]] == ["192.0.2.1"]
