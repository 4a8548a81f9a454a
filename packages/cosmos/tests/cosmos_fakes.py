"""Stand-ins for the Cosmos tests: the fixture Universe served over HTTP, fakes of the cluster.

The repository is the one the installer builds from fixtures/universe, served
by a real HTTP server on 127.0.0.1 with its media type; ZooKeeper, Marathon
and Mesos are small in-memory stand-ins with the calls Cosmos makes to them.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dcos_cosmos import errors  # noqa: E402
from dcos_cosmos.cluster import Marathon, Mesos  # noqa: E402
from dcos_cosmos.handlers import Cosmos  # noqa: E402
from dcos_cosmos.repository import (  # noqa: E402
    PackageRepository,
    RepositoryCache,
    RepositoryList,
    fetch,
)

DCOS_VERSION = "1.10.0"
REPO_TYPE = "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4"


def fixture_repository() -> dict[str, Any]:
    from minidcos.installer.universe import repository

    return repository()


class RepoServer:
    """Serves documents at paths, each with its Content-Type (or a status)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.requests: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append({k.lower(): v for k, v in self.headers.items()})
                status, content_type, body, headers = owner.routes.get(
                    self.path, (404, "text/plain", b"not found", {})
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path: str, document: Any, content_type: str = REPO_TYPE) -> str:
        self.routes[path] = (200, content_type, json.dumps(document).encode(), {})
        return self.url(path)


class FakeStat:
    def __init__(self, version: int) -> None:
        self.version = version


class FakeZooKeeper:
    """get/create/set with znode versions, as kazoo's client has them."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[bytes, int]] = {}

    def get(self, path: str) -> tuple[bytes, FakeStat]:
        from kazoo.exceptions import NoNodeError

        if path not in self.nodes:
            raise NoNodeError(path)
        data, version = self.nodes[path]
        return data, FakeStat(version)

    def create(self, path: str, data: bytes, makepath: bool = False) -> None:
        from kazoo.exceptions import NodeExistsError

        if path in self.nodes:
            raise NodeExistsError(path)
        self.nodes[path] = (data, 0)

    def set(self, path: str, data: bytes, version: int = -1) -> None:
        from kazoo.exceptions import BadVersionError

        current = self.nodes[path][1]
        if version not in (-1, current):
            raise BadVersionError(path)
        self.nodes[path] = (data, current + 1)


class FakeMarathon(Marathon):
    """Marathon's app store: what Cosmos creates, lists, reads and deletes."""

    def __init__(self) -> None:
        super().__init__("http://marathon.invalid")
        self.apps: dict[str, dict[str, Any]] = {}
        self.authorizations: list[str | None] = []

    def list_apps(self, authorization: str | None) -> list[dict[str, Any]]:
        self.authorizations.append(authorization)
        return [dict(a) for a in self.apps.values()]

    def get_app(self, app_id: str, authorization: str | None) -> dict[str, Any] | None:
        self.authorizations.append(authorization)
        return self.apps.get("/" + app_id.strip("/"))

    def create_app(self, app: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        self.authorizations.append(authorization)
        app_id = "/" + str(app["id"]).strip("/")
        if app_id in self.apps:
            raise errors.PackageAlreadyInstalled()
        self.apps[app_id] = {**app, "id": app_id}
        return self.apps[app_id]

    def delete_app(self, app_id: str, authorization: str | None) -> None:
        self.authorizations.append(authorization)
        if self.apps.pop("/" + app_id.strip("/"), None) is None:
            raise errors.MarathonAppDeleteError(app_id)


class FakeMesos(Mesos):
    def __init__(self) -> None:
        super().__init__(lambda: "http://mesos.invalid")
        self.frameworks: dict[str, str] = {}  # id -> name
        self.torn_down: list[str] = []

    def framework_ids(self, name: str, authorization: str | None) -> list[str]:
        return [i for i, n in self.frameworks.items() if n == name]

    def teardown(self, framework_id: str, authorization: str | None) -> None:
        self.torn_down.append(framework_id)
        self.frameworks.pop(framework_id)


def make_cosmos(repo_server: RepoServer) -> Cosmos:
    uri = repo_server.serve("/universe/repo", fixture_repository())
    return Cosmos(
        repositories=RepositoryList(FakeZooKeeper(), [PackageRepository("Universe", uri)]),
        cache=RepositoryCache(lambda repository: fetch(repository, DCOS_VERSION)),
        marathon=FakeMarathon(),
        mesos=FakeMesos(),
    )
