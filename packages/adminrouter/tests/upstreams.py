"""Recorded upstreams for Admin Router's tests, run inside a node container.

They answer what the real components answer for the requests Admin Router
makes: a Mesos master's /master/state-summary and web UI, an agent, Marathon's
/v2/apps, Mesos-DNS's /v1/services, Exhibitor. Everything else echoes the
request as JSON so the tests can see what reached the upstream.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

LOCAL = "127.0.0.1"
AGENT_ID = "8b8a4a1c-6c52-4f7e-9d3b-0f2b4c9e1a00-S0"
STATE_SUMMARY = {
    "hostname": LOCAL,
    "cluster": "minidcos",
    "slaves": [{"id": AGENT_ID, "pid": f"slave(1)@{LOCAL}:5051", "hostname": LOCAL}],
    "frameworks": [
        {"id": "fw-0000", "name": "marathon", "webui_url": f"http://{LOCAL}:8080"},
        {"id": "fw-0001", "name": "no-ui", "webui_url": ""},
        {"id": "fw-0002", "name": "with-path", "webui_url": f"http://{LOCAL}:9300/ui/"},
    ],
}


def app_definition(app_id: str, name: str, port_index: str, port: int) -> dict[str, object]:
    return {
        "id": app_id,
        "labels": {
            "DCOS_SERVICE_NAME": name,
            "DCOS_SERVICE_SCHEME": "http",
            "DCOS_SERVICE_PORT_INDEX": port_index,
        },
        "networks": [{"mode": "container/bridge"}],
        "tasks": [
            {
                "id": f"{app_id}.1",
                "state": "TASK_RUNNING",
                "host": LOCAL,
                "ports": [port],
                "ipAddresses": [{"ipAddress": "203.0.113.9"}],
            }
        ],
    }


APPS = {
    "apps": [
        app_definition("/group/bad", "group/bad", "1", 9101),  # no port at index 1
        app_definition("/group/good", "group/good", "0", 9100),
        {"id": "/broken", "labels": {"DCOS_SERVICE_NAME": "broken"}, "tasks": "not a list"},
    ]
}


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "port": request.transport.get_extra_info("sockname")[1] if request.transport else 0,
            "path": request.path,
            "query": request.query_string,
            "cookie": request.headers.get("Cookie", ""),
        }
    )


def echo_app(routes: dict[str, object] | None = None) -> web.Application:
    app = web.Application()
    for path, handler in (routes or {}).items():
        app.router.add_get(path, handler)  # type: ignore[arg-type]
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def mesos_ui(_: web.Request) -> web.Response:
    return web.Response(
        text="<html><head><title>Mesos</title></head></html>", content_type="text/html"
    )


async def master_redirect(_: web.Request) -> web.Response:
    return web.Response(status=307, headers={"Location": f"//{LOCAL}:5050"})


async def exhibitor_root(request: web.Request) -> web.Response:
    # Exhibitor sends its UI's absolute URL, built from the Host header.
    return web.Response(
        status=302, headers={"Location": f"http://{request.host}/exhibitor/v1/ui/index.html"}
    )


def constant(value: object):  # type: ignore[no-untyped-def]
    async def handler(_: web.Request) -> web.Response:
        return web.json_response(value)

    return handler


# dcos-oauth: the users Admin Router's token check asks about, and the UI config.
USERS = {"alice@example.com"}


async def iam_user(request: web.Request) -> web.Response:
    if request.match_info["uid"] in USERS:
        return web.json_response({"uid": request.match_info["uid"]})
    return web.json_response({"title": "Not Found", "description": "User Not Found"}, status=404)


async def main() -> None:
    servers = {
        5050: echo_app(
            {
                "/master/state-summary": constant(STATE_SUMMARY),
                "/": mesos_ui,
                "/master/redirect": master_redirect,
            }
        ),
        5051: echo_app(),
        8080: echo_app({"/v2/apps": constant(APPS)}),
        8123: echo_app(
            {
                "/v1/services/_no-ui._tcp.marathon.mesos": constant(
                    [
                        {
                            "service": "_no-ui._tcp.marathon.mesos",
                            "host": "no-ui.marathon.slave.mesos.",
                            "ip": LOCAL,
                            "port": "9200",
                        }
                    ]
                )
            }
        ),
        8181: echo_app({"/": exhibitor_root}),
        8101: echo_app(
            {
                "/acs/api/v1/users/{uid}": iam_user,
                "/dcos-metadata/ui-config.json": constant({"uiConfiguration": {}}),
            }
        ),
        7070: echo_app(),  # Cosmos
        9100: echo_app(),
        9101: echo_app(),
        9200: echo_app(),
        9300: echo_app(),
    }
    for port, app in servers.items():
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, LOCAL, port).start()
    print("upstreams ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
