"""dcos-metrics: node datapoints, container metrics from a fake agent, StatsD, Prometheus."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dcos_internal_utils import http, statsd_registration
from dcos_internal_utils.docker import Docker
from dcos_internal_utils.http import Request
from dcos_metrics import api, statsd
from dcos_metrics.containers import ContainerMetrics
from dcos_metrics.node import CpuSampler, node_datapoints

CID, FID, EID = "5e1f-cafe", "fw-0001", "app.7a1c"


class FakeDocker(Docker):
    def available(self) -> bool:
        return False


def agent_state() -> dict[str, Any]:
    executor = {
        "id": EID,
        "name": "Command Executor",
        "source": "app.7a1c",
        "container": CID,
        "directory": "/nonexistent",
        "resources": {"cpus": 0.1, "mem": 32, "disk": 10},
        "tasks": [{"id": EID, "name": "app", "labels": [{"key": "team", "value": "a"}]}],
    }
    return {
        "id": "agent-S0",
        "frameworks": [{"id": FID, "name": "marathon", "role": "*", "executors": [executor]}],
    }


@pytest.fixture
def agent() -> Iterator[str]:
    """A Mesos agent's /state and /containers, on a local port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body: Any
            if self.path == "/state":
                body = agent_state()
            elif self.path == "/containers":
                body = [{"container_id": CID, "executor_id": EID, "status": {"executor_pid": 4242}}]
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def metrics(agent: str, tmp_path: Path) -> Iterator[api.Metrics]:
    burned = {"cpu": 1.0}

    def statistics(pid: int) -> dict[str, Any]:
        assert pid == 4242
        burned["cpu"] += 0.5  # a task burning CPU: every reading is higher
        return {"cpus_user_time_secs": burned["cpu"], "mem_rss_bytes": 1024, "processes": 2}

    containers = ContainerMetrics(
        lambda: agent,
        FakeDocker(),
        statistics,
        lambda cid: {},
    )
    server = statsd.StatsdServer(tmp_path / "statsd.json", host="127.0.0.1")
    server.start()
    node = api.Node("agent", "192.0.2.7", "cluster-uuid", agent)
    yield api.Metrics(node, CpuSampler(), containers, server)


def get(router: http.Router, path: str) -> tuple[int, Any]:
    response = router.dispatch(Request("GET", path, {}, {}, b""))
    return response.status, (json.loads(response.body) if response.body.strip() else None)


def test_node_datapoints_have_dcos_names_and_tags() -> None:
    points = node_datapoints(CpuSampler())
    names = {p.name for p in points}
    assert {
        "cpu.total",
        "cpu.cores",
        "memory.total",
        "load.1min",
        "system.uptime",
        "process.count",
        "filesystem.capacity.used",
        "network.in",
    } <= names
    for p in points:
        if p.name.startswith("filesystem."):
            assert p.tags["path"]
        if p.name.startswith("network."):
            assert p.tags["interface"]
    cpu = next(p for p in points if p.name == "cpu.total")
    assert cpu.unit == "percent" and 0 <= cpu.value <= 100


def test_ping_and_node(metrics: api.Metrics) -> None:
    router = api.api_router(metrics)
    status, body = get(router, "/v0/ping")
    assert status == 200 and body["ok"] is True
    status, body = get(router, "/v0/node")
    assert status == 200
    assert body["dimensions"] == {
        "mesos_id": "agent-S0",
        "cluster_id": "cluster-uuid",
        "hostname": "192.0.2.7",
    }
    assert {"name", "value", "unit", "timestamp"} <= set(body["datapoints"][0])


def test_container_metrics_move_and_carry_five_tags(metrics: api.Metrics) -> None:
    router = api.api_router(metrics)
    assert get(router, "/v0/containers") == (200, [CID])
    status, first = get(router, f"/v0/containers/{CID}")
    assert status == 200
    for point in first["datapoints"]:
        assert point["tags"] == {
            "container_id": CID,
            "source": "app.7a1c",
            "framework_id": FID,
            "executor_id": EID,
            "executor_name": "Command Executor",
        }
    dims = first["dimensions"]
    assert dims["executor_id"] == EID and dims["framework_name"] == "marathon"
    assert dims["task_name"] == "app" and dims["labels"] == {"team": "a"}
    by_name = {p["name"]: p for p in first["datapoints"]}
    assert by_name["disk.limit"]["value"] == 10 * 1024 * 1024
    assert by_name["mem.rss"]["unit"] == "bytes"
    _, second = get(router, f"/v0/containers/{CID}")
    cpu = [
        {p["name"]: p["value"] for p in m["datapoints"]}["cpus.user.time"] for m in (first, second)
    ]
    assert cpu[1] > cpu[0]
    assert get(router, "/v0/containers/unknown")[0] == 204
    assert get(router, f"/v0/containers/{CID}/app")[0] == 204  # nothing sent yet


