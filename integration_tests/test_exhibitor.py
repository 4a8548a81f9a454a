"""ZooKeeper and Exhibitor on the masters (dcos-exhibitor.service).

Runs on a master. Every master must report the same ensemble through
Exhibitor's REST API, that ensemble must be the master list with one leader,
and data written through ZooKeeper must be readable on every master.
"""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from kazoo.client import KazooClient
from polling import wait_for

EXHIBITOR_PORT = 8181
ZK_PORT = 2181
ZK_DATA_DIR = "/var/lib/dcos/exhibitor/zookeeper"
# A just-created cluster may still be electing a leader; a formed one answers at once.
CONVERGE_SECONDS = 60


def exhibitor(host: str, path: str) -> Any:
    response = requests.get(f"http://{host}:{EXHIBITOR_PORT}/exhibitor/v1/{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def four_letter_word(host: str, word: str) -> str:
    """Ask a ZooKeeper directly, bypassing Exhibitor, to check what Exhibitor reports."""
    with socket.create_connection((host, ZK_PORT), timeout=5) as sock:
        sock.sendall(word.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def zk_mode(host: str) -> str:
    for line in four_letter_word(host, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return ""


def eventually(check: Callable[[], None], seconds: float = CONVERGE_SECONDS) -> None:
    """Run `check` until it passes; after `seconds`, its last failure is in the error."""

    def passes() -> bool:
        check()
        return True

    wait_for(
        passes,
        seconds,
        check.__name__,
        transient=(AssertionError, requests.RequestException),
    )


def by_hostname(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(statuses, key=lambda s: s["hostname"])


@pytest.fixture(scope="module")
def this_ip() -> str:
    return subprocess.run(
        ["/opt/mesosphere/bin/detect_ip"], check=True, capture_output=True, text=True
    ).stdout.split()[0]


@pytest.fixture(scope="module")
def master_list(expanded_config: dict[str, Any]) -> list[str]:
    # Expanded-config values are strings: master_list is a JSON-encoded list.
    return list(json.loads(expanded_config["master_list"]))


def test_unit_is_running(host: Any) -> None:
    assert host.service("dcos-exhibitor.service").is_running


def test_ports_are_listening(host: Any, this_ip: str, master_hosts: list[str]) -> None:
    assert host.socket(f"tcp://0.0.0.0:{EXHIBITOR_PORT}").is_listening
    assert host.socket(f"tcp://0.0.0.0:{ZK_PORT}").is_listening
    if len(master_hosts) > 1:
        # Leader election between the servers of the ensemble.
        assert host.socket(f"tcp://{this_ip}:3888").is_listening


def test_zookeeper_data_directory_exists(host: Any) -> None:
    assert host.file(ZK_DATA_DIR).is_directory


def test_cluster_list_is_the_master_list(master_hosts: list[str], master_list: list[str]) -> None:
    listing = exhibitor(master_hosts[0], "cluster/list")
    assert listing["port"] == ZK_PORT
    # Exhibitor lists the servers in serversSpec order, which is master_list's.
    assert listing["servers"] == master_list
    assert sorted(listing["servers"]) == sorted(master_hosts)


def test_every_master_reports_the_same_serving_ensemble(master_hosts: list[str]) -> None:
    def check() -> None:
        reports = {m: by_hostname(exhibitor(m, "cluster/status")) for m in master_hosts}
        first = reports[master_hosts[0]]
        for master, report in reports.items():
            assert report == first, f"{master} disagrees with {master_hosts[0]}"
        assert [s["hostname"] for s in first] == sorted(master_hosts)
        assert [(s["code"], s["description"]) for s in first] == [(3, "serving")] * len(first)
        leaders = [s["hostname"] for s in first if s["isLeader"]]
        assert len(leaders) == 1, f"leaders: {leaders}"

    eventually(check)


def test_exhibitors_leader_is_zookeepers_leader(master_hosts: list[str]) -> None:
    def check() -> None:
        statuses = exhibitor(master_hosts[0], "cluster/status")
        modes = {m: zk_mode(m) for m in master_hosts}
        for status in statuses:
            mode = modes[status["hostname"]]
            if status["isLeader"]:
                assert mode == ("standalone" if len(master_hosts) == 1 else "leader")
            else:
                assert mode == "follower"

    eventually(check)


def test_get_state(master_hosts: list[str], master_list: list[str], this_ip: str) -> None:
    state = exhibitor(this_ip, "config/get-state")
    assert state["running"] is True
    assert state["backupActive"] is False
    assert state["standaloneMode"] is (len(master_hosts) == 1)
    config = state["config"]
    spec = dict(entry.split(":", 1) for entry in config["serversSpec"].split(","))
    assert spec == {str(i): ip for i, ip in enumerate(master_list, start=1)}
    assert config["hostname"] == this_ip
    assert config["serverId"] == master_list.index(this_ip) + 1
    assert (config["clientPort"], config["connectPort"], config["electionPort"]) == (
        ZK_PORT,
        2888,
        3888,
    )
    assert config["zookeeperDataDirectory"].startswith(ZK_DATA_DIR)


def test_instance_state(this_ip: str) -> None:
    state = exhibitor(this_ip, f"cluster/state/{this_ip}")
    assert state["success"] is True
    assert (state["response"]["state"], state["response"]["description"]) == (3, "serving")


@pytest.fixture
def zk() -> Iterator[KazooClient]:
    client = KazooClient(hosts=f"127.0.0.1:{ZK_PORT}", timeout=10)
    client.start(timeout=15)
    yield client
    client.stop()
    client.close()


def test_a_znode_is_seen_by_every_masters_zookeeper(
    zk: KazooClient, master_hosts: list[str]
) -> None:
    path = f"/minidcos-integration-test/exhibitor-{uuid.uuid4().hex}"
    value = uuid.uuid4().bytes
    zk.create(path, value, makepath=True)
    try:
        assert zk.get(path)[0] == value
        for master in master_hosts:
            other = KazooClient(hosts=f"{master}:{ZK_PORT}", timeout=10)
            other.start(timeout=15)
            try:
                # A follower may lag its leader by a moment: sync first.
                other.sync(path)
                assert other.get(path)[0] == value, master
            finally:
                other.stop()
                other.close()
    finally:
        zk.delete(path)
    assert zk.exists(path) is None
