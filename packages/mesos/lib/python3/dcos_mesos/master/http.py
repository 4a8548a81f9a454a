"""The master's HTTP endpoints: v0 JSON, the v1 scheduler and operator APIs, internal calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from dcos_mesos import MESOS_VERSION
from dcos_mesos.ids import new_uuid, value
from dcos_mesos.master import views
from dcos_mesos.master.core import HEARTBEAT_INTERVAL_S, Master
from dcos_mesos.streams import EventStream, json_response

WEBUI = Path(__file__).resolve().parent / "webui" / "index.html"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SCHEDULER_CALLS = (
    "SUBSCRIBE",
    "TEARDOWN",
    "ACCEPT",
    "DECLINE",
    "ACCEPT_INVERSE_OFFERS",
    "DECLINE_INVERSE_OFFERS",
    "REVIVE",
    "SUPPRESS",
    "KILL",
    "SHUTDOWN",
    "ACKNOWLEDGE",
    "RECONCILE",
    "MESSAGE",
    "REQUEST",
    "UNKNOWN",
)
CALL_FIELDS = {
    "ACCEPT": "accept",
    "DECLINE": "decline",
    "KILL": "kill",
    "SHUTDOWN": "shutdown",
    "ACKNOWLEDGE": "acknowledge",
    "RECONCILE": "reconcile",
    "MESSAGE": "message",
    "REQUEST": "request",
    "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers",
    "DECLINE_INVERSE_OFFERS": "decline_inverse_offers",
}


def text(status: int, body: str = "", headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=body, headers=headers)


def jsonp(request: web.Request, data: Any) -> web.Response:
    callback = request.query.get("jsonp")
    if callback:
        return web.Response(text=f"{callback}({json.dumps(data)});", content_type="text/javascript")
    return json_response(data)


class MasterHttp:
    def __init__(self, master: Master) -> None:
        self.master = master

    # -- leader plumbing ------------------------------------------------------

    def redirect(self, request: web.Request) -> web.Response:
        leader = self.master.leader_info
        if leader is None:
            return text(503, "No leader elected")
        host = leader.get("hostname") or leader.get("address", {}).get("ip")
        base = f"//{host}:{leader.get('port', 5050)}"
        path = request.path
        if path in ("/redirect", "/master/redirect"):
            return text(307, headers={"Location": base})
        if path.startswith(("/redirect/", "/master/redirect/")):
            return text(404)
        return text(307, headers={"Location": base + str(request.rel_url)})

    def leading(self) -> bool:
        return self.master.elected

    # -- v0 -----------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        return jsonp(request, views.state(self.master))

    async def state_summary(self, request: web.Request) -> web.Response:
        return jsonp(request, views.state_summary(self.master))

    async def slaves(self, request: web.Request) -> web.Response:
        return jsonp(request, views.slaves(self.master))

    async def frameworks(self, request: web.Request) -> web.Response:
        return jsonp(request, views.frameworks(self.master))

    async def tasks(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", 100))
            offset = int(request.query.get("offset", 0))
        except ValueError:
            return text(400, "Failed to parse 'limit' or 'offset'")
        order = request.query.get("order", "des")
        return jsonp(request, views.tasks(self.master, limit, offset, order))

    async def roles(self, request: web.Request) -> web.Response:
        return jsonp(request, views.roles(self.master))

    async def webui(self, request: web.Request) -> web.Response:
        """The web UI at `/` (DC/OS shows it at /mesos): a page over ./master/state."""
        return web.Response(body=WEBUI.read_bytes(), content_type="text/html")

    async def health(self, request: web.Request) -> web.Response:
        return text(200)

    async def metrics(self, request: web.Request) -> web.Response:
        return json_response(views.metrics(self.master))

    async def version(self, request: web.Request) -> web.Response:
        return jsonp(request, {**views.BUILD, "version": MESOS_VERSION})

    async def flags(self, request: web.Request) -> web.Response:
        return jsonp(request, {"flags": dict(self.master.flags.values)})

    async def redirect_endpoint(self, request: web.Request) -> web.Response:
        return self.redirect(request)

    async def teardown(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return text(
                405,
                f"Expecting one of {{ 'POST' }}, but received '{request.method}'",
                headers={"Allow": "POST"},
            )
        if not self.leading():
            return self.redirect(request)
        form = await request.post()
        framework_id = str(form.get("frameworkId") or request.query.get("frameworkId") or "")
        if not framework_id:
            return text(400, "Missing 'frameworkId' query parameter in the request body")
        if not await self.master.teardown(framework_id):
            return text(400, "No framework found with specified ID")
        return text(200)

    # -- v1 scheduler ---------------------------------------------------------------

    async def scheduler(self, request: web.Request) -> web.StreamResponse:
        if not self.leading():
            return self.redirect(request)
        if request.method != "POST":
            return text(
                405,
                f"Expecting one of {{ 'POST' }}, but received '{request.method}'",
                headers={"Allow": "POST"},
            )
        content_type = request.headers.get("Content-Type")
        if not content_type:
            return text(400, "Expecting 'Content-Type' to be present")
        if not content_type.startswith("application/json"):
            return text(
                415,
                "Expecting 'Content-Type' of application/json or "
                "application/x-protobuf (this master speaks JSON only)",
            )
        try:
            call = json.loads(await request.read())
        except ValueError as exc:
            return text(400, f"Failed to parse body into JSON: {exc}")
        if not isinstance(call, dict):
            return text(400, "Failed to convert JSON into Call protobuf: Expecting a JSON object")
        error = validate_scheduler_call(call)
        if error:
            return text(400, f"Failed to validate scheduler::Call: {error}")
        kind = call["type"]
        if kind == "SUBSCRIBE":
            accept = request.headers.get("Accept", "application/json")
            if "application/json" not in accept and "*/*" not in accept:
                return text(
                    406,
                    "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
                )
            if "Mesos-Stream-Id" in request.headers:
                return text(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
            return await self._subscribe(request, call)
        framework = self.master.frameworks.get(value(call.get("framework_id")))
        if framework is None:
            return text(400, "Framework cannot be found")
        if not framework.connected or framework.stream is None:
            return text(403, "Framework is not subscribed")
        stream_id = request.headers.get("Mesos-Stream-Id")
        if not stream_id:
            return text(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
        if stream_id != framework.stream.stream_id:
            return text(
                400,
                f"The stream ID '{stream_id}' included in this request didn't match "
                f"the stream ID currently associated with framework ID {framework.id}",
            )
        master = self.master
        if kind == "TEARDOWN":
            await master.remove_framework(framework)
        elif kind == "ACCEPT":
            master.accept(framework, call)
        elif kind == "DECLINE":
            master.decline(framework, call)
        elif kind == "REVIVE":
            master.revive(framework, call)
        elif kind == "SUPPRESS":
            master.suppress(framework, call)
        elif kind == "KILL":
            master.kill(framework, call)
        elif kind == "SHUTDOWN":
            master.shutdown(framework, call)
        elif kind == "ACKNOWLEDGE":
            master.acknowledge(framework, call)
        elif kind == "RECONCILE":
            master.reconcile(framework, call)
        # MESSAGE, REQUEST and the inverse-offer calls are accepted and have no effect here.
        return text(202)

    async def _subscribe(self, request: web.Request, call: dict[str, Any]) -> web.StreamResponse:
        stream = EventStream(new_uuid())
        error = await self.master.subscribe(call, stream)
        if error is not None:
            return text(400, f"Failed to validate scheduler::Call: {error}")
        framework_id = ""
        for framework in self.master.frameworks.values():
            if framework.stream is stream:
                framework_id = framework.id
        heartbeat = asyncio.create_task(_heartbeats(stream))
        try:
            return await stream.pump(request, {"Mesos-Stream-Id": stream.stream_id})
        finally:
            heartbeat.cancel()
            self.master.disconnected(framework_id, stream)

    # -- v1 operator ----------------------------------------------------------------

    async def operator(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return text(
                405,
                f"Expecting one of {{ 'POST' }}, but received '{request.method}'",
                headers={"Allow": "POST"},
            )
        content_type = request.headers.get("Content-Type")
        if not content_type:
            return text(400, "Expecting 'Content-Type' to be present")
        if not content_type.startswith("application/json"):
            return text(
                415,
                "Expecting 'Content-Type' of application/json or "
                "application/x-protobuf (this master speaks JSON only)",
            )
        try:
            call = json.loads(await request.read())
        except ValueError as exc:
            return text(400, f"Failed to parse body into JSON: {exc}")
        kind = call.get("type") if isinstance(call, dict) else None
        if not kind:
            return text(400, "Failed to validate master::Call: Expecting 'type' to be present")
        master = self.master
        local = {
            "GET_HEALTH",
            "GET_FLAGS",
            "GET_VERSION",
            "GET_METRICS",
            "GET_MASTER",
            "GET_LOGGING_LEVEL",
        }
        if kind not in local and not self.leading():
            return self.redirect(request)
        if kind == "GET_HEALTH":
            return json_response({"type": kind, "get_health": {"healthy": True}})
        if kind == "GET_FLAGS":
            flags = [{"name": k, "value": v} for k, v in sorted(master.flags.values.items())]
            return json_response({"type": kind, "get_flags": {"flags": flags}})
        if kind == "GET_VERSION":
            return json_response(
                {
                    "type": kind,
                    "get_version": {"version_info": {"version": MESOS_VERSION, **views.BUILD}},
                }
            )
        if kind == "GET_METRICS":
            metrics = [{"name": k, "value": v} for k, v in sorted(views.metrics(master).items())]
            return json_response({"type": kind, "get_metrics": {"metrics": metrics}})
        if kind == "GET_LOGGING_LEVEL":
            return json_response({"type": kind, "get_logging_level": {"level": 0}})
        if kind == "GET_MASTER":
            return json_response({"type": kind, "get_master": {"master_info": master.info}})
        getters = {
            "GET_STATE": ("get_state", views.get_state),
            "GET_AGENTS": ("get_agents", views.get_agents),
            "GET_FRAMEWORKS": ("get_frameworks", views.get_frameworks),
            "GET_EXECUTORS": ("get_executors", views.get_executors),
            "GET_TASKS": ("get_tasks", views.get_tasks),
            "GET_ROLES": ("get_roles", views.get_roles),
        }
        if kind in getters:
            key, getter = getters[kind]
            return json_response({"type": kind, key: getter(master)})
        if kind == "GET_WEIGHTS":
            return json_response({"type": kind, "get_weights": {"weight_infos": []}})
        if kind == "SUBSCRIBE":
            stream = EventStream()
            stream.send(
                {
                    "type": "SUBSCRIBED",
                    "subscribed": {
                        "get_state": views.get_state(master),
                        "heartbeat_interval_seconds": HEARTBEAT_INTERVAL_S,
                    },
                }
            )
            master.subscribers.append(stream)
            heartbeat = asyncio.create_task(_heartbeats(stream))
            try:
                return await stream.pump(request, {})
            finally:
                heartbeat.cancel()
                stream.close()
        return text(501, f"Call type {kind} is not implemented by this master")

    # -- internal: agents -----------------------------------------------------------

    async def agent_register(self, request: web.Request) -> web.Response:
        if not self.leading():
            return text(503, "Not the leading master")
        body = await request.json()
        return json_response(await self.master.register_agent(body))

    async def agent_ping(self, request: web.Request) -> web.Response:
        if not self.leading():
            return text(503, "Not the leading master")
        body = await request.json()
        if not self.master.agent_pinged(value(body.get("agent_id"))):
            return text(404, "Unknown agent: re-register")
        return json_response({})

    async def agent_status(self, request: web.Request) -> web.Response:
        if not self.leading():
            return text(503, "Not the leading master")
        body = await request.json()
        if value(body.get("agent_id")) not in self.master.agents:
            return text(404, "Unknown agent: re-register")
        return json_response(self.master.status_from_agent(body), status=202)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        r = app.router
        for prefix in ("", "/master"):
            r.add_get(prefix + "/state", self.state)
            r.add_get(prefix + "/state.json", self.state)
            r.add_get(prefix + "/state-summary", self.state_summary)
            r.add_get(prefix + "/slaves", self.slaves)
            r.add_get(prefix + "/slaves.json", self.slaves)
            r.add_get(prefix + "/frameworks", self.frameworks)
            r.add_get(prefix + "/frameworks.json", self.frameworks)
            r.add_get(prefix + "/tasks", self.tasks)
            r.add_get(prefix + "/tasks.json", self.tasks)
            r.add_get(prefix + "/roles", self.roles)
            r.add_get(prefix + "/roles.json", self.roles)
            r.add_get(prefix + "/health", self.health)
            r.add_get(prefix + "/flags", self.flags)
            r.add_route("*", prefix + "/redirect", self.redirect_endpoint)
            r.add_route("*", prefix + "/redirect/{tail:.*}", self.redirect_endpoint)
            r.add_route("*", prefix + "/teardown", self.teardown)
            r.add_route("*", prefix + "/api/v1/scheduler", self.scheduler)
            r.add_route("*", prefix + "/api/v1", self.operator)
        r.add_get("/", self.webui)
        r.add_get("/metrics/snapshot", self.metrics)
        r.add_get("/version", self.version)
        r.add_post("/internal/agent/register", self.agent_register)
        r.add_post("/internal/agent/ping", self.agent_ping)
        r.add_post("/internal/agent/status", self.agent_status)
        return app


async def _heartbeats(stream: EventStream) -> None:
    while not stream.closed:
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)
        stream.send({"type": "HEARTBEAT"})


def validate_scheduler_call(call: dict[str, Any]) -> str:
    kind = call.get("type")
    if not kind:
        return "Expecting 'type' to be present"
    if kind not in SCHEDULER_CALLS:
        return f"Failed to convert JSON into Call protobuf: unknown call type '{kind}'"
    if kind == "SUBSCRIBE":
        if "subscribe" not in call:
            return "Expecting 'subscribe' to be present"
        info = call["subscribe"].get("framework_info") or {}
        if value(info.get("id")) != value(call.get("framework_id")):
            return "'framework_id' differs from 'subscribe.framework_info.id'"
        return ""
    if "framework_id" not in call:
        return "Expecting 'framework_id' to be present"
    field = CALL_FIELDS.get(kind)
    if field and field not in call:
        return f"Expecting '{field}' to be present"
    return ""
