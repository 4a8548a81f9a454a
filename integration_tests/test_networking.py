"""Navstar: named and unnamed VIPs, the L4 load balancer's spread, the dcos overlay,
the `*.thisdcos.directory` names, the overlay modules' endpoints, and the
unreachable routes (DC/OS's test_networking.py and test_service_discovery.py).

Apps land on any agent, public ones included (the CI cluster has one private
and one public agent, so "the other agent" is the public one).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import networking_apps as net
import pytest
import requests
from polling import Poll, wait_for
from test_helpers import Container, Network


@pytest.fixture(scope="module", autouse=True)
def cleanup() -> Iterator[None]:
    yield
    net.delete_all()


@pytest.fixture(scope="module")
def lb_enabled(expanded_config: dict[str, Any]) -> None:
    if expanded_config.get("enable_lb") != "true":
        pytest.skip("the load balancer is off (enable_lb: false)")


@pytest.fixture(scope="module")
def overlay_enabled(expanded_config: dict[str, Any]) -> None:
    if expanded_config.get("dcos_overlay_enable") != "true":
        pytest.skip("the overlay is off (dcos_overlay_enable: false)")


@pytest.fixture(scope="module")
def two_agents(agent_hosts: list[str], public_agent_hosts: list[str]) -> list[str]:
    hosts = agent_hosts + public_agent_hosts
    if len(hosts) < 2:
        pytest.skip("needs two agents (private or public)")
    return hosts[:2]


def deploy_healthy(definition: dict[str, Any], count: int = 1) -> list[dict[str, Any]]:
    net.deploy(definition)
    return net.tasks_of(net.wait_healthy(definition["id"], count))


def test_named_and_unnamed_vips_from_the_same_agent_another_agent_and_a_master(
    lb_enabled: None, two_agents: list[str]
) -> None:
    name, port, unnamed_port = f"vip-{net.short_id()}", 10100, 10101
    unnamed = f"192.0.2.{int(net.short_id(), 16) % 200 + 20}:{unnamed_port}"
    origin, origin_uuid = net.app(vip=f"/{name}:{port}", host=two_agents[0], name="origin")
    origin["portDefinitions"][0]["labels"]["VIP_1"] = unnamed
    same, _ = net.app(host=two_agents[0], name="proxy-same")
    other, _ = net.app(host=two_agents[1], name="proxy-other")
    for definition in (origin, same, other):
        net.deploy(definition)
    [origin_task] = net.tasks_of(net.wait_healthy(origin["id"], 1))
    proxies = {
        "same agent": net.tasks_of(net.wait_healthy(same["id"], 1))[0],
        "other agent": net.tasks_of(net.wait_healthy(other["id"], 1))[0],
        "master": None,
    }
    named_url = f"http://{name}.marathon.l4lb.thisdcos.directory:{port}/test_uuid"
    for where, proxy in proxies.items():
        for url in (named_url, f"http://{unnamed}/test_uuid"):
            net.wait_uuid(proxy, url, origin_uuid)
            print(f"{where}: {url} -> {origin_uuid}")
    backend = (origin_task["host"], origin_task["ports"][0])
    assert net.backends_of(f"{name}.marathon.l4lb.thisdcos.directory:{port}") == [backend]
    assert net.backends_of(unnamed) == [backend]


def test_l4lb_five_apps_behind_one_vip_are_all_reached_within_25_requests(
    lb_enabled: None, dcos_session: requests.Session
) -> None:
    """DC/OS's test_l4lb: /v1/vips lists exactly the five backends; 25 GETs reach all five."""
    name = f"l4lbtest-{net.short_id()}"
    dns_name = f"{name}.marathon.l4lb.thisdcos.directory:5000"
    apps = [net.app(vip=f"/{name}:5000", name=f"l4lb{i}") for i in range(5)]
    for definition, _ in apps:
        net.deploy(definition)
    backends = []
    for definition, _ in apps:
        [task] = net.tasks_of(net.wait_healthy(definition["id"], 1))
        backends.append(net.endpoint(task))

    def all_listed() -> Poll[list[tuple[str, int]]]:
        found = net.backends_of(dns_name) or []
        return Poll(found == sorted(backends), found, str(found))

    wait_for(
        all_listed,
        net.ROUTE_TIMEOUT_S,
        f"/v1/vips listing 5 backends of {dns_name}",
        transient=net.TRANSIENT,
    )
    # The same through Admin Router, as the UI and the CLI read it.
    through_ar = dcos_session.get("http://127.0.0.1/net/v1/vips", timeout=5).json()
    assert next(v for v in through_ar if v["vip"] == dns_name)["backend"]
    seen = {
        requests.get(f"http://{dns_name}/test_uuid", timeout=5).json()["test_uuid"]
        for _ in range(25)
    }
    assert seen == {test_uuid for _, test_uuid in apps}


