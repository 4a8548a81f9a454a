"""dcos-metrics (dcos-metrics-master, dcos-metrics-agent) as DC/OS's test_metrics.py checks
it, through Admin Router: ping and node metrics on every node, container metrics whose
values move while a task burns CPU, a task's StatsD metrics, and Prometheus on 61091.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from mesos_tasks import running_task, session
from node_api import agent_ids, base_url
from polling import Poll, wait_for

METRICS = "/system/v1/metrics/v0"
MASTER = "http://127.0.0.1"
CONTAINER_TAGS = {"container_id", "source", "framework_id", "executor_id", "executor_name"}


def metrics_get(node: str, masters: list[str], path: str) -> Any:
    response = session.get(base_url(node, masters) + METRICS + path, timeout=10)
    assert response.status_code == 200, (node, path, response.status_code, response.text)
    return response.json()


def test_sockets(host: Any) -> None:
    sock = host.file("/run/dcos/dcos-metrics-master.sock")
    assert (sock.user, sock.group, sock.mode) == ("root", "dcos_adminrouter", 0o660)
    assert host.socket("tcp://0.0.0.0:61091").is_listening


def test_ping_on_every_node(master_hosts: list[str], all_hosts: list[str]) -> None:
    for node in all_hosts:
        assert metrics_get(node, master_hosts, "/ping")["ok"] is True


def test_node_metrics_on_every_node(master_hosts: list[str], all_hosts: list[str]) -> None:
    cluster_id = Path("/var/lib/dcos/cluster-id").read_text().strip()
    ids = agent_ids()
    for node in all_hosts:
        body = metrics_get(node, master_hosts, "/node")
        names = {dp["name"] for dp in body["datapoints"]}
        assert {
            "cpu.total",
            "memory.total",
            "load.1min",
            "system.uptime",
            "filesystem.capacity.used",
            "network.in",
        } <= names, names
        for dp in body["datapoints"]:
            assert {"name", "value", "unit", "timestamp"} <= set(dp), dp
            if "filesystem" in dp["name"]:
                assert dp["tags"]["path"], dp
        assert body["dimensions"]["cluster_id"] == cluster_id
        assert body["dimensions"]["hostname"] == node
        if node in ids:
            assert body["dimensions"]["mesos_id"] == ids[node]


def test_masters_have_no_container_metrics() -> None:
    assert session.get(MASTER + METRICS + "/containers", timeout=10).status_code == 404


def test_prometheus_on_every_node(all_hosts: list[str]) -> None:
    for node in all_hosts:
        response = session.get(f"http://{node}:61091/metrics", timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "dcos_node_cpu_total{" in response.text


def container_values(agent_id: str, container_id: str) -> dict[str, Any]:
    response = session.get(
        f"{MASTER}/system/v1/agent/{agent_id}{METRICS.removeprefix('/system/v1')}"
        f"/containers/{container_id}",
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for dp in body["datapoints"]:
        assert set(dp["tags"]) == CONTAINER_TAGS, dp
        assert all(dp["tags"].values()), dp
        assert dp["tags"]["container_id"] == container_id
    return {
        "dimensions": body["dimensions"],
        **{dp["name"]: dp["value"] for dp in body["datapoints"]},
    }


def task_container(task: Any) -> str:
    for framework in task.state["frameworks"]:
        for t in framework["tasks"]:
            if t["id"] == task.id:
                return str(t["statuses"][-1]["container_status"]["container_id"]["value"])
    raise AssertionError(f"task {task.id} not found")


def test_container_metrics_move_while_a_task_burns_cpu() -> None:
    name = f"metrics-burn-{uuid.uuid4().hex[:8]}"
    with running_task(name, "while true; do :; done", ("--resources=cpus:0.5;mem:32",)) as task:
        container_id = task_container(task)
        listed = wait_for(
            lambda: Poll(
                container_id
                in (
                    ids := session.get(
                        f"{MASTER}/system/v1/agent/{task.agent_id}/metrics/v0/containers",
                        timeout=10,
                    ).json()
                ),
                ids,
            ),
            60,
            f"container {container_id} listed",
        )
        assert container_id in listed
        first = container_values(task.agent_id, container_id)
        assert first["dimensions"]["executor_id"] == task.id
        assert first["dimensions"]["task_name"] == name
        assert first["mem.total"] > 0 and first["processes"] >= 1
        later = wait_for(
            lambda: Poll(
                (v := container_values(task.agent_id, container_id))["cpus.user.time"]
                > first["cpus.user.time"],
                v,
            ),
            30,
            "the task's CPU time to grow",
        )
        assert later["cpus.user.time"] > first["cpus.user.time"]
        node = wait_for(
            lambda: Poll(
                (
                    n := {
                        dp["name"]: dp["value"]
                        for dp in session.get(
                            f"{MASTER}/system/v1/agent/{task.agent_id}/metrics/v0/node", timeout=10
                        ).json()["datapoints"]
                    }
                )["cpu.total"]
                > 0,
                n,
            ),
            30,
            "the agent's CPU use above zero",
        )
        assert node["cpu.total"] > 0


def test_statsd_metrics_of_a_task() -> None:
    name = f"statsd-emitter-{uuid.uuid4().hex[:8]}"
    # The task outlives an emitter that finds no address, so that its output can be read.
    command = "/opt/mesosphere/bin/statsd-emitter -debug; sleep 300"
    with running_task(name, command, ("--resources=cpus:0.1;mem:32",)) as task:
        container_id = task_container(task)
        stdout_url = f"{MASTER}/system/v1/logs/v2/task/{task.id}/file/stdout"
        stderr_url = f"{MASTER}/system/v1/logs/v2/task/{task.id}/file/stderr"
        started = wait_for(
            lambda: Poll(
                bool(
                    out := session.get(stdout_url, timeout=10).text
                    + session.get(stderr_url, timeout=10).text
                ),
                out,
            ),
            30,
            "statsd-emitter's first output",
        )
        assert "No StatsD address" not in started, started
        url = f"{MASTER}/system/v1/agent/{task.agent_id}/metrics/v0/containers/{container_id}/app"
        body = wait_for(
            lambda: Poll(
                (r := session.get(url, timeout=10)).status_code == 200,
                r.json() if r.status_code == 200 else None,
                str(r.status_code),
            ),
            60,
            "statsd-emitter's metrics",
        )
        uptime = next(dp for dp in body["datapoints"] if dp["name"] == "statsd_tester.time.uptime")
        assert {"name", "value", "unit", "timestamp", "tags"} <= set(uptime)
        assert uptime["tags"]["test_tag_key"] == "test_tag_value"
        assert body["dimensions"]["container_id"] == container_id
