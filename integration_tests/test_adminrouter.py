"""Admin Router (dcos-adminrouter on masters, dcos-adminrouter-agent on agents) as DC/OS's
test_endpoints.py and test_adminrouter_open.py check it: the location map, redirect codes
whose Location never echoes a bad Host, and the routes that follow the cluster's state.
"""

from __future__ import annotations

import socket
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from mesos_tasks import master_state, running_task, session
from polling import Poll, wait_for

MASTER = "http://127.0.0.1"
AGENT_PORT = 61001


def get(path: str, **kwargs: Any) -> requests.Response:
    return session.get(MASTER + path, timeout=10, **kwargs)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag in ("a", "link") and href and "://" not in href:
            self.hrefs.append(href.lstrip("."))


def component_present(unit: str, host: Any) -> bool:
    return bool(host.file(f"/etc/systemd/system/{unit}").exists)


def test_units_are_running(host: Any) -> None:
    assert host.service("dcos-adminrouter").is_running
    assert host.socket("tcp://0.0.0.0:80").is_listening


def test_root_page_says_dcos_and_its_links_answer() -> None:
    response = get("/")
    assert response.status_code == 200 and "DC/OS" in response.text
    assert len(response.text) > 100
    parser = Links()
    parser.feed(response.text)
    assert parser.hrefs
    for href in parser.hrefs:
        assert session.head(MASTER + href, timeout=10).status_code == 200, href


REDIRECTS = [
    ("/exhibitor", 301, None),
    ("/exhibitor/", 302, None),
    ("/marathon", 307, None),
    ("/mesos", 301, None),
    ("/mesos/master/redirect", 307, None),
    ("/mesos_dns", 301, None),
    ("/net", 301, "dcos-navstar.service"),
    ("/pkgpanda/repository", 301, None),
    ("/service/marathon", 301, None),
    ("/service/test-service", 301, None),
    ("/system/v1/logs", 301, "dcos-log-master.service"),
    ("/system/v1/metrics", 301, "dcos-metrics-master.service"),
]


@pytest.mark.parametrize(("path", "code", "needs"), REDIRECTS, ids=[r[0] for r in REDIRECTS])
def test_redirects_never_echo_a_bad_host(
    host: Any, path: str, code: int, needs: str | None
) -> None:
    if needs and not component_present(needs, host):
        pytest.skip(f"{needs} is not part of this cluster: Admin Router does not route {path}")
    response = get(path, headers={"Host": "bad.host"}, allow_redirects=False)
    response.raise_for_status()
    assert response.status_code == code
    assert "bad.host" not in response.headers["Location"]


