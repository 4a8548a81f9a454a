"""Marathon's timestamps: ISO 8601 in UTC with milliseconds (`2017-01-10T08:52:28.385Z`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> str:
    return format_epoch(time.time())


def format_epoch(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text: str) -> float:
    """Seconds since the epoch for a timestamp Marathon (or a client) wrote."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def canonical(text: str) -> str:
    """A client's timestamp in Marathon's own spelling (raises ValueError if it is none)."""
    return format_epoch(parse(text))
