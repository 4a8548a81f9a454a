"""A ZooKeeper client waits for a server that serves, not one that only accepts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from dcos_internal_utils import zk


def answering(reply: bytes) -> Iterator[int]:
    """A server on loopback that answers every connection with `reply` and closes it."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(16)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture
def standalone() -> Iterator[int]:
    yield from answering(b"Zookeeper version: 3.8.0\nMode: standalone\nNode count: 5\n")


@pytest.fixture
def not_serving() -> Iterator[int]:
    yield from answering(b"This ZooKeeper instance is not currently serving requests\n")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_with_a_mode_serves(standalone: int) -> None:
    assert zk.serving("127.0.0.1", standalone)
    started = time.monotonic()
    zk.wait_until_serving(f"127.0.0.1:{closed_port()},127.0.0.1:{standalone}", deadline_s=5)
    assert time.monotonic() - started < 5


def test_a_server_without_a_quorum_does_not(not_serving: int) -> None:
    assert not zk.serving("127.0.0.1", not_serving)
    started = time.monotonic()
    zk.wait_until_serving(f"127.0.0.1:{not_serving}", deadline_s=0.5)
    assert time.monotonic() - started >= 0.5  # it waited, then let the client try anyway


def test_nothing_listening_is_not_serving() -> None:
    assert not zk.serving("127.0.0.1", closed_port())
