"""Marathon's state in ZooKeeper, under `/marathon/state` (its `--zk` path).

    framework-id              the framework id Mesos gave us
    root                      the root group: every group, app and pod
    versions/<spec>           the last 50 versions of one app or pod
    instances/<instance id>   one instance of an app or pod, and its tasks
    deployments/<plan id>     deployments not yet finished
    task-failures/<spec>      an app's last task failure

`<spec>` is the run spec id with `/` replaced by `_`, as in task ids.
Documents are JSON, zlib-compressed above 64 KiB (Marathon's --zk_compression
threshold). ZooKeeper calls are blocking (kazoo), so they run in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from typing import Any

from . import pathid
from .errors import UnavailableError

STATE_PATH = "/marathon/state"
LEADER_PATH = "/marathon/leader-curator"
COMPRESSION_THRESHOLD = 64 * 1024
MAX_VERSIONS = 50
ZK_TIMEOUT_S = 10.0  # Marathon's --zk_timeout (10000 ms)


def encode(document: Any) -> bytes:
    raw = json.dumps(document, separators=(",", ":")).encode()
    return zlib.compress(raw) if len(raw) > COMPRESSION_THRESHOLD else raw


def decode(data: bytes) -> Any:
    if data[:1] not in (b"{", b"[", b'"'):
        data = zlib.decompress(data)
    return json.loads(data)


def spec_key(spec_id: str) -> str:
    return pathid.safe_path(spec_id)


class Store:
    """Documents by path (relative to STATE_PATH). Subclasses keep them somewhere."""

    async def get(self, path: str) -> Any | None:
        raise NotImplementedError

    async def put(self, path: str, document: Any) -> None:
        raise NotImplementedError

    async def delete(self, path: str) -> None:
        raise NotImplementedError

    async def children(self, path: str) -> list[str]:
        raise NotImplementedError

    # --- what Marathon keeps ------------------------------------------------------------

    async def add_version(self, spec: dict[str, Any]) -> None:
        path = f"versions/{spec_key(spec['id'])}"
        versions = await self.get(path) or {}
        versions[spec["version"]] = spec
        newest = sorted(versions)[-MAX_VERSIONS:]
        await self.put(path, {v: versions[v] for v in newest})

    async def versions(self, spec_id: str) -> dict[str, dict[str, Any]]:
        return dict(await self.get(f"versions/{spec_key(spec_id)}") or {})


class MemoryStore(Store):
    """A dict: for tests, and the reference for what ZkStore must do."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}

    async def get(self, path: str) -> Any | None:
        data = self.documents.get(path)
        return None if data is None else decode(data)

    async def put(self, path: str, document: Any) -> None:
        self.documents[path] = encode(document)

    async def delete(self, path: str) -> None:
        self.documents.pop(path, None)

    async def children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted(
            {p[len(prefix) :].split("/")[0] for p in self.documents if p.startswith(prefix)}
        )


class ZkStore(Store):
    def __init__(self, zk: Any, base: str = STATE_PATH) -> None:
        self.zk = zk
        self.base = base

    def _path(self, path: str) -> str:
        return f"{self.base}/{path}".rstrip("/")

    async def get(self, path: str) -> Any | None:
        from kazoo.exceptions import NoNodeError

        def read() -> bytes | None:
            try:
                data, _ = self.zk.get(self._path(path))
            except NoNodeError:
                return None
            return bytes(data) if data else None

        data = await asyncio.to_thread(read)
        return None if data is None else decode(data)

    async def _write(self, what: str, operation: Any) -> None:
        """A change, only while connected and within --zk_timeout, as Marathon's store:
        otherwise a 503 now. kazoo would queue it through a lost quorum and apply it once
        ZooKeeper returns, long after the client was told it failed."""
        from kazoo.exceptions import KazooException

        if not self.zk.connected:
            raise UnavailableError(f"ZooKeeper is not reachable: {what} was not stored")
        try:
            await asyncio.wait_for(asyncio.to_thread(operation), ZK_TIMEOUT_S)
        except (TimeoutError, KazooException) as exc:
            raise UnavailableError(f"ZooKeeper did not store {what}: {exc!r}") from exc

    async def put(self, path: str, document: Any) -> None:
        from kazoo.exceptions import NoNodeError

        data = encode(document)
        full = self._path(path)

        def write() -> None:
            try:
                self.zk.set(full, data)
            except NoNodeError:
                self.zk.create(full, data, makepath=True)

        await self._write(full, write)

    async def delete(self, path: str) -> None:
        from kazoo.exceptions import NoNodeError

        def remove() -> None:
            with contextlib.suppress(NoNodeError):
                self.zk.delete(self._path(path), recursive=True)

        await self._write(f"the removal of {self._path(path)}", remove)

    async def children(self, path: str) -> list[str]:
        from kazoo.exceptions import NoNodeError

        def listing() -> list[str]:
            try:
                return sorted(self.zk.get_children(self._path(path)))
            except NoNodeError:
                return []

        return await asyncio.to_thread(listing)
