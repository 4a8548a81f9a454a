"""A small threaded JSON HTTP server for the distribution's APIs.

Standard library only, so that each component costs a few MiB of RSS. Serves
on TCP addresses, on Unix sockets, and on sockets systemd passes in
(socket activation, LISTEN_FDS), all at once.

    router = Router()

    @router.get("/system/health/v1")
    def health(request: Request) -> Response:
        return Response.json({"units": []})

    serve(router, tcp=[("0.0.0.0", 1050)])
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

SD_LISTEN_FDS_START = 3


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # Headers that may repeat, such as Set-Cookie, in the order they are sent.
    header_list: list[tuple[str, str]] = field(default_factory=list)
    # A body too big to hold in memory (a file, a command's output): its chunks
    # are sent as they come (with the Content-Length given in `headers` if there
    # is one; else chunked to HTTP/1.1 clients and, to HTTP/1.0 clients such as
    # nginx's proxy, until the connection closes). `body` is then unused.
    stream: Iterable[bytes] | None = None

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Response:
        return cls(status=status, body=json.dumps(value, indent=2).encode() + b"\n")

    @classmethod
    def text(cls, value: str, status: int = 200) -> Response:
        return cls(status=status, body=value.encode(), content_type="text/plain; charset=utf-8")

    @classmethod
    def error(cls, status: int, message: str) -> Response:
        return cls.json({"code": status, "error": message}, status=status)


Handler = Callable[[Request], Response]


class Router:
    """Maps (method, path pattern) to handlers. `{name}` in a pattern matches one segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile(
            "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern)) + "$"
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method, regex, handler))
            return handler

        return register

    def get(self, pattern: str) -> Callable[[Handler], Handler]:
        return self.route("GET", pattern)

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method and not (method == "GET" and request.method == "HEAD"):
                allowed = True
                continue
            request.params = match.groupdict()
            return handler(request)
        if allowed:
            return Response.error(405, f"method {request.method} not allowed on {request.path}")
        return Response.error(404, f"no such resource: {request.path}")


def _handler_class(router: Router) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "miniDCOS"

        def setup(self) -> None:
            super().setup()
            # Headers and body are separate writes: with Nagle's algorithm on,
            # a keep-alive client's delayed ACK holds the body back 40 ms.
            # (TCP only: Unix sockets have no such option.)
            if self.connection.family in (socket.AF_INET, socket.AF_INET6):
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            try:
                response = router.dispatch(request)
            except Exception as exc:  # a bug in a handler must not kill the server
                self.log_error("handler failed: %r", exc)
                response = Response.error(500, f"{type(exc).__name__}: {exc}")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            for key, value in [*response.headers.items(), *response.header_list]:
                self.send_header(key, value)
            if response.stream is not None:
                self._send_stream(response.stream, "Content-Length" in response.headers)
                return
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def _send_stream(self, chunks: Iterable[bytes], length_known: bool) -> None:
            chunked = not length_known and self.request_version != "HTTP/1.0"
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif not length_known:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                if self.command == "HEAD":
                    return
                for chunk in chunks:
                    if not chunk:
                        continue
                    if chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            finally:
                close = getattr(chunks, "close", None)
                if callable(close):
                    close()  # a generator's cleanup (a child process, an open file) runs now

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        def address_string(self) -> str:
            # Unix-socket peers have no address tuple.
            return self.client_address[0] if isinstance(self.client_address, tuple) else "unix"

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("DCOS_HTTP_ACCESS_LOG"):
                super().log_message(format, *args)

    return _Handler


class _Server(socketserver.ThreadingMixIn, socketserver.BaseServer):
    daemon_threads = True

    def __init__(self, sock: socket.socket, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(sock.getsockname(), handler)
        self.socket = sock

    def fileno(self) -> int:
        return self.socket.fileno()

    def get_request(self) -> tuple[socket.socket, Any]:
        return self.socket.accept()

    def shutdown_request(self, request: Any) -> None:
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
        request.close()

    def server_close(self) -> None:
        self.socket.close()


def systemd_sockets() -> list[socket.socket]:
    """Listening sockets systemd passed to this process (socket activation)."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    count = int(os.environ.get("LISTEN_FDS", "0"))
    return [socket.socket(fileno=SD_LISTEN_FDS_START + i) for i in range(count)]


def tcp_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def unix_socket(path: str, mode: int = 0o660) -> socket.socket:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, mode)
    sock.listen(128)
    return sock


def serve(
    router: Router,
    tcp: list[tuple[str, int]] | None = None,
    unix: list[str] | None = None,
    extra_tcp: list[tuple[str, int]] | None = None,
) -> None:
    """Serve forever on systemd's sockets if it passed any, else on `tcp` and `unix`.

    `extra_tcp` addresses are listened on in either case (a service whose
    socket unit serves every role but which listens on TCP on some roles).
    """
    sockets = systemd_sockets()
    if not sockets:
        sockets = [tcp_socket(h, p) for h, p in tcp or []] + [unix_socket(p) for p in unix or []]
    sockets += [tcp_socket(h, p) for h, p in extra_tcp or []]
    if not sockets:
        raise RuntimeError("nothing to listen on: no systemd sockets, no tcp, no unix")
    serve_sockets([(sock, router) for sock in sockets])


def socket_address(sock: socket.socket) -> str:
    """A listening socket's address as a unit file spells it: `/run/x.sock` or `0.0.0.0:80`."""
    name = sock.getsockname()
    if isinstance(name, tuple):
        return f"{name[0]}:{name[1]}"
    return name.decode() if isinstance(name, bytes) else str(name)


def serve_sockets(bindings: list[tuple[socket.socket, Router]]) -> None:
    """Serve forever, each socket with its own router (one API on several addresses)."""
    if not bindings:
        raise RuntimeError("nothing to listen on")
    servers = [_Server(sock, _handler_class(router)) for sock, router in bindings]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers[1:]]
    for thread in threads:
        thread.start()
    servers[0].serve_forever()
