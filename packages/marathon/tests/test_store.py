"""The ZooKeeper store refuses changes it cannot make now, instead of queueing them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dcos_marathon.errors import UnavailableError
from dcos_marathon.store import ZkStore, encode


class FakeZk:
    """What ZkStore uses of a KazooClient: a connection flag and set/create/delete."""

    def __init__(self, connected: bool) -> None:
        self.connected = connected
        self.nodes: dict[str, bytes] = {}

    def set(self, path: str, data: bytes) -> None:
        from kazoo.exceptions import NoNodeError

        if path not in self.nodes:
            raise NoNodeError(path)
        self.nodes[path] = data

    def create(self, path: str, data: bytes, makepath: bool = False) -> None:
        self.nodes[path] = data

    def delete(self, path: str, recursive: bool = False) -> None:
        self.nodes.pop(path, None)


def test_a_change_while_connected_is_stored() -> None:
    zk = FakeZk(connected=True)
    store = ZkStore(zk)
    asyncio.run(store.put("root", {"id": "/"}))
    assert zk.nodes == {"/marathon/state/root": encode({"id": "/"})}
    asyncio.run(store.delete("root"))
    assert zk.nodes == {}


@pytest.mark.parametrize("change", ["put", "delete"])
def test_a_change_without_zookeeper_is_a_503_and_never_applied_later(change: str) -> None:
    zk = FakeZk(connected=False)
    store = ZkStore(zk)
    call: Any = store.put("root", {"id": "/"}) if change == "put" else store.delete("root")
    with pytest.raises(UnavailableError, match="ZooKeeper is not reachable") as raised:
        asyncio.run(call)
    assert raised.value.status == 503
    assert zk.nodes == {}
