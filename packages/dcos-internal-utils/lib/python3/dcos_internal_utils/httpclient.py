"""Small HTTP client calls the components make to each other (standard library only).

Mesos, diagnostics and the Docker Engine answer JSON over TCP or a Unix
socket; these helpers keep every component's client code to one line.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any

# What a caller catches to mean "the other side is not there (yet)".
UNAVAILABLE = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


class HTTPStatusError(Exception):
    """The server answered, with a status that is not 2xx."""

    def __init__(self, url: str, status: int, body: bytes) -> None:
        self.url, self.status, self.body = url, status, body
        super().__init__(f"{url}: HTTP {status}: {body[:200]!r}")


def get_json(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> Any:
    """GET `url` and decode its JSON body; raises HTTPStatusError on a non-2xx answer."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise HTTPStatusError(url, exc.code, exc.read()) from exc


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection to a server on a Unix socket (Docker, DC/OS's /run/dcos sockets)."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def unix_request(
    path: str,
    method: str,
    url: str,
    body: Any = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """One request to a server on the Unix socket `path`: (status, decoded JSON or None)."""
    conn = UnixHTTPConnection(path, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, url, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data.strip() else None)
    finally:
        conn.close()
