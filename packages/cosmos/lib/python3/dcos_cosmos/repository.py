"""Package repositories: the list in ZooKeeper, and fetching each repository's packages.

The list lives where Cosmos keeps it, in the znode `/cosmos/package/repositories`,
as a storage envelope (`metadata` with its media type and encoding, `data` the
gzipped JSON list, base64). Every master's Cosmos reads and writes the same
znode; a write names the version it read, so two concurrent changes cannot
lose one another (the loser gets ConcurrentAccess). When the znode does not
exist yet, the default list stands in for it.

A repository is fetched over HTTP as Cosmos fetches it (Accept: the v4 and v3
repository media types, `User-Agent: cosmos/<v> dcos/<v>`) and kept for a
minute.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors, mediatypes
from .universe import InvalidPackage, Repository

REPOSITORIES_ZNODE = "/cosmos/package/repositories"
COSMOS_VERSION = "0.4.4"
REFETCH_AFTER_S = 60.0
FETCH_TIMEOUT_S = 30.0
MAX_REPOSITORY_BYTES = 40 * 1024 * 1024  # Cosmos's maxClientResponseSize


@dataclass(frozen=True)
class PackageRepository:
    name: str
    uri: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "uri": self.uri}


def encode_envelope(repositories: list[PackageRepository]) -> bytes:
    data = json.dumps([r.as_json() for r in repositories], separators=(",", ":")).encode()
    envelope = {
        "metadata": {
            "Content-Type": mediatypes.REPOSITORY_LIST.show(),
            "Content-Encoding": "gzip",
        },
        "data": base64.b64encode(gzip.compress(data, mtime=0)).decode(),
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def decode_envelope(raw: bytes) -> list[PackageRepository]:
    envelope = json.loads(raw)
    data = base64.b64decode(envelope["data"])
    if envelope.get("metadata", {}).get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return [PackageRepository(str(r["name"]), str(r["uri"])) for r in json.loads(data)]


class RepositoryList:
    """The ordered list of repositories, kept in ZooKeeper (`zk` is a started KazooClient)."""

    def __init__(self, zk: Any, defaults: list[PackageRepository]) -> None:
        self._zk = zk
        self._defaults = list(defaults)

    def _read(self) -> tuple[list[PackageRepository], int | None]:
        from kazoo.exceptions import NoNodeError

        try:
            raw, stat = self._zk.get(REPOSITORIES_ZNODE)
        except NoNodeError:
            return list(self._defaults), None
        return decode_envelope(raw), stat.version

    def _write(self, repositories: list[PackageRepository], version: int | None) -> None:
        from kazoo.exceptions import BadVersionError, NodeExistsError

        data = encode_envelope(repositories)
        try:
            if version is None:
                self._zk.create(REPOSITORIES_ZNODE, data, makepath=True)
            else:
                self._zk.set(REPOSITORIES_ZNODE, data, version=version)
        except (BadVersionError, NodeExistsError) as exc:
            raise errors.ConcurrentAccess() from exc

    def current(self) -> list[PackageRepository]:
        repositories, version = self._read()
        if version is None:
            # As Cosmos does: the first read writes the defaults down.
            try:
                self._write(repositories, None)
            except errors.ConcurrentAccess:
                repositories, _ = self._read()
        return repositories

    def add(self, repository: PackageRepository, index: int | None) -> list[PackageRepository]:
        repositories, version = self._read()
        same_name = any(r.name == repository.name for r in repositories)
        same_uri = any(r.uri == repository.uri for r in repositories)
        if same_name or same_uri:
            raise errors.RepositoryAlreadyPresent(
                repository.name if same_name else None, repository.uri if same_uri else None
            )
        if index is None:
            repositories.append(repository)
        elif 0 <= index <= len(repositories):
            repositories.insert(index, repository)
        else:
            raise errors.RepositoryAddIndexOutOfBounds(index, len(repositories) - 1)
        self._write(repositories, version)
        return repositories

    def delete(self, name: str | None, uri: str | None) -> list[PackageRepository]:
        if name is None and uri is None:
            raise errors.RepoNameOrUriMissing()

        def matches(r: PackageRepository) -> bool:
            return (name is None or r.name == name) and (uri is None or r.uri == uri)

        repositories, version = self._read()
        kept = [r for r in repositories if not matches(r)]
        if len(kept) == len(repositories) and version is not None:
            raise errors.RepositoryNotPresent(name, uri)
        self._write(kept, version)
        return kept


Fetch = Callable[[PackageRepository], Repository]


def dcos_release_version() -> str:
    from dcos_internal_utils import node

    return str(node.dcos_version().get("version", ""))


def fetch(repository: PackageRepository, dcos_version: str | None = None) -> Repository:
    """GET the repository's packages as Cosmos does; Cosmos's errors when that fails."""
    uri = repository.uri
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.RepositoryUriSyntax(repository.name, uri, f"unsupported URI: {uri}")
    accept = ",".join(m.show() for m in (mediatypes.UNIVERSE_REPO_V4, mediatypes.UNIVERSE_REPO_V3))
    version = dcos_version if dcos_version is not None else dcos_release_version()
    request = urllib.request.Request(
        uri,
        headers={
            "Accept": accept,
            "Accept-Encoding": "gzip",
            "User-Agent": f"cosmos/{COSMOS_VERSION} dcos/{version}",
        },
    )
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_S) as response:
            content_type = response.headers.get("Content-Type")
            encoding = response.headers.get("Content-Encoding")
            body = response.read(MAX_REPOSITORY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303, 307, 308):
            location = urllib.parse.urlsplit(exc.headers.get("Location", "")).scheme or None
            raise _UnsupportedRedirect([parts.scheme], location) from exc
        raise errors.GenericHttpError("GET", uri, exc.code) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise errors.RepositoryUriConnection(repository.name, uri, str(reason)) from exc
    if len(body) > MAX_REPOSITORY_BYTES:
        raise errors.RepositoryUriConnection(repository.name, uri, "repository is too large")
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding:
        raise _UnsupportedContentEncoding(["gzip"], encoding)
    supported = [
        mediatypes.UNIVERSE_REPO_V4.show(),
        mediatypes.UNIVERSE_REPO_V3.show(),
        "application/zip",
    ]
    try:
        media_type = mediatypes.parse(content_type or "")
    except ValueError as exc:
        raise errors.UnsupportedContentType(supported, content_type) from exc
    if not (
        mediatypes.UNIVERSE_REPO_V4.accepts(media_type)
        or mediatypes.UNIVERSE_REPO_V3.accepts(media_type)
    ):
        raise errors.UnsupportedContentType(supported, media_type.show())
    try:
        return Repository.parse(json.loads(body))
    except (ValueError, InvalidPackage) as exc:
        raise errors.RequestError(
            "json_error", f"Json decoding failure '{exc}' at: {uri}", {"type": "decode"}
        ) from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _UnsupportedRedirect(errors.CosmosError):
    def __init__(self, supported: list[str], actual: str | None) -> None:
        listed = "[" + ", ".join(supported) + "]"
        message = f"Unsupported redirect scheme - supported: {listed}" + (
            f" actual: {actual}" if actual else ""
        )
        super().__init__(message, {"supported": supported, "actual": actual})

    @property
    def type(self) -> str:
        return "UnsupportedRedirect"


class _UnsupportedContentEncoding(errors.CosmosError):
    def __init__(self, supported: list[str], actual: str) -> None:
        super().__init__(
            f"Unsupported Content-Encoding: {actual} Accept-Encoding: [{', '.join(supported)}]",
            {"supported": supported, "actual": actual},
        )

    @property
    def type(self) -> str:
        return "UnsupportedContentEncoding"


class RepositoryCache:
    """Each repository's packages, fetched when first needed and again after a minute."""

    def __init__(self, fetcher: Fetch = fetch, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetcher
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[PackageRepository, tuple[Repository, float]] = {}
        self._fetch_locks: dict[PackageRepository, threading.Lock] = {}

    def get(self, repository: PackageRepository) -> Repository:
        with self._lock:
            entry = self._entries.get(repository)
            if entry is not None and self._clock() - entry[1] < REFETCH_AFTER_S:
                return entry[0]
            fetch_lock = self._fetch_locks.setdefault(repository, threading.Lock())
        with fetch_lock:  # one fetch per repository at a time; waiters share its result
            with self._lock:
                entry = self._entries.get(repository)
                if entry is not None and self._clock() - entry[1] < REFETCH_AFTER_S:
                    return entry[0]
            fetched = self._fetch(repository)
            with self._lock:
                self._entries[repository] = (fetched, self._clock())
            return fetched

    def forget_others(self, keep: list[PackageRepository]) -> None:
        """Drop the cached packages of repositories no longer in the list."""
        with self._lock:
            for repository in list(self._entries):
                if repository not in keep:
                    del self._entries[repository]
                    self._fetch_locks.pop(repository, None)
