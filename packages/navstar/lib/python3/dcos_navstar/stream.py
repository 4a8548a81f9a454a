"""Following the leading master's v1 operator event stream (SUBSCRIBE).

The leader comes from ZooKeeper (a watch on /mesos, no DNS); when it changes,
or the stream ends, or no heartbeat arrives for three intervals, the stream
is opened again: its SUBSCRIBED event carries the whole state, so nothing is
missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from dcos_internal_utils import recordio

log = logging.getLogger("navstar.stream")

RETRY_S = (0.1, 0.2, 0.5, 1.0, 2.0)


async def events(session: aiohttp.ClientSession, master_url: str) -> AsyncIterator[dict[str, Any]]:
    """The events of one SUBSCRIBE call, until it ends or stalls."""
    timeout = aiohttp.ClientTimeout(total=None, connect=3, sock_read=None)
    async with session.post(
        f"{master_url}/api/v1",
        json={"type": "SUBSCRIBE"},
        headers={"Accept": "application/json"},
        timeout=timeout,
    ) as response:
        if response.status != 200:
            raise ConnectionError(f"SUBSCRIBE: {response.status} {await response.text()}")
        decoder = recordio.Decoder()
        heartbeat = 15.0
        while True:
            chunk = await asyncio.wait_for(response.content.readany(), heartbeat * 3)
            if not chunk:
                return
            for record in decoder.feed(chunk):
                event = json.loads(record)
                if event.get("type") == "SUBSCRIBED":
                    heartbeat = float(
                        event["subscribed"].get("heartbeat_interval_seconds", heartbeat)
                    )
                yield event


async def call(session: aiohttp.ClientSession, master_url: str, kind: str) -> dict[str, Any]:
    """A one-off operator call (GET_FRAMEWORKS, ...)."""
    async with session.post(
        f"{master_url}/api/v1", json={"type": kind}, headers={"Accept": "application/json"}
    ) as response:
        response.raise_for_status()
        return dict(await response.json(content_type=None))
