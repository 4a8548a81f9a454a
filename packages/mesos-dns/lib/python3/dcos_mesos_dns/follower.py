"""Following the cluster: the masters from ZooKeeper, the state from the leading master.

- ZooKeeper: a watch on `/mesos`'s children (the masters' `json.info_*`
  znodes) gives the masters and the leader the moment they change.
- The leader's v1 operator API `SUBSCRIBE` stream says when the state changed
  (a task, agent or framework event); each change, coalesced, fetches
  `/master/state` once and rebuilds the records, as Mesos-DNS builds them from
  that same document. The master is asked only when something happened, plus
  a full refresh every `refreshSeconds` (DC/OS's 30 s) in case an event was
  missed.
- While the stream is down (a master that does not stream, a failover) the
  state is fetched once a second instead, so records still follow within 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from dcos_internal_utils import mesos_leader, recordio
from dcos_internal_utils import zk as dcos_zk
from dcos_internal_utils.mesos_leader import MasterInfo

from dcos_mesos_dns.answer import Answerer
from dcos_mesos_dns.config import Config
from dcos_mesos_dns.records import Records, generate

log = logging.getLogger("mesos-dns")

POLL_SECONDS = 1.0  # while the event stream is down
STATE_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=2)
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=2, sock_read=None)
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
LOOKUP_CACHE_SECONDS = 60.0


def read_masters(client: Any) -> list[MasterInfo]:
    """Every contending master, leader first (lowest sequence number), from ZooKeeper."""
    from kazoo.exceptions import NoNodeError

    try:
        children = mesos_leader.contenders(client.get_children(mesos_leader.MESOS_ZNODE))
    except NoNodeError:
        return []
    masters = []
    for child in children:
        try:
            data, _ = client.get(f"{mesos_leader.MESOS_ZNODE}/{child}")
        except NoNodeError:
            continue  # its session ended between the listing and the read
        try:
            masters.append(MasterInfo.from_json(data))
        except (ValueError, TypeError) as exc:
            log.warning("ignoring %s: not MasterInfo JSON: %s", child, exc)
    return masters


class MasterWatch:
    """Calls `changed(masters)` on the event loop whenever `/mesos`'s children change."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, changed: Callable[[list[MasterInfo]], None]
    ) -> None:
        self.loop = loop
        self.changed = changed
        self.client: Any = None
        self._watching = False

    def start(self) -> None:
        threading.Thread(target=self._connect, name="zk-connect", daemon=True).start()

    def _connect(self) -> None:
        self.client = dcos_zk.client()  # blocks until connected, retrying for ever
        # A data watch works on a znode that does not exist yet: Mesos makes
        # /mesos when the first master starts.
        self.client.DataWatch(mesos_leader.MESOS_ZNODE, self._on_mesos_znode)

    def _on_mesos_znode(self, data: Any, stat: Any) -> None:
        if stat is None:
            self._watching = False
            self._publish()
        elif not self._watching:
            self._watching = True
            self.client.ChildrenWatch(mesos_leader.MESOS_ZNODE, self._on_children)

    def _on_children(self, children: list[str]) -> bool | None:
        self._publish()
        return None if self._watching else False  # False ends the watch

    def _publish(self) -> None:
        masters = read_masters(self.client) if self._watching else []
        self.loop.call_soon_threadsafe(self.changed, masters)


