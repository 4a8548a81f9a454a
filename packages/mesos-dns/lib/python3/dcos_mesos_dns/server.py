"""The DNS listeners (UDP and TCP) and the forwarder for names outside the Mesos domain.

Questions in the domain are answered from memory by `answer.Answerer`. Other
names go to the cluster's upstream resolvers, one after the other, as Mesos-DNS
does with `ExternalOn`; with no resolvers they are REFUSED.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Sequence

from dnslib import RCODE

from dcos_mesos_dns.answer import Answerer, error_reply, parse_question

log = logging.getLogger("mesos-dns")


class Forwarder:
    def __init__(self, resolvers: Sequence[tuple[str, int]], timeout_s: float = 5.0) -> None:
        self.resolvers = list(resolvers)
        self.timeout_s = timeout_s

    async def forward(self, query: bytes, tcp: bool) -> bytes | None:
        if not self.resolvers:
            return error_reply(query, RCODE.REFUSED)
        for host, port in self.resolvers:
            try:
                exchange = _exchange_tcp if tcp else _exchange_udp
                return await asyncio.wait_for(exchange(query, host, port), self.timeout_s)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                log.warning("resolver %s:%d did not answer: %r", host, port, exc)
        return error_reply(query, RCODE.SERVFAIL)


async def _exchange_udp(query: bytes, host: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        await loop.sock_sendall(sock, query)
        while True:
            reply = await loop.sock_recv(sock, 65535)
            if reply[:2] == query[:2]:  # ignore strays
                return reply


async def _exchange_tcp(query: bytes, host: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(struct.pack("!H", len(query)) + query)
        await writer.drain()
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        return await reader.readexactly(length)
    finally:
        writer.close()


class Resolver:
    """One query in, one reply out (or None: stay silent)."""

    def __init__(self, answerer: Answerer, forwarder: Forwarder) -> None:
        self.answerer = answerer
        self.forwarder = forwarder

    def local(self, data: bytes, udp: bool) -> bytes | bool | None:
        """The reply if it can be made from memory; True when it must be forwarded."""
        question = parse_question(data)
        if question is None:
            return error_reply(data, RCODE.FORMERR)
        if self.answerer.in_zone(question.name):
            return self.answerer.respond(question, udp)
        return True

    async def resolve(self, data: bytes, udp: bool) -> bytes | None:
        reply = self.local(data, udp)
        if reply is True:
            return await self.forwarder.forward(data, tcp=not udp)
        return reply if isinstance(reply, bytes) else None


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport here

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.resolver.local(data, udp=True)
        if isinstance(reply, bytes):
            if self.transport is not None:
                self.transport.sendto(reply, addr)
        elif reply is True:
            task = asyncio.ensure_future(self._forward(data, addr))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _forward(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.resolver.forwarder.forward(data, tcp=False)
        if reply and self.transport is not None:
            self.transport.sendto(reply, addr)


async def _serve_tcp_client(
    resolver: Resolver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                data = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            reply = await resolver.resolve(data, udp=False)
            if reply is None:
                return
            writer.write(struct.pack("!H", len(reply)) + reply)
            await writer.drain()
    finally:
        writer.close()


async def start(
    resolver: Resolver, host: str, port: int
) -> list[asyncio.AbstractServer | asyncio.BaseTransport]:
    """Listen for DNS on `host:port`, UDP and TCP; returns what to close to stop."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _UDPProtocol(resolver), local_addr=(host, port), reuse_port=False
    )
    tcp = await asyncio.start_server(
        lambda r, w: _serve_tcp_client(resolver, r, w), host, port, reuse_address=True
    )
    return [transport, tcp]
