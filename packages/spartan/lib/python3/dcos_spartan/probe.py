"""Ask a DNS server one question, with the standard library only.

The watchdog and gen-resolvconf only need to know whether a server answers
`ready.spartan`, so a forty-line client beats a dependency: it also keeps the
package's tests runnable on a host without dnslib.
"""

from __future__ import annotations

import random
import socket
import struct

from dcos_spartan import DNS_PORT, READY_NAME

QTYPE_A = 1
QCLASS_IN = 1
_FLAG_RESPONSE = 0x8000
_FLAG_RECURSION_DESIRED = 0x0100


class ProbeError(Exception):
    """The server gave no usable answer: timeout, refusal, or garbage."""


def build_query(name: str, query_id: int, qtype: int = QTYPE_A) -> bytes:
    header = struct.pack("!6H", query_id, _FLAG_RECURSION_DESIRED, 1, 0, 0, 0)
    labels = [label.encode("idna") for label in name.rstrip(".").split(".") if label]
    qname = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
    return header + qname + struct.pack("!2H", qtype, QCLASS_IN)


def parse_reply(reply: bytes, query_id: int) -> tuple[int, int]:
    """(rcode, number of answer records) of a reply to our query."""
    if len(reply) < 12:
        raise ProbeError(f"short reply ({len(reply)} bytes)")
    reply_id, flags, _qd, answers, _ns, _ar = struct.unpack("!6H", reply[:12])
    if reply_id != query_id or not flags & _FLAG_RESPONSE:
        raise ProbeError("reply does not match the query")
    return flags & 0x000F, answers


def _exchange_udp(query: bytes, server: str, port: int, timeout: float) -> bytes:
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((server, port))
        sock.send(query)
        return sock.recv(4096)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ProbeError("connection closed mid-reply")
        data += chunk
    return data


def _exchange_tcp(query: bytes, server: str, port: int, timeout: float) -> bytes:
    with socket.create_connection((server, port), timeout=timeout) as sock:
        sock.sendall(struct.pack("!H", len(query)) + query)
        (length,) = struct.unpack("!H", _recv_exactly(sock, 2))
        return _recv_exactly(sock, length)


def answer_count(
    server: str,
    name: str,
    *,
    port: int = DNS_PORT,
    timeout: float = 1.0,
    tcp: bool = False,
    qtype: int = QTYPE_A,
) -> int:
    """How many answer records `server` gives for `name`.

    Raises ProbeError on a timeout, a refusal, an error rcode or garbage.
    """
    query_id = random.randrange(1 << 16)
    query = build_query(name, query_id, qtype)
    exchange = _exchange_tcp if tcp else _exchange_udp
    try:
        reply = exchange(query, server, port, timeout)
    except OSError as exc:  # includes timeouts and refused connections
        raise ProbeError(f"{server}:{port}: {exc or type(exc).__name__}") from exc
    rcode, answers = parse_reply(reply, query_id)
    if rcode:
        raise ProbeError(f"{server}:{port}: rcode {rcode} for {name}")
    return answers


def is_ready(server: str, timeout: float = 1.0, port: int = DNS_PORT) -> bool:
    """Whether spartan at `server` answers ready.spartan, as DC/OS's gen_resolvconf asks it."""
    try:
        return answer_count(server, READY_NAME, port=port, timeout=timeout) > 0
    except ProbeError:
        return False
