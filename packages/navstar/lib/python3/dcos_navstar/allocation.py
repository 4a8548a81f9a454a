"""Named-VIP addresses, the same on every node: allocated in ZooKeeper.

`/navstar/l4lb/names/<name>` holds a name's address and
`/navstar/l4lb/ips/<address>` its owner. A node that meets a new name creates
both in one transaction, starting at the address the name hashes to and
probing upwards (wrapping) past taken ones. The transaction is a
compare-and-set: if another node created either znode first, it fails as a
whole, and the node reads the name's address (the other node won the race)
or probes on (the address went to another name). So every node sees one
address per name, whichever node met the name first, and an address stays
with its name for good.

Deriving addresses from a hash alone would need no ZooKeeper, but two names
that hash alike would get addresses that depend on which name a node met
first, and nodes meet names in different orders.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("navstar.allocation")

ROOT = "/navstar/l4lb"
NAMES = f"{ROOT}/names"
IPS = f"{ROOT}/ips"


class AllocationError(Exception):
    pass


def candidates(
    name: str, low: ipaddress.IPv4Address, high: ipaddress.IPv4Address
) -> Iterator[ipaddress.IPv4Address]:
    """Every address of the range, starting where `name` hashes to."""
    size = int(high) - int(low) + 1
    start = int.from_bytes(hashlib.sha1(name.encode()).digest()[:8], "big") % size
    for i in range(size):
        yield ipaddress.IPv4Address(int(low) + (start + i) % size)


class NamedIps:
    """The name -> address table, backed by ZooKeeper (blocking kazoo calls)."""

    def __init__(self, zk: Any, low: ipaddress.IPv4Address, high: ipaddress.IPv4Address) -> None:
        self.zk = zk
        self.low = low
        self.high = high
        self.known: dict[str, str] = {}

    def load(self) -> None:
        from kazoo.exceptions import NoNodeError

        self.zk.ensure_path(NAMES)
        self.zk.ensure_path(IPS)
        for name in self.zk.get_children(NAMES):
            try:
                data, _ = self.zk.get(f"{NAMES}/{name}")
            except NoNodeError:
                continue
            self.known[name] = data.decode()

    def address(self, name: str) -> str:
        if name in self.known:
            return self.known[name]
        self.known[name] = self._allocate(name)
        return self.known[name]

    def _allocate(self, name: str) -> str:
        from kazoo.exceptions import NodeExistsError, NoNodeError

        name_path = f"{NAMES}/{name}"
        for candidate in candidates(name, self.low, self.high):
            ip = str(candidate)
            if self.zk.exists(f"{IPS}/{ip}"):
                continue
            transaction = self.zk.transaction()
            transaction.create(name_path, ip.encode())
            transaction.create(f"{IPS}/{ip}", name.encode())
            results = transaction.commit()
            if not any(isinstance(r, Exception) for r in results):
                log.info("named VIP %s: %s", name, ip)
                return ip
            if not any(isinstance(r, NodeExistsError) for r in results):
                raise AllocationError(f"allocating {name}: {results}")
            try:
                data, _ = self.zk.get(name_path)
                return str(data.decode())  # another node allocated it first
            except NoNodeError:
                continue  # the address went to another name: probe on
        raise AllocationError(f"no free address for {name} in {self.low}-{self.high}")
