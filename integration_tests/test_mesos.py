"""Mesos master and agents on a live cluster, through their public APIs only.

Run on a master (`minidcos docker run --test-env -- python3 -m pytest test_mesos.py`).
One framework (module-scoped) launches every task; it acknowledges updates as
a real framework must.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import os
import re
import subprocess
import threading
import time
import uuid
from typing import Any

import acs
import pytest
import requests
from kazoo.client import KazooClient
from mesos_scheduler import Scheduler, command_task, resources
from polling import Poll, wait_for

# A tiny image built on an agent from the node's own files (there is no registry).
TINY_IMAGE = "mesos-test/tiny:latest"
BUILD_TINY_IMAGE = (
    "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/lib/x86_64-linux-gnu $d/lib64; "
    "for b in dash sleep cat echo ls; do cp /bin/$b $d/bin/; done; cp /bin/dash $d/bin/sh; "
    "cp -L /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libselinux.so.1 "
    "/lib/x86_64-linux-gnu/libpcre2-8.so.0 $d/lib/x86_64-linux-gnu/; "
    "cp -L /lib64/ld-linux-x86-64.so.2 $d/lib64/; "
    f"tar -C $d -c . | docker import -c 'CMD [\"/bin/sh\"]' - {TINY_IMAGE}; rm -rf $d"
)


def get(url: str, **kwargs: Any) -> requests.Response:
    response = requests.get(url, timeout=10, **kwargs)
    response.raise_for_status()
    return response


@pytest.fixture(scope="module")
def leader(master_hosts: list[str]) -> str:
    def probe() -> Poll[str]:
        response = requests.get(
            f"http://{master_hosts[0]}:5050/master/redirect", allow_redirects=False, timeout=5
        )
        location = response.headers.get("Location", "")
        return Poll(
            response.status_code == 307 and bool(location),
            "http:" + location,
            f"{response.status_code} {location}",
        )

    return str(wait_for(probe, 30, "a leading Mesos master"))


@pytest.fixture(scope="module")
def state(leader: str) -> dict[str, Any]:
    return dict(get(leader + "/state").json())


@pytest.fixture(scope="module")
def scheduler(leader: str) -> Any:
    framework = Scheduler(leader, roles=["*", "slave_public"])
    yield framework
    framework.teardown()


def agent_id_of(state: dict[str, Any], host: str) -> str:
    return str(next(s["id"] for s in state["slaves"] if s["hostname"] == host))


def on_host(host: str, role: str = "*") -> Any:
    return lambda offer: offer["hostname"] == host and offer["allocation_info"]["role"] == role


def run_task(
    scheduler: Scheduler,
    task: dict[str, Any],
    host: str | None = None,
    role: str = "*",
    until: set[str] | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    offer = scheduler.offer(
        on_host(host, role) if host else (lambda o: o["allocation_info"]["role"] == role)
    )
    scheduler.launch(offer, [task])
    return scheduler.wait_state(task["task_id"]["value"], until or {"TASK_FINISHED"}, timeout)


def journal(
    master: str, status: dict[str, Any], framework_id: str, executor_id: str, stream: str
) -> str:
    """A task's journal entries of one stream, through dcos-log as DC/OS's tests read them:
    by framework, executor and container (`parent.child` for a nested container)."""
    container = status["container_status"]["container_id"]
    chain = [container["value"]]
    while "parent" in container:
        container = container["parent"]
        chain.append(container["value"])
    url = (
        f"http://{master}/system/v1/agent/{status['agent_id']['value']}/logs/v1/range/framework/"
        f"{framework_id}/executor/{executor_id}/container/{'.'.join(reversed(chain))}"
    )
    response = requests.get(
        url, params={"filter": f"STREAM:{stream}"}, headers=acs.auth_headers(), timeout=10
    )
    return response.text if response.status_code == 200 else ""


def wait_journal(
    master: str, status: dict[str, Any], framework_id: str, executor_id: str, lines: dict[str, str]
) -> None:
    """Wait until each stream's entries hold its line."""

    def holds(stream: str, line: str) -> Poll[str]:
        text = journal(master, status, framework_id, executor_id, stream)
        return Poll(line in text, text)

    for stream, line in lines.items():
        wait_for(
            functools.partial(holds, stream, line),
            10,
            f"{line} in the task's {stream} journal entries",
        )


# -- units, ZooKeeper, registration ---------------------------------------------------


def test_master_unit_listens(host: Any) -> None:
    assert host.service("dcos-mesos-master").is_running
    assert host.socket("tcp://0.0.0.0:5050").is_listening


