"""Serving an aiohttp application the way DC/OS's components listen.

On systemd's sockets when it passes any (socket activation, LISTEN_FDS),
otherwise on the TCP addresses and Unix sockets given; all of them at once.
Components that stream (RecordIO, server-sent events) use aiohttp (Debian's
python3-aiohttp); small request/response APIs may use `dcos_internal_utils.http`.

    app = web.Application()
    app.router.add_get("/health", health)
    aio.run(app, tcp=[("0.0.0.0", 5050)])
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from dcos_internal_utils.http import systemd_sockets, tcp_socket, unix_socket


def listening_sockets(
    tcp: list[tuple[str, int]] | None = None, unix: list[str] | None = None
) -> list[socket.socket]:
    sockets = systemd_sockets()
    if not sockets:
        sockets = [tcp_socket(h, p) for h, p in tcp or []] + [unix_socket(p) for p in unix or []]
    if not sockets:
        raise RuntimeError("nothing to listen on: no systemd sockets, no tcp, no unix")
    return sockets


async def serve(
    app: web.Application,
    tcp: list[tuple[str, int]] | None = None,
    unix: list[str] | None = None,
) -> web.AppRunner:
    """Start serving `app`; returns the runner (`await runner.cleanup()` stops it)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    for sock in listening_sockets(tcp, unix):
        sock.setblocking(False)
        await web.SockSite(runner, sock, shutdown_timeout=2.0).start()
    return runner


def run(
    app: web.Application,
    tcp: list[tuple[str, int]] | None = None,
    unix: list[str] | None = None,
    main: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Serve `app` (and run `main` beside it, if given) until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = await serve(app, tcp, unix)
        task: asyncio.Task[None] | None = asyncio.create_task(main()) if main else None
        waiters = [asyncio.create_task(stop.wait())] + ([task] if task else [])
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if task is not None and task in done:
            task.result()  # a background loop that ended raises here: let systemd restart us
        if task is not None:
            task.cancel()
        await runner.cleanup()

    asyncio.run(_main())
