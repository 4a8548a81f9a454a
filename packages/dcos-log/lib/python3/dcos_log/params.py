"""Query parameters of the journal endpoints, checked with dcos-log's own messages."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence

from .journal import Match, Position

# Fields of the journald container logger that /v1/fields/<field> may list.
ALLOWED_FIELDS = ("FRAMEWORK_ID", "AGENT_ID", "EXECUTOR_ID", "CONTAINER_ID", "STREAM")

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class ParamError(ValueError):
    """A bad parameter; the message is what dcos-log answers with (400)."""


def _uint(name: str, value: str, message: str) -> int:
    if not value.isdigit():
        raise ParamError(f"{message}: strconv.ParseUint: parsing {value!r}: invalid syntax")
    return int(value)


def limit(query: Mapping[str, str], stream: bool) -> int:
    value = query.get("limit", "")
    if value == "":
        return 0
    count = _uint("limit", value, "Error parsing paramter `limit`")
    if stream and count > 0:
        raise ParamError("Unable to stream events with `limit` parameter")
    return count


def skips(query: Mapping[str, str]) -> tuple[int, int]:
    result = []
    for name in ("skip_next", "skip_prev"):
        value = query.get(name, "")
        result.append(_uint(name, value, f"Error parsing parameter {name}") if value else 0)
    return result[0], result[1]


def read_reverse(query: Mapping[str, str], stream: bool) -> bool:
    value = query.get("read_reverse", "")
    if value == "":
        return False
    if stream:
        raise ParamError("Unable to stream events with `read_reverse` parameter")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ParamError(f"strconv.ParseBool: parsing {value!r}: invalid syntax")


def filters(values: Sequence[str]) -> list[Match]:
    """`filter=FIELD:VALUE` parameters (fields upper-cased, as journald stores them)."""
    matches = []
    for item in values:
        parts = item.split(":")
        if len(parts) != 2:
            raise ParamError(
                f"Incorrect filter parameter format, must be ?filer=key:value. Got {item}"
            )
        matches.append(Match(parts[0].upper(), parts[1]))
    return matches


def cursor(value: str) -> str:
    # dcos-log unescapes the cursor once more: clients often send it escaped twice.
    return urllib.parse.unquote(value) if value else ""


def v1_position(query: Mapping[str, str], stream: bool, last_event_id: str | None) -> Position:
    skip_next, skip_prev = skips(query)
    position = Position(
        cursor=cursor(query.get("cursor", "")),
        skip_next=skip_next,
        skip_prev=skip_prev,
        read_reverse=read_reverse(query, stream),
    )
    if stream and last_event_id:
        # A reconnecting event-stream client resumes right after the last event it saw.
        position = Position(cursor=last_event_id)
    return position


def v2_position(query: Mapping[str, str], last_event_id: str | None) -> Position:
    """v2's `cursor` (a journal cursor, or BEG / END) and signed `skip`."""
    position = Position()
    if last_event_id:
        position.cursor = last_event_id
    else:
        value = query.get("cursor", "")
        if value == "END":
            position.skip_prev = 1
        elif value not in ("", "BEG"):
            position.cursor = cursor(value)
    skip = query.get("skip", "")
    if skip:
        try:
            count = int(skip)
        except ValueError:
            raise ParamError(
                f"unable to parse skip parameter: strconv.Atoi: parsing {skip!r}: invalid syntax"
            ) from None
        if count > 0:
            position.skip_next = count
        else:
            position.skip_prev = -count
    return position


def v2_limit(query: Mapping[str, str]) -> int:
    value = query.get("limit", "")
    if not value:
        return 0
    return _uint("limit", value, "unable to parse limit parameter")
