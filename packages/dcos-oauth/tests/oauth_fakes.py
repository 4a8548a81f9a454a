"""An in-memory stand-in for the few kazoo calls dcos-oauth makes, for fast tests.

The integration suite runs the same code against the cluster's ZooKeeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, RolledBackError


@dataclass
class Stat:
    version: int


class FakeZooKeeper:
    def __init__(self) -> None:
        self.nodes: dict[str, tuple[bytes, int]] = {"/": (b"", 0)}
        self.watches: dict[str, list[Any]] = {}

    def _parent(self, path: str) -> str:
        return path.rsplit("/", 1)[0] or "/"

    def exists(self, path: str) -> Stat | None:
        return Stat(self.nodes[path][1]) if path in self.nodes else None

    def get(self, path: str) -> tuple[bytes, Stat]:
        if path not in self.nodes:
            raise NoNodeError(path)
        data, version = self.nodes[path]
        return data, Stat(version)

    def get_children(self, path: str, include_data: bool = False) -> Any:
        if path not in self.nodes:
            raise NoNodeError(path)
        prefix = path.rstrip("/") + "/"
        children = [
            p[len(prefix) :]
            for p in self.nodes
            if p.startswith(prefix) and "/" not in p[len(prefix) :]
        ]
        return (children, Stat(self.nodes[path][1])) if include_data else children

    def create(self, path: str, value: bytes = b"", acl: Any = None) -> str:
        if path in self.nodes:
            raise NodeExistsError(path)
        if self._parent(path) not in self.nodes:
            raise NoNodeError(self._parent(path))
        self.nodes[path] = (value, 0)
        return path

    def ensure_path(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self.nodes.setdefault("/" + "/".join(parts[:i]), (b"", 0))

    def set_data(self, path: str, value: bytes, version: int = -1) -> None:
        if path not in self.nodes:
            raise NoNodeError(path)
        if version != -1 and self.nodes[path][1] != version:
            raise BadVersionError(path)
        self.nodes[path] = (value, self.nodes[path][1] + 1)
        for callback in self.watches.get(path, []):
            callback(value, Stat(self.nodes[path][1]))

    def delete(self, path: str) -> None:
        if path not in self.nodes:
            raise NoNodeError(path)
        del self.nodes[path]

    def sync(self, path: str) -> None:
        pass

    def DataWatch(self, path: str, callback: Any) -> None:
        self.watches.setdefault(path, []).append(callback)
        data = self.nodes.get(path)
        callback(data[0] if data else None, Stat(data[1]) if data else None)

    def transaction(self) -> FakeTransaction:
        return FakeTransaction(self)


class FakeTransaction:
    def __init__(self, zk: FakeZooKeeper) -> None:
        self.zk = zk
        self.ops: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def set_data(self, *args: Any, **kwargs: Any) -> None:
        self.ops.append(("set_data", args, kwargs))

    def create(self, *args: Any, **kwargs: Any) -> None:
        self.ops.append(("create", args, kwargs))

    def commit(self) -> list[Any]:
        saved = dict(self.zk.nodes)
        results: list[Any] = []
        for name, args, kwargs in self.ops:
            try:
                results.append(getattr(self.zk, name)(*args, **kwargs))
            except (BadVersionError, NodeExistsError, NoNodeError) as exc:
                self.zk.nodes = saved
                results = [RolledBackError() for _ in results] + [exc]
                results += [RolledBackError() for _ in self.ops[len(results) :]]
                return results
        return results
