"""dcos-cosmos: the package API on 127.0.0.1:7070 and the admin port on 127.0.0.1:9990.

The API answers at once; ZooKeeper (the repository list, the Mesos leader)
is connected in the background, and a request that needs it before it is
there waits a few seconds and then gets ServiceUnavailable.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from dcos_internal_utils import mesos_leader, zk
from dcos_internal_utils.http import Request, Response, Router, serve_sockets, tcp_socket

from . import errors
from .api import make_router
from .cluster import Marathon, Mesos
from .handlers import Cosmos
from .repository import PackageRepository, RepositoryCache, RepositoryList

log = logging.getLogger("cosmos")

API_ADDRESS = ("127.0.0.1", 7070)
ADMIN_ADDRESS = ("127.0.0.1", 9990)
# The cluster's own Universe, built from the installer's fixtures and served
# by Admin Router on every master (see the README's package section).
DEFAULT_REPOSITORY = PackageRepository(
    "Universe", os.environ.get("COSMOS_DEFAULT_REPOSITORY_URI", "http://master.mesos/universe/repo")
)
MARATHON_URL = os.environ.get("COSMOS_MARATHON_URL", "http://127.0.0.1:8080")
ZK_WAIT_S = 10.0


class LazyZooKeeper:
    """A kazoo client connected in the background; `get()` waits a while for it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._client: Any = None
        threading.Thread(target=self._connect, name="zookeeper", daemon=True).start()

    def _connect(self) -> None:
        self._client = zk.client()
        self._ready.set()

    def get(self) -> Any:
        if not self._ready.wait(ZK_WAIT_S):
            raise errors.ServiceUnavailable("zookeeper")
        return self._client


class _ZkProxy:
    """Lets RepositoryList use the lazily connected client as if it were the client."""

    def __init__(self, lazy: LazyZooKeeper) -> None:
        self._lazy = lazy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lazy.get(), name)


def admin_router() -> Router:
    """Cosmos's admin port answers its index, a ping and a health check (twitter-server's)."""
    router = Router()

    @router.get("/")
    def index(_request: Request) -> Response:
        page = "<html><body><h1>Cosmos admin</h1><a href='/admin/ping'>ping</a></body></html>"
        return Response(body=page.encode(), content_type="text/html; charset=utf-8")

    @router.get("/admin")
    def admin(request: Request) -> Response:
        return index(request)

    @router.get("/admin/ping")
    def ping(_request: Request) -> Response:
        return Response.text("pong")

    @router.get("/health")
    def health(_request: Request) -> Response:
        return Response.text("OK")

    return router


def build() -> Cosmos:
    lazy = LazyZooKeeper()

    def leader_url() -> str | None:
        info = mesos_leader.leader(lazy.get())
        return info.url if info is not None else None

    return Cosmos(
        repositories=RepositoryList(_ZkProxy(lazy), [DEFAULT_REPOSITORY]),
        cache=RepositoryCache(),
        marathon=Marathon(MARATHON_URL),
        mesos=Mesos(leader_url),
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cosmos = build()
    serve_sockets(
        [
            (tcp_socket(*API_ADDRESS), make_router(cosmos)),
            (tcp_socket(*ADMIN_ADDRESS), admin_router()),
        ]
    )
