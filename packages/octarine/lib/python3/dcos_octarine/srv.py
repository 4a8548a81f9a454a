"""SRV lookups through the node's resolver, cached for a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

Lookup = Callable[[str], tuple[str, int]]


class LookupError_(Exception):
    """No SRV record for the name (or no resolver answered)."""


def resolvers(path: Path = Path("/etc/resolv.conf")) -> list[str]:
    servers = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            servers.append(parts[1])
    return servers or ["127.0.0.1"]


def dns_lookup(name: str, timeout: float = 2.0) -> tuple[str, int]:
    """The first SRV record of `name`: (target without the final dot, port)."""
    from dnslib import QTYPE, DNSRecord

    last = ""
    for server in resolvers():
        try:
            reply = DNSRecord.parse(
                DNSRecord.question(name, "SRV").send(server, 53, timeout=timeout)
            )
        except OSError as exc:
            last = f"{server}: {exc}"
            continue
        for answer in reply.rr:
            if answer.rtype == QTYPE.SRV:
                return str(answer.rdata.target).rstrip("."), int(answer.rdata.port)
        last = f"{server}: no SRV record"
    raise LookupError_(f"error updating SRV cache: lookup {name}: {last}")


class Cache:
    def __init__(self, ttl: float, lookup: Lookup = dns_lookup) -> None:
        self.ttl = ttl
        self.lookup = lookup
        self.entries: dict[str, tuple[float, tuple[str, int]]] = {}
        self.lock = threading.Lock()

    def get(self, name: str) -> tuple[str, int]:
        now = time.monotonic()
        with self.lock:
            entry = self.entries.get(name)
            if entry and entry[0] > now:
                return entry[1]
        value = self.lookup(name)
        with self.lock:
            self.entries[name] = (now + self.ttl, value)
        return value
