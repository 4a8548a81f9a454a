"""The proxy: HTTP requests forwarded as octarine rewrites their host, CONNECT tunnelled."""

from __future__ import annotations

import http.client
import logging
import select
import socket
import socketserver
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from . import DCOS_DOMAIN
from .srv import Cache, LookupError_

log = logging.getLogger("octarine")

STANDARD, TRANSPARENT = "standard", "transparent"
MODES = (STANDARD, TRANSPARENT)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
}
TIMEOUT_S = 60.0


def rewrite(host: str, mode: str, srv: Cache) -> str:
    """The host[:port] a request for `host` goes to."""
    if mode == TRANSPARENT:
        if ":" in host:
            host = host.split(":")[0]
        if host.endswith(DCOS_DOMAIN):
            host = host[: -len(DCOS_DOMAIN)]
    if host.startswith("_"):
        try:
            target, port = srv.get(host)
        except LookupError_ as exc:
            log.warning("%s", exc)
            return host
        return f"{target}:{port}"
    return host


def handler_class(mode: str, srv: Cache) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

        def _forward(self) -> None:
            url = urlsplit(self.path)
            if url.scheme and url.netloc:  # a proxy request: the URL names the host
                host, path = url.netloc, url.path or "/"
            else:  # sent to us directly: the Host header names it
                host, path = self.headers.get("Host", ""), url.path or "/"
                if not host:
                    message = b"Cannot handle requests without Host header, e.g., HTTP 1.0\n"
                    self._reply(200, message, "text/plain; charset=utf-8")
                    return
            if url.query:
                path += "?" + url.query
            target = rewrite(host, mode, srv)
            length = int(self.headers.get("Content-Length") or 0)
            body: bytes | None = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            name, _, port = target.partition(":")
            try:
                conn = http.client.HTTPConnection(name, int(port or 80), timeout=TIMEOUT_S)
                conn.request(self.command, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self._reply(502, f"{target}: {exc}\n".encode(), "text/plain; charset=utf-8")
                return
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_CONNECT(self) -> None:
            target = rewrite(self.path, mode, srv)
            name, _, port = target.partition(":")
            try:
                upstream = socket.create_connection((name, int(port or 443)), timeout=TIMEOUT_S)
            except (OSError, ValueError) as exc:
                self._reply(502, f"{target}: {exc}\n".encode(), "text/plain; charset=utf-8")
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            self.close_connection = True
            sockets = [self.connection, upstream]
            with upstream:
                while True:
                    ready, _, _ = select.select(sockets, [], [], TIMEOUT_S)
                    if not ready:
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward

    return Handler


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
