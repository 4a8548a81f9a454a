"""The HTTP API: /system/health/v1 on every node, the cluster views on masters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dcos_internal_utils import node
from dcos_internal_utils.http import Request, Response, Router, serve

from . import cluster, health, views

BASE = "/system/health/v1"
TCP_PORT = 1050
UNIX_SOCKET = "/run/dcos/dcos-diagnostics.sock"


def _fresh(request: Request) -> bool:
    # DC/OS clients ask for ?cache=0 when they need the state as of now.
    return request.arg("cache", "1") in ("0", "false")


def make_router(role: str, local_ip: str) -> Router:
    router = Router()

    @router.get(BASE)
    def own_health(request: Request) -> Response:
        return Response.json(health.node_health())

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
    return router


def main() -> None:
    role = node.role()
    router = make_router(role, node.detect_ip())
    # The unix socket is systemd's (dcos-diagnostics.socket) on every node;
    # Admin Router fronts it. Masters also listen on TCP 1050 themselves, as
    # DC/OS's diagnostics master does, for the other masters' polls.
    extra_tcp = [("0.0.0.0", TCP_PORT)] if role == "master" else []
    serve(router, unix=[UNIX_SOCKET], extra_tcp=extra_tcp)
