"""A framework's connection to Mesos over the v1 scheduler HTTP API (any framework can use it).

`SchedulerDriver` finds the leading master in ZooKeeper (or talks to one
fixed master), SUBSCRIBEs (as a new framework, or failing over to its
FrameworkID), reads the RecordIO event stream and hands each event to a
`Scheduler`; calls (ACCEPT, DECLINE, KILL, ACKNOWLEDGE, RECONCILE, REVIVE,
SUPPRESS, TEARDOWN) go to the same master with the subscription's
`Mesos-Stream-Id`, and a call that fails raises `CallError`. When the stream
ends, heartbeats stop, or ZooKeeper names another leader, it subscribes
again, quickly (0.1 s, doubling to 2 s between failed attempts).

    class Jobs(Scheduler):
        async def offers(self, driver, offers): await driver.decline([o["id"] for o in offers])
        async def update(self, driver, status): ...  # acknowledged after this returns

    driver = SchedulerDriver({"user": "root", "name": "metronome", ...}, zk, Jobs())
    await driver.run()

Status updates are acknowledged by the driver once `update` returns, unless
the driver is made with `implicit_acknowledgements=False` (as Mesos's own
driver offers): then the framework acknowledges each update itself with
`acknowledge(status)`, for example only after it has stored what the update
says, so that an update is never lost between Mesos and the framework's store.

JSON messages are the v1 API's (mesos/v1/scheduler/scheduler.proto in JSON):
ids are `{"value": ...}` objects, a TaskStatus's `uuid` is base64.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from dcos_internal_utils import mesos_leader, recordio

log = logging.getLogger(__name__)

PATH = "/api/v1/scheduler"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# A subscription is dead after this many heartbeat intervals without any event.
MISSED_HEARTBEATS = 3
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
CALL_TIMEOUT_S = 10.0
# Explicit reconciliation asks for this many tasks per RECONCILE call at most.
RECONCILE_BATCH = 1000


def _log_once(last: str, reason: str) -> str:
    """Log why we are not subscribed when the reason changes, not at every retry."""
    if reason != last:
        log.info("%s", reason)
    return reason


class Scheduler:
    """Callbacks for the events of a subscription; override what the framework needs."""

    async def subscribed(self, driver: SchedulerDriver, framework_id: str, master: str) -> None:
        """Subscribed (again): `framework_id` is the id to keep for failover."""

    async def disconnected(self, driver: SchedulerDriver) -> None:
        """The subscription ended; the driver is subscribing again."""

    async def offers(self, driver: SchedulerDriver, offers: list[dict[str, Any]]) -> None:
        """New offers. The default declines them, so that they go to other frameworks."""
        await driver.decline([o["id"] for o in offers])

    async def rescind(self, driver: SchedulerDriver, offer_id: str) -> None:
        """An offer is no longer valid."""

    async def update(self, driver: SchedulerDriver, status: dict[str, Any]) -> None:
        """A task status update: acknowledged by the driver once this returns, or by the
        framework with `driver.acknowledge(status)` without implicit acknowledgements."""

    async def message(self, driver: SchedulerDriver, event: dict[str, Any]) -> None:
        """MESSAGE, FAILURE and INVERSE_OFFERS events, as they come."""

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        """The master refused the framework (ERROR event): the driver stops."""


class SubscriptionError(Exception):
    """There is no subscription, or it ended."""


class CallError(SubscriptionError):
    """A call did not reach the master, or the master refused it (not 202 Accepted)."""


class SchedulerDriver:
    def __init__(
        self,
        framework_info: dict[str, Any],
        master: Any,
        scheduler: Scheduler,
        framework_id: str | None = None,
        implicit_acknowledgements: bool = True,
    ) -> None:
        """`framework_info` as Mesos takes it (name, user, failover_timeout, ...).

        `master` is a started kazoo client (the leading master is read from
        ZooKeeper and followed as it changes), or one master's `host:port`, as
        Mesos's drivers take `zk://...` or `host:port`. `framework_id` is the
        id of an earlier subscription, to fail over to it.
        """
        self.framework_info = dict(framework_info)
        self.framework_id = framework_id
        self.implicit_acknowledgements = implicit_acknowledgements
        self._fixed_master = master if isinstance(master, str) else None
        self._zk = None if isinstance(master, str) else master
        self._scheduler = scheduler
        self._master: str | None = None  # host:port of the master we are subscribed to
        self._stream_id: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._leader_changed = asyncio.Event()
        self._stopped = False

    @property
    def master(self) -> str | None:
        return self._master

    @property
    def subscribed(self) -> bool:
        return self._stream_id is not None

    async def _leader(self) -> str | None:
        """host:port of the master to subscribe to, or None while none leads."""
        if self._fixed_master is not None:
            return self._fixed_master
        leader = await asyncio.to_thread(mesos_leader.leader, self._zk)
        return None if leader is None else leader.address

    # -- the subscription loop ---------------------------------------------------

    async def run(self) -> None:
        """Stay subscribed until `stop()` or an ERROR event."""
        loop = asyncio.get_running_loop()
        self._watch_leader(loop)
        delay = RETRY_FIRST_S
        last_reason = ""
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, connect=5)
        ) as session:
            self._session = session
            while not self._stopped:
                try:
                    leader = await self._leader()
                    if leader is None:
                        raise SubscriptionError("no leading Mesos master in ZooKeeper")
                    await self._subscribe(session, leader)
                    delay = RETRY_FIRST_S
                    last_reason = ""
                except SubscriptionError as exc:
                    last_reason = _log_once(last_reason, f"not subscribed: {exc}")
                except (aiohttp.ClientError, TimeoutError, ConnectionError, ValueError) as exc:
                    last_reason = _log_once(
                        last_reason, f"subscription ended: {type(exc).__name__}: {exc}"
                    )
                if self._stream_id is not None or self._master is not None:
                    self._stream_id = None
                    self._master = None
                    await self._scheduler.disconnected(self)
                if self._stopped:
                    break
                self._leader_changed.clear()
                try:
                    await asyncio.wait_for(self._leader_changed.wait(), timeout=delay)
                    delay = RETRY_FIRST_S
                except TimeoutError:
                    delay = min(delay * 2, RETRY_MAX_S)
        self._session = None

    def stop(self) -> None:
        self._stopped = True
        self._leader_changed.set()

    def _watch_leader(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake the loop whenever the set of contending masters changes (a kazoo watch)."""
        if self._zk is None:
            return  # one fixed master: nothing to follow

        def changed(_children: list[str]) -> bool:
            loop.call_soon_threadsafe(self._leader_changed.set)
            return not self._stopped

        self._zk.ensure_path(mesos_leader.MESOS_ZNODE)
        self._zk.ChildrenWatch(mesos_leader.MESOS_ZNODE, changed)

    async def _subscribe(self, session: aiohttp.ClientSession, address: str) -> None:
        info = dict(self.framework_info)
        if self.framework_id:
            info["id"] = {"value": self.framework_id}
        call: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if self.framework_id:
            call["framework_id"] = {"value": self.framework_id}
        url = f"http://{address}{PATH}"
        async with session.post(
            url, data=json.dumps(call), headers=HEADERS, allow_redirects=False
        ) as response:
            if response.status == 307:
                raise SubscriptionError(
                    f"{address} is not the leader (it points at {response.headers.get('Location')})"
                )
            if response.status != 200:
                text = (await response.text())[:300]
                raise SubscriptionError(f"{address} answered {response.status}: {text}")
            stream_id = response.headers.get("Mesos-Stream-Id")
            if not stream_id:
                raise SubscriptionError(f"{address} sent no Mesos-Stream-Id")
            self._master = address
            self._stream_id = stream_id
            await self._read_events(response)

    async def _read_events(self, response: aiohttp.ClientResponse) -> None:
        decoder = recordio.Decoder()
        heartbeat_s = 15.0
        while not self._stopped:
            if self._leader_changed.is_set():
                leader = await self._leader()
                self._leader_changed.clear()
                if leader != self._master:
                    raise SubscriptionError("ZooKeeper names another leading master")
            chunk = await self._next_chunk(response, heartbeat_s * MISSED_HEARTBEATS)
            if chunk is None:
                continue  # ZooKeeper's view changed: check the leader first
            if not chunk:
                raise SubscriptionError("the master closed the event stream")
            for record in decoder.feed(chunk):
                event = json.loads(record)
                interval = await self._dispatch(event)
                if interval:
                    heartbeat_s = interval

    async def _next_chunk(self, response: aiohttp.ClientResponse, timeout_s: float) -> bytes | None:
        """The stream's next bytes (b"" at its end), or None when the leader may have changed."""
        read = asyncio.ensure_future(response.content.readany())
        changed = asyncio.ensure_future(self._leader_changed.wait())
        try:
            done, _ = await asyncio.wait(
                {read, changed}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if read in done:
                return read.result()
            if not done:
                raise SubscriptionError("no heartbeat from the master")
            return None
        finally:
            for pending in (read, changed):
                pending.cancel()

    async def _dispatch(self, event: dict[str, Any]) -> float | None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            subscribed = event["subscribed"]
            self.framework_id = subscribed["framework_id"]["value"]
            log.info("subscribed to %s as framework %s", self._master, self.framework_id)
            await self._scheduler.subscribed(self, self.framework_id, self._master or "")
            return float(subscribed.get("heartbeat_interval_seconds") or 15.0)
        if kind == "OFFERS":
            await self._scheduler.offers(self, event["offers"].get("offers", []))
        elif kind == "RESCIND":
            await self._scheduler.rescind(self, event["rescind"]["offer_id"]["value"])
        elif kind == "UPDATE":
            status = event["update"]["status"]
            await self._scheduler.update(self, status)
            if status.get("uuid") and self.implicit_acknowledgements:
                try:
                    await self.acknowledge(status)
                except CallError as exc:
                    # Not fatal: the agent sends the update again until it is acknowledged.
                    log.info("ACKNOWLEDGE of %s failed: %s", status["task_id"]["value"], exc)
        elif kind == "ERROR":
            message = event.get("error", {}).get("message", "")
            log.error("the master refused the framework: %s", message)
            self._stopped = True
            await self._scheduler.error(self, message)
        elif kind in ("MESSAGE", "FAILURE", "INVERSE_OFFERS", "RESCIND_INVERSE_OFFER"):
            await self._scheduler.message(self, event)
        return None

    # -- calls -------------------------------------------------------------------

    async def call(self, call: dict[str, Any]) -> None:
        """Send a call on the current subscription; `CallError` if there is none or it fails."""
        if self._session is None or self._master is None or self._stream_id is None:
            raise CallError(f"{call['type']}: not subscribed")
        body = {"framework_id": {"value": self.framework_id}, **call}
        headers = {**HEADERS, "Mesos-Stream-Id": self._stream_id}
        try:
            async with self._session.post(
                f"http://{self._master}{PATH}",
                data=json.dumps(body),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
            ) as response:
                if response.status != 202:
                    text = (await response.text())[:300]
                    raise CallError(f"{call['type']} answered {response.status}: {text}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise CallError(f"{call['type']} failed: {type(exc).__name__}: {exc}") from exc

    async def accept(
        self,
        offer_ids: list[dict[str, str]],
        operations: list[dict[str, Any]],
        refuse_seconds: float | None = None,
    ) -> None:
        accept: dict[str, Any] = {"offer_ids": offer_ids, "operations": operations}
        if refuse_seconds is not None:
            accept["filters"] = {"refuse_seconds": refuse_seconds}
        await self.call({"type": "ACCEPT", "accept": accept})

    async def launch(
        self, offer_ids: list[dict[str, str]], task_infos: list[dict[str, Any]]
    ) -> None:
        await self.accept(offer_ids, [{"type": "LAUNCH", "launch": {"task_infos": task_infos}}])

    async def decline(
        self, offer_ids: list[dict[str, str]], refuse_seconds: float | None = None
    ) -> None:
        if not offer_ids:
            return
        decline: dict[str, Any] = {"offer_ids": offer_ids}
        if refuse_seconds is not None:
            decline["filters"] = {"refuse_seconds": refuse_seconds}
        await self.call({"type": "DECLINE", "decline": decline})

    async def kill(self, task_id: str, agent_id: str | None = None) -> None:
        kill: dict[str, Any] = {"task_id": {"value": task_id}}
        if agent_id:
            kill["agent_id"] = {"value": agent_id}
        await self.call({"type": "KILL", "kill": kill})

    async def acknowledge(self, status: dict[str, Any]) -> None:
        await self.call(
            {
                "type": "ACKNOWLEDGE",
                "acknowledge": {
                    "agent_id": status["agent_id"],
                    "task_id": status["task_id"],
                    "uuid": status["uuid"],
                },
            }
        )

    async def reconcile(self, tasks: list[tuple[str, str | None]]) -> None:
        """Ask for the state of these (task id, agent id) pairs (explicit reconciliation, in
        calls of at most RECONCILE_BATCH tasks); an empty list asks for every task the master
        knows of the framework (implicit reconciliation)."""
        entries: list[dict[str, Any]] = []
        for task_id, agent_id in tasks:
            entry: dict[str, Any] = {"task_id": {"value": task_id}}
            if agent_id:
                entry["agent_id"] = {"value": agent_id}
            entries.append(entry)
        for start in range(0, max(len(entries), 1), RECONCILE_BATCH):
            batch = entries[start : start + RECONCILE_BATCH]
            await self.call({"type": "RECONCILE", "reconcile": {"tasks": batch}})

    async def revive(self) -> None:
        await self.call({"type": "REVIVE"})

    async def suppress(self) -> None:
        await self.call({"type": "SUPPRESS"})

    async def teardown(self) -> None:
        await self.call({"type": "TEARDOWN"})
