"""Leader election and the registry in ZooKeeper, as Mesos keeps them.

Each master contends by creating an ephemeral sequential znode
`/mesos/json.info_<seq>` holding its MasterInfo as JSON (what Mesos writes,
and what Mesos-DNS, Marathon and DC/OS's tests read); the lowest sequence
leads. The registry (admitted agents and frameworks) is one JSON znode,
`/mesos/registry`, written before the master answers the agent or framework,
so a newly elected master starts from it.

kazoo runs its callbacks on its own threads; they hop onto the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from dcos_internal_utils import mesos_leader

log = logging.getLogger("mesos-master.zk")

REGISTRY_ZNODE = "/mesos/registry"


class Election:
    def __init__(
        self,
        zk: Any,
        loop: asyncio.AbstractEventLoop,
        master_info: dict[str, Any],
        on_leader: Callable[[dict[str, Any] | None, bool], None],
        on_lost: Callable[[], None],
    ) -> None:
        self.zk = zk
        self.loop = loop
        self.master_info = master_info
        self.on_leader = on_leader
        self.on_lost = on_lost
        self.my_node = ""

    def start(self) -> None:
        from kazoo.protocol.states import KazooState

        def listener(state: Any) -> None:
            if state == KazooState.LOST:
                self.loop.call_soon_threadsafe(self.on_lost)

        self.zk.add_listener(listener)
        self.zk.ensure_path(mesos_leader.MESOS_ZNODE)
        path = self.zk.create(
            f"{mesos_leader.MESOS_ZNODE}/{mesos_leader.INFO_PREFIX}",
            json.dumps(self.master_info).encode(),
            ephemeral=True,
            sequence=True,
        )
        self.my_node = path.rsplit("/", 1)[1]
        log.info("contending for leadership as %s", self.my_node)
        self.zk.ChildrenWatch(mesos_leader.MESOS_ZNODE, self._children)

    def _children(self, children: list[str]) -> None:
        contenders = mesos_leader.contenders(children)
        if self.my_node and self.my_node not in contenders:
            # Our session ended and the znode with it: we cannot lead any more.
            self.loop.call_soon_threadsafe(self.on_lost)
            return
        leader: dict[str, Any] | None = None
        leader_node = ""
        for child in contenders:
            try:
                data, _ = self.zk.get(f"{mesos_leader.MESOS_ZNODE}/{child}")
            except Exception:  # the contender went away between listing and reading
                continue
            leader = json.loads(data)
            leader_node = child
            break
        is_me = leader_node == self.my_node
        self.loop.call_soon_threadsafe(self.on_leader, leader, is_me)


class ZooKeeperRegistry:
    def __init__(self, zk: Any) -> None:
        self.zk = zk

    def _load(self) -> dict[str, Any]:
        from kazoo.exceptions import NoNodeError

        try:
            data, _ = self.zk.get(REGISTRY_ZNODE)
        except NoNodeError:
            return {}
        return dict(json.loads(data or b"{}"))

    def _save(self, payload: bytes) -> None:
        from kazoo.exceptions import NodeExistsError

        if self.zk.exists(REGISTRY_ZNODE):
            self.zk.set(REGISTRY_ZNODE, payload)
            return
        try:
            self.zk.create(REGISTRY_ZNODE, payload, makepath=True)
        except NodeExistsError:
            self.zk.set(REGISTRY_ZNODE, payload)

    async def load(self) -> dict[str, Any]:
        return await asyncio.to_thread(self._load)

    async def save(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, separators=(",", ":")).encode()
        await asyncio.to_thread(self._save, payload)
