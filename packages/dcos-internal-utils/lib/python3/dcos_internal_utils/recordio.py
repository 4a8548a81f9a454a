"""Mesos's RecordIO framing: each record is its length in bytes, a newline, then the record.

The v1 scheduler, operator and agent APIs stream events this way
(`Content-Type: application/json` with `Transfer-Encoding: chunked`, each
chunk one or more records).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def encode(record: bytes) -> bytes:
    return str(len(record)).encode() + b"\n" + record


def encode_json(message: Any) -> bytes:
    """One JSON message as a RecordIO record (compact JSON, as Mesos writes it)."""
    return encode(json.dumps(message, separators=(",", ":")).encode())


class Decoder:
    """Feed bytes as they arrive; iterate the complete records decoded so far."""

    def __init__(self, max_record_bytes: int = 64 * 1024 * 1024) -> None:
        self._buffer = b""
        self._max = max_record_bytes

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._buffer += data
        while True:
            newline = self._buffer.find(b"\n")
            if newline < 0:
                if len(self._buffer) > 20:
                    raise ValueError("RecordIO: no length header in the first 20 bytes")
                return
            header = self._buffer[:newline].strip()
            if not header.isdigit():
                raise ValueError(f"RecordIO: bad length header {header[:20]!r}")
            length = int(header)
            if length > self._max:
                raise ValueError(f"RecordIO: record of {length} bytes is over the limit")
            end = newline + 1 + length
            if len(self._buffer) < end:
                return
            record, self._buffer = self._buffer[newline + 1 : end], self._buffer[end:]
            yield record

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole record."""
        return len(self._buffer)