def listed(vip: str, wanted: list[tuple[str, int]]) -> Poll[None]:
    found = net.backends_of(vip)
    return Poll(found == wanted, None, str(found))


def test_scaling_an_app_changes_v1_vips_within_2_s(lb_enabled: None) -> None:
    name = f"scale-{net.short_id()}"
    vip = f"{name}.marathon.l4lb.thisdcos.directory:5001"
    definition, _ = net.app(vip=f"/{name}:5001", name="scale")
    deploy_healthy(definition)
    for count in (2, 1):
        response = net.http.put(
            f"{net.MARATHON}/v2/apps{definition['id']}", json={"instances": count}, timeout=10
        )
        assert response.status_code == 200, response.text
        wanted = sorted(
            net.endpoint(t) for t in net.tasks_of(net.wait_healthy(definition["id"], count))
        )
        # Marathon learns of the new task from the same master as Navstar: from the
        # moment Marathon shows it, /v1/vips must follow within 2 s.
        seen_at = time.monotonic()
        wait_for(
            functools.partial(listed, vip, wanted),
            2.0,
            f"/v1/vips showing {count} backends of {vip}",
            interval_s=0.05,
            max_interval_s=0.1,
            transient=net.TRANSIENT,
        )
        print(
            f"{count} instances: /v1/vips followed "
            f"{time.monotonic() - seen_at:.2f} s after Marathon"
        )


def test_a_killed_backend_stops_receiving_connections(lb_enabled: None) -> None:
    name = f"kill-{net.short_id()}"
    vip = f"{name}.marathon.l4lb.thisdcos.directory:5002"
    (first, first_uuid), (second, second_uuid) = (
        net.app(vip=f"/{name}:5002", name=f"kill{i}") for i in range(2)
    )
    [first_task] = deploy_healthy(first)
    [second_task] = deploy_healthy(second)
    both = sorted([net.endpoint(first_task), net.endpoint(second_task)])
    # Exactly these backends (a health check that fails once under load takes a
    # backend out until it passes again, as in DC/OS).
    wait_for(functools.partial(listed, vip, both), net.ROUTE_TIMEOUT_S, "both backends",
             transient=net.TRANSIENT)  # fmt: skip
    url = f"http://{vip}/test_uuid"
    assert {requests.get(url, timeout=5).json()["test_uuid"] for _ in range(6)} == {
        first_uuid,
        second_uuid,
    }
    killed_at = time.monotonic()
    net.delete(first["id"])
    wait_for(
        functools.partial(listed, vip, [net.endpoint(second_task)]),
        net.ROUTE_TIMEOUT_S,
        "only the second backend left",
        interval_s=0.05,
        transient=net.TRANSIENT,
    )
    print(f"the killed backend left /v1/vips after {time.monotonic() - killed_at:.2f} s")
    assert {requests.get(url, timeout=5).json()["test_uuid"] for _ in range(10)} == {second_uuid}


def overlay_app(container: Container, host: str | None, name: str) -> tuple[dict[str, Any], str]:
    definition, test_uuid = net.app(
        network=Network.USER, container=container, host=host, name=name, container_port=8080
    )
    return definition, test_uuid


def test_overlay_tasks_on_different_agents_reach_each_other_by_container_ip(
    overlay_enabled: None, two_agents: list[str], expanded_config: dict[str, Any]
) -> None:
    overlay = json.loads(expanded_config["dcos_overlay_network"])["overlays"][0]["subnet"]
    tasks = []
    for host in two_agents:
        definition, test_uuid = overlay_app(Container.NONE, host, "overlay")
        tasks.append((deploy_healthy(definition)[0], test_uuid))
    (first, _), (second, second_uuid) = tasks
    for task, _ in tasks:
        address = task["ipAddresses"][0]["ipAddress"]
        assert ipaddress.IPv4Address(address) in ipaddress.IPv4Network(overlay)
        assert task["host"] != address
    ip, port = net.endpoint(second)
    net.wait_uuid(first, f"http://{ip}:{port}/test_uuid", second_uuid)
    # And from a master, which routes to every agent's overlay subnet.
    net.wait_uuid(None, f"http://{ip}:{port}/test_uuid", second_uuid)


