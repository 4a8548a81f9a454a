"""Event streams: one subscriber's queue of RecordIO records, drained by its HTTP response."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web
from dcos_internal_utils import recordio

# A subscriber that stops reading is cut off rather than let its queue grow.
MAX_QUEUED = 10000


class EventStream:
    def __init__(self, stream_id: str = "") -> None:
        self.stream_id = stream_id
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.closed = False

    def send(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= MAX_QUEUED:
            self.close()
            return
        self._queue.put_nowait(recordio.encode_json(event))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    async def pump(self, request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        """Answer `request` with this stream (chunked RecordIO) until it closes or the peer goes."""
        response = web.StreamResponse(status=200, headers=headers)
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            while True:
                record = await self._queue.get()
                if record is None:
                    break
                chunks = [record]
                while not self._queue.empty():
                    nxt = self._queue.get_nowait()
                    if nxt is None:
                        self.closed = True
                        break
                    chunks.append(nxt)
                await response.write(b"".join(chunks))
                if self.closed and self._queue.empty():
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await response.write_eof()
        return response


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        content_type="application/json",
        headers=headers,
    )
