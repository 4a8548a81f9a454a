"""The node's Docker Engine, through its HTTP API on /var/run/docker.sock.

Nodes have no Docker SDK for Python; the few calls the components make (list,
inspect, remove) are plain JSON requests over the Unix socket.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

from dcos_internal_utils.httpclient import unix_request

SOCKET = os.environ.get("DOCKER_SOCKET", "/var/run/docker.sock")
API = "/v1.41"  # Docker Engine 20.10, the version Debian 12 ships


class DockerError(Exception):
    def __init__(self, what: str, status: int, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else body
        self.status = status
        super().__init__(f"{what}: Docker answered {status}: {message}")


class Docker:
    def __init__(self, socket_path: str = SOCKET, timeout: float = 30.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def available(self) -> bool:
        return os.path.exists(self.socket_path)

    def _call(self, method: str, path: str, query: dict[str, Any] | None = None) -> Any:
        url = API + path + ("?" + urllib.parse.urlencode(query) if query else "")
        status, body = unix_request(self.socket_path, method, url, timeout=self.timeout)
        if status >= 300:
            raise DockerError(f"{method} {path}", status, body)
        return body

    def containers(self, all: bool = True, filters: dict[str, list[str]] | None = None) -> Any:
        query: dict[str, Any] = {"all": "1" if all else "0"}
        if filters:
            query["filters"] = json.dumps(filters)
        return self._call("GET", "/containers/json", query) or []

    def inspect_container(self, container: str) -> Any:
        return self._call("GET", f"/containers/{urllib.parse.quote(container)}/json")

    def remove_container(self, container: str, volumes: bool = True) -> None:
        self._call(
            "DELETE", f"/containers/{urllib.parse.quote(container)}", {"v": "1" if volumes else "0"}
        )

    def images(self) -> Any:
        return self._call("GET", "/images/json") or []

    def remove_image(self, image: str) -> Any:
        # Without force: Docker itself refuses an image a container still uses.
        return self._call("DELETE", f"/images/{urllib.parse.quote(image)}")
