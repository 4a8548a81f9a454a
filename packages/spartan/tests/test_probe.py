"""The stdlib DNS probe against a tiny fake server on loopback."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from dcos_spartan.probe import ProbeError, answer_count, build_query, is_ready, parse_reply


def reply_to(query: bytes, rcode: int, answers: int) -> bytes:
    (query_id,) = struct.unpack("!H", query[:2])
    header = struct.pack("!6H", query_id, 0x8180 | rcode, 1, answers, 0, 0)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton("127.0.0.1")
    return header + query[12:] + answer * answers


@pytest.fixture
def udp_server(request: pytest.FixtureRequest) -> Iterator[int]:
    rcode, answers = request.param
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def serve() -> None:
        data, peer = sock.recvfrom(4096)
        sock.sendto(reply_to(data, rcode, answers), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    sock.close()


def test_build_query_encodes_the_name() -> None:
    query = build_query("ready.spartan", 0x1234)
    assert query[:2] == b"\x12\x34"
    assert b"\x05ready\x07spartan\x00" in query


def test_parse_reply_rejects_a_foreign_id() -> None:
    query = build_query("ready.spartan", 1)
    with pytest.raises(ProbeError):
        parse_reply(reply_to(query, 0, 1), 2)


@pytest.mark.parametrize("udp_server", [(0, 1)], indirect=True)
def test_answering_server_is_ready(udp_server: int) -> None:
    assert is_ready("127.0.0.1", timeout=2, port=udp_server)


@pytest.mark.parametrize("udp_server", [(3, 0)], indirect=True)
def test_nxdomain_is_an_error(udp_server: int) -> None:
    with pytest.raises(ProbeError, match="rcode 3"):
        answer_count("127.0.0.1", "ready.spartan", port=udp_server, timeout=2)


def test_silent_server_is_not_ready() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        assert not is_ready("127.0.0.1", timeout=0.2, port=sock.getsockname()[1])
    finally:
        sock.close()
