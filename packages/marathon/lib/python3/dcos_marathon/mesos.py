"""A framework on the Mesos v1 scheduler API (`/api/v1/scheduler` on the leading master).

SUBSCRIBE opens a long-lived response: RecordIO-framed JSON events
(SUBSCRIBED, OFFERS, RESCIND, UPDATE, HEARTBEAT, ...). Every other call is a
separate POST carrying the `Mesos-Stream-Id` the subscription answered with.
When the stream ends, falls silent for five heartbeats, or the leading master
changes, the client subscribes again, to whichever master leads then, with the
framework id it was given (a framework failover, as Mesos documents it).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from dcos_internal_utils import recordio

log = logging.getLogger("marathon.mesos")

SCHEDULER_PATH = "/api/v1/scheduler"
DEFAULT_HEARTBEAT_S = 15.0
MISSED_HEARTBEATS = 5


class Handler(Protocol):
    async def on_subscribed(self, framework_id: str, master_info: dict[str, Any]) -> None: ...
    async def on_offers(self, offers: list[dict[str, Any]]) -> None: ...
    async def on_rescind(self, offer_id: str) -> None: ...
    async def on_update(self, status: dict[str, Any]) -> None: ...
    async def on_error(self, message: str) -> None: ...
    async def on_disconnected(self) -> None: ...


def wrap(value: str) -> dict[str, str]:
    return {"value": value}


class SchedulerClient:
    def __init__(
        self,
        find_master: Callable[[], Awaitable[str | None]],
        framework_info: Callable[[], dict[str, Any]],
        handler: Handler,
    ) -> None:
        self.find_master = find_master
        self.framework_info = framework_info
        self.handler = handler
        self.framework_id: str | None = None
        self.stream_id: str | None = None
        self.master_url: str | None = None
        self.connected = False
        self._session: aiohttp.ClientSession | None = None
        self._reconnect = asyncio.Event()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30),
                connector=aiohttp.TCPConnector(limit=16),
            )
        return self._session

    def reconnect(self) -> None:
        """Drop the subscription and subscribe again (the leading master changed)."""
        self._reconnect.set()

    async def run(self) -> None:
        while True:
            url = await self.find_master()
            if url is None:
                await asyncio.sleep(0.2)
                continue
            self._reconnect.clear()
            reader = asyncio.create_task(self._subscribe(url))
            waiter = asyncio.create_task(self._reconnect.wait())
            try:
                done, _ = await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (reader, waiter):
                    if not task.done():
                        task.cancel()
            if reader in done and reader.exception() is not None:
                log.warning("scheduler stream to %s ended: %s", url, reader.exception())
            was_connected = self.connected
            self.connected = False
            self.stream_id = None
            if was_connected:
                await self.handler.on_disconnected()
            await asyncio.sleep(0.2 if was_connected else 0.5)

    async def _subscribe(self, url: str) -> None:
        info = self.framework_info()
        body: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if self.framework_id:
            info["id"] = wrap(self.framework_id)
            body["framework_id"] = wrap(self.framework_id)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=5, sock_read=DEFAULT_HEARTBEAT_S * MISSED_HEARTBEATS
        )
        async with self.session.post(
            url + SCHEDULER_PATH,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                text = (await response.text())[:300]
                raise ConnectionError(f"SUBSCRIBE answered {response.status}: {text}")
            self.stream_id = response.headers.get("Mesos-Stream-Id")
            self.master_url = url
            decoder = recordio.Decoder()
            async for chunk in response.content.iter_any():
                for record in decoder.feed(chunk):
                    await self._dispatch(json.loads(record))
        raise ConnectionError("the master closed the event stream")

    async def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            subscribed = event.get("subscribed") or {}
            self.framework_id = subscribed["framework_id"]["value"]
            self.connected = True
            await self.handler.on_subscribed(self.framework_id, subscribed.get("master_info") or {})
        elif kind == "OFFERS":
            await self.handler.on_offers((event.get("offers") or {}).get("offers") or [])
        elif kind == "RESCIND":
            await self.handler.on_rescind(event["rescind"]["offer_id"]["value"])
        elif kind == "UPDATE":
            await self.handler.on_update(event["update"]["status"])
        elif kind == "ERROR":
            await self.handler.on_error((event.get("error") or {}).get("message", ""))
        elif kind == "FAILURE":
            log.info("failure reported by Mesos: %s", event.get("failure"))
        # HEARTBEAT only keeps the read timeout from firing; INVERSE_OFFERS, MESSAGE: unused.

    # --- calls -------------------------------------------------------------------------

    async def call(self, kind: str, payload: dict[str, Any] | None = None) -> bool:
        if not self.connected or self.master_url is None or self.framework_id is None:
            return False
        body: dict[str, Any] = {"type": kind, "framework_id": wrap(self.framework_id)}
        if payload is not None:
            body[kind.lower()] = payload
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.stream_id:
            headers["Mesos-Stream-Id"] = self.stream_id
        try:
            async with self.session.post(
                self.master_url + SCHEDULER_PATH, data=json.dumps(body), headers=headers
            ) as response:
                if response.status not in (200, 202):
                    text = (await response.text())[:300]
                    log.warning("%s answered %d: %s", kind, response.status, text)
                    return False
                return True
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("%s failed: %s", kind, exc)
            return False

    async def accept(
        self, offer_ids: list[str], operations: list[dict[str, Any]], refuse_seconds: float
    ) -> bool:
        return await self.call(
            "ACCEPT",
            {
                "offer_ids": [wrap(o) for o in offer_ids],
                "operations": operations,
                "filters": {"refuse_seconds": refuse_seconds},
            },
        )

    async def decline(self, offer_ids: list[str], refuse_seconds: float) -> bool:
        return await self.call(
            "DECLINE",
            {
                "offer_ids": [wrap(o) for o in offer_ids],
                "filters": {"refuse_seconds": refuse_seconds},
            },
        )

    async def revive(self) -> bool:
        return await self.call("REVIVE", {})

    async def suppress(self) -> bool:
        return await self.call("SUPPRESS", {})

    async def kill(self, task_id: str, agent_id: str | None) -> bool:
        payload: dict[str, Any] = {"task_id": wrap(task_id)}
        if agent_id:
            payload["agent_id"] = wrap(agent_id)
        return await self.call("KILL", payload)

    async def acknowledge(self, agent_id: str, task_id: str, status_uuid: str) -> bool:
        return await self.call(
            "ACKNOWLEDGE",
            {"agent_id": wrap(agent_id), "task_id": wrap(task_id), "uuid": status_uuid},
        )

    async def reconcile(self, tasks: list[tuple[str, str]]) -> bool:
        return await self.call(
            "RECONCILE",
            {"tasks": [{"task_id": wrap(t), "agent_id": wrap(a)} for t, a in tasks]},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