def test_a_master_has_no_container_routes(agent: str) -> None:
    node = api.Node("master", "192.0.2.1", "cluster-uuid", agent)
    router = api.api_router(api.Metrics(node, CpuSampler()))
    assert get(router, "/v0/containers")[0] == 404


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("a.b:3|g", ("a.b", "g", 3.0, {}, False)),
        ("a:-2|g", ("a", "g", -2.0, {}, True)),
        ("hits:1|c|@0.5", ("hits", "c", 2.0, {}, False)),
        ("t:12.5|ms|#env:prod,k:v", ("t", "ms", 12.5, {"env": "prod", "k": "v"}, False)),
        ("nonsense", None),
        ("x:1|zz", None),
        ("x:abc|g", None),
    ],
)
def test_statsd_lines(line: str, parsed: Any) -> None:
    assert statsd.parse_line(line) == parsed


def test_statsd_values_accumulate_per_kind() -> None:
    container = statsd.ContainerMetrics()
    container.receive(b"hits:1|c\nhits:2|c\nlevel:5|g\nlevel:+2|g\nu:a|s\nu:b|s\nu:a|s", 1.0)
    values = {p.name: p.value for p in container.datapoints()}
    assert values == {"hits": 3, "level": 7, "u": 2}
    assert [p.name for p in container.datapoints("level")] == ["level"]


def test_app_metrics_arrive_on_the_registered_port(metrics: api.Metrics, tmp_path: Path) -> None:
    assert metrics.statsd is not None
    sock_path = str(tmp_path / "statsd.sock")
    server_sock = http.unix_socket(sock_path)
    threading.Thread(
        target=http.serve_sockets,
        args=([(server_sock, api.statsd_router(metrics.statsd))],),
        daemon=True,
    ).start()
    env = statsd_registration.register(CID, socket_path=sock_path)
    assert env["STATSD_UDP_HOST"] == "127.0.0.1"
    port = int(env["STATSD_UDP_PORT"])
    assert statsd_registration.register(CID, socket_path=sock_path) == env  # idempotent
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.sendto(
        b"statsd_tester.time.uptime:1234|g|#test_tag_key:test_tag_value", ("127.0.0.1", port)
    )
    router = api.api_router(metrics)
    deadline = time.monotonic() + 5
    while get(router, f"/v0/containers/{CID}/app")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    status, app = get(router, f"/v0/containers/{CID}/app")
    assert status == 200
    point = app["datapoints"][0]
    assert point["name"] == "statsd_tester.time.uptime" and point["value"] == 1234
    assert point["tags"] == {"test_tag_key": "test_tag_value"}
    assert set(point) == {"name", "value", "unit", "timestamp", "tags"}
    assert app["dimensions"]["container_id"] == CID
    assert get(router, f"/v0/containers/{CID}/app/statsd_tester.time.uptime")[0] == 200
    assert get(router, f"/v0/containers/{CID}/app/other")[0] == 204

    text = api.prometheus_text(metrics)
    assert "statsd_tester_time_uptime{" in text and 'test_tag_key="test_tag_value"' in text
    assert "dcos_node_cpu_total{" in text and "dcos_container_cpus_user_time{" in text

    # A restarted dcos-metrics listens on the same port again.
    saved = json.loads((tmp_path / "statsd.json").read_text())
    assert saved == [{"container_id": CID, "statsd_host": "127.0.0.1", "statsd_port": port}]
    statsd_registration.unregister(CID, socket_path=sock_path)
    assert metrics.statsd.registrations == {}
    restored = statsd.StatsdServer(tmp_path / "again.json", host="127.0.0.1")
    (tmp_path / "again.json").write_text(json.dumps(saved))
    restored.restore()
    assert restored.registrations[CID].port == port


def test_registration_without_dcos_metrics_is_empty(tmp_path: Path) -> None:
    assert statsd_registration.register("x", socket_path=str(tmp_path / "none.sock")) == {}
