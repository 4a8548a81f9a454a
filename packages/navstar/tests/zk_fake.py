"""An in-memory stand-in for the few kazoo calls the allocators make.

Transactions are all-or-nothing like ZooKeeper's multi: a create of an
existing path fails the whole transaction with kazoo's NodeExistsError.
"""

from __future__ import annotations

from typing import Any

from kazoo.exceptions import NodeExistsError, NoNodeError, RolledBackError


class FakeZooKeeper:
    def __init__(self) -> None:
        self.nodes: dict[str, bytes] = {}
        self.before_commit: list[Any] = []  # callables run before the next commit (races)

    def ensure_path(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self.nodes.setdefault("/" + "/".join(parts[:i]), b"")

    def exists(self, path: str) -> bool:
        return path in self.nodes

    def get(self, path: str) -> tuple[bytes, None]:
        if path not in self.nodes:
            raise NoNodeError(path)
        return self.nodes[path], None

    def get_children(self, path: str) -> list[str]:
        if path not in self.nodes:
            raise NoNodeError(path)
        prefix = path.rstrip("/") + "/"
        return sorted({p[len(prefix) :].split("/")[0] for p in self.nodes if p.startswith(prefix)})

    def create(self, path: str, value: bytes = b"") -> None:
        if path in self.nodes:
            raise NodeExistsError(path)
        self.nodes[path] = value

    def transaction(self) -> FakeTransaction:
        return FakeTransaction(self)


class FakeTransaction:
    def __init__(self, zk: FakeZooKeeper) -> None:
        self.zk = zk
        self.ops: list[tuple[str, bytes]] = []

    def create(self, path: str, value: bytes = b"") -> None:
        self.ops.append((path, value))

    def commit(self) -> list[Any]:
        while self.zk.before_commit:
            self.zk.before_commit.pop(0)()
        clash = next((i for i, (p, _) in enumerate(self.ops) if p in self.zk.nodes), None)
        if clash is not None:
            return [
                NodeExistsError() if i == clash else RolledBackError() for i in range(len(self.ops))
            ]
        for path, value in self.ops:
            self.zk.nodes[path] = value
        return [path for path, _ in self.ops]
