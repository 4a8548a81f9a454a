"""Mesos-DNS's HTTP API on port 8123 (`/v1/version`, `/v1/config`, `/v1/hosts/{host}`,
`/v1/services/{service}`, `/v1/enumerate`, `/v1/axfr`), with its field names and its
"empty record" answers for names it does not know.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from dcos_mesos_dns import VERSION
from dcos_mesos_dns.answer import Answerer, clean_wild
from dcos_mesos_dns.config import Config
from dcos_mesos_dns.records import Records

URL = "https://github.com/mesosphere/mesos-dns"


def _json(value: Any) -> web.Response:
    return web.Response(text=json.dumps(value) + "\n", content_type="application/json")


def _fqdn(name: str) -> str:
    name = clean_wild(name).lower()
    return name if name.endswith(".") else name + "."


def make_app(config: Config, answerer: Answerer) -> web.Application:
    def records() -> Records:
        return answerer.records or Records()

    async def version(_: web.Request) -> web.Response:
        return _json({"Service": "Mesos-DNS", "URL": URL, "Version": VERSION})

    async def config_view(_: web.Request) -> web.Response:
        return _json(config.as_json(answerer.serial))

    async def hosts(request: web.Request) -> web.Response:
        name = _fqdn(request.match_info["host"])
        rs = records()
        found = [{"host": name, "ip": ip} for ip in [*rs.a.get(name, ()), *rs.aaaa.get(name, ())]]
        return _json(found or [{"host": "", "ip": ""}])

    async def host_ports(_: web.Request) -> web.Response:
        return web.Response(status=501, text="To be implemented...")

    async def services(request: web.Request) -> web.Response:
        service = request.match_info["service"]
        rs = records()
        found = []
        for target in rs.srv.get(_fqdn(service), ()):
            host, _, port = target.rpartition(":")
            found.append(
                {"service": service, "host": host, "ip": rs.a.first(host) or "", "port": port}
            )
        return _json(found or [{"service": "", "host": "", "ip": "", "port": ""}])

    async def enumerate_(_: web.Request) -> web.Response:
        return _json({"frameworks": records().frameworks})

    async def axfr(_: web.Request) -> web.Response:
        rs = records()
        return _json(
            {
                "Records": {"SRVs": rs.srv.export(), "As": rs.a.export()},
                "Serial": answerer.serial,
                "Mname": config.soa_mname,
                "Rname": config.soa_rname,
                "TTL": config.ttl,
                "RefreshSeconds": config.refresh_seconds,
                "Domain": config.domain,
            }
        )

    routes: list[tuple[str, Callable[[web.Request], Any]]] = [
        ("/v1/version", version),
        ("/v1/config", config_view),
        ("/v1/hosts/{host}", hosts),
        ("/v1/hosts/{host}/ports", host_ports),
        ("/v1/services/{service}", services),
        ("/v1/enumerate", enumerate_),
        ("/v1/axfr", axfr),
    ]
    app = web.Application()
    for path, handler in routes:
        app.router.add_get(path, handler)
    return app
