"""octarine's command line (Go-style flags: -mode, -client, -port, -bindPort, ...)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import MAX_PORT_LENGTH, VERSION
from .proxy import MODES, Server, handler_class
from .srv import Cache

log = logging.getLogger("octarine")


def sockets(instance: str) -> tuple[Path, Path]:
    """(query socket the server listens on, port socket the client listens on)."""
    folder = Path(tempfile.gettempdir()) / "octarine"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{instance}.query.sock", folder / f"{instance}.port.sock"


def _listen_unix(path: Path) -> socket.socket:
    if path.exists():
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(16)
    return sock


def answer_port_queries(query_sock: Path, port_sock: Path, port: int) -> None:
    """For each client that knocks on the query socket, write our port to its port socket."""
    listener = _listen_unix(query_sock)
    while True:
        conn, _ = listener.accept()
        conn.close()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as out:
                out.connect(str(port_sock))
                out.sendall(str(port).encode())
        except OSError as exc:
            log.warning("dial error: %s", exc)


def query_port(query_sock: Path, port_sock: Path) -> str:
    listener = _listen_unix(port_sock)
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as knock:
                knock.connect(str(query_sock))
                knock.sendall(b" ")
            break
        except OSError as exc:
            log.warning("dial error: %s", exc)
            time.sleep(1)
    conn, _ = listener.accept()
    with conn:
        return conn.recv(MAX_PORT_LENGTH).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="octarine", prefix_chars="-")
    parser.add_argument("-cache-timeout", "--cache-timeout", type=int, default=5)
    parser.add_argument("-verbose", "--verbose", action="store_true")
    parser.add_argument("-client", "--client", action="store_true")
    parser.add_argument("-mode", "--mode", default="")
    parser.add_argument("-version", "--version", action="store_true")
    parser.add_argument("-bindPort", "--bindPort", type=int, default=0)
    parser.add_argument("-port", "--port", action="store_true")
    parser.add_argument("id", nargs="?", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(name)s: %(message)s"
    )
    if args.version:
        sys.stdout.write(str(VERSION))
        return 0
    if not args.id:
        log.error("Please supply an identifier for this proxy instance")
        return 1
    query_sock, port_sock = sockets(args.id)
    if args.client:
        if args.port:
            print(query_port(query_sock, port_sock))
        return 0
    if not args.mode:
        log.error("Please supply a proxy mode")
        return 1
    if args.mode not in MODES:
        log.error("%s is an invalid proxy mode", args.mode)
        return 1
    server = Server(
        ("127.0.0.1", args.bindPort), handler_class(args.mode, Cache(args.cache_timeout))
    )
    port = server.server_address[1]
    threading.Thread(
        target=answer_port_queries, args=(query_sock, port_sock, port), daemon=True
    ).start()
    log.info("%s proxy %s on 127.0.0.1:%d (pid %d)", args.mode, args.id, port, os.getpid())
    server.serve_forever()
    return 0