def resolve(name: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


def resolves_to(name: str, address: str) -> Poll[None]:
    found = resolve(name)
    return Poll(found == [address], None, str(found))


def test_autoip_agentip_containerip_for_host_bridge_and_overlay_apps(
    overlay_enabled: None,
) -> None:
    """DC/OS's table: which address each name gives per network mode."""
    cases = {
        "host": net.app(name="dnshost"),
        "overlay": overlay_app(Container.NONE, None, "dnsoverlay"),
    }
    missing = net.docker_image_missing()
    if missing:
        print(f"bridge: not checked, the Docker image cannot run here: {missing}")
    else:
        cases["bridge"] = net.app(network=Network.BRIDGE, container=Container.DOCKER, name="dnsbr")
        cases["docker-overlay"] = overlay_app(Container.DOCKER, None, "dnsdockeroverlay")
    tasks = {kind: deploy_healthy(definition)[0] for kind, (definition, _) in cases.items()}
    for kind, (definition, _) in cases.items():
        task = tasks[kind]
        host_ip = task["host"]
        own_ip = task["ipAddresses"][0]["ipAddress"]
        expected = {
            "host": {"agentip": host_ip, "autoip": host_ip, "containerip": host_ip},
            "bridge": {"agentip": host_ip, "autoip": host_ip, "containerip": own_ip},
            "overlay": {"agentip": host_ip, "autoip": own_ip, "containerip": own_ip},
        }[kind.split("-")[-1]]
        # Marathon's discovery name: the app ID's segments, reversed, joined with '-'.
        app_name = "-".join(reversed(definition["id"].strip("/").split("/")))
        for record, address in expected.items():
            fqdn = f"{app_name}.marathon.{record}.dcos.thisdcos.directory"
            wait_for(
                functools.partial(resolves_to, fqdn, address),
                net.ROUTE_TIMEOUT_S,
                f"{fqdn} -> {address}",
            )
            print(f"{kind}: {fqdn} -> {address}")


def test_overlay_master_and_agent_endpoints(
    overlay_enabled: None,
    dcos_session: requests.Session,
    master_hosts: list[str],
    agent_hosts: list[str],
    public_agent_hosts: list[str],
    expanded_config: dict[str, Any],
) -> None:
    network = json.loads(expanded_config["dcos_overlay_network"])
    state = dcos_session.get("http://127.0.0.1/mesos/overlay-master/state", timeout=5).json()
    assert state["network"]["vtep_subnet"] == network["vtep_subnet"]
    assert state["network"]["overlays"] == network["overlays"]
    nodes = master_hosts + agent_hosts + public_agent_hosts
    assert sorted(a["ip"] for a in state["agents"]) == sorted(nodes)

    def overlay_ok(host: str, port: int) -> Poll[None]:
        info = requests.get(f"http://{host}:{port}/overlay-agent/overlay", timeout=5).json()
        statuses = [o["state"]["status"] for o in info["overlays"]]
        return Poll(bool(statuses) and set(statuses) == {"STATUS_OK"}, None, str(statuses))

    for host in master_hosts:
        wait_for(functools.partial(overlay_ok, host, 5050), 120, f"overlay on {host}")
    for host in agent_hosts + public_agent_hosts:
        wait_for(functools.partial(overlay_ok, host, 5051), 120, f"overlay on {host}")
        [dcos] = requests.get(f"http://{host}:5051/overlay-agent/overlay", timeout=5).json()[
            "overlays"
        ]
        assert dcos["backend"]["vxlan"]["vni"] == 1024
        assert dcos["mesos_bridge"]["name"] == "m-dcos"
        assert dcos["docker_bridge"]["name"] == "d-dcos"


def test_unreachable_routes_keep_vip_and_overlay_traffic_on_the_node(
    expanded_config: dict[str, Any],
) -> None:
    routes = subprocess.run(
        ["ip", "-4", "route", "show", "type", "unreachable"], capture_output=True, text=True
    ).stdout
    wanted = []
    if expanded_config.get("enable_lb") == "true":
        wanted.append(
            "198.18.0.0/16"
            if expanded_config["dcos_l4lb_min_named_ip"].startswith("198.18.")
            else expanded_config["dcos_l4lb_min_named_ip"]
        )
    if expanded_config.get("dcos_overlay_enable") == "true":
        wanted += [
            o["subnet"] for o in json.loads(expanded_config["dcos_overlay_network"])["overlays"]
        ]
    for network in wanted:
        assert f"unreachable {network}" in routes
    if wanted:
        # An address no VIP holds fails at once, on this node.
        with socket.socket() as sock, pytest.raises(OSError) as excinfo:
            sock.settimeout(5)
            sock.connect(("198.18.255.250", 80))
        assert excinfo.value.errno in (113, 101)  # EHOSTUNREACH, ENETUNREACH
