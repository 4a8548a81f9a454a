"""Serving an aiohttp app on a TCP address and a Unix socket at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import web
from dcos_internal_utils import aio


async def _hello(request: web.Request) -> web.Response:
    return web.json_response({"path": request.path})


def test_serves_tcp_and_unix_at_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/hello", _hello)
        sock_path = str(tmp_path / "api.sock")
        runner = await aio.serve(app, tcp=[("127.0.0.1", 0)], unix=[sock_path])
        try:
            # A TCP site names itself http://host:port; a Unix one http://unix:path:
            tcp_site = next(s for s in runner.sites if "unix" not in s.name)
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{tcp_site.name}/hello") as response,
            ):
                assert (await response.json()) == {"path": "/hello"}
            connector = aiohttp.UnixConnector(path=sock_path)
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                session.get("http://localhost/hello") as response,
            ):
                assert response.status == 200
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
