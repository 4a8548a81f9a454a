"""Shared fixtures: a recorded Mesos 1.4 `/master/state` of a small cluster."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
MASTERS = ["192.0.2.11:5050", "192.0.2.12:5050", "192.0.2.13:5050"]


@pytest.fixture
def state() -> dict[str, Any]:
    return copy.deepcopy(json.loads((DATA / "master_state.json").read_text()))


class LoopThread:
    """An event loop in a thread, so tests can talk to servers with blocking clients."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 10) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(function, *args)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop_thread() -> Any:
    thread = LoopThread()
    yield thread
    thread.stop()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
