"""Followers answer `/v2` requests by forwarding them to the leader (Marathon's RequestForwarder).

The forwarded request carries `Via: 1.1 <me>`; a request that already passed
through this Marathon is a proxying loop and is refused, as Marathon does.
Streams (the event stream) are relayed as they arrive.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}

_session: aiohttp.ClientSession | None = None


def session() -> aiohttp.ClientSession:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, connect=5, sock_read=None),
            auto_decompress=False,
        )
    return _session


async def forward(request: web.Request, leader: str, me: str) -> web.StreamResponse:
    via = request.headers.getall("Via", [])
    if any(me in v for v in via):
        return web.json_response({"message": "Detected proxying loop."}, status=502)
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() != "via"
    }
    headers["Via"] = ", ".join([*via, f"1.1 {me}"])
    if request.remote:
        headers["X-Forwarded-For"] = request.remote
    body = await request.read()
    url = f"http://{leader}{request.rel_url}"
    try:
        upstream = await session().request(
            request.method, url, data=body if body else None, headers=headers, allow_redirects=False
        )
    except (aiohttp.ClientError, OSError) as exc:
        return web.json_response(
            {"message": f"Failed to proxy to the leader {leader}: {exc}"}, status=503
        )
    try:
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        for key, value in upstream.headers.items():
            if key.lower() not in HOP_BY_HOP:
                response.headers.add(key, value)
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        upstream.release()
