"""Marathon's event bus: events as `/v2/events` streams them (server-sent events).

Each event is JSON with `eventType` and `timestamp`; the SSE frame is
`event: <eventType>` then `data: <json>`. Subscribers get their own bounded
queue; a subscriber too slow to keep up is dropped rather than slowing
Marathon down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from . import timestamps
from .bodies import numbers

log = logging.getLogger("marathon.events")
QUEUE_LIMIT = 10000
Frame = tuple[str, bytes]  # (eventType, the SSE frame)


class EventBus:
    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[Frame | None]] = set()

    def subscribe(self) -> asyncio.Queue[Frame | None]:
        queue: asyncio.Queue[Frame | None] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Frame | None]) -> None:
        self.subscribers.discard(queue)

    def publish(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {
            **fields,
            "eventType": event_type,
            "timestamp": fields.get("timestamp") or timestamps.now(),
        }
        if not self.subscribers:
            return event
        data = json.dumps(numbers(event), separators=(",", ":"))
        frame = (event_type, f"event: {event_type}\ndata: {data}\n\n".encode())
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("dropping an event stream subscriber that does not keep up")
                self.subscribers.discard(queue)
        return event

    def close_all(self) -> None:
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self.subscribers.clear()
