"""Octarine's rewriting, proxying and port query, against a local HTTP server."""

from __future__ import annotations

import http.client
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dcos_octarine import cli
from dcos_octarine.proxy import STANDARD, TRANSPARENT, Server, handler_class, rewrite
from dcos_octarine.srv import Cache


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{self.headers['Host']} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def srv_cache(port: int) -> Cache:
    def lookup(name: str) -> tuple[str, int]:
        assert name == "_app._tcp.marathon.mesos"
        return "127.0.0.1", port

    return Cache(5, lookup)


def start_proxy(mode: str, cache: Cache) -> int:
    server = Server(("127.0.0.1", 0), handler_class(mode, cache))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def test_rewrite() -> None:
    cache = srv_cache(8123)
    assert rewrite("_app._tcp.marathon.mesos", STANDARD, cache) == "127.0.0.1:8123"
    assert rewrite("leader.mesos:5050", STANDARD, cache) == "leader.mesos:5050"
    assert rewrite("leader.mesos:5050", TRANSPARENT, cache) == "leader.mesos"
    assert rewrite("_app._tcp.marathon.mesos.mydcos.directory", TRANSPARENT, cache) == (
        "127.0.0.1:8123"
    )


def test_standard_proxy_resolves_srv_names(backend: int) -> None:
    port = start_proxy(STANDARD, srv_cache(backend))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "http://_app._tcp.marathon.mesos/v1/ping?x=1")
    response = conn.getresponse()
    assert response.status == 200
    assert response.read().decode().endswith(" /v1/ping?x=1")


def test_transparent_proxy_uses_the_host_header(backend: int) -> None:
    port = start_proxy(TRANSPARENT, srv_cache(backend))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/hello", headers={"Host": "_app._tcp.marathon.mesos.mydcos.directory"})
    response = conn.getresponse()
    assert response.status == 200 and response.read().decode().endswith(" /hello")


def test_client_asks_the_server_for_its_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    query_sock, port_sock = cli.sockets("test")
    threading.Thread(
        target=cli.answer_port_queries, args=(query_sock, port_sock, 40123), daemon=True
    ).start()
    assert cli.query_port(query_sock, port_sock) == "40123"


def test_version_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-version"]) == 0 and capsys.readouterr().out == "3"
    assert cli.main(["-mode", "standard"]) == 1  # no ID
    assert cli.main(["-mode", "magic", "x"]) == 1
