"""Answers to DNS queries in the Mesos domain, from the current records, as Mesos-DNS gives them.

- A, AAAA and SRV from the records (SRV answers carry the targets' A records
  as additional records); SOA and NS for any name of the domain; ANY gives
  all of them.
- An unknown name is NXDOMAIN with the SOA in the authority section; a known
  name asked for a type it lacks, and any AAAA, SRV, SOA or NS question, is
  NOERROR with no answer (NODATA).
- Answers with several records are shuffled, for rudimentary load balancing.
- UDP answers fit 512 bytes, or the size the client's EDNS0 record offers:
  additional records go first, then answers, and the TC bit says so.
- Before the first state is loaded every question gets SERVFAIL, so that
  resolvers ask again instead of caching a wrong "no such name".

The hot path parses only the header and the question, and answers from a
cache of packed replies keyed by the question's bytes: a repeated question
costs a dictionary look-up and a two-byte copy. The cache is dropped whenever
the records change.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from dnslib import AAAA, NS, QTYPE, RCODE, RR, SOA, SRV, A, DNSHeader, DNSQuestion, DNSRecord

from dcos_mesos_dns.records import Records

MAX_UDP = 512
MAX_TCP = 65535
CACHE_LIMIT = 20000  # distinct questions kept; random names must not grow it without bound
SHUFFLED_VARIANTS = 4
_RESPONSE = 0x8000
_OPCODE_MASK = 0x7800
_RD = 0x0100


@dataclass(frozen=True)
class ZoneConfig:
    domain: str = "mesos"
    ttl: int = 60
    soa_mname: str = "ns1.mesos."
    soa_rname: str = "root.ns1.mesos."
    soa_refresh: int = 60
    soa_retry: int = 600
    soa_expire: int = 86400
    recurse_on: bool = True
    set_truncate_bit: bool = True


@dataclass(frozen=True)
class Question:
    id: int
    recursion_desired: bool
    wire: bytes  # the question section as sent (name, type, class)
    name: str  # as sent, without the final dot
    qtype: int
    udp_limit: int  # what the client can take over UDP (EDNS0 or 512)


def parse_question(data: bytes) -> Question | None:
    """The single question of a standard query; None for anything else (left to dnslib)."""
    if len(data) < 12:
        return None
    query_id, flags, qdcount, _an, _ns, arcount = struct.unpack("!6H", data[:12])
    if flags & (_RESPONSE | _OPCODE_MASK) or qdcount != 1:
        return None
    labels: list[bytes] = []
    offset = 12
    while True:
        if offset >= len(data):
            return None
        length = data[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0:  # compression has no place in a lone question
            return None
        labels.append(data[offset + 1 : offset + 1 + length])
        offset += 1 + length
    if offset + 4 > len(data):
        return None
    qtype, _qclass = struct.unpack("!HH", data[offset : offset + 4])
    end = offset + 4
    udp_limit = MAX_UDP
    # An EDNS0 OPT record (root name, type 41) states the client's UDP size in its class.
    if arcount and data[end : end + 1] == b"\0" and len(data) >= end + 5:
        rtype, rclass = struct.unpack("!HH", data[end + 1 : end + 5])
        if rtype == QTYPE.OPT:
            udp_limit = max(MAX_UDP, rclass)
    name = b".".join(labels).decode("latin-1")
    return Question(query_id, bool(flags & _RD), data[12:end], name, qtype, udp_limit)


def clean_wild(name: str) -> str:
    """Mesos-DNS drops `.*` wildcards, so `_web.*._tcp...` asks for `_web._tcp...`."""
    return name.replace(".*", "")


class Answerer:
    def __init__(self, config: ZoneConfig) -> None:
        self.config = config
        self.zone = config.domain.lower().strip(".") + "."
        self.records: Records | None = None
        self.serial = 0
        self._cache: dict[bytes, list[bytes]] = {}

    def update(self, records: Records, serial: int) -> None:
        self.records = records
        self.serial = serial
        self._cache = {}

    def in_zone(self, name: str) -> bool:
        fqdn = name.lower().rstrip(".") + "."
        return fqdn == self.zone or fqdn.endswith("." + self.zone)

    def respond(self, question: Question, udp: bool) -> bytes:
        """The packed reply to `question` (which must be in the zone)."""
        limit = question.udp_limit if udp else MAX_TCP
        key = question.wire + struct.pack("!?H", question.recursion_desired, limit)
        variants = self._cache.get(key)
        if variants is None:
            variants = self._build(question, limit)
            if self.records is not None:  # never cache the not-ready SERVFAIL
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache = {}
                self._cache[key] = variants
        reply = variants[0] if len(variants) == 1 else random.choice(variants)
        return struct.pack("!H", question.id) + reply[2:]

    # -- building ------------------------------------------------------------

    def _reply(self, question: Question) -> DNSRecord:
        header = DNSHeader(
            id=0, qr=1, aa=1, ra=int(self.config.recurse_on), rd=int(question.recursion_desired)
        )
        return DNSRecord(header, q=DNSQuestion(question.name, question.qtype))

    def _soa(self, name: str) -> RR:
        c = self.config
        times = (self.serial, c.soa_refresh, c.soa_retry, c.soa_expire, c.ttl)
        return RR(name, QTYPE.SOA, ttl=c.ttl, rdata=SOA(c.soa_mname, c.soa_rname, times))

    def _build(self, question: Question, limit: int) -> list[bytes]:
        reply = self._reply(question)
        records = self.records
        if records is None:
            reply.header.rcode = RCODE.SERVFAIL
            return [reply.pack()]
        ttl = self.config.ttl
        name = clean_wild(question.name).lower().rstrip(".") + "."
        qtype = question.qtype
        answers: list[RR] = []
        extra: list[RR] = []
        if qtype in (QTYPE.SRV, QTYPE.ANY):
            seen: set[str] = set()
            for target in records.srv.get(name, ()):
                host, _, port = target.rpartition(":")
                answers.append(
                    RR(question.name, QTYPE.SRV, ttl=ttl, rdata=SRV(0, 0, int(port), host))
                )
                first = records.a.first(host)
                if first and host not in seen:
                    seen.add(host)
                    extra.append(RR(host, QTYPE.A, ttl=ttl, rdata=A(first)))
        if qtype in (QTYPE.A, QTYPE.ANY):
            answers += [
                RR(question.name, QTYPE.A, ttl=ttl, rdata=A(ip)) for ip in records.a.get(name, ())
            ]
        if qtype in (QTYPE.AAAA, QTYPE.ANY):
            answers += [
                RR(question.name, QTYPE.AAAA, ttl=ttl, rdata=AAAA(ip))
                for ip in records.aaaa.get(name, ())
            ]
        if qtype in (QTYPE.SOA, QTYPE.ANY):
            answers.append(self._soa(question.name))
        if qtype in (QTYPE.NS, QTYPE.ANY):
            answers.append(RR(question.name, QTYPE.NS, ttl=ttl, rdata=NS(self.config.soa_mname)))

        if not answers:
            nodata = qtype in (QTYPE.SOA, QTYPE.NS, QTYPE.SRV, QTYPE.AAAA) or records.has_name(name)
            reply.header.rcode = RCODE.NOERROR if nodata else RCODE.NXDOMAIN
            reply.add_auth(self._soa(question.name))
            return [self._fit(reply, limit)]

        orders = [answers]
        if len(answers) > 1:
            orders = [random.sample(answers, len(answers)) for _ in range(SHUFFLED_VARIANTS)]
        packed = []
        for order in orders:
            variant = self._reply(question)
            for rr in order:
                variant.add_answer(rr)
            for rr in extra:
                variant.add_ar(rr)
            packed.append(self._fit(variant, limit))
        return packed

    def _fit(self, reply: DNSRecord, limit: int) -> bytes:
        """Packed, cut to `limit` bytes: additional records first, then answers from the end."""
        data: bytes = reply.pack()
        if len(data) <= limit:
            return data
        reply.ar = []
        data = reply.pack()
        while len(data) > limit and reply.rr:
            reply.rr.pop()
            data = reply.pack()
        if self.config.set_truncate_bit:
            reply.header.tc = 1
            data = reply.pack()
        return data


def error_reply(data: bytes, rcode: int) -> bytes | None:
    """A reply with `rcode` to a query dnslib can read; None if it cannot (then stay silent)."""
    try:
        query = DNSRecord.parse(data)
    except Exception:  # dnslib raises several types for garbage
        return None
    if query.header.qr:
        return None  # never answer an answer
    reply = query.reply()
    reply.rr, reply.auth, reply.ar = [], [], []
    reply.header.rcode = rcode
    return bytes(reply.pack())
