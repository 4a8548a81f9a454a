"""The stdlib JSON server answers on TCP and on Unix sockets, and repeats headers."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from dcos_internal_utils.http import (
    Request,
    Response,
    Router,
    _handler_class,
    _Server,
    tcp_socket,
    unix_socket,
)


def router() -> Router:
    routes = Router()

    @routes.get("/hello")
    def hello(request: Request) -> Response:
        response = Response.json({"ok": True})
        response.header_list += [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
        return response

    return routes


def serve_in_thread(sock: socket.socket) -> _Server:
    server = _Server(sock, _handler_class(router()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def test_tcp_and_unix_sockets_both_answer(tmp_path: Path) -> None:
    tcp = serve_in_thread(tcp_socket("127.0.0.1", 0))
    path = str(tmp_path / "api.sock")
    unix = serve_in_thread(unix_socket(path))
    try:
        port = tcp.socket.getsockname()[1]
        for conn in (http.client.HTTPConnection("127.0.0.1", port), UnixConnection(path)):
            for _ in range(2):  # a second request on the same (keep-alive) connection
                conn.request("GET", "/hello")
                response = conn.getresponse()
                assert (response.status, response.read()) == (200, b'{\n  "ok": true\n}\n')
                assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
            conn.close()
    finally:
        tcp.shutdown()
        unix.shutdown()


def streaming_router(closed: list[bool]) -> Router:
    routes = Router()

    @routes.get("/stream")
    def stream(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            try:
                yield b"one,"
                yield b""
                yield b"two"
            finally:
                closed.append(True)

        return Response(content_type="text/plain", stream=chunks())

    return routes


def test_a_streamed_body_is_chunked_for_http_11_and_closed_for_http_10() -> None:
    closed: list[bool] = []
    server = _Server(tcp_socket("127.0.0.1", 0), _handler_class(streaming_router(closed)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.socket.getsockname()[1]
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(2):  # the connection stays usable after a chunked body
        conn.request("GET", "/stream")
        response = conn.getresponse()
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.read() == b"one,two"
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(b"GET /stream HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := raw.recv(4096):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and b"chunked" not in head
    assert body == b"one,two"
    assert closed == [True, True, True]