def test_mesos_ui_and_api_reach_the_leader(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    response = get("/mesos")
    assert response.status_code == 200 and "<title>Mesos</title>" in response.text

    def registered() -> Poll[None]:
        slaves = get("/mesos/master/slaves").json()["slaves"]
        hostnames = sorted(s["hostname"] for s in slaves)
        return Poll(hostnames == sorted(agent_hosts + public_agent_hosts), detail=str(hostnames))

    wait_for(registered, 60, "every agent in /mesos/master/slaves")


def test_exhibitor(master_hosts: list[str]) -> None:
    status = get("/exhibitor/exhibitor/v1/cluster/status").json()
    assert sorted(s["hostname"] for s in status) == sorted(master_hosts)
    assert all(s["code"] == 3 for s in status)
    assert sum(1 for s in status if s["isLeader"]) == 1
    assert get("/exhibitor/exhibitor/v1/cluster/list").json()["port"] > 0
    assert "Exhibitor for ZooKeeper" in get("/exhibitor/").text  # through its UI redirect


def test_metadata_and_pkgpanda() -> None:
    assert "uiConfiguration" in get("/dcos-metadata/ui-config.json").json()
    assert get("/dcos-metadata/dcos-version.json").json()["version"]
    buildinfo = get("/pkgpanda/active.buildinfo.full.json").json()
    assert "mesos" in buildinfo and len(buildinfo) > 5
    assert get("/pkgpanda/active/").json()


def test_mesos_dns() -> None:
    assert get("/mesos_dns/v1/version").json()["Service"] == "Mesos-DNS"


def test_system_health_on_every_node(
    master_hosts: list[str], agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    for ip in master_hosts:
        assert (
            session.get(f"http://{ip}/system/health/v1", timeout=10).json()["node_role"] == "master"
        )
    for ip, role in [(a, "agent") for a in agent_hosts] + [
        (a, "agent_public") for a in public_agent_hosts
    ]:
        answer = session.get(f"http://{ip}:{AGENT_PORT}/system/health/v1", timeout=10).json()
        assert answer["node_role"] == role, ip


def test_agent_admin_router_serves_the_agent(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    agents = {a["pid"].split("@")[1].rsplit(":", 1)[0]: a["id"] for a in master_state()["slaves"]}
    for ip in agent_hosts + public_agent_hosts:
        base = f"http://{ip}:{AGENT_PORT}"
        assert session.get(f"{base}/state", timeout=10).json()["id"] == agents[ip]
        assert session.get(f"{base}/pkgpanda/active/", timeout=10).json()


def test_agent_routes_by_id_in_both_spellings() -> None:
    for agent in master_state()["slaves"]:
        for prefix in ("agent", "slave"):
            assert get(f"/{prefix}/{agent['id']}/state").json()["id"] == agent["id"]
            # DC/OS's readiness asks for the agent's own libprocess path.
            assert get(f"/{prefix}/{agent['id']}/slave%281%29/state").status_code == 200
    assert get("/agent/no-such-agent/state").status_code == 404


def test_task_stdout_through_the_agent_route() -> None:
    marker = f"admin-router-{uuid.uuid4().hex}"
    with running_task("ar-stdout", f"echo {marker}; sleep 600") as task:

        def sandbox() -> Poll[str]:
            debug = get(f"/agent/{task.agent_id}/state").json()
            for framework in debug["frameworks"]:
                for executor in framework["executors"]:
                    if any(t["id"] == task.id for t in executor["tasks"]):
                        return Poll(True, executor["directory"])
            return Poll(False, detail="task not in the agent's state yet")

        directory = wait_for(sandbox, 60, "the task's sandbox")

        def stdout() -> Poll[None]:
            answer = get(
                f"/agent/{task.agent_id}/files/read",
                params={"path": f"{directory}/stdout", "offset": 0},
            ).json()
            return Poll(marker in answer["data"], detail=answer["data"][-200:])

        wait_for(stdout, 60, "the marker in the task's stdout")


def test_service_routes(host: Any) -> None:
    assert get("/service/no-such-service/").status_code == 404
    if get("/marathon/v2/info").status_code != 200:
        pytest.skip("Marathon is not part of this cluster yet")
    assert get("/service/marathon/v2/info").json()["name"] == "marathon"


def test_diagnostics_port_is_closed_on_agents(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    for ip in agent_hosts + public_agent_hosts:
        with pytest.raises(OSError):
            socket.create_connection((ip, 1050), timeout=3).close()


def test_state_cache_survives_an_app_with_a_bad_port_index() -> None:
    # DC/OS's TestStateCacheUpdate, with a command app instead of a Docker one.
    if get("/marathon/v2/info").status_code != 200:
        pytest.skip("Marathon is not part of this cluster yet")
    suffix = uuid.uuid4().hex[:8]

    def app(index: int) -> dict[str, Any]:
        name = f"ar-cache-{index}-{suffix}"
        return {
            "id": f"/{name}",
            "cmd": "python3 -m http.server $PORT0",
            "cpus": 0.1,
            "mem": 48,
            "instances": 1,
            "portDefinitions": [{"port": 0, "protocol": "tcp"}],
            "labels": {
                "DCOS_SERVICE_NAME": name,
                "DCOS_SERVICE_SCHEME": "http",
                "DCOS_SERVICE_PORT_INDEX": str(index),
            },
        }

    bad, good = app(1), app(0)
    try:
        for definition in (bad, good):
            response = session.post(f"{MASTER}/marathon/v2/apps", json=definition, timeout=10)
            assert response.status_code == 201, response.text

        def reachable() -> Poll[None]:
            status = get(f"/service{good['id']}/").status_code
            return Poll(status == 200, detail=f"HTTP {status}")

        wait_for(reachable, 120, "the good app through /service/")
        assert get(f"/service{bad['id']}/").status_code == 404
    finally:
        for definition in (bad, good):
            session.delete(f"{MASTER}/marathon/v2/apps{definition['id']}?force=true", timeout=10)