class CachedLookup:
    """Host name -> addresses, kept a minute: frameworks name their host, not their IP."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, list[str]]] = {}

    def __call__(self, host: str) -> list[str]:
        now = time.monotonic()
        hit = self._cache.get(host)
        if hit and now - hit[0] < LOOKUP_CACHE_SECONDS:
            return hit[1]
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError:
            addresses = []
        self._cache[host] = (now, addresses)
        return addresses


def local_ips() -> list[str]:
    """This node's addresses outside loopback: Mesos-DNS's own name (ns1.mesos) points at them."""
    import psutil

    ips = []
    for interface, addresses in psutil.net_if_addrs().items():
        if interface == "lo":
            continue
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                ip = address.address.split("%")[0]
                if not ip.startswith(("127.", "fe80:", "::1")):
                    ips.append(ip)
    return ips


class Follower:
    def __init__(
        self, config: Config, answerer: Answerer, host_ips: Callable[[], list[str]] = local_ips
    ) -> None:
        self.config = config
        self.answerer = answerer
        self.host_ips = host_ips
        self.lookup = CachedLookup()
        self.masters: list[MasterInfo] = []
        self.refresh = asyncio.Event()
        self.leader_known = asyncio.Event()
        self.stream_up = False
        self._subscription: asyncio.Task[None] | None = None
        self._last_errors: dict[str, str] = {}
        self.loaded_at = 0.0

    @property
    def leader(self) -> MasterInfo | None:
        return self.masters[0] if self.masters else None

    def masters_changed(self, masters: list[MasterInfo]) -> None:
        old = self.leader
        self.masters = masters
        if masters:
            self.leader_known.set()
        else:
            self.leader_known.clear()
        if old != self.leader:
            log.info("leading master: %s", self.leader.address if self.leader else "none")
            if self._subscription is not None:
                self._subscription.cancel()  # the stream belongs to the old leader
        self.refresh.set()

    async def run(self, session: aiohttp.ClientSession) -> None:
        MasterWatch(asyncio.get_running_loop(), self.masters_changed).start()
        await self.follow(session)

    async def follow(self, session: aiohttp.ClientSession) -> None:
        """Follow whatever master `masters_changed` last named (`run` feeds it from ZooKeeper)."""
        await asyncio.gather(self._refresh_loop(session), self._stream_loop(session))

    # -- state -----------------------------------------------------------------

    def _report(self, source: str, error: str) -> None:
        """Log a source's error once, not once a second while it lasts."""
        if error != self._last_errors.get(source, ""):
            if error:
                log.warning("%s", error)
            else:
                log.info("%s: working again", source)
        self._last_errors[source] = error

    async def _refresh_loop(self, session: aiohttp.ClientSession) -> None:
        while True:
            wait = self.config.refresh_seconds if self.stream_up else POLL_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.refresh.wait(), wait)
            self.refresh.clear()
            leader = self.leader
            if leader is None:
                continue
            try:
                state = await fetch_state(session, leader)
                masters = [m.address for m in self.masters]
                records: Records = await asyncio.get_running_loop().run_in_executor(
                    None,
                    generate,
                    state,
                    self.config.generator(),
                    masters,
                    self.host_ips(),
                    self.lookup,
                )
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                self._report(
                    "state",
                    f"keeping the old records: state from {leader.address}: "
                    f"{type(exc).__name__}: {exc}",
                )
                continue
            self.answerer.update(records, serial=int(time.time()))
            self.loaded_at = time.monotonic()
            self._report("state", "")

    # -- events ----------------------------------------------------------------

    async def _stream_loop(self, session: aiohttp.ClientSession) -> None:
        failures = 0
        while True:
            await self.leader_known.wait()
            leader = self.leader
            assert leader is not None
            started = time.monotonic()
            self._subscription = asyncio.ensure_future(self._subscribe(session, leader))
            await asyncio.wait({self._subscription})  # ends on error, EOF or leader change
            self.stream_up = False
            self.refresh.set()
            outcome = self._subscription
            self._subscription = None
            if outcome.cancelled():  # a new leader: subscribe to it at once
                failures = 0
                continue
            failures = 0 if time.monotonic() - started > 10 else failures + 1
            error = outcome.exception()
            self._report("events", f"event stream from {leader.address} ended: {error!r}")
            await asyncio.sleep(RETRY_SECONDS[min(max(failures, 1), len(RETRY_SECONDS)) - 1])

    async def _subscribe(self, session: aiohttp.ClientSession, leader: MasterInfo) -> None:
        async with session.post(
            f"{leader.url}/api/v1",
            json={"type": "SUBSCRIBE"},
            headers={"Accept": "application/json"},
            timeout=STREAM_TIMEOUT,
        ) as response:
            if response.status != 200:
                body = (await response.text())[:200]
                raise RuntimeError(f"SUBSCRIBE answered {response.status}: {body}")
            self.stream_up = True
            decoder = recordio.Decoder()
            async for chunk in response.content.iter_any():
                for record in decoder.feed(chunk):
                    event = json.loads(record)
                    if event.get("type") != "HEARTBEAT":
                        self.refresh.set()


async def fetch_state(session: aiohttp.ClientSession, leader: MasterInfo) -> dict[str, Any]:
    """The leading master's /master/state; asks again where it says the leader is, if elsewhere."""
    state = await _get_json(session, f"{leader.url}/master/state")
    said = str(state.get("leader") or "")
    host = said.split("@", 1)[-1].rpartition(":")[0]
    if not said:
        raise ValueError("the state names no leader")
    if host and host != leader.ip:
        state = await _get_json(session, f"http://{said.split('@', 1)[-1]}/master/state")
    return state


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url, timeout=STATE_TIMEOUT) as response:
        if response.status != 200:
            raise aiohttp.ClientResponseError(
                response.request_info, (), status=response.status, message=response.reason or ""
            )
        data = await response.json(content_type=None)
    if not isinstance(data, dict):
        raise ValueError("the state is not a JSON object")
    return data
