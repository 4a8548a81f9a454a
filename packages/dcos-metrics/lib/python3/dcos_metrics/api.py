"""dcos-metrics' three faces, each on its own socket.

- the metrics API (`/run/dcos/dcos-metrics-{master,agent}.sock`, which Admin
  Router serves as /system/v1/metrics/ and /system/v1/agent/<id>/metrics/):
  /v0/ping, /v0/node, and on agents /v0/containers, /v0/containers/<id>,
  /v0/containers/<id>/app[/<metric>];
- on agents, StatsD registration for the Mesos agent
  (`/run/dcos/dcos-metrics-statsd.sock`): PUT or DELETE /containers/<id>,
  GET /containers;
- Prometheus's text format of all of the above on port 61091 (/metrics).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dcos_internal_utils.http import Request, Response, Router
from dcos_internal_utils.httpclient import UNAVAILABLE, HTTPStatusError, get_json

from . import datapoints as dp
from .containers import ContainerMetrics
from .node import CpuSampler, node_datapoints
from .statsd import StatsdServer

log = logging.getLogger("dcos-metrics")

MESOS_ID_CACHE_S = 60.0
JSON = "application/json; charset=UTF-8"


def _json(value: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(value).encode() + b"\n", content_type=JSON)


def _no_content(message: str) -> Response:
    # dcos-metrics answers "nothing there" with 204 (and so no body).
    log.info("%s", message)
    return Response(status=204, body=b"", content_type="text/plain; charset=utf-8")


@dataclass
class Node:
    role: str  # master, agent
    hostname: str  # the node's IP, as DC/OS reports it
    cluster_id: str
    mesos_url: str  # this node's Mesos master or agent


class Metrics:
    def __init__(
        self,
        node: Node,
        cpu: CpuSampler,
        containers: ContainerMetrics | None = None,
        statsd: StatsdServer | None = None,
    ) -> None:
        self.node = node
        self.cpu = cpu
        self.containers = containers
        self.statsd = statsd
        self._mesos_id = ""
        self._mesos_id_at = 0.0
        self._lock = threading.Lock()

    def mesos_id(self) -> str:
        with self._lock:
            if not self._mesos_id or time.monotonic() - self._mesos_id_at > MESOS_ID_CACHE_S:
                try:
                    state = get_json(self.node.mesos_url + "/state", timeout=3.0)
                    self._mesos_id = str(state.get("id", ""))
                    self._mesos_id_at = time.monotonic()
                except (*UNAVAILABLE, HTTPStatusError) as exc:
                    log.warning("Mesos ID: %s", exc)
            return self._mesos_id

    def node_dimensions(self) -> dp.Dimensions:
        return dp.Dimensions(self.mesos_id(), self.node.cluster_id, self.node.hostname)

    def node_message(self) -> dict[str, Any]:
        return dp.message(node_datapoints(self.cpu), self.node_dimensions())

    def live_containers(self) -> list[str]:
        """Running containers, and any that sent app metrics (sorted)."""
        assert self.containers is not None and self.statsd is not None
        view = self.containers.view()
        live = set(view.containers)
        self.statsd.forget_all_but(live)
        return sorted(live | set(self.statsd.containers_with_data()))

    def container_message(self, container_id: str) -> dict[str, Any] | None:
        assert self.containers is not None
        view = self.containers.view()
        if container_id not in view.containers:
            return None
        points = self.containers.datapoints(view, container_id)
        dims = self.containers.dimensions(
            view, container_id, self.node.cluster_id, self.node.hostname
        )
        return dp.message(points, dims)

    def app_message(self, container_id: str, metric: str = "") -> dict[str, Any] | None:
        assert self.containers is not None and self.statsd is not None
        points = self.statsd.datapoints(container_id, metric)
        if not points:
            return None
        try:
            view = self.containers.view()
        except (*UNAVAILABLE, HTTPStatusError):
            view = None
        if view is not None:
            dims = self.containers.dimensions(
                view, container_id, self.node.cluster_id, self.node.hostname
            )
        else:
            dims = dp.Dimensions(
                "", self.node.cluster_id, self.node.hostname, container_id=container_id
            )
        return dp.message(points, dims)


def api_router(metrics: Metrics) -> Router:
    router = Router()

    @router.get("/v0/ping")
    def ping(request: Request) -> Response:
        return _json({"ok": True, "timestamp": dp.timestamp().split(".")[0] + "Z"})

    @router.get("/v0/node")
    def node(request: Request) -> Response:
        return _json(metrics.node_message())

    if metrics.containers is None:
        return router

    def agent_answer(call: Callable[[], Any], missing: str) -> Response:
        try:
            value = call()
        except (*UNAVAILABLE, HTTPStatusError) as exc:
            return Response.error(503, f"the Mesos agent does not answer: {exc}")
        return _no_content(missing) if value is None else _json(value)

    @router.get("/v0/containers")
    def containers(request: Request) -> Response:
        return agent_answer(metrics.live_containers, "")

    @router.get("/v0/containers/{id}")
    def container(request: Request) -> Response:
        cid = request.params["id"]
        return agent_answer(lambda: metrics.container_message(cid), f"no container {cid}")

    @router.get("/v0/containers/{id}/app")
    def app(request: Request) -> Response:
        cid = request.params["id"]
        return agent_answer(lambda: metrics.app_message(cid), f"no app metrics for {cid}")

    @router.get("/v0/containers/{id}/app/{metric}")
    def app_metric(request: Request) -> Response:
        cid, metric = request.params["id"], request.params["metric"]
        return agent_answer(
            lambda: metrics.app_message(cid, metric), f"no app metric {metric} for {cid}"
        )

    return router


def statsd_router(statsd: StatsdServer) -> Router:
    """What the Mesos agent calls when it launches and destroys a container."""
    router = Router()

    def register(request: Request) -> Response:
        cid = request.params["id"]
        existed = cid in statsd.registrations
        try:
            registration = statsd.register(cid)
        except OSError as exc:
            return Response.error(500, f"cannot listen for {cid}: {exc}")
        return _json(registration.to_json(), status=200 if existed else 201)

    router.route("PUT", "/containers/{id}")(register)
    router.route("POST", "/containers/{id}")(register)

    @router.route("DELETE", "/containers/{id}")
    def unregister(request: Request) -> Response:
        if statsd.unregister(request.params["id"]):
            return Response(status=204, body=b"")
        return Response.error(404, f"container {request.params['id']} is not registered")

    @router.get("/containers")
    def listing(request: Request) -> Response:
        return _json([r.to_json() for r in statsd.registrations.values()])

    return router


# -- Prometheus ------------------------------------------------------------------

_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


def metric_name(*parts: str) -> str:
    name = _INVALID.sub("_", "_".join(p for p in parts if p))
    return "_" + name if name[:1].isdigit() else name


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{metric_name(k)}="{_label_value(str(v))}"' for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


def prometheus_text(metrics: Metrics) -> str:
    """Every datapoint of this node in Prometheus's text format (samples grouped by name)."""
    samples: dict[str, list[str]] = {}

    def add(name: str, value: Any, labels: dict[str, str]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        samples.setdefault(name, []).append(f"{name}{_labels(labels)} {value}")

    base = {"cluster_id": metrics.node.cluster_id, "hostname": metrics.node.hostname}
    base["mesos_id"] = metrics.mesos_id()
    for point in node_datapoints(metrics.cpu):
        add(metric_name("dcos_node", point.name), point.value, {**base, **point.tags})
    if metrics.containers is not None and metrics.statsd is not None:
        try:
            live = metrics.live_containers()
            view = metrics.containers.view()
        except (*UNAVAILABLE, HTTPStatusError) as exc:
            log.warning("containers: %s", exc)
            live, view = metrics.statsd.containers_with_data(), None
        for cid in live:
            if view is not None and cid in view.containers:
                for point in metrics.containers.datapoints(view, cid):
                    add(
                        metric_name("dcos_container", point.name),
                        point.value,
                        {**base, **point.tags},
                    )
            for point in metrics.statsd.datapoints(cid):
                add(
                    metric_name(point.name),
                    point.value,
                    {**base, **point.tags, "container_id": cid},
                )
    lines = [line for name in sorted(samples) for line in samples[name]]
    return "\n".join(lines) + "\n"


def prometheus_router(metrics: Metrics) -> Router:
    router = Router()

    @router.get("/metrics")
    def scrape(request: Request) -> Response:
        return Response(
            body=prometheus_text(metrics).encode(),
            content_type="text/plain; version=0.0.4; charset=utf-8",
        )

    return router
