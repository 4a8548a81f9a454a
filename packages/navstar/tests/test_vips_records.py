from __future__ import annotations

import copy
from typing import Any

from dcos_navstar.labels import label
from dcos_navstar.records import Record, all_records, hosts_file
from dcos_navstar.state import ClusterState
from dcos_navstar.tasks import Task
from dcos_navstar.vips import Backend, Vip, parse_vip_label, vip_table
from tasks_data import AGENTS, BRIDGE, FRAMEWORKS, HOST_WEB, OVERLAY, task

WEB = Vip("tcp", "web.marathon.l4lb.thisdcos.directory", 80)


def table(*tasks: dict[str, Any]) -> dict[Vip, set[Backend]]:
    return vip_table([Task.from_v1(t) for t in tasks], FRAMEWORKS, AGENTS)


def test_labels_are_mangled_as_dc_os_does() -> None:
    assert label("/my-group/app") == "my-groupapp"
    assert label("fd%gsf---gs7-f$gs--d7fddg-123") == "fdgsf---gs7-fgs--d7fddg-123"
    assert label("-4abc123") == "4abc123"
    assert label("Web_Server.") == "web-server"
    long = "fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123"
    assert label(long) == "fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891"


def test_named_and_unnamed_vip_labels() -> None:
    assert parse_vip_label("/l4lbtest:5000", "tcp", "marathon") == Vip(
        "tcp", "l4lbtest.marathon.l4lb.thisdcos.directory", 5000
    )
    assert parse_vip_label("192.0.2.7:80", "udp", "marathon") == Vip("udp", "192.0.2.7", 80)
    assert parse_vip_label("/nope", "tcp", "marathon") is None
    assert parse_vip_label("/x:99999", "tcp", "marathon") is None


def test_host_task_backend_is_the_agent_and_its_port() -> None:
    assert table(HOST_WEB) == {WEB: {Backend("192.0.2.11", 31001)}}


def test_container_scoped_port_backend_is_the_container() -> None:
    assert table(OVERLAY) == {Vip("tcp", "192.0.2.200", 8080): {Backend("198.19.1.2", 8080)}}


def test_unhealthy_and_ended_tasks_take_no_traffic() -> None:
    sick = task(
        "web.2",
        "web",
        ports=HOST_WEB["discovery"]["ports"]["ports"],
        healthy=False,
        health_check=True,
    )
    unknown = task("web.3", "web", ports=HOST_WEB["discovery"]["ports"]["ports"], health_check=True)
    ok = task(
        "web.4",
        "web",
        agent="agent-2",
        ports=HOST_WEB["discovery"]["ports"]["ports"],
        healthy=True,
        health_check=True,
    )
    # The VIP stays (its name keeps resolving) while only the healthy task is a backend.
    assert table(sick, unknown, ok) == {WEB: {Backend("192.0.2.12", 31001)}}
    assert table(sick) == {WEB: set()}


def test_state_follows_task_updates() -> None:
    state = ClusterState(agents=dict(AGENTS), frameworks=dict(FRAMEWORKS))
    state.apply({"type": "TASK_ADDED", "task_added": {"task": copy.deepcopy(HOST_WEB)}})
    killed = {"task_id": {"value": "web.1"}, "state": "TASK_KILLED", "timestamp": 2.0, "uuid": "k"}
    assert state.apply(
        {
            "type": "TASK_UPDATED",
            "task_updated": {
                "framework_id": {"value": "fw-marathon"},
                "status": killed,
                "state": "TASK_KILLED",
            },
        }
    )
    assert state.tasks == {}


def test_subscribed_resets_everything() -> None:
    state = ClusterState()
    state.apply(
        {
            "type": "SUBSCRIBED",
            "subscribed": {
                "get_state": {
                    "get_agents": {
                        "agents": [
                            {
                                "agent_info": {"id": {"value": "agent-1"}},
                                "pid": "slave(1)@192.0.2.11:5051",
                            }
                        ]
                    },
                    "get_frameworks": {
                        "frameworks": [
                            {"framework_info": {"id": {"value": "fw-marathon"}, "name": "marathon"}}
                        ]
                    },
                    "get_tasks": {"tasks": [HOST_WEB]},
                }
            },
        }
    )
    assert state.agents == {"agent-1": "192.0.2.11"}
    assert state.frameworks == {"fw-marathon": "marathon"}
    assert list(state.tasks) == [("fw-marathon", "web.1")]


def records_of(t: dict[str, Any]) -> dict[str, str]:
    found = all_records([Task.from_v1(t)], FRAMEWORKS, AGENTS, {})
    return {r.name.split(".")[2]: r.ip for r in found}


def test_autoip_agentip_containerip_table() -> None:
    # Host networking: the agent's address everywhere.
    assert records_of(HOST_WEB) == {
        "agentip": "192.0.2.11",
        "autoip": "192.0.2.11",
        "containerip": "192.0.2.11",
    }
    # Bridge with port mappings: the agent, except containerip.
    assert records_of(BRIDGE) == {
        "agentip": "192.0.2.12",
        "autoip": "192.0.2.12",
        "containerip": "172.17.0.2",
    }
    # Overlay: the container, except agentip.
    assert records_of(OVERLAY) == {
        "agentip": "192.0.2.12",
        "autoip": "198.19.1.2",
        "containerip": "198.19.1.2",
    }
    # Overlay with port mappings: the agent for autoip.
    mapped = copy.deepcopy(OVERLAY)
    mapped["container"]["network_infos"][0]["port_mappings"] = [
        {"host_port": 31005, "container_port": 8080}
    ]
    assert records_of(mapped)["autoip"] == "192.0.2.12"


def test_record_names_and_hosts_file() -> None:
    named = {"web.marathon.l4lb.thisdcos.directory": "198.18.7.7"}
    found = all_records([Task.from_v1(HOST_WEB)], FRAMEWORKS, AGENTS, named)
    assert Record("web.marathon.autoip.dcos.thisdcos.directory", "192.0.2.11") in found
    assert Record("web.marathon.l4lb.thisdcos.directory", "198.18.7.7") in found
    text = hosts_file(found)
    assert "198.18.7.7 web.marathon.l4lb.thisdcos.directory\n" in text
    assert text.count("192.0.2.11 ") == 1  # one line per address, names joined
