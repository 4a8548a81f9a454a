"""The HTTP API: /system/health/v1 on every node, the cluster views on masters."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dcos_internal_utils import node
from dcos_internal_utils.http import Request, Response, Router, serve

from . import bundle, cluster, health, selftest, sources, views

BASE = "/system/health/v1"
TCP_PORT = 1050
UNIX_SOCKET = "/run/dcos/dcos-diagnostics.sock"
BUNDLE_DIR = Path(
    os.environ.get("DCOS_DIAGNOSTICS_BUNDLE_DIR", "/var/lib/dcos/dcos-diagnostics/diag-bundles")
)


def _fresh(request: Request) -> bool:
    # DC/OS clients ask for ?cache=0 when they need the state as of now.
    return request.arg("cache", "1") in ("0", "false")


def _json(value: Any, status: int = 200) -> Response:
    # DC/OS's diagnostics writes its JSON with Go's encoder: compact, one line.
    return Response(status=status, body=json.dumps(value).encode() + b"\n")


def add_log_routes(router: Router, node_sources: Callable[[], sources.Sources]) -> None:
    """What every node offers a diagnostics bundle (sources.py)."""

    @router.get(BASE + "/logs")
    def logs(request: Request) -> Response:
        return _json(node_sources().endpoints())

    @router.get(BASE + "/logs/{provider}/{entity}")
    def log_entity(request: Request) -> Response:
        provider = request.params["provider"]
        entity = urllib.parse.unquote(request.params["entity"])
        try:
            chunks = node_sources().open(provider, entity)
        except KeyError:
            body = bundle.report_response(503, f"{entity} not found")
            return _json(body, 503)
        except OSError as exc:
            return _json(bundle.report_response(503, str(exc)), 503)
        headers = {}
        if "gzip" in request.headers.get("accept-encoding", ""):
            chunks = sources.gzipped(chunks)
            headers["Content-Encoding"] = "gzip"
        return Response(content_type="text/html", headers=headers, stream=chunks)

    @router.get(BASE + "/selftest/info")
    def self_test(request: Request) -> Response:
        return _json(selftest.run())


def add_bundle_routes(router: Router, bundles: bundle.Bundles) -> None:
    """The master's /report/diagnostics/* (bundle.py)."""
    prefix = BASE + "/report/diagnostics"

    @router.route("POST", prefix + "/create")
    def create(request: Request) -> Response:
        status, body = bundles.create(request.body)
        return _json(body, status)

    @router.route("POST", prefix + "/cancel")
    def cancel(request: Request) -> Response:
        status, body = bundles.cancel()
        return _json(body, status)

    @router.get(prefix + "/status")
    def status(request: Request) -> Response:
        return _json(bundles.job.status_json())

    @router.get(prefix + "/status/all")
    def status_all(request: Request) -> Response:
        try:
            return _json(bundles.status_all())
        except RuntimeError as exc:
            return _json(bundle.report_response(503, str(exc)), 503)

    @router.get(prefix + "/list")
    def list_local(request: Request) -> Response:
        return _json(bundles.local_bundles())

    @router.get(prefix + "/list/all")
    def list_all(request: Request) -> Response:
        return _json(bundles.all_bundles())

    @router.get(prefix + "/serve/{file}")
    def serve_bundle(request: Request) -> Response:
        name = urllib.parse.unquote(request.params["file"])
        path = bundles.local_path(name)
        if path is not None:
            return Response(
                content_type="application/octet-stream",
                headers={
                    "Content-disposition": f"attachment; filename={name}",
                    "Content-Length": str(path.stat().st_size),
                },
                stream=bundle.file_chunks(path),
            )
        found = bundles.locate(name)
        if found is None:
            return Response.text("404 page not found\n", status=404)
        remote = bundles.open_remote(*found)
        headers = {
            k: v
            for k, v in remote.headers.items()
            if k in ("content-length", "content-disposition")
        }

        def relay() -> Any:
            try:
                while chunk := remote.body.read(bundle.CHUNK):
                    yield chunk
            finally:
                remote.close()

        return Response(
            status=remote.status,
            content_type=remote.headers.get("content-type", "application/octet-stream"),
            headers=headers,
            stream=relay(),
        )

    @router.route("POST", prefix + "/delete/{file}")
    def delete(request: Request) -> Response:
        status, body = bundles.delete(urllib.parse.unquote(request.params["file"]))
        return _json(body, status)


def make_router(role: str, local_ip: str) -> Router:
    router = Router()

    @router.get(BASE)
    def own_health(request: Request) -> Response:
        return Response.json(health.node_health())

    diagnostics_role = node.ROLE_NAMES[role]
    port = TCP_PORT if role == "master" else cluster.AGENT_PORT
    add_log_routes(router, lambda: sources.Sources.load(diagnostics_role, port))

    if role != "master":
        return router

    def fetch(n: cluster.ClusterNode) -> dict[str, Any]:
        # This node answers from memory: no reason to go through the network.
        return health.node_health() if n.ip == local_ip else cluster.fetch_health(n.ip, n.port)

    def make_report() -> dict[str, Any]:
        config = node.expanded_config()
        mesos = cluster.mesos_view(node.master_list(config))
        nodes = cluster.cluster_nodes(config, mesos)
        return cluster.build_report(
            cluster.poll(nodes, fetch), leader_ip=mesos.leader_ip if mesos else ""
        )

    cache = cluster.ReportCache(make_report)

    def view(project: Callable[..., Any], what: str) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            result = project(cache.get(fresh=_fresh(request)), **request.params)
            if result is None:
                found = ", ".join(f"{k} {v}" for k, v in request.params.items())
                return Response.error(404, f"{what} not found: {found}")
            return Response.json(result)

        return handler

    router.get(BASE + "/report")(view(lambda r: r, "report"))
    router.get(BASE + "/nodes")(view(views.nodes, "nodes"))
    router.get(BASE + "/nodes/{ip}")(view(views.node, "node"))
    router.get(BASE + "/nodes/{ip}/units")(view(views.node_units, "node"))
    router.get(BASE + "/nodes/{ip}/units/{unit_id}")(view(views.node_unit, "node or unit"))
    router.get(BASE + "/units")(view(views.units, "units"))
    router.get(BASE + "/units/{unit_id}")(view(views.unit, "unit"))
    router.get(BASE + "/units/{unit_id}/nodes")(view(views.unit_nodes, "unit"))
    router.get(BASE + "/units/{unit_id}/nodes/{ip}")(view(views.unit_node, "unit or node"))

    def nodes_now() -> list[cluster.ClusterNode]:
        config = node.expanded_config()
        return cluster.cluster_nodes(config, cluster.mesos_view(node.master_list(config)))

    bundles = bundle.Bundles(
        bundle.Job(BUNDLE_DIR), local_ip, lambda: node.master_list(), nodes_now
    )
    add_bundle_routes(router, bundles)
    return router


def main() -> None:
    role = node.role()
    router = make_router(role, node.detect_ip())
    # The unix socket is systemd's (dcos-diagnostics.socket) on every node;
    # Admin Router fronts it. Masters also listen on TCP 1050 themselves, as
    # DC/OS's diagnostics master does, for the other masters' polls.
    extra_tcp = [("0.0.0.0", TCP_PORT)] if role == "master" else []
    serve(router, unix=[UNIX_SOCKET], extra_tcp=extra_tcp)
