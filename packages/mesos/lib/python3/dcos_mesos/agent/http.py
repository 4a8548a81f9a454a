"""The agent's HTTP endpoints on 5051: v0 JSON, /files, the v1 agent API, internal calls."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from dcos_mesos import MESOS_VERSION
from dcos_mesos.agent import files, stats, views
from dcos_mesos.agent.core import Agent
from dcos_mesos.ids import value
from dcos_mesos.master.views import BUILD
from dcos_mesos.resources import Resources
from dcos_mesos.streams import json_response

# How long a task's exit helper is kept waiting while the rest of its output is sent.
EXIT_DRAIN_S = 0.5


def text(status: int, body: str = "") -> web.Response:
    return web.Response(status=status, text=body)


def jsonp(request: web.Request, data: Any) -> web.Response:
    callback = request.query.get("jsonp")
    if callback:
        return web.Response(text=f"{callback}({json.dumps(data)});", content_type="text/javascript")
    return json_response(data)


class AgentHttp:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        from dcos_mesos.agent.sessions import Sessions

        self.sessions = Sessions(agent)

    async def container_usage(self) -> stats.Usage:
        running = [
            stats.Running(
                self.agent.container_of(record, task),
                record.kind,
                Resources.from_v1(task.info.get("resources")),
                record.id if task.container_id else "",
            )
            for record in self.agent.containers.values()
            for task in record.live_tasks()
            if task.unit
        ]
        return await stats.usage(running)

    # -- v0 ---------------------------------------------------------------------------

    async def state(self, request: web.Request) -> web.Response:
        return jsonp(request, views.state(self.agent))

    async def flags(self, request: web.Request) -> web.Response:
        return jsonp(request, {"flags": dict(self.agent.flags)})

    async def health(self, request: web.Request) -> web.Response:
        return text(200)

    async def version(self, request: web.Request) -> web.Response:
        return jsonp(request, {**BUILD, "version": MESOS_VERSION})

    async def metrics(self, request: web.Request) -> web.Response:
        agent = self.agent
        live = [t for r in agent.containers.values() for t in r.live_tasks()]
        used = Resources()
        for task in live:
            used = used + Resources.from_v1(task.info.get("resources"))
        out: dict[str, float] = {
            "slave/registered": 1.0 if agent.registered.is_set() else 0.0,
            "slave/uptime_secs": max(0.0, __import__("time").time() - agent.start_time),
            "slave/tasks_running": float(sum(t.state == "TASK_RUNNING" for t in live)),
            "slave/tasks_staging": float(sum(t.state == "TASK_STAGING" for t in live)),
            "slave/tasks_starting": 0.0,
            "slave/tasks_killing": float(sum(t.killing for t in live)),
            "slave/executors_running": float(len(agent.containers)),
            "containerizer/mesos/container_destroy_errors": 0.0,
        }
        for name in ("cpus", "mem", "disk", "gpus"):
            out[f"slave/{name}_total"] = agent.resources.scalar(name)
            out[f"slave/{name}_used"] = used.scalar(name)
            total = agent.resources.scalar(name)
            out[f"slave/{name}_percent"] = used.scalar(name) / total if total else 0.0
        for state in ("finished", "failed", "killed", "lost"):
            out[f"slave/tasks_{state}"] = agent.metrics.get(f"slave/tasks_{state}", 0.0)
        return json_response(out)

    async def monitor(self, request: web.Request) -> web.Response:
        return jsonp(request, views.monitor_statistics(self.agent, await self.container_usage()))

    async def containers(self, request: web.Request) -> web.Response:
        return jsonp(request, views.containers(self.agent, await self.container_usage()))

    async def containerizer_debug(self, request: web.Request) -> web.Response:
        return jsonp(request, {"pending": []})

    # -- /files -------------------------------------------------------------------------

    def _path(self, request: web.Request) -> tuple[Path, str]:
        path = request.query.get("path", "")
        return files.resolve(self.agent.store.work_dir, self.agent.agent_id, path), path

    async def files_browse(self, request: web.Request) -> web.Response:
        try:
            real, shown = self._path(request)
            return jsonp(request, files.browse(real, shown))
        except files.FilesError as exc:
            return text(exc.status, str(exc))

    async def files_read(self, request: web.Request) -> web.Response:
        try:
            real, _ = self._path(request)
            offset = int(request.query["offset"]) if "offset" in request.query else None
            length = int(request.query["length"]) if "length" in request.query else None
            return jsonp(request, files.read(real, offset, length))
        except ValueError:
            return text(400, "Failed to parse offset or length")
        except files.FilesError as exc:
            return text(exc.status, str(exc))

    async def files_download(self, request: web.Request) -> web.StreamResponse:
        try:
            real, _ = self._path(request)
        except files.FilesError as exc:
            return text(exc.status, str(exc))
        if real.is_dir():
            return text(400, "Cannot download a directory")
        return web.FileResponse(
            real,
            headers={
                "Content-Type": files.content_type(real),
                "Content-Disposition": f'attachment; filename="{real.name}"',
            },
        )

    # -- v1 agent API --------------------------------------------------------------------

    async def api(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return text(405, f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
        content_type = request.headers.get("Content-Type", "")
        if not content_type:
            return text(400, "Expecting 'Content-Type' to be present")
        if content_type.startswith("application/recordio"):
            return await self.sessions.attach_input(request)
        if not content_type.startswith("application/json"):
            return text(
                415, "Expecting 'Content-Type' of application/json (this agent speaks JSON only)"
            )
        try:
            call = json.loads(await request.read())
        except ValueError as exc:
            return text(400, f"Failed to parse body into JSON: {exc}")
        kind = call.get("type") if isinstance(call, dict) else None
        if not kind:
            return text(400, "Failed to validate agent::Call: Expecting 'type' to be present")
        agent = self.agent
        simple: dict[str, tuple[str, Callable[[], Any]]] = {
            "GET_HEALTH": ("get_health", lambda: {"healthy": True}),
            "GET_FLAGS": (
                "get_flags",
                lambda: {
                    "flags": [{"name": k, "value": v} for k, v in sorted(agent.flags.items())]
                },
            ),
            "GET_VERSION": (
                "get_version",
                lambda: {"version_info": {"version": MESOS_VERSION, **BUILD}},
            ),
            "GET_STATE": ("get_state", lambda: views.get_state(agent)),
            "GET_FRAMEWORKS": ("get_frameworks", lambda: views.get_frameworks(agent)),
            "GET_EXECUTORS": ("get_executors", lambda: views.get_executors(agent)),
            "GET_TASKS": ("get_tasks", lambda: views.get_tasks(agent)),
            "GET_AGENT": ("get_agent", lambda: views.get_agent(agent)),
            "GET_LOGGING_LEVEL": ("get_logging_level", lambda: {"level": 0}),
        }
        if kind in simple:
            key, make = simple[kind]
            return json_response({"type": kind, key: make()})
        if kind == "GET_METRICS":
            raw = json.loads((await self.metrics(request)).text or "{}")
            return json_response(
                {
                    "type": kind,
                    "get_metrics": {
                        "metrics": [{"name": k, "value": v} for k, v in sorted(raw.items())]
                    },
                }
            )
        if kind == "GET_CONTAINERS":
            return json_response(
                {
                    "type": kind,
                    "get_containers": views.get_containers(agent, await self.container_usage()),
                }
            )
        if kind == "LIST_FILES":
            path = (call.get("list_files") or {}).get("path", "")
            try:
                real = files.resolve(agent.store.work_dir, agent.agent_id, path)
            except files.FilesError as exc:
                return text(exc.status, str(exc))
            infos = []
            for info in files.browse(real, path):
                infos.append(
                    {
                        "path": info["path"],
                        "nlink": info["nlink"],
                        "size": info["size"],
                        "mtime": {"nanoseconds": info["mtime"] * 10**9},
                        "uid": info["uid"],
                        "gid": info["gid"],
                    }
                )
            return json_response({"type": kind, "list_files": {"file_infos": infos}})
        if kind == "READ_FILE":
            import base64

            spec = call.get("read_file") or {}
            try:
                real = files.resolve(agent.store.work_dir, agent.agent_id, spec.get("path", ""))
                size = real.stat().st_size
                with open(real, "rb") as f:
                    f.seek(int(spec.get("offset", 0)))
                    data = f.read(int(spec["length"]) if "length" in spec else size)
            except files.FilesError as exc:
                return text(exc.status, str(exc))
            return json_response(
                {"type": kind, "read_file": {"size": size, "data": base64.b64encode(data).decode()}}
            )
        if kind == "LAUNCH_NESTED_CONTAINER_SESSION":
            return await self.sessions.launch_session(request, call)
        if kind == "ATTACH_CONTAINER_OUTPUT":
            return await self.sessions.attach_output(request, call)
        if kind in (
            "LAUNCH_NESTED_CONTAINER",
            "WAIT_NESTED_CONTAINER",
            "KILL_NESTED_CONTAINER",
            "REMOVE_NESTED_CONTAINER",
        ):
            return await self.sessions.nested(request, call)
        return text(501, f"Call type {kind} is not implemented by this agent")

    # -- internal -------------------------------------------------------------------------

    async def _internal_body(self, request: web.Request) -> dict[str, Any] | None:
        body = await request.json()
        if not self.agent.accept_master(body):
            return None
        return dict(body)

    async def run_task(self, request: web.Request) -> web.Response:
        body = await self._internal_body(request)
        if body is None:
            return text(409, "Not the master this agent is registered with")
        self.agent.spawn(self.agent.run_task(body))
        return text(202)

    async def kill_task(self, request: web.Request) -> web.Response:
        body = await self._internal_body(request)
        if body is None:
            return text(409, "Not the master this agent is registered with")
        self.agent.spawn(
            self.agent.kill_task(value(body.get("framework_id")), value(body.get("task_id")))
        )
        return text(202)

    async def acknowledge(self, request: web.Request) -> web.Response:
        body = await self._internal_body(request)
        if body is None:
            return text(409, "Not the master this agent is registered with")
        self.agent.acknowledge(
            value(body.get("framework_id")), value(body.get("task_id")), str(body.get("uuid", ""))
        )
        return text(200)

    async def shutdown_framework(self, request: web.Request) -> web.Response:
        body = await self._internal_body(request)
        if body is None:
            return text(409, "Not the master this agent is registered with")
        self.agent.spawn(self.agent.shutdown_framework(value(body.get("framework_id"))))
        return text(202)

    async def shutdown_executor(self, request: web.Request) -> web.Response:
        body = await self._internal_body(request)
        if body is None:
            return text(409, "Not the master this agent is registered with")
        self.agent.spawn(
            self.agent.shutdown_executor(
                value(body.get("framework_id")), value(body.get("executor_id"))
            )
        )
        return text(202)

    async def container_exited(self, request: web.Request) -> web.Response:
        if request.remote not in ("127.0.0.1", "::1"):
            return text(403, "Only the node itself reports container exits")
        container_id = request.match_info["cid"]
        sent = self.agent.finish_output(container_id)
        self.agent.spawn(self.agent.container_exited(container_id))
        if sent is not None:
            # The unit's exit helper waits for this answer, so the rest of the task's output
            # goes to the journal while a process of the unit lives: filed under the unit.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(sent), EXIT_DRAIN_S)
        return text(202)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        r = app.router
        for prefix in ("", "/slave(1)"):
            r.add_get(prefix + "/state", self.state)
            r.add_get(prefix + "/state.json", self.state)
            r.add_get(prefix + "/flags", self.flags)
            r.add_get(prefix + "/health", self.health)
            r.add_get(prefix + "/containers", self.containers)
            r.add_route("*", prefix + "/api/v1", self.api)
        r.add_get("/version", self.version)
        r.add_get("/metrics/snapshot", self.metrics)
        r.add_get("/monitor/statistics", self.monitor)
        r.add_get("/monitor/statistics.json", self.monitor)
        r.add_get("/containerizer/debug", self.containerizer_debug)
        for suffix in ("", ".json"):
            r.add_get("/files/browse" + suffix, self.files_browse)
            r.add_get("/files/read" + suffix, self.files_read)
            r.add_get("/files/download" + suffix, self.files_download)
        r.add_post("/internal/run_task", self.run_task)
        r.add_post("/internal/kill_task", self.kill_task)
        r.add_post("/internal/acknowledge", self.acknowledge)
        r.add_post("/internal/shutdown_framework", self.shutdown_framework)
        r.add_post("/internal/shutdown_executor", self.shutdown_executor)
        r.add_post("/internal/container_exited/{cid}", self.container_exited)
        return app
