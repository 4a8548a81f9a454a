"""Navstar's HTTP API on 62080 (Admin Router serves it at /net/ on masters)."""

from __future__ import annotations

from aiohttp import web

from dcos_navstar import VERSION
from dcos_navstar.controller import Controller


def app(controller: Controller) -> web.Application:
    async def version(request: web.Request) -> web.Response:
        return web.json_response({"Service": "navstar", "Version": VERSION})

    async def vips(request: web.Request) -> web.Response:
        return web.json_response([v.to_json() for v in controller.vips])

    async def records(request: web.Request) -> web.Response:
        return web.json_response([r.to_json() for r in controller.records])

    async def hosts(request: web.Request) -> web.Response:
        name = request.match_info["name"].rstrip(".").lower()
        found = [{"host": r.name, "ip": r.ip} for r in controller.records if r.name == name]
        return web.json_response(found, status=200 if found else 404)

    async def metrics(request: web.Request) -> web.Response:
        counts = controller.connections()
        out = []
        for view in controller.vips:
            key = f"{view.address}:{view.vip.port}/{view.vip.protocol}"
            out.append(
                {
                    "vip": str(view.vip),
                    "protocol": view.vip.protocol,
                    "address": view.address,
                    "backends": len(view.backends),
                    "connections": counts.get(key, 0),
                }
            )
        return web.json_response({"vips": out})

    application = web.Application()
    r = application.router
    r.add_get("/v1/version", version)
    r.add_get("/v1/vips", vips)
    r.add_get("/v1/records", records)
    r.add_get("/v1/hosts/{name}", hosts)
    r.add_get("/v1/metrics", metrics)
    return application
