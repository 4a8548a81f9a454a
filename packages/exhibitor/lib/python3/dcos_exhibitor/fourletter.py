"""ZooKeeper's four-letter words, and Exhibitor's status codes derived from them."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .ensemble import CLIENT_PORT

# A server on the same machine answers in milliseconds; a short timeout keeps
# cluster/status fast when one is down or unreachable.
DEFAULT_TIMEOUT = 1.5

# What ZooKeeper answers to srvr/stat/mntr while it has no quorum.
NOT_SERVING_MARKER = "not currently serving requests"


class InstanceState(IntEnum):
    """Exhibitor's InstanceStateTypes: the codes its cluster/status reports."""

    LATENT = 0
    DOWN = 1
    NOT_SERVING = 2
    SERVING = 3

    @property
    def description(self) -> str:
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True)
class ServerStatus:
    hostname: str
    state: InstanceState
    is_leader: bool = False
    mode: str = ""

    def to_json(self) -> dict[str, Any]:
        """Exhibitor's ServerStatus entity."""
        return {
            "code": int(self.state),
            "description": self.state.description,
            "hostname": self.hostname,
            "isLeader": self.is_leader,
        }


def four_letter_word(
    host: str, word: str, port: int = CLIENT_PORT, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """Send `word` to the ZooKeeper at host:port and return its whole answer.

    ZooKeeper answers a four-letter word and closes the connection, so the
    answer is everything up to EOF. Raises OSError when nothing listens or
    the server does not answer in time.
    """
    if len(word) != 4 or not word.isalpha():
        raise ValueError(f"not a four-letter word: {word!r}")
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(word.encode("ascii"))
        chunks = []
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def parse_mntr(text: str) -> dict[str, str]:
    """mntr's tab-separated `key value` lines as a dict."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("\t")
        if sep and key:
            values[key.strip()] = value.strip()
    return values


def parse_mode(text: str) -> str | None:
    """The server's mode (leader, follower, observer, standalone, read-only).

    Reads srvr/stat output ("Mode: leader") or mntr output
    ("zk_server_state\tleader"); None when the answer states no mode, as while
    the server has no quorum.
    """
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "Mode" and value.strip():
            return value.strip()
    state = parse_mntr(text).get("zk_server_state")
    return state or None


def status_from_answer(hostname: str, text: str) -> ServerStatus:
    """Exhibitor's status for a server, from its answer to srvr or mntr."""
    if NOT_SERVING_MARKER in text:
        return ServerStatus(hostname, InstanceState.NOT_SERVING)
    mode = parse_mode(text)
    if mode in ("leader", "standalone"):
        # A standalone server is the whole ensemble, so it leads it.
        return ServerStatus(hostname, InstanceState.SERVING, is_leader=True, mode=mode)
    if mode in ("follower", "observer"):
        return ServerStatus(hostname, InstanceState.SERVING, is_leader=False, mode=mode)
    # Running (it answered) but not part of a working quorum: no answer yet
    # while it loads its database, or read-only mode.
    return ServerStatus(hostname, InstanceState.NOT_SERVING, mode=mode or "")


def probe(hostname: str, port: int = CLIENT_PORT, timeout: float = DEFAULT_TIMEOUT) -> ServerStatus:
    """Ask one server with srvr; a server that does not answer is down."""
    try:
        text = four_letter_word(hostname, "srvr", port=port, timeout=timeout)
    except OSError:
        return ServerStatus(hostname, InstanceState.DOWN)
    return status_from_answer(hostname, text)


def cluster_status(
    servers: list[str], port: int = CLIENT_PORT, timeout: float = DEFAULT_TIMEOUT
) -> list[ServerStatus]:
    """Every server's status, asked in parallel, in the order of `servers`."""
    if not servers:
        return []
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        return list(pool.map(lambda host: probe(host, port=port, timeout=timeout), servers))
