"""Record names and values from a recorded state, as Mesos-DNS names them."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MASTERS
from dcos_mesos_dns import labels
from dcos_mesos_dns.records import GeneratorConfig, Records, generate, hash_string, port_list

WEB_ID = "web.4f1d8a2e-1111-11ee-8c90-0242ac120002"
APP_ID = "app_group.5a2e9b3f-1111-11ee-8c90-0242ac120002"


def no_lookup(host: str) -> list[str]:
    raise AssertionError(f"unexpected lookup of {host}")


def make(state: dict[str, Any], **config: Any) -> Records:
    return generate(state, GeneratorConfig(**config), MASTERS, ["192.0.2.11"], no_lookup)


@pytest.mark.parametrize(
    ("name", "rfc1123", "rfc952"),
    [
        ("web", "web", "web"),
        ("Big_Dog!", "big-dog", "big-dog"),
        ("app.group", "app-group", "app-group"),
        ("--lead-and-trail--", "lead-and-trail", "lead-and-trail"),
        ("9lives", "9lives", "lives"),
        ("a" * 70, "a" * 63, "a" * 24),
        ("ab" + "-" * 30 + "cd", "ab" + "-" * 30 + "cd", "abcd"),  # refilled after the cut
        ("ünïcode", "ncode", "ncode"),
    ],
)
def test_labels(name: str, rfc1123: str, rfc952: str) -> None:
    assert labels.rfc1123(name) == rfc1123
    assert labels.rfc952(name) == rfc952


def test_framework_names_keep_their_dots() -> None:
    assert labels.domain_frag("my.Framework_1", labels.rfc1123) == "my.framework-1"
    assert labels.domain_frag("..x..", labels.rfc1123) == "x"


def test_hash_is_mesos_dns_zbase32_of_sha1() -> None:
    # Mesos-DNS's documented example: task nginx.48dccce7-... is nginx-jhy6r-<agent>.
    assert hash_string("nginx.48dccce7-90bc-11e6-ae70-70b3d5800001") == "jhy6r"


def test_port_ranges() -> None:
    assert port_list("[31000-31000, 31005-31006]") == ["31000", "31005", "31006"]
    assert port_list("[]") == [] and port_list(None) == []


def test_masters_leader_and_numbered(state: dict[str, Any]) -> None:
    rs = make(state)
    assert list(rs.a["leader.mesos."]) == ["192.0.2.11"]
    assert list(rs.a["master.mesos."]) == ["192.0.2.11", "192.0.2.12", "192.0.2.13"]
    assert [list(rs.a[f"master{i}.mesos."]) for i in range(3)] == [
        ["192.0.2.11"],
        ["192.0.2.12"],
        ["192.0.2.13"],
    ]
    assert list(rs.srv["_leader._tcp.mesos."]) == ["leader.mesos.:5050"]
    assert list(rs.srv["_leader._udp.mesos."]) == ["leader.mesos.:5050"]
    assert list(rs.a["ns1.mesos."]) == ["192.0.2.11"]


def test_leader_missing_from_zookeeper_list_still_numbered(state: dict[str, Any]) -> None:
    rs = generate(state, GeneratorConfig(), ["192.0.2.12:5050"], [], no_lookup)
    assert list(rs.a["master0.mesos."]) == ["192.0.2.12"]
    assert list(rs.a["master1.mesos."]) == ["192.0.2.11"]


def test_agents(state: dict[str, Any]) -> None:
    rs = make(state)
    for name in ("slave.mesos.", "agent.mesos."):
        assert list(rs.a[name]) == ["192.0.2.21", "192.0.2.22"]
    assert list(rs.srv["_slave._tcp.mesos."]) == ["slave.mesos.:5051"]


def test_frameworks(state: dict[str, Any]) -> None:
    rs = make(state)
    assert list(rs.a["marathon.mesos."]) == ["192.0.2.11"]  # its hostname; no PID, no SRV
    assert "_framework._tcp.marathon.mesos." not in rs.srv
    assert list(rs.a["my.framework-1.mesos."]) == ["192.0.2.12"]
    assert list(rs.srv["_framework._tcp.my.framework-1.mesos."]) == ["my.framework-1.mesos.:41000"]


def test_framework_host_name_is_looked_up(state: dict[str, Any]) -> None:
    state["frameworks"][0]["hostname"] = "marathon-host"
    rs = generate(state, GeneratorConfig(), MASTERS, [], lambda h: ["192.0.2.99"])
    assert list(rs.a["marathon.mesos."]) == ["192.0.2.99"]


def test_task_with_discovery_info(state: dict[str, Any]) -> None:
    rs = make(state)
    canonical = f"web-{hash_string(WEB_ID)}-s0"
    for name in (
        "web.marathon.mesos.",
        f"{canonical}.marathon.mesos.",
        "web.marathon.slave.mesos.",
        f"{canonical}.marathon.slave.mesos.",
    ):
        assert list(rs.a[name]) == ["192.0.2.21"], name
    slave_target = f"{canonical}.marathon.slave.mesos.:31000"
    assert list(rs.srv["_web._tcp.marathon.slave.mesos."]) == [slave_target]
    assert list(rs.srv["_web._udp.marathon.slave.mesos."]) == [slave_target]
    # DiscoveryInfo ports: the named port, TCP only, pointing at the task name.
    target = f"{canonical}.marathon.mesos.:31000"
    assert list(rs.srv["_web._tcp.marathon.mesos."]) == [target]
    assert list(rs.srv["_http._web._tcp.marathon.mesos."]) == [target]
    assert "_web._udp.marathon.mesos." not in rs.srv


def test_nested_app_task_and_ports_without_discovery(state: dict[str, Any]) -> None:
    # Marathon names the task of /group/app "app.group"; Mesos-DNS makes it a label.
    rs = make(state)
    canonical = f"app-group-{hash_string(APP_ID)}-s0"
    assert list(rs.a["app-group.marathon.mesos."]) == ["192.0.2.21"]  # "host" comes first
    targets = [f"{canonical}.marathon.slave.mesos.:{p}" for p in (31005, 31006)]
    for name in (
        "_app-group._tcp.marathon.mesos.",
        "_app-group._udp.marathon.mesos.",
        "_app-group._tcp.marathon.slave.mesos.",
        "_app-group._udp.marathon.slave.mesos.",
    ):
        assert list(rs.srv[name]) == targets, name


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (("host", "netinfo"), "192.0.2.21"),
        (("netinfo", "host"), "203.0.113.7"),
        (("docker", "host"), "203.0.113.7"),
        (("mesos", "host"), "192.0.2.21"),
    ],
)
def test_ip_sources_in_order(
    state: dict[str, Any], sources: tuple[str, ...], expected: str
) -> None:
    rs = make(state, ip_sources=sources)
    assert list(rs.a["app-group.marathon.mesos."]) == [expected]
    assert list(rs.a["app-group.marathon.slave.mesos."]) == ["192.0.2.21"]


def test_only_running_tasks(state: dict[str, Any]) -> None:
    rs = make(state)
    assert "db.marathon.mesos." not in rs.a
    assert list(rs.a["big-dog.marathon.mesos."]) == ["192.0.2.22"]
    assert list(rs.a["job.my.framework-1.mesos."]) == ["192.0.2.22"]
    assert not [n for n in rs.srv if n.startswith("_job.")]  # no ports, no SRV


def test_rfc952(state: dict[str, Any]) -> None:
    state["frameworks"][0]["tasks"][3]["name"] = "1234-a-very-long-task-name-indeed"
    rs = make(state, enforce_rfc952=True)
    assert "a-very-long-task-name-in.marathon.mesos." in rs.a


def test_enumeration(state: dict[str, Any]) -> None:
    rs = make(state)
    assert [f["name"] for f in rs.frameworks] == ["marathon", "my.Framework_1"]
    tasks = {t["id"]: t for t in rs.frameworks[0]["tasks"]}
    assert set(tasks) == {WEB_ID, APP_ID, "Big_Dog.7c4a1d5b-1111-11ee-8c90-0242ac120002"}
    assert {"name": "web.marathon.mesos.", "host": "192.0.2.21", "rtype": "A"} in tasks[WEB_ID][
        "records"
    ]


def test_agent_without_ip_address_is_named(state: dict[str, Any]) -> None:
    state["slaves"][1]["pid"] = "slave(1)@agent-two:5051"
    rs = generate(state, GeneratorConfig(), MASTERS, [], lambda h: [])
    assert list(rs.a["slave.mesos."]) == ["192.0.2.21"]
    assert "big-dog.marathon.mesos." not in rs.a  # "host" gives no IP
