"""Leader election among the masters' Metronomes, in ZooKeeper under `/metronome/leader`.

Each Metronome writes an ephemeral sequential znode `member_<seq>` holding
its `host:port`; the lowest sequence number leads (ZooKeeper's election
recipe). The others watch the member list and proxy API calls to the leader.
A leader whose ZooKeeper session is lost can no longer be sure it leads: it
exits, and systemd starts it again as a contender (as Marathon and Metronome
do when they lose leadership).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import KazooState
from kazoo.recipe.watchers import ChildrenWatch

from dcos_metronome.service import JobService

log = logging.getLogger(__name__)

LEADER_ZNODE = "/metronome/leader"
MEMBER_PREFIX = "member_"


def _sequence(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


class Election:
    """Implements the API's Leadership: who leads, and this Metronome's state when it does."""

    def __init__(self, zk: Any, local_host_port: str) -> None:
        self._zk = zk
        self._local = local_host_port
        self._member: str | None = None
        self._leader: str | None = None
        self.service: JobService | None = None
        self.elected = asyncio.Event()
        self.resigned = False  # set when this Metronome stops and ends its session itself

    @property
    def local_host_port(self) -> str:
        return self._local

    @property
    def leader_host_port(self) -> str | None:
        return self._local if self.service is not None else self._leader

    async def contend(self) -> None:
        """Join the election and follow it; returns once this Metronome leads."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        await asyncio.to_thread(self._join, loop, changed)
        while True:
            leader_member, leader = await asyncio.to_thread(self._current_leader)
            self._leader = leader
            if leader_member is not None and leader_member == self._member:
                log.info("elected leader (%s)", self._local)
                self.elected.set()
                return
            log.info("following the leader %s", leader)
            changed.clear()
            await changed.wait()

    def _join(self, loop: asyncio.AbstractEventLoop, changed: asyncio.Event) -> None:
        def on_state(state: Any) -> None:
            if state == KazooState.LOST and self.elected.is_set() and not self.resigned:
                log.error("lost the ZooKeeper session while leading: exiting to contend again")
                os._exit(1)

        self._zk.add_listener(on_state)
        self._zk.ensure_path(LEADER_ZNODE)
        self._remove_former_self()
        path = self._zk.create(
            f"{LEADER_ZNODE}/{MEMBER_PREFIX}",
            self._local.encode(),
            ephemeral=True,
            sequence=True,
        )
        self._member = path.rsplit("/", 1)[1]

        def on_members(_children: list[str]) -> bool:
            loop.call_soon_threadsafe(changed.set)
            return True

        ChildrenWatch(self._zk, LEADER_ZNODE, on_members)

    def _remove_former_self(self) -> None:
        """Drop a member this host left behind (a killed process whose session has not
        expired yet), so that a restarted Metronome does not wait for it to time out."""
        for member in self._zk.get_children(LEADER_ZNODE):
            try:
                data, _ = self._zk.get(f"{LEADER_ZNODE}/{member}")
                if data.decode() == self._local:
                    log.info("removing %s, left by an earlier Metronome on this host", member)
                    self._zk.delete(f"{LEADER_ZNODE}/{member}")
            except NoNodeError:
                continue

    def _current_leader(self) -> tuple[str | None, str | None]:
        members = sorted(
            (c for c in self._zk.get_children(LEADER_ZNODE) if c.startswith(MEMBER_PREFIX)),
            key=_sequence,
        )
        for member in members:
            try:
                data, _ = self._zk.get(f"{LEADER_ZNODE}/{member}")
            except NoNodeError:
                continue
            return member, data.decode()
        return None, None
