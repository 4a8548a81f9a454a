"""Mesos-DNS (dcos-mesos-dns) as DC/OS clients use it: DNS on 61053, HTTP on 8123 and
through Admin Router at /mesos_dns/, names as mesosphere/mesos-dns gives them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSRecord
from kazoo.client import KazooClient
from mesos_tasks import running_task, session
from polling import Poll, wait_for

DNS_PORT = 61053
HTTP = "http://127.0.0.1:8123"
CONVERGE = 60  # seconds; DC/OS's DNS_ENTRY_UPDATE_TIMEOUT


def ask(
    server: str, name: str, qtype: str = "A", port: int = DNS_PORT, tcp: bool = False
) -> DNSRecord:
    question = DNSRecord.question(name, qtype)
    reply = DNSRecord.parse(question.send(server, port, tcp=tcp, timeout=3))
    assert reply.header.id == question.header.id
    return reply


def a_records(reply: DNSRecord) -> list[str]:
    return sorted(str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A)


def zk_masters(master_hosts: list[str]) -> list[str]:
    """The masters' addresses in ZooKeeper's order (leader first), as DC/OS's test reads them."""
    zk = KazooClient(hosts=",".join(f"zk-{i + 1}.zk:2181" for i in range(len(master_hosts))))
    zk.start(timeout=30)
    try:
        children = sorted(
            (c for c in zk.get_children("/mesos") if c.startswith("json.info_")),
            key=lambda c: int(c.rsplit("_", 1)[1]),
        )
        return [json.loads(zk.get(f"/mesos/{c}")[0])["address"]["ip"] for c in children]
    finally:
        zk.stop()
        zk.close()


def label(name: str) -> str:
    """Mesos-DNS's label rule (RFC 1123): lower case, '.', '_' -> '-', others dropped."""
    mapped = "".join(
        c.lower() if c.isalnum() and c.isascii() else "-" if c in "-._" else "" for c in name
    )
    return mapped.strip("-")[:63].strip("-")


def test_unit_is_running_and_listening(host: Any) -> None:
    assert host.service("dcos-mesos-dns").is_running
    for spec in (f"udp://0.0.0.0:{DNS_PORT}", f"tcp://0.0.0.0:{DNS_PORT}", "tcp://0.0.0.0:8123"):
        assert host.socket(spec).is_listening, spec


def test_version_directly_and_through_admin_router() -> None:
    for url in (f"{HTTP}/v1/version", "http://127.0.0.1/mesos_dns/v1/version"):
        answer = session.get(url, timeout=5).json()
        assert answer["Service"] == "Mesos-DNS", url
        assert set(answer) == {"Service", "URL", "Version"}


def test_config_is_dcos_config(master_hosts: list[str]) -> None:
    config = session.get(f"{HTTP}/v1/config", timeout=5).json()
    assert config["Port"] == DNS_PORT and config["HttpPort"] == 8123
    assert config["Domain"] == "mesos" and config["TTL"] == 60
    assert config["RefreshSeconds"] == 30
    assert config["IPSources"] == ["host", "netinfo"]
    assert config["Zk"].startswith("zk://zk-1.zk:2181")


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_leader_on_every_master(master_hosts: list[str], tcp: bool) -> None:
    # DC/OS's test_leader_election: ask each master's Mesos-DNS directly.
    leader = zk_masters(master_hosts)[0]
    for master in master_hosts:
        assert a_records(ask(master, "leader.mesos", tcp=tcp)) == [leader], master


def test_masters_and_numbered_masters(master_hosts: list[str]) -> None:
    in_zk = zk_masters(master_hosts)
    assert a_records(ask("127.0.0.1", "master.mesos")) == sorted(master_hosts)
    for index, ip in enumerate(in_zk):
        assert a_records(ask("127.0.0.1", f"master{index}.mesos")) == [ip]
    srv = ask("127.0.0.1", "_leader._tcp.mesos", "SRV")
    assert [(str(rr.rdata.target), rr.rdata.port) for rr in srv.rr] == [("leader.mesos.", 5050)]


def test_agents(agent_hosts: list[str], public_agent_hosts: list[str]) -> None:
    # DC/OS's run_integration_test.sh waits until `dig slave.mesos` lists every agent.
    expected = sorted(agent_hosts + public_agent_hosts)

    def probe() -> Poll[None]:
        found = {name: a_records(ask("127.0.0.1", name)) for name in ("slave.mesos", "agent.mesos")}
        return Poll(all(v == expected for v in found.values()), detail=str(found))

    wait_for(probe, CONVERGE, "every agent in slave.mesos and agent.mesos")


def test_unknown_name_is_nxdomain() -> None:
    reply = ask("127.0.0.1", "no-such-task.marathon.mesos")
    assert reply.header.rcode == RCODE.NXDOMAIN
    assert reply.auth and reply.auth[0].rtype == QTYPE.SOA


def test_http_lookups_and_empty_answers(master_hosts: list[str]) -> None:
    leader = zk_masters(master_hosts)[0]
    assert session.get(f"{HTTP}/v1/hosts/leader.mesos", timeout=5).json() == [
        {"host": "leader.mesos.", "ip": leader}
    ]
    assert session.get(f"{HTTP}/v1/hosts/nothing.mesos", timeout=5).json() == [
        {"host": "", "ip": ""}
    ]
    empty = session.get(
        "http://127.0.0.1/mesos_dns/v1/services/_nothing._tcp.marathon.mesos", timeout=5
    ).json()
    assert empty == [{"host": "", "port": "", "service": "", "ip": ""}]


def test_task_records_follow_the_task() -> None:
    with running_task("dns-probe", "sleep 600") as task:
        seen = time.monotonic()
        framework = ".".join(p for p in (label(x) for x in task.framework_name.split(".")) if p)
        name = f"{label(task.name)}.{framework}.mesos"

        def resolves() -> Poll[None]:
            found = a_records(ask("127.0.0.1", name))
            return Poll(found == [task.agent_ip], detail=f"{name}: {found}")

        wait_for(resolves, CONVERGE, f"{name} naming the task's agent", interval_s=0.05)
        took = time.monotonic() - seen
        print(f"{name} answered {took:.2f} s after the master said TASK_RUNNING")
        slave_name = f"{label(task.name)}.{framework}.slave.mesos"
        assert a_records(ask("127.0.0.1", slave_name)) == [task.agent_ip]
        # The canonical name: <task>-<5 character hash>-<agent id tail>.<framework>.mesos
        enumerated = session.get(f"{HTTP}/v1/enumerate", timeout=5).json()
        records = [
            r["name"]
            for f in enumerated["frameworks"]
            for t in f["tasks"]
            if t["id"] == task.id
            for r in t["records"]
        ]
        tail = task.agent_id.split("-")[-1].lower()
        assert any(r.startswith(f"{label(task.name)}-") and f"-{tail}." in r for r in records)

    def gone() -> Poll[None]:
        reply = ask("127.0.0.1", name)
        return Poll(reply.header.rcode == RCODE.NXDOMAIN, detail=str(a_records(reply)))

    wait_for(gone, CONVERGE, f"{name} gone after the task ended")
