"""Which Mesos master leads, read from ZooKeeper the way Mesos's own clients read it.

Each master that contends writes an ephemeral sequential znode
`/mesos/json.info_<seq>` holding its MasterInfo as JSON; the lowest sequence
number is the leader (ZooKeeper's leader-election recipe, as Mesos uses it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MESOS_ZNODE = "/mesos"
INFO_PREFIX = "json.info_"


@dataclass(frozen=True)
class MasterInfo:
    id: str
    ip: str
    port: int
    hostname: str
    version: str

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @classmethod
    def from_json(cls, data: bytes | str | dict[str, Any]) -> MasterInfo:
        info = json.loads(data) if isinstance(data, bytes | str) else data
        address = info.get("address") or {}
        return cls(
            id=str(info.get("id", "")),
            ip=str(address.get("ip", "")),
            port=int(address.get("port", info.get("port", 5050))),
            hostname=str(address.get("hostname") or info.get("hostname", "")),
            version=str(info.get("version", "")),
        )


def sequence(child: str) -> int:
    return int(child.rsplit("_", 1)[1])


def contenders(children: list[str]) -> list[str]:
    """The MasterInfo znodes among `/mesos`'s children, leader first."""
    return sorted((c for c in children if c.startswith(INFO_PREFIX)), key=sequence)


def leader(zk: Any) -> MasterInfo | None:
    """The leading master, or None while there is none (a kazoo client in, no retries here)."""
    from kazoo.exceptions import NoNodeError

    try:
        children = contenders(zk.get_children(MESOS_ZNODE))
    except NoNodeError:
        return None
    for child in children:
        try:
            data, _ = zk.get(f"{MESOS_ZNODE}/{child}")
        except NoNodeError:
            continue  # its session ended between the listing and the read
        return MasterInfo.from_json(data)
    return None
