"""DNS answers over real UDP and TCP sockets on 127.0.0.1, from a recorded state."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from conftest import MASTERS, LoopThread, free_port
from dcos_mesos_dns import server
from dcos_mesos_dns.answer import Answerer, ZoneConfig, parse_question
from dcos_mesos_dns.records import GeneratorConfig, generate, hash_string
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord


class DNS:
    def __init__(self, port: int, answerer: Answerer) -> None:
        self.port = port
        self.answerer = answerer

    def ask(self, name: str, qtype: str = "A", tcp: bool = False, edns: int = 0) -> DNSRecord:
        question = DNSRecord.question(name, qtype)
        if edns:
            question.add_ar(EDNS0(udp_len=edns))
        reply = DNSRecord.parse(question.send("127.0.0.1", self.port, tcp=tcp, timeout=2))
        assert reply.header.id == question.header.id
        return reply


def values(reply: DNSRecord, qtype: int) -> list[str]:
    return sorted(str(rr.rdata) for rr in reply.rr if rr.rtype == qtype)


def start_dns(
    loop_thread: LoopThread, answerer: Answerer, forwarder: server.Forwarder | None = None
) -> DNS:
    port = free_port()
    resolver = server.Resolver(answerer, forwarder or server.Forwarder([]))
    loop_thread.run(server.start(resolver, "127.0.0.1", port))
    return DNS(port, answerer)


@pytest.fixture
def dns(loop_thread: LoopThread, state: dict[str, Any]) -> DNS:
    answerer = Answerer(ZoneConfig())
    answerer.update(
        generate(state, GeneratorConfig(), MASTERS, ["192.0.2.11"], lambda h: []), serial=1700000000
    )
    return start_dns(loop_thread, answerer)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_a_records(dns: DNS, tcp: bool) -> None:
    reply = dns.ask("leader.mesos", tcp=tcp)
    assert reply.header.rcode == RCODE.NOERROR and reply.header.aa
    assert values(reply, QTYPE.A) == ["192.0.2.11"]
    assert reply.rr[0].ttl == 60
    assert values(dns.ask("master.mesos", tcp=tcp), QTYPE.A) == [
        "192.0.2.11",
        "192.0.2.12",
        "192.0.2.13",
    ]
    assert values(dns.ask("agent.mesos", tcp=tcp), QTYPE.A) == ["192.0.2.21", "192.0.2.22"]
    assert values(dns.ask("web.marathon.mesos", tcp=tcp), QTYPE.A) == ["192.0.2.21"]


def test_names_are_case_insensitive(dns: DNS) -> None:
    reply = dns.ask("Leader.MESOS")
    assert values(reply, QTYPE.A) == ["192.0.2.11"]
    assert str(reply.q.qname) == "Leader.MESOS."  # the question comes back as asked


def test_srv_with_additional_a_records(dns: DNS) -> None:
    reply = dns.ask("_app-group._tcp.marathon.mesos", "SRV")
    canonical = f"app-group-{hash_string('app_group.5a2e9b3f-1111-11ee-8c90-0242ac120002')}-s0"
    target = f"{canonical}.marathon.slave.mesos."
    assert sorted((str(rr.rdata.target), rr.rdata.port) for rr in reply.rr) == [
        (target, 31005),
        (target, 31006),
    ]
    assert [(str(rr.rname), str(rr.rdata)) for rr in reply.ar] == [(target, "192.0.2.21")]
    # Wildcards are dropped, as Mesos-DNS does.
    assert len(dns.ask("_app-group.*._tcp.marathon.mesos", "SRV").rr) == 2


def test_unknown_name_is_nxdomain_with_soa(dns: DNS) -> None:
    reply = dns.ask("nothing-here.marathon.mesos")
    assert reply.header.rcode == RCODE.NXDOMAIN
    assert not reply.rr
    soa = reply.auth[0]
    assert soa.rtype == QTYPE.SOA
    assert str(soa.rdata.mname) == "ns1.mesos." and str(soa.rdata.rname) == "root.ns1.mesos."
    assert soa.rdata.times[0] == 1700000000


@pytest.mark.parametrize(
    ("name", "qtype"),
    [
        ("leader.mesos", "SRV"),  # a known name without that type
        ("_leader._tcp.mesos", "A"),
        ("nothing-here.mesos", "AAAA"),  # Mesos-DNS answers AAAA with NODATA
        ("nothing-here.mesos", "SRV"),
    ],
)
def test_nodata(dns: DNS, name: str, qtype: str) -> None:
    reply = dns.ask(name, qtype)
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr


def test_soa_and_ns(dns: DNS) -> None:
    assert dns.ask("mesos", "SOA").rr[0].rtype == QTYPE.SOA
    assert str(dns.ask("mesos", "NS").rr[0].rdata) == "ns1.mesos."
    assert values(dns.ask("ns1.mesos"), QTYPE.A) == ["192.0.2.11"]


def test_before_the_first_state_everything_fails_softly(loop_thread: LoopThread) -> None:
    dns = start_dns(loop_thread, Answerer(ZoneConfig()))
    assert dns.ask("leader.mesos").header.rcode == RCODE.SERVFAIL


def test_other_names_without_resolvers_are_refused(dns: DNS) -> None:
    assert dns.ask("example.org").header.rcode == RCODE.REFUSED


def test_other_names_are_forwarded(loop_thread: LoopThread, dns: DNS) -> None:
    # An upstream that is itself a Mesos-DNS for the zone "test".
    upstream_answerer = Answerer(ZoneConfig(domain="test"))
    upstream_answerer.update(
        generate(
            {"leader": "master@192.0.2.50:5050"},
            GeneratorConfig(domain="test"),
            [],
            [],
            lambda h: [],
        ),
        1,
    )
    upstream = start_dns(loop_thread, upstream_answerer)
    front = start_dns(
        loop_thread, dns.answerer, server.Forwarder([("127.0.0.1", upstream.port)], timeout_s=2)
    )
    for tcp in (False, True):
        assert values(front.ask("leader.test", tcp=tcp), QTYPE.A) == ["192.0.2.50"]


def test_big_answers_are_truncated_over_udp_only(
    loop_thread: LoopThread, state: dict[str, Any]
) -> None:
    slaves = [{"id": f"S{i}", "pid": f"slave(1)@192.0.2.{100 + i}:5051"} for i in range(60)]
    state = {"leader": state["leader"], "slaves": slaves}
    answerer = Answerer(ZoneConfig())
    answerer.update(generate(state, GeneratorConfig(), MASTERS, [], lambda h: []), 1)
    dns = start_dns(loop_thread, answerer)
    udp = dns.ask("slave.mesos")
    assert udp.header.tc and 0 < len(udp.rr) < 60
    assert len(dns.ask("slave.mesos", edns=4096).rr) == 60  # EDNS0 makes room
    tcp = dns.ask("slave.mesos", tcp=True)
    assert not tcp.header.tc and len(tcp.rr) == 60


def test_answers_are_shuffled(loop_thread: LoopThread, dns: DNS) -> None:
    orders = {tuple(str(rr.rdata) for rr in dns.ask("master.mesos").rr) for _ in range(50)}
    assert len(orders) > 1


def test_records_change_and_cache_follows(dns: DNS, state: dict[str, Any]) -> None:
    assert values(dns.ask("leader.mesos"), QTYPE.A) == ["192.0.2.11"]
    state["leader"] = "master@192.0.2.12:5050"
    dns.answerer.update(generate(state, GeneratorConfig(), MASTERS, [], lambda h: []), 2)
    assert values(dns.ask("leader.mesos"), QTYPE.A) == ["192.0.2.12"]


def test_garbage_gets_no_crash(dns: DNS) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(b"\x00\x01garbage", ("127.0.0.1", dns.port))
        with pytest.raises(socket.timeout):
            sock.recv(512)
    assert values(dns.ask("leader.mesos"), QTYPE.A) == ["192.0.2.11"]


def test_parse_question_reads_edns_size() -> None:
    query = DNSRecord.question("leader.mesos")
    query.add_ar(EDNS0(udp_len=1232))
    parsed = parse_question(query.pack())
    assert parsed is not None
    assert (parsed.name, parsed.qtype, parsed.udp_limit) == ("leader.mesos", QTYPE.A, 1232)
    assert parse_question(struct.pack("!6H", 1, 0x8000, 1, 0, 0, 0)) is None  # a response
