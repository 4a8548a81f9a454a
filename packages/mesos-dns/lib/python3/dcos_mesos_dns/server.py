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
import threading
from collections.abc import Sequence
from typing import Any

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


def _serve_udp(sock: socket.socket, resolver: Resolver, loop: asyncio.AbstractEventLoop) -> None:
    """Answer UDP queries in this thread: blocking recvfrom/sendto is the shortest path.

    Answers from memory cost a dictionary look-up, so they are sent from here
    without a trip through the event loop; only forwarding goes there.
    """
    while True:
        try:
            data, addr = sock.recvfrom(65535)
        except OSError as exc:
            if sock.fileno() < 0:
                return  # closed: the server is stopping
            log.warning("UDP receive failed: %r", exc)
            continue
        try:
            reply = resolver.local(data, udp=True)
            if isinstance(reply, bytes):
                sock.sendto(reply, addr)
            elif reply is True:
                asyncio.run_coroutine_threadsafe(_forward_udp(resolver, sock, data, addr), loop)
        except Exception:  # one bad query must not end the listener
            log.exception("answering a UDP query failed")


async def _forward_udp(
    resolver: Resolver, sock: socket.socket, data: bytes, addr: tuple[str, int]
) -> None:
    reply = await resolver.forwarder.forward(data, tcp=False)
    if reply:
        sock.sendto(reply, addr)


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


async def start(resolver: Resolver, host: str, port: int) -> list[Any]:
    """Listen for DNS on `host:port`, UDP (in a thread) and TCP; returns what to close to stop."""
    udp = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, port))
    # Room for bursts while the thread waits for the GIL.
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    threading.Thread(
        target=_serve_udp,
        args=(udp, resolver, asyncio.get_running_loop()),
        name="dns-udp",
        daemon=True,
    ).start()
    tcp = await asyncio.start_server(
        lambda r, w: _serve_tcp_client(resolver, r, w), host, port, reuse_address=True
    )
    return [udp, tcp]
