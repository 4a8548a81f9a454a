"""Leader election among the masters' Marathons, in ZooKeeper (a Curator LeaderLatch).

Each Marathon writes an ephemeral sequential znode
`/marathon/leader-curator/_c_<uuid>-latch-<seq>` holding its `host:port`; the
lowest sequence number leads. A Marathon that loses its ZooKeeper session
(and so its znode) or abdicates stops leading: the process exits and systemd
starts it again as a follower, so no leader state outlives leadership.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from .store import LEADER_PATH
from .tasks import spawn

log = logging.getLogger("marathon.election")


def latch_sequence(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


class Election:
    """Who leads. Subclasses decide how; callbacks run on the event loop."""

    def __init__(self, my_host_port: str) -> None:
        self.my_host_port = my_host_port
        self.is_leader = False
        self.leader_host_port: str | None = None
        self.on_elected: Callable[[], None] = lambda: None
        self.on_defeated: Callable[[], None] = lambda: None

    async def start(self) -> None:
        raise NotImplementedError

    async def abdicate(self) -> None:
        raise NotImplementedError


class SoloElection(Election):
    """Always the leader: for tests and single-process use."""

    async def start(self) -> None:
        self.is_leader = True
        self.leader_host_port = self.my_host_port
        self.on_elected()

    async def abdicate(self) -> None:
        self.is_leader = False
        self.leader_host_port = None
        self.on_defeated()


class ZkElection(Election):
    def __init__(self, zk: Any, my_host_port: str, leader_path: str = LEADER_PATH) -> None:
        super().__init__(my_host_port)
        self.zk = zk
        self.leader_path = leader_path
        self.loop: asyncio.AbstractEventLoop | None = None
        self.my_node: str | None = None

    async def start(self) -> None:
        from kazoo.protocol.states import KazooState

        self.loop = asyncio.get_running_loop()

        def on_state(state: Any) -> None:
            if state == KazooState.LOST and self.is_leader:
                self._from_thread(self._lost)

        self.zk.add_listener(on_state)
        await asyncio.to_thread(self._drop_stale_latches)
        prefix = f"{self.leader_path}/_c_{uuid.uuid4()}-latch-"
        path = await asyncio.to_thread(
            self.zk.create,
            prefix,
            self.my_host_port.encode(),
            ephemeral=True,
            sequence=True,
            makepath=True,
        )
        self.my_node = path.rsplit("/", 1)[1]
        log.info("contending for leadership as %s (%s)", self.my_node, self.my_host_port)

        def on_children(children: list[str]) -> None:
            self._from_thread(lambda: spawn(self._evaluate(children)))

        self.zk.ChildrenWatch(self.leader_path, on_children)

    def _drop_stale_latches(self) -> None:
        """Remove latches our own dead process left (same host:port): no waiting for its session.

        Only one Marathon runs per master, so a latch holding our address that is
        not ours belongs to a process that is gone (killed before its ZooKeeper
        session ended). Leaving it would hold the leadership for the session timeout.
        """
        from kazoo.exceptions import NoNodeError

        try:
            children = self.zk.get_children(self.leader_path)
        except NoNodeError:
            return
        for child in children:
            try:
                data, _ = self.zk.get(f"{self.leader_path}/{child}")
                if data.decode() == self.my_host_port:
                    log.info("removing %s, left by this Marathon's previous process", child)
                    self.zk.delete(f"{self.leader_path}/{child}")
            except NoNodeError:
                continue

    def _from_thread(self, fn: Callable[[], Any]) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn)

    async def _evaluate(self, children: list[str]) -> None:
        from kazoo.exceptions import NoNodeError

        latches = sorted((c for c in children if "-latch-" in c), key=latch_sequence)
        leader: str | None = None
        for child in latches:
            try:
                data, _ = await asyncio.to_thread(self.zk.get, f"{self.leader_path}/{child}")
            except NoNodeError:
                continue
            leader = data.decode()
            if child == self.my_node:
                leader = self.my_host_port
            break
        was_leader = self.is_leader
        self.leader_host_port = leader
        mine = bool(latches) and latches[0] == self.my_node
        if mine and not was_leader:
            self.is_leader = True
            log.info("elected leader")
            self.on_elected()
        elif was_leader and (self.my_node not in latches or not mine):
            self._lost()

    def _lost(self) -> None:
        if self.is_leader:
            self.is_leader = False
            log.warning("lost leadership")
            self.on_defeated()

    async def abdicate(self) -> None:
        from kazoo.exceptions import NoNodeError

        if self.my_node is not None:
            with contextlib.suppress(NoNodeError):
                await asyncio.to_thread(self.zk.delete, f"{self.leader_path}/{self.my_node}")
        self._lost()
