"""How dcos-log writes a journal entry: a text line, a JSON object, or a server-sent event.

The client picks with its Accept header (`application/json`,
`text/event-stream`, anything else is text). Text lines are
`YYYY-MM-DD HH:MM:SS: MESSAGE` in the node's local time; JSON is
`{"fields": {...}, "cursor", "monotonic_timestamp", "realtime_timestamp"}`;
an event is that JSON as `data:`, preceded by `id: <cursor>` on streams so
that a client reconnecting with Last-Event-ID resumes where it was.
"""

from __future__ import annotations

import json
import time
from enum import Enum

from .journal import Entry

TEXT = "text/plain"
JSON = "application/json"
EVENT_STREAM = "text/event-stream"

# A comment line that keeps idle event streams open through proxies.
SSE_PING = b": ping\n\n"
PING_INTERVAL_S = 15.0


class Format(Enum):
    TEXT = TEXT
    JSON = JSON
    SSE = EVENT_STREAM

    @property
    def content_type(self) -> str:
        return self.value


def from_accept(accept: str | None) -> Format:
    """The format an Accept header asks for (its first media type decides)."""
    first = (accept or "").split(",")[0].split(";")[0].strip().lower()
    if first == JSON:
        return Format.JSON
    if first == EVENT_STREAM:
        return Format.SSE
    return Format.TEXT


def entry_json(entry: Entry) -> bytes:
    return json.dumps(
        {
            "fields": entry.fields,
            "cursor": entry.cursor,
            "monotonic_timestamp": entry.monotonic_usec,
            "realtime_timestamp": entry.realtime_usec,
        },
        separators=(",", ":"),
    ).encode()


def text_line(entry: Entry) -> bytes | None:
    """`2017-06-06 20:18:07: message\\n`, or None for an entry without MESSAGE."""
    message = entry.fields.get("MESSAGE")
    if message is None:
        return None
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.realtime_usec // 1_000_000))
    return f"{stamp}: {message}\n".encode()


def render(entry: Entry, fmt: Format, with_id: bool) -> bytes | None:
    """One entry in `fmt`; None when the entry has nothing to show in that format."""
    if fmt is Format.TEXT:
        return text_line(entry)
    if fmt is Format.JSON:
        return entry_json(entry) + b"\n"
    event = b"data: " + entry_json(entry) + b"\n\n"
    if with_id:
        event = f"id: {entry.cursor}\n".encode() + event
    return event