def test_leader_znodes_hold_master_info(master_hosts: list[str]) -> None:
    zk = KazooClient(hosts=",".join(f"{m}:2181" for m in master_hosts))
    zk.start(timeout=10)
    try:
        children = [c for c in zk.get_children("/mesos") if c.startswith("json.info_")]
        infos = [json.loads(zk.get(f"/mesos/{c}")[0]) for c in children]
    finally:
        zk.stop()
    assert sorted(i["address"]["ip"] for i in infos) == sorted(master_hosts)
    for info in infos:
        assert info["address"]["port"] == 5050
        assert {"id", "hostname", "version", "pid", "port"} <= set(info)
        assert info["pid"] == f"master@{info['address']['ip']}:5050"


def test_every_agent_registered(
    state: dict[str, Any], agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    hosts = {s["hostname"]: s for s in state["slaves"]}
    assert sorted(hosts) == sorted(agent_hosts + public_agent_hosts)
    for host in public_agent_hosts:
        assert "slave_public" in hosts[host]["reserved_resources"]
        assert hosts[host]["attributes"] == {"public_ip": "true"}
        assert hosts[host]["unreserved_resources"]["cpus"] == 0
    for host in agent_hosts:
        assert hosts[host]["reserved_resources"] == {}
        assert hosts[host]["resources"]["ports"] == (
            "[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]"
        )


def test_agent_default_role(agent_hosts: list[str], public_agent_hosts: list[str]) -> None:
    for host in agent_hosts:
        assert get(f"http://{host}:5051/state").json()["flags"]["default_role"] == "*"
        flags = get(f"http://{host}:5051/flags").json()["flags"]
        assert flags["default_role"] == "*"
        # What the agent does, as DC/OS 1.10 names it: task output to the journal, and
        # a StatsD address for every container (the metrics isolator module).
        assert flags["container_logger"] == "com_mesosphere_mesos_JournaldLogger"
        isolation = flags["isolation"].split(",")
        assert {"cgroups/cpu", "cgroups/mem", "com_mesosphere_MetricsIsolatorModule"} <= set(
            isolation
        )
    for host in public_agent_hosts:
        assert get(f"http://{host}:5051/state").json()["flags"]["default_role"] == "slave_public"
        assert (
            get(f"http://{host}:5051/slave(1)/state").json()["flags"]["default_role"]
            == "slave_public"
        )


# -- v0 endpoints ----------------------------------------------------------------------


def test_master_v0_endpoints(leader: str) -> None:
    state = get(leader + "/state").json()
    for key in (
        "version",
        "build_date",
        "start_time",
        "elected_time",
        "id",
        "pid",
        "hostname",
        "activated_slaves",
        "leader",
        "leader_info",
        "flags",
        "slaves",
        "frameworks",
        "completed_frameworks",
        "unregistered_frameworks",
        "orphan_tasks",
    ):
        assert key in state, key
    assert state["version"] == "1.4.0"
    assert state["leader"] == state["pid"]
    assert get(leader + "/master/state").json()["id"] == state["id"]
    summary = get(leader + "/state-summary").json()
    assert set(summary) >= {"hostname", "slaves", "frameworks"}
    for slave in summary["slaves"]:
        assert {
            "id",
            "pid",
            "hostname",
            "resources",
            "used_resources",
            "TASK_RUNNING",
            "framework_ids",
            "active",
        } <= set(slave)
    assert set(get(leader + "/slaves").json()) == {"slaves", "recovered_slaves"}
    assert "tasks" in get(leader + "/tasks").json()
    assert {"frameworks", "completed_frameworks", "unregistered_frameworks"} <= set(
        get(leader + "/frameworks").json()
    )
    assert "roles" in get(leader + "/roles").json()
    assert requests.get(leader + "/health", timeout=5).status_code == 200
    assert "<title>Mesos</title>" in get(leader + "/").text
    metrics = get(leader + "/metrics/snapshot").json()
    assert metrics["master/elected"] == 1.0
    assert metrics["master/slaves_active"] == len(state["slaves"])
    assert get(leader + "/version").json()["version"] == "1.4.0"
    flags = get(leader + "/flags").json()["flags"]
    assert flags["zk"].startswith("zk://zk-1.zk:2181")
    assert flags["port"] == "5050"


def test_master_redirect(leader: str, master_hosts: list[str]) -> None:
    for master in master_hosts:
        response = requests.get(
            f"http://{master}:5050/master/redirect", allow_redirects=False, timeout=5
        )
        assert response.status_code == 307
        assert "http:" + response.headers["Location"] == leader


def test_teardown_needs_a_framework(leader: str) -> None:
    response = requests.post(leader + "/teardown", data={"frameworkId": "no-such"}, timeout=5)
    assert response.status_code == 400
    assert requests.get(leader + "/teardown", timeout=5).status_code == 405


def test_agent_v0_endpoints(agent_hosts: list[str]) -> None:
    host = agent_hosts[0]
    state = get(f"http://{host}:5051/state").json()
    for key in (
        "version",
        "id",
        "pid",
        "hostname",
        "resources",
        "attributes",
        "flags",
        "frameworks",
        "completed_frameworks",
        "master_hostname",
        "capabilities",
    ):
        assert key in state, key
    assert requests.get(f"http://{host}:5051/health", timeout=5).status_code == 200
    assert get(f"http://{host}:5051/containerizer/debug").json() == {"pending": []}
    assert isinstance(get(f"http://{host}:5051/containers").json(), list)
    assert isinstance(get(f"http://{host}:5051/monitor/statistics").json(), list)
    assert get(f"http://{host}:5051/metrics/snapshot").json()["slave/registered"] == 1.0


# -- scheduler API ---------------------------------------------------------------------


def test_scheduler_api_errors(leader: str, scheduler: Scheduler) -> None:
    url = leader + "/api/v1/scheduler"
    response = requests.post(url, data=b"{}", timeout=5)
    assert response.status_code == 400
    assert response.text == "Expecting 'Content-Type' to be present"
    response = requests.post(url, json={"type": "REVIVE"}, timeout=5)
    assert response.status_code == 400
    assert "Expecting 'framework_id' to be present" in response.text
    response = requests.post(
        url, json={"type": "REVIVE", "framework_id": {"value": "nope"}}, timeout=5
    )
    assert response.status_code == 400
    assert response.text == "Framework cannot be found"
    response = requests.post(
        url,
        timeout=5,
        headers={"Mesos-Stream-Id": "bad"},
        json={"type": "REVIVE", "framework_id": {"value": scheduler.framework_id}},
    )
    assert response.status_code == 400
    assert "didn't match the stream ID" in response.text
    assert requests.get(url, timeout=5).status_code == 405


def test_command_task_finishes(leader: str, scheduler: Scheduler, agent_hosts: list[str]) -> None:
    task = command_task("finish", "echo hello from mesos")
    status = run_task(scheduler, task, agent_hosts[0])
    assert status["message"] == "Command exited with status 0"
    assert (
        status["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"]
        == agent_hosts[0]
    )
    states = [s["state"] for s in scheduler.statuses(task["task_id"]["value"])]
    assert states == ["TASK_RUNNING", "TASK_FINISHED"]

    def completed() -> Poll[dict[str, Any]]:
        frameworks = get(leader + "/frameworks").json()["frameworks"]
        mine = next(f for f in frameworks if f["id"] == scheduler.framework_id)
        done = [t for t in mine["completed_tasks"] if t["id"] == task["task_id"]["value"]]
        return Poll(bool(done), done[0] if done else None, "not yet completed")

    shown = wait_for(completed, 10, "the task among completed_tasks")
    assert shown["state"] == "TASK_FINISHED"
    assert [s["state"] for s in shown["statuses"]] == ["TASK_RUNNING", "TASK_FINISHED"]
    assert shown["slave_id"] and shown["framework_id"] == scheduler.framework_id


def test_task_over_memory_limit_is_killed(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    task = command_task("oom", "python3 -c 'x = b\"x\" * 400_000_000'", mem=32)
    status = run_task(scheduler, task, agent_hosts[0], until={"TASK_FAILED"})
    assert status["reason"] == "REASON_CONTAINER_LIMITATION_MEMORY"
    assert status["source"] == "SOURCE_AGENT"


def test_failing_command_reports_its_status(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    status = run_task(
        scheduler, command_task("fails", "exit 3"), agent_hosts[0], until={"TASK_FAILED"}
    )
    assert status["message"] == "Command exited with status 3"


def test_kill_a_running_task(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    task = command_task("killme", "sleep 300")
    run_task(scheduler, task, agent_hosts[0], until={"TASK_RUNNING"})
    scheduler.kill(task["task_id"]["value"], task["agent_id"]["value"])
    status = scheduler.wait_state(task["task_id"]["value"], {"TASK_KILLED"}, 30)
    assert status["message"] == "Command terminated with signal Terminated"


def test_task_output_in_the_journal_and_its_exit_status(
    scheduler: Scheduler, agent_hosts: list[str], master_hosts: list[str]
) -> None:
    task = command_task("journal", "echo TASK_STDOUT; echo TASK_STDERR >&2; exit 7")
    status = run_task(scheduler, task, agent_hosts[0], until={"TASK_FAILED"})
    assert status["message"] == "Command exited with status 7"
    assert status["reason"] == "REASON_COMMAND_EXECUTOR_FAILED"
    task_id = task["task_id"]["value"]
    running = scheduler.statuses(task_id)[0]
    lines = {"STDOUT": "TASK_STDOUT", "STDERR": "TASK_STDERR"}
    wait_journal(master_hosts[0], running, scheduler.framework_id, task_id, lines)
    assert "TASK_STDERR" not in journal(
        master_hosts[0], running, scheduler.framework_id, task_id, "STDOUT"
    )


def test_monitor_statistics_follow_a_task_that_burns_cpu(
    scheduler: Scheduler, agent_hosts: list[str]
) -> None:
    task = command_task("burn", "while true; do :; done", cpus=0.5, mem=32)
    task_id = task["task_id"]["value"]
    run_task(scheduler, task, agent_hosts[0], until={"TASK_RUNNING"})
    agent = f"http://{agent_hosts[0]}:5051"

    def reading() -> dict[str, Any]:
        for entry in get(agent + "/monitor/statistics").json():
            if entry["executor_id"] == task_id:
                return dict(entry["statistics"])
        return {}

    def cpu_time(stats: dict[str, Any]) -> float:
        return float(stats.get("cpus_user_time_secs", 0) + stats.get("cpus_system_time_secs", 0))

    first = wait_for(
        lambda: Poll(cpu_time(st := reading()) > 0, st), 30, "the task's CPU time above zero"
    )
    assert first["cpus_limit"] == 0.5
    assert first["mem_limit_bytes"] == 32 * 1024 * 1024
    assert 0 < first["mem_total_bytes"] < first["mem_limit_bytes"]
    assert first["processes"] >= 1
    later = wait_for(
        lambda: Poll(cpu_time(st := reading()) > cpu_time(first) + 0.2, st),
        30,
        "the task's CPU time to grow",
    )
    assert later["timestamp"] > first["timestamp"]
    # /containers names the container's executor process, as Mesos does.
    (entry,) = [e for e in get(agent + "/containers").json() if e["executor_id"] == task_id]
    pid = entry["status"]["executor_pid"]
    assert isinstance(pid, int) and pid > 0
    assert cpu_time(entry["statistics"]) > 0
    scheduler.kill(task_id, task["agent_id"]["value"])
    scheduler.wait_state(task_id, {"TASK_KILLED"}, 30)


def test_task_stdout_readable_through_files(
    scheduler: Scheduler, agent_hosts: list[str], state: dict[str, Any]
) -> None:
    marker = uuid.uuid4().hex
    task = command_task("stdout", f"echo {marker}")
    run_task(scheduler, task, agent_hosts[0])
    agent = f"http://{agent_hosts[0]}:5051"
    agent_state = get(agent + "/state").json()
    executors = [
        e
        for f in agent_state["frameworks"] + agent_state["completed_frameworks"]
        for e in f["executors"] + f["completed_executors"]
        if e["id"] == task["task_id"]["value"]
    ]
    directory = executors[0]["directory"]
    assert directory.startswith("/var/lib/mesos/slave/slaves/")
    assert "/runs/" in directory
    read = get(agent + "/files/read", params={"path": directory + "/stdout", "offset": 0}).json()
    assert marker in read["data"] and read["offset"] == 0
    names = {
        os.path.basename(f["path"])
        for f in get(agent + "/files/browse", params={"path": directory}).json()
    }
    assert {"stdout", "stderr"} <= names
    download = get(agent + "/files/download", params={"path": directory + "/stdout"})
    assert marker.encode() in download.content
    assert (
        requests.get(
            agent + "/files/read", params={"path": "/etc/passwd", "offset": "0"}, timeout=5
        ).status_code
        == 404
    )


def test_task_stdout_through_admin_router(
    scheduler: Scheduler, agent_hosts: list[str], state: dict[str, Any], master_hosts: list[str]
) -> None:
    marker = uuid.uuid4().hex
    task = command_task("stdout-ar", f"echo {marker}")
    run_task(scheduler, task, agent_hosts[0])
    agent_id = agent_id_of(state, agent_hosts[0])
    headers = acs.auth_headers()  # Admin Router checks the cluster token
    agent_state = get(f"http://{master_hosts[0]}/agent/{agent_id}/state", headers=headers).json()
    directory = next(
        e["directory"]
        for f in agent_state["frameworks"] + agent_state["completed_frameworks"]
        for e in f["executors"] + f["completed_executors"]
        if e["id"] == task["task_id"]["value"]
    )
    read = get(
        f"http://{master_hosts[0]}/agent/{agent_id}/files/read",
        params={"path": directory + "/stdout", "offset": 0},
        headers=headers,
    ).json()
    assert marker in read["data"]


# -- Docker and the UCR ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_image(scheduler: Scheduler, agent_hosts: list[str]) -> str:
    """Built on the first agent by a task (Docker runs on every node; no registry here)."""
    run_task(scheduler, command_task("build-image", BUILD_TINY_IMAGE, mem=128), agent_hosts[0])
    return TINY_IMAGE


def test_docker_task_finishes(
    scheduler: Scheduler, agent_hosts: list[str], tiny_image: str
) -> None:
    task = command_task(
        "docker",
        "echo from docker; cat /proc/1/cmdline",
        container={"type": "DOCKER", "docker": {"image": tiny_image, "network": "BRIDGE"}},
    )
    status = run_task(scheduler, task, agent_hosts[0])
    assert status["message"] == "Command exited with status 0"
    running = scheduler.statuses(task["task_id"]["value"])[0]
    ip = running["container_status"]["network_infos"][0]["ip_addresses"][0]["ip_address"]
    assert ip != agent_hosts[0]  # Docker's bridge address


def test_docker_task_output_reaches_the_journal(
    scheduler: Scheduler, agent_hosts: list[str], master_hosts: list[str], tiny_image: str
) -> None:
    task = command_task(
        "docker-journal",
        "echo DOCKER_STDOUT statsd=$STATSD_UDP_HOST:$STATSD_UDP_PORT; echo DOCKER_STDERR >&2",
        container={"type": "DOCKER", "docker": {"image": tiny_image, "network": "BRIDGE"}},
    )
    run_task(scheduler, task, agent_hosts[0])
    task_id = task["task_id"]["value"]
    running = scheduler.statuses(task_id)[0]
    lines = {"STDOUT": "DOCKER_STDOUT", "STDERR": "DOCKER_STDERR"}
    wait_journal(master_hosts[0], running, scheduler.framework_id, task_id, lines)
    # A Docker task gets its StatsD address too (`docker run -e`).
    stdout = journal(master_hosts[0], running, scheduler.framework_id, task_id, "STDOUT")
    assert re.search(r"statsd=198\.51\.100\.1:\d+", stdout), stdout


def test_docker_bridge_task_publishes_its_port_mapping(
    scheduler: Scheduler, agent_hosts: list[str], tiny_image: str
) -> None:
    offer = scheduler.offer(on_host(agent_hosts[0]))
    port = next(r for r in offer["resources"] if r["name"] == "ports")["ranges"]["range"][0][
        "begin"
    ]
    docker = {
        "image": tiny_image,
        "network": "BRIDGE",
        "port_mappings": [{"host_port": port, "container_port": 80, "protocol": "tcp"}],
    }
    task = command_task("docker-ports", "sleep 300", container={"type": "DOCKER", "docker": docker})
    task["resources"] = resources(0.1, 32, ports=[port])
    scheduler.launch(offer, [task])
    status = scheduler.wait_state(task["task_id"]["value"], {"TASK_RUNNING"}, 30)
    network = status["container_status"]["network_infos"][0]
    assert network["port_mappings"][0]["host_port"] == port
    container = status["container_status"]["container_id"]["value"]
    # A task beside it asks the agent's Docker Engine what it publishes.
    check = command_task(
        "docker-port-check", f"docker port mesos-{container} 80/tcp | grep -q ':{port}$'"
    )
    run_task(scheduler, check, agent_hosts[0])
    scheduler.kill(task["task_id"]["value"], task["agent_id"]["value"])
    scheduler.wait_state(task["task_id"]["value"], {"TASK_KILLED"}, 30)


def test_docker_task_with_missing_image_fails(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    image = f"mesos-test/absent-{uuid.uuid4().hex[:6]}"
    task = command_task("noimage", "true", container={"type": "DOCKER", "docker": {"image": image}})
    status = run_task(scheduler, task, agent_hosts[0], until={"TASK_FAILED"})
    assert image in status["message"]


def test_ucr_task_runs_in_image_rootfs(
    scheduler: Scheduler, agent_hosts: list[str], tiny_image: str
) -> None:
    task = command_task(
        "ucr",
        "test ! -e /usr/bin/python3 && test -d /mnt/mesos/sandbox && echo ok > $MESOS_SANDBOX/out",
        container={
            "type": "MESOS",
            "mesos": {"image": {"type": "DOCKER", "docker": {"name": tiny_image}}},
        },
    )
    run_task(scheduler, task, agent_hosts[0])


# -- task groups, health checks, fetcher, rlimits ----------------------------------------


def test_task_group_shares_volume_and_shows_nested_containers(
    leader: str, scheduler: Scheduler, agent_hosts: list[str], master_hosts: list[str]
) -> None:
    executor: dict[str, Any] = {
        "type": "DEFAULT",
        "executor_id": {"value": f"pod-{uuid.uuid4().hex[:8]}"},
        "resources": resources(0.1, 32),
    }
    volume = [
        {
            "container_path": "shared",
            "mode": "RW",
            "source": {
                "type": "SANDBOX_PATH",
                "sandbox_path": {"type": "PARENT", "path": "volumes/shared"},
            },
        }
    ]
    writer = command_task(
        "writer",
        "echo WRITER_STDOUT; echo WRITER_STDERR >&2; echo shared-data > shared/file; sleep 300",
        container={"type": "MESOS", "volumes": volume},
    )
    reader = command_task(
        "reader",
        "while ! grep -q shared-data shared/file; do sleep 0.1; done; sleep 300",
        container={"type": "MESOS", "volumes": volume},
    )
    offer = scheduler.offer(on_host(agent_hosts[0]))
    scheduler.launch_group(offer, executor, [writer, reader])
    for task in (writer, reader):
        status = scheduler.wait_state(task["task_id"]["value"], {"TASK_RUNNING"}, 30)
        container = status["container_status"]["container_id"]
        assert "parent" in container and container["parent"]["value"] != container["value"]
    tasks = requests.post(leader + "/api/v1", json={"type": "GET_TASKS"}, timeout=5).json()
    ours = [
        t
        for t in tasks["get_tasks"]["tasks"]
        if t["task_id"]["value"] in (writer["task_id"]["value"], reader["task_id"]["value"])
    ]
    parents = {
        t["statuses"][-1]["container_status"]["container_id"]["parent"]["value"] for t in ours
    }
    assert len(ours) == 2 and len(parents) == 1
    agent_state = get(f"http://{agent_hosts[0]}:5051/state").json()
    executors = [
        e
        for f in agent_state["frameworks"]
        for e in f["executors"]
        if e["id"] == executor["executor_id"]["value"]
    ]
    assert executors[0]["type"] == "DEFAULT" and executors[0]["container"] in parents
    # The reader only runs because it read what the writer wrote into the shared volume.
    time.sleep(0.5)
    assert [s["state"] for s in scheduler.statuses(reader["task_id"]["value"])] == ["TASK_RUNNING"]
    # Each nested container's output is in the journal under `parent.child`.
    wait_journal(
        master_hosts[0],
        scheduler.statuses(writer["task_id"]["value"])[0],
        scheduler.framework_id,
        executor["executor_id"]["value"],
        {"STDOUT": "WRITER_STDOUT", "STDERR": "WRITER_STDERR"},
    )
    scheduler.kill(writer["task_id"]["value"], offer["agent_id"]["value"])
    for task in (writer, reader):
        scheduler.wait_state(task["task_id"]["value"], {"TASK_KILLED"}, 30)


def test_health_checks_set_healthy(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    offer = scheduler.offer(on_host(agent_hosts[0]))
    port = next(r for r in offer["resources"] if r["name"] == "ports")["ranges"]["range"][0][
        "begin"
    ]
    check = {
        "delay_seconds": 0,
        "interval_seconds": 0.5,
        "grace_period_seconds": 10,
        "timeout_seconds": 5,
    }
    http_task = command_task(
        "http-health",
        f"exec python3 -m http.server {port}",
        health_check={**check, "type": "HTTP", "http": {"port": port, "path": "/"}},
    )
    http_task["resources"] = resources(0.1, 64, ports=[port])
    tcp_task = command_task(
        "tcp-health",
        f"exec python3 -m http.server {port + 1}",
        health_check={**check, "type": "TCP", "tcp": {"port": port + 1}},
    )
    tcp_task["resources"] = resources(0.1, 64, ports=[port + 1])
    bad_task = command_task(
        "cmd-unhealthy",
        "sleep 300",
        health_check={
            **check,
            "grace_period_seconds": 0,
            "consecutive_failures": 2,
            "type": "COMMAND",
            "command": {"value": "exit 1"},
        },
    )
    scheduler.launch(offer, [http_task, tcp_task, bad_task])
    for task in (http_task, tcp_task):
        tid = task["task_id"]["value"]

        def healthy(e: dict[str, Any], tid: str = tid) -> bool:
            return bool(
                e["type"] == "UPDATE"
                and e["update"]["status"]["task_id"]["value"] == tid
                and e["update"]["status"].get("healthy") is True
            )

        scheduler.wait_event(healthy, 30)
        scheduler.kill(tid, offer["agent_id"]["value"])
    status = scheduler.wait_state(bad_task["task_id"]["value"], {"TASK_KILLED"}, 30)
    unhealthy = [
        s for s in scheduler.statuses(bad_task["task_id"]["value"]) if s.get("healthy") is False
    ]
    assert unhealthy and unhealthy[0]["reason"] == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
    assert status["state"] == "TASK_KILLED"


def test_fetcher_file_and_http(
    scheduler: Scheduler, agent_hosts: list[str], master_hosts: list[str], tmp_path: Any
) -> None:
    (tmp_path / "hello.sh").write_text("#!/bin/sh\necho fetched-script\n")
    (tmp_path / "hello.sh").chmod(0o755)  # extraction keeps the archive's modes
    subprocess.run(
        ["tar", "-czf", str(tmp_path / "bundle.tar.gz"), "-C", str(tmp_path), "hello.sh"],
        check=True,
    )
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path), **k
    )
    server = http.server.ThreadingHTTPServer((master_hosts[0], 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://{master_hosts[0]}:{server.server_address[1]}"
        task = command_task(
            "fetch",
            "./hello.sh | grep fetched-script && ./run.sh | grep fetched-script && "
            "test -f bundle.tar.gz && test -x run.sh && cmp node-version.json "
            "/opt/mesosphere/etc/dcos-version.json",
        )
        task["command"]["uris"] = [
            {"value": base + "/bundle.tar.gz", "extract": True, "cache": True},
            {"value": base + "/hello.sh", "executable": True, "output_file": "run.sh"},
            {
                "value": "file:///opt/mesosphere/etc/dcos-version.json",
                "output_file": "node-version.json",
            },
        ]
        run_task(scheduler, task, agent_hosts[0])
    finally:
        server.shutdown()


def test_rlimits(scheduler: Scheduler, agent_hosts: list[str]) -> None:
    task = command_task(
        "rlimit",
        'test "$(ulimit -n)" = 512',
        container={
            "type": "MESOS",
            "rlimit_info": {"rlimits": [{"type": "RLMT_NOFILE", "soft": 512, "hard": 512}]},
        },
    )
    run_task(scheduler, task, agent_hosts[0])


def test_public_agent_gets_slave_public_tasks(
    scheduler: Scheduler, public_agent_hosts: list[str]
) -> None:
    if not public_agent_hosts:
        pytest.skip("no public agent in this cluster")
    task = command_task("public", "true", role="slave_public")
    run_task(scheduler, task, public_agent_hosts[0], role="slave_public")


# -- nested container sessions ----------------------------------------------------------


def test_nested_container_session_runs_in_task(
    scheduler: Scheduler, agent_hosts: list[str]
) -> None:
    task = command_task("exec-parent", "sleep 300")
    status = run_task(scheduler, task, agent_hosts[0], until={"TASK_RUNNING"})
    parent = status["container_status"]["container_id"]
    call = {
        "type": "LAUNCH_NESTED_CONTAINER_SESSION",
        "launch_nested_container_session": {
            "container_id": {"parent": parent, "value": str(uuid.uuid4())},
            "command": {"shell": True, "value": "echo meow; pwd"},
        },
    }
    response = requests.post(
        f"http://{agent_hosts[0]}:5051/api/v1",
        json=call,
        timeout=30,
        headers={"Accept": "application/recordio", "Message-Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/recordio"
    output = b""
    body = response.content
    while body:
        header, body = body.split(b"\n", 1)
        record, body = body[: int(header)], body[int(header) :]
        message = json.loads(record)
        if message["type"] == "DATA" and message["data"]["type"] == "STDOUT":
            output += base64.b64decode(message["data"]["data"])
    assert b"meow" in output
    assert b"/runs/" in output  # it ran in the task's sandbox
    scheduler.kill(task["task_id"]["value"], task["agent_id"]["value"])


# -- operator API -----------------------------------------------------------------------


def test_operator_api_calls(leader: str, agent_hosts: list[str]) -> None:
    def call(kind: str) -> dict[str, Any]:
        response = requests.post(leader + "/api/v1", json={"type": kind}, timeout=10)
        assert response.status_code == 200, (kind, response.text)
        answer = response.json()
        assert answer["type"] == kind
        return dict(answer)

    assert call("GET_HEALTH")["get_health"]["healthy"] is True
    assert call("GET_VERSION")["get_version"]["version_info"]["version"] == "1.4.0"
    assert any(f["name"] == "zk" for f in call("GET_FLAGS")["get_flags"]["flags"])
    state = call("GET_STATE")["get_state"]
    assert set(state) == {"get_tasks", "get_executors", "get_frameworks", "get_agents"}
    agents = call("GET_AGENTS")["get_agents"]["agents"]
    assert {a["agent_info"]["hostname"] for a in agents} >= set(agent_hosts)
    assert all({"agent_info", "active", "version", "total_resources"} <= set(a) for a in agents)
    assert "frameworks" in call("GET_FRAMEWORKS")["get_frameworks"]
    assert "executors" in call("GET_EXECUTORS")["get_executors"]
    assert "tasks" in call("GET_TASKS")["get_tasks"]
    assert "roles" in call("GET_ROLES")["get_roles"]
    master = call("GET_MASTER")["get_master"]["master_info"]
    assert master["address"]["port"] == 5050
    agent = requests.post(
        f"http://{agent_hosts[0]}:5051/api/v1", json={"type": "GET_STATE"}, timeout=10
    ).json()
    assert set(agent["get_state"]) == {"get_tasks", "get_executors", "get_frameworks"}


def test_operator_subscribe_streams_task_events(
    leader: str, scheduler: Scheduler, agent_hosts: list[str]
) -> None:
    events: list[dict[str, Any]] = []
    response = requests.post(
        leader + "/api/v1", json={"type": "SUBSCRIBE"}, stream=True, timeout=(5, 30)
    )
    assert response.status_code == 200

    def read() -> None:
        buffer = b""
        # The test closes the stream under this reader when it is done: that ends it.
        with contextlib.suppress(requests.RequestException, AttributeError, ValueError):
            for chunk in response.iter_content(chunk_size=None):
                buffer += chunk
                while b"\n" in buffer:
                    header, rest = buffer.split(b"\n", 1)
                    if len(rest) < int(header):
                        break
                    events.append(json.loads(rest[: int(header)]))
                    buffer = rest[int(header) :]

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    task = command_task("operator-events", "true")
    run_task(scheduler, task, agent_hosts[0])
    tid = task["task_id"]["value"]

    def seen() -> Poll[None]:
        kinds = [
            (
                e["type"],
                e.get("task_added", {}).get("task", {}).get("task_id", {}).get("value")
                or e.get("task_updated", {}).get("status", {}).get("task_id", {}).get("value"),
                e.get("task_updated", {}).get("state"),
            )
            for e in events
        ]
        ok = ("TASK_ADDED", tid, None) in kinds and ("TASK_UPDATED", tid, "TASK_FINISHED") in kinds
        return Poll(ok, None, str(kinds[-5:]))

    wait_for(seen, 15, "TASK_ADDED and TASK_UPDATED on the operator stream")
    assert events[0]["type"] == "SUBSCRIBED"
    assert "get_state" in events[0]["subscribed"]
    response.close()


# -- mesos-execute -----------------------------------------------------------------------


def mesos_execute(master: str, *args: str) -> str:
    proc = subprocess.run(
        ["/opt/mesosphere/bin/mesos-execute", f"--master={master}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout + proc.stderr


def test_mesos_execute(master_hosts: list[str]) -> None:
    out = mesos_execute(
        f"{master_hosts[0]}:5050",
        f"--name=execute-{uuid.uuid4().hex[:6]}",
        "--command=echo hi",
        "--resources=cpus:0.1;mem:32",
    )
    assert "Received status update TASK_FINISHED" in out, out


def test_mesos_execute_rlimits_and_public_role(master_hosts: list[str]) -> None:
    out = mesos_execute(
        f"{master_hosts[0]}:5050",
        "--name=rlimit-core",
        "--command=ulimit -c | grep -q unlimited",
        '--rlimits={"rlimits": [{"type":"RLMT_CORE"}]}',
        "--resources=cpus:0.1;mem:32",
    )
    assert "Received status update TASK_FINISHED" in out, out
    out = mesos_execute(
        f"{master_hosts[0]}:5050",
        "--name=public-role",
        "--role=slave_public",
        "--command=true",
        "--resources=cpus:0.1;mem:32",
    )
    assert "Received status update TASK_FINISHED" in out, out


def test_mesos_execute_against_leader_mesos() -> None:
    out = mesos_execute(
        "leader.mesos:5050", "--name=leader-dns", "--command=true", "--resources=cpus:0.1;mem:32"
    )
    assert "Received status update TASK_FINISHED" in out, out
