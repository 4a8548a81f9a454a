"""Marathon's REST API (v2), on aiohttp.

Paths take run spec ids with slashes (`/v2/apps/group/app/tasks`), so each
resource has one catch-all route that splits the tail as Marathon's Jersey
resources do. Followers proxy every `/v2` request to the leader (LeaderProxyFilter).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import (
    MARATHON_VERSION,
    apps,
    bodies,
    core,
    errors,
    instances,
    jsonread,
    labels,
    pathid,
    plan,
    pods,
    ramltypes,
    runspecs,
    timestamps,
    views,
)
from .core import Marathon
from .election import Election
from .errors import (
    BadRequestError,
    ConflictError,
    MarathonError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from .groups import Group
from .proxy import forward
from .tasks import spawn

log = logging.getLogger("marathon.api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEPLOYMENT_HEADER = "Marathon-Deployment-Id"
LEADER_HEADER = "X-Marathon-Leader"
SSE_KEEPALIVE_S = 30.0
# The web UI at /ui/ (DC/OS shows it at /marathon/ui/ and /service/marathon/ui/).
WEBUI = Path(__file__).resolve().parent / "webui" / "index.html"


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(bodies.numbers(data), separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def flag(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


def deployment_result(p: plan.Plan, status: int = 200, location: str | None = None) -> web.Response:
    headers = {DEPLOYMENT_HEADER: p.id}
    if location is not None:
        headers["Location"] = location
    return json_response({"version": p.version, "deploymentId": p.id}, status, headers)


class Api:
    def __init__(self, core: Marathon, election: Election) -> None:
        self.core = core
        self.election = election

    # --- the application ------------------------------------------------------------------

    def build(self) -> web.Application:
        app = web.Application(
            middlewares=[self.errors_middleware, self.leader_middleware],
            client_max_size=16 * 1024**2,
        )
        r = app.router
        r.add_get("/ping", self.ping)
        r.add_get("/metrics", self.metrics)
        r.add_get("/", self.root_page)
        r.add_get("/ui/", self.ui_page)
        r.add_get("/v2/info", self.info)
        r.add_get("/v2/leader", self.get_leader)
        r.add_delete("/v2/leader", self.delete_leader)
        r.add_get("/v2/events", self.event_stream)
        r.add_route("*", "/v2/apps", self.apps_root)
        r.add_route("*", "/v2/apps/{tail:.+}", self.apps_tail)
        r.add_route("*", "/v2/groups", self.groups_dispatch)
        r.add_route("*", "/v2/groups/{tail:.*}", self.groups_dispatch)
        r.add_route("*", "/v2/pods", self.pods_root)
        r.add_route("*", "/v2/pods/{tail:.+}", self.pods_tail)
        r.add_get("/v2/tasks", self.list_tasks)
        r.add_post("/v2/tasks/delete", self.delete_tasks)
        r.add_get("/v2/deployments", self.list_deployments)
        r.add_delete("/v2/deployments/{id}", self.cancel_deployment)
        r.add_get("/v2/queue", self.list_queue)
        r.add_delete("/v2/queue/{tail:.+}/delay", self.reset_delay)
        return app

    @web.middleware
    async def errors_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except MarathonError as exc:
            return json_response(exc.body(), exc.status)
        except web.HTTPNotFound:
            return json_response({"message": f"URI not found: {request.path}"}, 404)
        except web.HTTPMethodNotAllowed:
            return json_response({"message": "Method Not Allowed"}, 405)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.path)
            return json_response({"message": str(exc)}, 500)

    @web.middleware
    async def leader_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v2/") or (
            request.path == "/v2/leader" and request.method == "GET"
        ):
            return await handler(request)
        my = self.election.my_host_port
        if self.election.is_leader:
            try:
                await asyncio.wait_for(self.core.loaded.wait(), 30)
            except TimeoutError as exc:
                raise UnavailableError("Could not determine the current leader") from exc
            response = await handler(request)
            response.headers[LEADER_HEADER] = f"http://{my}"
            return response
        leader = self.election.leader_host_port
        for _ in range(10):
            if leader and leader != my:
                break
            await asyncio.sleep(0.25)
            if self.election.is_leader:
                return await self.leader_middleware(request, handler)
            leader = self.election.leader_host_port
        if not leader or leader == my:
            raise UnavailableError("Could not determine the current leader")
        return await forward(request, leader, my)

    # --- small resources --------------------------------------------------------------------

    async def ping(self, request: web.Request) -> web.Response:
        return web.Response(text="pong", content_type="text/plain")

    async def root_page(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("ui/")

    async def ui_page(self, request: web.Request) -> web.Response:
        """Marathon's web UI: one page over ../v2/ (apps, their tasks, deployments)."""
        return web.Response(body=WEBUI.read_bytes(), content_type="text/html")

    async def metrics(self, request: web.Request) -> web.Response:
        core = self.core
        root = core.root
        all_instances = core.all_instances()
        gauges = {
            "service.mesosphere.marathon.app.count": len(root.transitive_apps()),
            "service.mesosphere.marathon.pod.count": len(root.transitive_pods()),
            "service.mesosphere.marathon.group.count": sum(1 for _ in root.transitive_groups()),
            "service.mesosphere.marathon.instance.count": len(all_instances),
            "service.mesosphere.marathon.task.running.count": sum(
                1 for i in all_instances for t in i.tasks.values() if t.state == "TASK_RUNNING"
            ),
            "service.mesosphere.marathon.task.staged.count": sum(
                1 for i in all_instances if i.condition in ("Created", "Staging", "Starting")
            ),
            "service.mesosphere.marathon.deployments.active": len(core.deployments),
            "service.mesosphere.marathon.launch.queue.count": sum(
                e.to_launch for e in core.queue.entries.values()
            ),
            "service.mesosphere.marathon.uptime": int((time.time() - core.started_at) * 1000),
            "service.mesosphere.marathon.leadership": int(self.election.is_leader),
        }
        return json_response(
            {
                "version": "3.0.0",
                "gauges": {k: {"value": v} for k, v in gauges.items()},
                "counters": {},
                "histograms": {},
                "meters": {},
                "timers": {},
            }
        )

    async def info(self, request: web.Request) -> web.Response:
        config = self.core.config
        master = self.core.driver.master
        mesos_url = f"http://{master}" if master else None
        return json_response(
            {
                "name": "marathon",
                "version": MARATHON_VERSION,
                "buildref": "minidcos",
                "elected": self.election.is_leader,
                "leader": self.election.leader_host_port,
                "frameworkId": self.core.driver.framework_id,
                "marathon_config": {
                    "access_control_allow_origin": None,
                    "checkpoint": True,
                    "decline_offer_duration": int(config.decline_offer_duration_s * 1000),
                    "default_network_name": None,
                    "env_vars_prefix": None,
                    "executor": "//cmd",
                    "failover_timeout": int(config.failover_timeout_s),
                    "features": sorted(apps.ENABLED_FEATURES),
                    "framework_name": config.framework_name,
                    "ha": True,
                    "hostname": config.hostname,
                    "launch_token": 100,
                    "launch_token_refresh_interval": 30000,
                    "leader_proxy_connection_timeout_ms": 5000,
                    "leader_proxy_read_timeout_ms": 10000,
                    "local_port_max": 20000,
                    "local_port_min": 10000,
                    "master": config.master_display,
                    "max_instances_per_offer": config.max_instances_per_offer,
                    "mesos_bridge_name": apps.MESOS_BRIDGE_NAME,
                    "mesos_heartbeat_failure_threshold": 5,
                    "mesos_heartbeat_interval": 15000,
                    "mesos_leader_ui_url": mesos_url + "/" if mesos_url else "/mesos",
                    "mesos_role": config.mesos_role,
                    "mesos_user": config.mesos_user,
                    "min_revive_offers_interval": 1000,
                    "offer_matching_timeout": 3000,
                    "on_elected_prepare_timeout": 180000,
                    "reconciliation_initial_delay": int(core.RECONCILE_INITIAL_S * 1000),
                    "reconciliation_interval": int(core.RECONCILE_INTERVAL_S * 1000),
                    "revive_offers_for_new_apps": True,
                    "revive_offers_repetitions": 3,
                    "scale_apps_initial_delay": 15000,
                    "scale_apps_interval": 300000,
                    "store_cache": True,
                    "task_launch_confirm_timeout": 300000,
                    "task_launch_timeout": 86400000,
                    "task_lost_expunge_initial_delay": 300000,
                    "task_lost_expunge_interval": 30000,
                    "task_reservation_timeout": 20000,
                    "webui_url": None,
                },
                "zookeeper_config": {
                    "zk": config.zk_display,
                    "zk_compression": True,
                    "zk_compression_threshold": 65536,
                    "zk_connection_timeout": 10000,
                    "zk_max_node_size": 1024000,
                    "zk_max_versions": 50,
                    "zk_session_timeout": 10000,
                    "zk_timeout": 10000,
                },
                "http_config": {"http_port": config.http_port, "https_port": 8443},
            }
        )

    async def get_leader(self, request: web.Request) -> web.Response:
        leader = self.election.leader_host_port
        if not leader:
            raise NotFoundError("There is no leader")
        return json_response({"leader": leader})

    async def delete_leader(self, request: web.Request) -> web.Response:
        if not self.election.is_leader:
            raise NotFoundError("There is no leader")
        asyncio.get_running_loop().call_later(0.2, lambda: spawn(self.election.abdicate()))
        return json_response({"message": "Leadership abdicated"})

    async def event_stream(self, request: web.Request) -> web.StreamResponse:
        wanted = set(request.query.getall("event_type", []))
        queue = self.core.events.subscribe()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "Connection": "keep-alive",
            }
        )
        await response.prepare(request)
        remote = request.remote or ""
        self.core.events.publish("event_stream_attached", remoteAddress=remote)
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b"\n")
                    continue
                if frame is None:
                    break
                event_type, data = frame
                if not wanted or event_type in wanted:
                    await response.write(data)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.core.events.unsubscribe(queue)
            self.core.events.publish("event_stream_detached", remoteAddress=remote)
        return response

    # --- apps -------------------------------------------------------------------------------

    async def apps_root(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return await self.list_apps(request)
        if request.method == "POST":
            return await self.create_app(request)
        if request.method in ("PUT", "PATCH"):
            return await self.update_apps(request, allow_creation=request.method == "PUT")
        raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST", "PUT", "PATCH"])

    async def apps_tail(self, request: web.Request) -> web.StreamResponse:
        tail = "/" + request.match_info["tail"].strip("/")
        method = request.method
        parts = tail.rsplit("/", 2)
        if tail.endswith("/restart") and method == "POST":
            return await self.restart_app(request, tail[: -len("/restart")])
        if tail.endswith("/tasks") and method in ("GET", "DELETE"):
            spec_id = tail[: -len("/tasks")]
            if method == "GET":
                return await self.app_tasks(request, spec_id)
            return await self.kill_app_tasks(request, spec_id, None)
        if len(parts) == 3 and parts[1] == "tasks" and method == "DELETE":
            return await self.kill_app_tasks(request, parts[0], parts[2])
        if tail.endswith("/versions") and method == "GET":
            return await self.app_versions(tail[: -len("/versions")])
        if len(parts) == 3 and parts[1] == "versions" and method == "GET":
            return await self.app_version(parts[0], parts[2])
        if method == "GET":
            return await self.show_app(request, tail)
        if method in ("PUT", "PATCH"):
            return await self.update_app(request, tail, allow_creation=method == "PUT")
        if method == "DELETE":
            return await self.delete_app(request, tail)
        raise web.HTTPMethodNotAllowed(method, ["GET", "PUT", "PATCH", "DELETE"])

    async def list_apps(self, request: web.Request) -> web.Response:
        embed = views.resolve_app_embeds(request.query.getall("embed", [])) | {
            "counts",
            "deployments",
        }
        cmd, id_filter, label = (
            request.query.get("cmd"),
            request.query.get("id"),
            request.query.get("label"),
        )
        selector = None
        if label:
            try:
                selector = labels.parse(label)
            except ValueError as exc:
                raise BadRequestError(str(exc)) from exc
        result = []
        for app in self.core.root.transitive_apps().values():
            if cmd and cmd.lower() not in (app.get("cmd") or "").lower():
                continue
            if id_filter and id_filter.lower() not in app["id"].lower():
                continue
            if selector and not selector(app.get("labels") or {}):
                continue
            result.append(views.app_info(self.core, app, embed))
        return json_response({"apps": result})

    async def show_app(self, request: web.Request, app_id: str) -> web.Response:
        embed = views.resolve_app_embeds(request.query.getall("embed", []))
        embed |= {"counts", "tasks", "lastTaskFailure", "deployments"}
        if app_id.endswith("*"):
            group_id = pathid.canonical(app_id[:-1])
            group = self.core.root.group(group_id)
            if group is None:
                raise errors.group_not_found(group_id)
            found = [
                views.app_info(self.core, a, embed)
                for g in group.transitive_groups()
                for a in g.apps.values()
            ]
            return json_response({"*": found})
        app_id = pathid.canonical(app_id)
        app = self.core.root.app(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        return json_response({"app": views.app_info(self.core, app, embed)})

    async def create_app(self, request: web.Request) -> web.Response:
        body = bodies.parse(await request.read())
        app = apps.normalize(apps.read_app(body))

        def create(root: Group) -> Group:
            if root.app(app["id"]) is not None:
                raise ConflictError(f"An app with id [{app['id']}] already exists.")
            if root.group(app["id"]) is not None:
                raise ConflictError(f"A group with id [{app['id']}] already exists.")
            if root.pod(app["id"]) is not None:
                raise ConflictError(f"A pod with id [{app['id']}] already exists.")
            return root.put_app(app)

        p = await self.core.update_root(create, force=flag(request, "force"))
        self._api_post_event(request, p.target.app(app["id"]) or app)
        shown = apps.render({**app, "version": p.version, "versionInfo": None})
        shown.update({"tasksStaged": 0, "tasksRunning": 0, "tasksHealthy": 0, "tasksUnhealthy": 0})
        shown["deployments"] = [{"id": p.id}]
        shown["tasks"] = []
        return json_response(shown, 201, {DEPLOYMENT_HEADER: p.id, "Location": app["id"]})

    def _api_post_event(self, request: web.Request, app: dict[str, Any]) -> None:
        self.core.events.publish(
            "api_post_event",
            clientIp=request.remote or "",
            uri=request.path,
            appDefinition=apps.render(app),
        )

    async def _prepare_update(
        self, app_id: str, body: Any, partial: bool
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(the app to roll back to, or None; the update as read) for one app update."""
        if not partial:
            if not isinstance(body, dict):
                bodies.read(ramltypes.APP, body)
            full = apps.read_app({**body, "id": app_id})
            return None, {"__full__": full}
        update = apps.read_app_update(body)
        violations = apps.validate_update(update)
        if violations:
            raise ValidationError(violations)
        if update.get("version") is not None:
            versions = await self.core.store.versions(app_id)
            try:
                wanted = timestamps.canonical(update["version"])
            except ValueError as exc:
                raise errors.app_not_found(app_id) from exc
            if wanted not in versions:
                raise errors.app_not_found(app_id, wanted)
            return versions[wanted], update
        return None, apps.migrate_update(update)

    @staticmethod
    def _updated_app(
        app_id: str,
        current: dict[str, Any] | None,
        rollback: dict[str, Any] | None,
        update: dict[str, Any],
        allow_creation: bool,
    ) -> dict[str, Any]:
        if "__full__" in update:
            app = apps.normalize(update["__full__"])
            if current is not None:
                app["versionInfo"] = current.get("versionInfo")
            return app
        if current is None:
            if not allow_creation:
                raise errors.app_not_found(app_id)
            if rollback is not None:
                raise errors.app_not_found(app_id)
            raw = apps.read_app({k: v for k, v in update.items() if v is not None} | {"id": app_id})
            return apps.normalize(raw)
        if rollback is not None:
            return rollback
        merged = apps.merge_update(current, update)
        app = apps.normalize(merged)
        app["versionInfo"] = current.get("versionInfo")
        app["version"] = current.get("version")
        return app

    async def update_app(
        self, request: web.Request, app_id: str, allow_creation: bool
    ) -> web.Response:
        app_id = pathid.canonical(app_id)
        partial = flag(request, "partialUpdate", True) if request.method == "PUT" else True
        body = bodies.parse(await request.read())
        rollback, update = await self._prepare_update(app_id, body, partial)
        existed = self.core.root.app(app_id) is not None

        def change(root: Group) -> Group:
            current = root.app(app_id)
            app = self._updated_app(app_id, current, rollback, update, allow_creation)
            if current is None and (root.group(app_id) or root.pod(app_id)):
                raise ConflictError(f"An app with id [{app_id}] already exists.")
            return root.put_app(app)

        p = await self.core.update_root(change, force=flag(request, "force"))
        target = p.target.app(app_id)
        if target is not None:
            self._api_post_event(request, target)
        return deployment_result(p, 200 if existed else 201, None if existed else app_id)

    async def update_apps(self, request: web.Request, allow_creation: bool) -> web.Response:
        body = bodies.parse(await request.read())
        partial = flag(request, "partialUpdate", True) if request.method == "PUT" else True
        if not isinstance(body, list):
            bodies.read(jsonread.Arr(ramltypes.APP_UPDATE), body)
        prepared = []
        for index, item in enumerate(body):
            if not isinstance(item, dict) or not item.get("id"):
                raise errors.InvalidJsonError([(f"({index})/id", ["error.path.missing"])])
            app_id = pathid.canonical(item["id"])
            prepared.append((app_id, *await self._prepare_update(app_id, item, partial)))

        def change(root: Group) -> Group:
            for app_id, rollback, update in prepared:
                app = self._updated_app(app_id, root.app(app_id), rollback, update, allow_creation)
                root = root.put_app(app)
            return root

        p = await self.core.update_root(change, force=flag(request, "force"))
        return deployment_result(p)

    async def delete_app(self, request: web.Request, app_id: str) -> web.Response:
        app_id = pathid.canonical(app_id)

        def change(root: Group) -> Group:
            if root.app(app_id) is None:
                raise errors.app_not_found(app_id)
            return root.without_app(app_id)

        p = await self.core.update_root(change, force=flag(request, "force", True))
        return deployment_result(p)

    async def restart_app(self, request: web.Request, app_id: str) -> web.Response:
        app_id = pathid.canonical(app_id)

        def change(root: Group) -> Group:
            current = root.app(app_id)
            if current is None:
                raise errors.app_not_found(app_id)
            return root.put_app({**current, "versionInfo": None})

        p = await self.core.update_root(change, force=flag(request, "force"))
        return deployment_result(p)

    async def app_tasks(self, request: web.Request, app_id: str) -> web.Response:
        if app_id.endswith("*"):
            group_id = pathid.canonical(app_id[:-1])
            group = self.core.root.group(group_id)
            if group is None:
                raise errors.group_not_found(group_id)
            ids = list(group.transitive_apps())
        else:
            app_id = pathid.canonical(app_id)
            if self.core.root.app(app_id) is None:
                raise errors.app_not_found(app_id)
            ids = [app_id]
        if "text/plain" in request.headers.get("Accept", "") and "json" not in request.headers.get(
            "Accept", ""
        ):
            return web.Response(text=self._endpoints_text(ids), content_type="text/plain")
        return json_response({"tasks": [t for i in ids for t in self.core.enriched_tasks(i)]})

    def _endpoints_text(self, app_ids: list[str]) -> str:
        """EndpointsHelper: `<app_safe_id> <service port> <host:port> ...` per service port."""
        lines = []
        for app_id in app_ids:
            app = self.core.root.app(app_id)
            if app is None:
                continue
            ports = apps.service_ports(app) or [0]
            for index, service_port in enumerate(ports):
                hosts = [
                    f"{i.host}:{t.host_ports[index]}"
                    for i in self.core.active_instances(app_id)
                    for t in i.tasks.values()
                    if t.state == "TASK_RUNNING" and index < len(t.host_ports)
                ]
                lines.append("\t".join([pathid.safe_path(app_id), str(service_port), *hosts]))
        return "\n".join(lines) + ("\n" if lines else "")

    async def kill_app_tasks(
        self, request: web.Request, app_id: str, task_id: str | None
    ) -> web.Response:
        app_id = pathid.canonical(app_id)
        scale, wipe = flag(request, "scale"), flag(request, "wipe")
        if scale and wipe:
            raise BadRequestError("You cannot use scale and wipe at the same time.")
        app = self.core.root.app(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        host = request.query.get("host")
        found = []
        for instance in self.core.active_instances(app_id):
            if task_id is not None:
                if (
                    task_id not in instance.tasks
                    and instances.instance_id_of_task(task_id) != instance.instance_id
                ):
                    continue
            elif host is not None and host not in ("*", instance.host):
                continue
            found.append(instance)
        if scale:
            return deployment_result(
                await self._kill_and_scale({app_id: found}, flag(request, "force"))
            )
        if task_id is not None and not found:
            raise errors.task_not_found(task_id)
        shown = [t for i in found for t in self._instance_tasks(i)]
        await self.core.kill_instances(found)
        if task_id is not None:
            return json_response({"task": shown[0]})
        return json_response({"tasks": shown})

    def _instance_tasks(self, instance: instances.Instance) -> list[dict[str, Any]]:
        return [instances.render_task(instance, t, [], None) for t in instance.tasks.values()]

    async def _kill_and_scale(
        self, victims: dict[str, list[instances.Instance]], force: bool
    ) -> plan.Plan:
        """TaskKiller.killAndScale: lower `instances` by the tasks killed, killing exactly those."""

        def change(root: Group) -> Group:
            for spec_id, chosen in victims.items():
                spec = root.run_spec(spec_id)
                if spec is None:
                    continue
                count = max(0, runspecs.instances(spec) - len(chosen))
                root = root.put_spec(runspecs.with_instances(spec, count))
            return root

        to_kill = {spec_id: [i.instance_id for i in chosen] for spec_id, chosen in victims.items()}
        return await self.core.update_root(change, force=force, to_kill=to_kill)

    async def app_versions(self, app_id: str) -> web.Response:
        app_id = pathid.canonical(app_id)
        if self.core.root.app(app_id) is None:
            raise errors.app_not_found(app_id)
        versions = sorted(await self.core.store.versions(app_id), reverse=True)
        return json_response({"versions": versions})

    async def app_version(self, app_id: str, version: str) -> web.Response:
        app_id = pathid.canonical(app_id)
        if self.core.root.app(app_id) is None:
            raise errors.app_not_found(app_id)
        try:
            wanted = timestamps.canonical(version)
        except ValueError as exc:
            raise errors.app_not_found(app_id, version) from exc
        found = (await self.core.store.versions(app_id)).get(wanted)
        if found is None or runspecs.is_pod(found):
            raise errors.app_not_found(app_id, wanted)
        return json_response(apps.render(found))

    # --- tasks ---------------------------------------------------------------------------------

    async def list_tasks(self, request: web.Request) -> web.Response:
        wanted = {
            s.lower()
            for s in request.query.getall("status", []) + request.query.getall("status[]", [])
        }
        conditions = {
            {"running": "Running", "staging": "Staging"}[s]
            for s in wanted
            if s in ("running", "staging")
        }
        accept = request.headers.get("Accept", "")
        if "text/plain" in accept and "json" not in accept:
            return web.Response(
                text=self._endpoints_text(list(self.core.root.transitive_apps())),
                content_type="text/plain",
            )
        out = []
        for spec_id in list(self.core.instances):
            spec = self.core.root.app(spec_id)  # pods' tasks are not listed, as in Marathon 1.5
            if spec is None:
                continue
            service_ports = apps.service_ports(spec)
            for instance in self.core.instances_of(spec_id):
                if conditions and instance.condition not in conditions:
                    continue
                results = self.core.health_results(instance)
                for task in instance.tasks.values():
                    out.append(instances.render_task(instance, task, service_ports, results))
        return json_response({"tasks": out})

    async def delete_tasks(self, request: web.Request) -> web.Response:
        scale, wipe = flag(request, "scale"), flag(request, "wipe")
        if scale and wipe:
            raise BadRequestError("You cannot use scale and wipe at the same time.")
        body = bodies.parse(await request.read())
        ids = bodies.read(jsonread.Obj({"ids": ramltypes.req(jsonread.Arr(jsonread.Str()))}), body)[
            "ids"
        ]
        victims: dict[str, list[instances.Instance]] = {}
        for task_id in ids:
            if "." not in task_id:
                raise BadRequestError(
                    f"Invalid task id '{task_id}'. [taskId {task_id} is no valid identifier]"
                )
            instance = self.core.task_index.get(task_id)
            if instance is not None and instance not in victims.setdefault(
                instance.run_spec_id, []
            ):
                victims[instance.run_spec_id].append(instance)
        victims = {k: v for k, v in victims.items() if v}
        if scale:
            return deployment_result(await self._kill_and_scale(victims, flag(request, "force")))
        chosen = [i for found in victims.values() for i in found]
        shown = [t for i in chosen for t in self._instance_tasks(i)]
        await self.core.kill_instances(chosen)
        return json_response({"tasks": shown})

    # --- deployments and queue --------------------------------------------------------------

    async def list_deployments(self, request: web.Request) -> web.Response:
        runs = sorted(self.core.deployments.values(), key=lambda r: r.plan.version)
        return json_response([views.deployment_info(r) for r in runs])

    async def cancel_deployment(self, request: web.Request) -> web.Response:
        plan_id = request.match_info["id"]
        run = self.core.deployments.get(plan_id)
        if run is None:
            raise NotFoundError(f"DeploymentPlan {plan_id} does not exist")
        if flag(request, "force"):
            await self.core.cancel_deployment(plan_id)
            return web.Response(status=202)
        p = await self.core.update_root(lambda root: plan.revert(run.plan, root), force=True)
        return deployment_result(p)

    async def list_queue(self, request: web.Request) -> web.Response:
        embed = "lastUnusedOffers" in request.query.getall("embed", [])
        return json_response(views.queue_info(self.core, embed))

    async def reset_delay(self, request: web.Request) -> web.Response:
        spec_id = pathid.canonical(request.match_info["tail"])
        entry = self.core.queue.entries.get(spec_id)
        if entry is None:
            raise NotFoundError(f"Application {spec_id} not found in tasks queue.")
        self.core.queue.reset_delay(entry.spec)
        self.core.want_offers()
        return web.Response(status=204)

    # --- groups --------------------------------------------------------------------------------

    async def groups_dispatch(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "").strip("/")
        method = request.method
        if method == "GET":
            return await self.show_group(request, tail)
        if method in ("POST", "PUT"):
            return await self.change_group(request, "/" + tail, create=method == "POST")
        if method == "DELETE":
            return await self.delete_group(request, "/" + tail)
        raise web.HTTPMethodNotAllowed(method, ["GET", "POST", "PUT", "DELETE"])

    async def show_group(self, request: web.Request, tail: str) -> web.Response:
        embeds = request.query.getall("embed", []) or ["group.apps", "group.pods", "group.groups"]
        app_embed = views.resolve_app_embeds([e for e in embeds if e.startswith("group.apps.")])
        group_embed = {
            e.split(".", 1)[1] for e in embeds if e in ("group.apps", "group.pods", "group.groups")
        }
        root = self.core.root
        segments = tail.split("/") if tail else []
        if segments and segments[-1] == "apps":
            group = root.group(pathid.canonical("/".join(segments[:-1])))
            if group is None:
                raise errors.group_not_found(pathid.canonical("/".join(segments[:-1])))
            return json_response(
                [views.app_info(self.core, a, app_embed) for a in group.transitive_apps().values()]
            )
        if segments and segments[-1] == "versions":
            group_id = pathid.canonical("/".join(segments[:-1]))
            group = root.group(group_id)
            if group is None:
                raise errors.group_not_found(group_id)
            return json_response([group.version])
        if len(segments) >= 2 and segments[-2] == "versions":
            group_id = pathid.canonical("/".join(segments[:-2]))
            group = root.group(group_id)
            if group is None or timestamps.canonical(segments[-1]) != group.version:
                raise errors.group_not_found(group_id)
            return json_response(views.group_info(self.core, group, app_embed, group_embed))
        group_id = pathid.canonical(tail)
        group = root.group(group_id)
        if group is None:
            raise errors.group_not_found(group_id)
        return json_response(views.group_info(self.core, group, app_embed, group_embed))

    def _group_from_update(self, update: dict[str, Any], current: Group, version: str) -> Group:
        """UpdateGroupStructureOp: a GroupUpdate applied to `current`.

        The apps and groups it lists replace the group's; child groups are updated in turn.
        """
        group = current.copy()
        group.version = version
        if update.get("apps") is not None:
            group.apps = {}
            for index, raw in enumerate(update["apps"]):
                app = self._nested_app(raw, current.id, f"/apps({index})")
                group.apps[app["id"]] = app
        if update.get("groups") is not None:
            children = {}
            for index, raw in enumerate(update["groups"]):
                child_update = bodies.read(ramltypes.GROUP_UPDATE, raw, f"/groups({index})")
                if not child_update.get("id"):
                    raise ValidationError([(f"/groups({index})/id", "error.path.missing")])
                child_id = pathid.canonical(child_update["id"], current.id)
                if not pathid.is_child_of(child_id, current.id):
                    raise ValidationError(
                        [
                            (
                                f"/groups({index})/id",
                                f"Identifier is not child of {current.id}. "
                                "Hint: use relative paths.",
                            )
                        ]
                    )
                base = current.groups.get(child_id) or Group(id=child_id, version=version)
                children[child_id] = self._group_from_update(child_update, base, version)
            group.groups = children
        if update.get("dependencies") is not None:
            group.dependencies = [pathid.canonical(d, current.id) for d in update["dependencies"]]
        return group

    def _nested_app(self, raw: Any, base: str, path: str) -> dict[str, Any]:
        errors_: list[tuple[str, str]] = []
        value = ramltypes.APP.read(raw, path, errors_)
        if errors_:
            raise errors.InvalidJsonError(
                bodies.grouped(errors_) if hasattr(bodies, "grouped") else []
            )
        app_id = pathid.canonical(value["id"], base)
        if not pathid.is_child_of(app_id, base):
            raise ValidationError(
                [(f"{path}/id", f"Identifier is not child of {base}. Hint: use relative paths.")]
            )
        try:
            return apps.normalize({**value, "id": app_id})
        except ValidationError as exc:
            raise exc.prefixed(path) from exc

    async def change_group(self, request: web.Request, path: str, create: bool) -> web.Response:
        body = bodies.parse(await request.read())
        update = bodies.read(ramltypes.GROUP_UPDATE, body)
        base = pathid.canonical(path)
        group_id = pathid.canonical(update["id"], base) if update.get("id") else base
        if update.get("scaleBy") is not None or update.get("version") is not None:
            others = [k for k in ("apps", "groups", "dependencies") if update.get(k) is not None]
            if others or (update.get("scaleBy") is not None and update.get("version") is not None):
                raise ValidationError(
                    [("/", "Only one of scaleBy, version or the group structure may be given")]
                )
        if flag(request, "dryRun") and not create:
            version = timestamps.now()
            target = self._apply_group_update(self.core.root, group_id, update, version)
            steps = plan.compute(self.core.root, target, version).steps_json()
            return json_response({"steps": steps})

        def change(root: Group) -> Group:
            if create:
                if root.group(group_id) is not None and not pathid.is_root(group_id):
                    raise ConflictError(
                        f"Group {group_id} is already created. Use PUT to change this group."
                    )
                if root.app(group_id) is not None:
                    raise ConflictError(f"An app with the path {group_id} already exists.")
            return self._apply_group_update(root, group_id, update, timestamps.now())

        p = await self.core.update_root(change, force=flag(request, "force"))
        if create:
            return deployment_result(p, 201, group_id)
        return deployment_result(p)

    def _apply_group_update(
        self, root: Group, group_id: str, update: dict[str, Any], version: str
    ) -> Group:
        group = root.group(group_id) or Group(id=group_id, version=version)
        if update.get("scaleBy") is not None:
            factor = float(update["scaleBy"])
            import math

            return root.with_transitive_apps(
                group_id,
                lambda a: runspecs.with_instances(a, math.ceil(runspecs.instances(a) * factor)),
            )
        if update.get("version") is not None:
            raise ValidationError(
                [("/version", f"Group {group_id} not available in version {update['version']}")]
            )
        return root.with_group(self._group_from_update(update, group, version))

    async def delete_group(self, request: web.Request, path: str) -> web.Response:
        group_id = pathid.canonical(path)

        def change(root: Group) -> Group:
            if root.group(group_id) is None:
                raise errors.group_not_found(group_id)
            return root.without_group(group_id)

        p = await self.core.update_root(change, force=flag(request, "force"))
        return deployment_result(p)

    # --- pods ----------------------------------------------------------------------------------

    async def pods_root(self, request: web.Request) -> web.StreamResponse:
        if request.method == "HEAD":
            return web.Response(status=200)
        if request.method == "GET":
            return json_response(
                [pods.render(p) for p in self.core.root.transitive_pods().values()]
            )
        if request.method == "POST":
            return await self.create_pod(request)
        raise web.HTTPMethodNotAllowed(request.method, ["HEAD", "GET", "POST"])

    async def pods_tail(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        method = request.method
        if tail == "::status" and method == "GET":
            statuses = [
                views.pod_status(self.core, p) for p in self.core.root.transitive_pods().values()
            ]
            return json_response(statuses)
        head, sep, rest = tail.partition("::")
        pod_id = pathid.canonical(head)
        if sep:
            if rest == "status" and method == "GET":
                return json_response(views.pod_status(self.core, self._pod(pod_id)))
            if rest == "versions" and method == "GET":
                self._pod(pod_id)
                return json_response(sorted(await self.core.store.versions(pod_id), reverse=True))
            if rest.startswith("versions/") and method == "GET":
                self._pod(pod_id)
                try:
                    wanted = timestamps.canonical(rest[len("versions/") :])
                except ValueError as exc:
                    raise errors.pod_not_found(pod_id) from exc
                stored = (await self.core.store.versions(pod_id)).get(wanted)
                if stored is None:
                    raise errors.pod_not_found(pod_id)
                return json_response(pods.render(stored))
            if rest == "instances" and method == "DELETE":
                ids = bodies.read(jsonread.Arr(jsonread.Str()), bodies.parse(await request.read()))
                return json_response(await self._kill_pod_instances(pod_id, set(ids)))
            if rest.startswith("instances/") and method == "DELETE":
                instance_id = rest[len("instances/") :]
                killed = await self._kill_pod_instances(pod_id, {instance_id})
                if not killed:
                    raise errors.task_not_found(instance_id)
                return json_response(killed[0])
            raise web.HTTPNotFound()
        if method == "GET":
            found = self.core.root.pod(pod_id)
            if found is None:
                raise NotFoundError(f"pod with {pod_id} does not exist")
            return json_response(pods.render(found))
        if method == "PUT":
            return await self.update_pod(request, pod_id)
        if method == "DELETE":
            return await self.delete_pod(request, pod_id)
        raise web.HTTPMethodNotAllowed(method, ["GET", "PUT", "DELETE"])

    def _pod(self, pod_id: str) -> dict[str, Any]:
        pod = self.core.root.pod(pod_id)
        if pod is None:
            raise errors.pod_not_found(pod_id)
        return pod

    def _pod_event(self, request: web.Request, kind: str) -> None:
        self.core.events.publish(
            f"pod_{kind}_event", clientIp=request.remote or "", uri=request.path
        )

    async def create_pod(self, request: web.Request) -> web.Response:
        pod = pods.normalize(pods.read_pod(bodies.parse(await request.read())))

        def change(root: Group) -> Group:
            if root.pod(pod["id"]) is not None:
                raise ConflictError(f"A pod with id [{pod['id']}] already exists.")
            if root.app(pod["id"]) is not None or root.group(pod["id"]) is not None:
                raise ConflictError(f"An app or group with id [{pod['id']}] already exists.")
            return root.with_pod(pod["id"], pod)

        p = await self.core.update_root(change, force=flag(request, "force"))
        self._pod_event(request, "created")
        shown = pods.render(p.target.pod(pod["id"]) or pod)
        return json_response(shown, 201, {DEPLOYMENT_HEADER: p.id, "Location": pod["id"]})

    async def update_pod(self, request: web.Request, pod_id: str) -> web.Response:
        raw = pods.read_pod(bodies.parse(await request.read()))
        if pathid.canonical(raw["id"]) != pod_id:
            raise BadRequestError(f"'{pod_id}' does not match definition's id ('{raw['id']}')")
        pod = pods.normalize(raw)

        def change(root: Group) -> Group:
            if root.app(pod_id) is not None:
                raise ConflictError(f"An app with id [{pod_id}] already exists.")
            return root.with_pod(pod_id, pod)

        p = await self.core.update_root(change, force=flag(request, "force"))
        self._pod_event(request, "updated")
        return json_response(
            pods.render(p.target.pod(pod_id) or pod), 200, {DEPLOYMENT_HEADER: p.id}
        )

    async def delete_pod(self, request: web.Request, pod_id: str) -> web.Response:
        def change(root: Group) -> Group:
            if root.pod(pod_id) is None:
                raise errors.pod_not_found(pod_id)
            return root.without_pod(pod_id)

        p = await self.core.update_root(change, force=flag(request, "force"))
        self._pod_event(request, "deleted")
        return web.Response(status=202, headers={DEPLOYMENT_HEADER: p.id, "Location": p.id})

    async def _kill_pod_instances(self, pod_id: str, ids: set[str]) -> list[dict[str, Any]]:
        pod = self._pod(pod_id)
        chosen = [i for i in self.core.active_instances(pod_id) if i.instance_id in ids]
        shown = [views.pod_instance_status(self.core, pod, i) for i in chosen]
        await self.core.kill_instances(chosen)
        return shown
