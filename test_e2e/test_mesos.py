"""Mesos on a 3-master, 2-agent cluster: a third-party scheduler library drives our master
(conformance), the leading master dies, an agent's process dies. Each scenario prints its
measured times.

The conformance client is avmesos (PyPI, AVENTER's maintained Mesos HTTP scheduler library;
pymesos 0.3.15 cannot be installed on Python 3.11: its http-parser dependency does not build).
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minidcos._util.polling import Poll, wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.node import Node
from minidcos.status import Status

SCHEDULER_MODULE = Path(__file__).resolve().parents[1] / "integration_tests" / "mesos_scheduler.py"


def scheduler_module() -> Any:
    """The suites' small v1 scheduler client (integration_tests/mesos_scheduler.py)."""
    spec = importlib.util.spec_from_file_location("mesos_scheduler", SCHEDULER_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster(provider: DockerProvider, installer: Path) -> Iterator[Cluster]:
    from test_e2e.conftest import RUN_PREFIX

    spec = ClusterSpec(masters=3, agents=2, public_agents=0, cluster_id=f"{RUN_PREFIX}-mesos")
    with Cluster.create(
        spec, install=InstallSpec(installer), provider=provider, status=Status()
    ) as created:
        yield created


def http_json(url: str, timeout: float = 3.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def leader_ip(cluster: Cluster, exclude: str = "") -> str:
    """The leading master's address, as every live master reports it (and not `exclude`)."""

    def probe() -> Poll[str]:
        seen = set()
        for master in cluster.masters:
            if master.ip_address == exclude:
                continue
            try:
                state = http_json(f"http://{master.ip_address}:5050/state")
            except (OSError, ValueError) as exc:
                return Poll(False, None, f"{master.ip_address}: {exc}")
            seen.add(state.get("leader_info", {}).get("hostname", ""))
        ok = len(seen) == 1 and "" not in seen and exclude not in seen
        return Poll(ok, next(iter(seen)) if ok else None, f"leaders seen: {seen}")

    return str(wait_for(probe, 60, "one Mesos leader", interval_s=0.1, max_interval_s=0.2))


def registered_agents(leader: str) -> set[str]:
    return {
        s["hostname"] for s in http_json(f"http://{leader}:5050/slaves")["slaves"] if s["active"]
    }


def test_third_party_scheduler_runs_a_task(cluster: Cluster) -> None:
    from avmesos.client import MesosClient

    leader = leader_ip(cluster)
    task_id = f"avmesos-{uuid.uuid4().hex[:8]}"
    updates: list[dict[str, Any]] = []
    finished = threading.Event()
    launched = threading.Event()
    client = MesosClient(
        mesos_urls=[f"http://{leader}:5050"], frameworkName="avmesos-conformance", max_reconnect=1
    )

    def on_offers(offers: list[Any]) -> None:
        for offer in offers:
            if launched.is_set():
                offer.decline()
                continue
            body = offer.get_offer()
            launched.set()
            offer.accept(
                [
                    {
                        "name": task_id,
                        "task_id": {"value": task_id},
                        "agent_id": {"value": body["agent_id"]["value"]},
                        "resources": [
                            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                            {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                        ],
                        "command": {"value": "echo conformance"},
                    }
                ]
            )

    def on_update(update: dict[str, Any]) -> None:
        updates.append(update["status"])
        if update["status"]["state"] in (
            "TASK_FINISHED",
            "TASK_FAILED",
            "TASK_LOST",
            "TASK_ERROR",
            "TASK_KILLED",
        ):
            finished.set()

    client.on(MesosClient.OFFERS, on_offers)
    client.on(MesosClient.UPDATE, on_update)
    thread = threading.Thread(target=client.register, daemon=True)
    start = time.monotonic()
    thread.start()
    assert finished.wait(60), f"no terminal update; updates so far: {updates}"
    print(f"\navmesos: subscribe to TASK_FINISHED in {time.monotonic() - start:.2f} s")
    assert [u["state"] for u in updates] == ["TASK_RUNNING", "TASK_FINISHED"]
    assert all("uuid" in u for u in updates)
    framework_id = client.frameworkId

    def acknowledged() -> Poll[None]:
        # The master keeps a task until its terminal update is acknowledged.
        tasks = http_json(f"http://{leader}:5050/tasks")["tasks"]
        mine = [t for t in tasks if t["id"] == task_id]
        frameworks = http_json(f"http://{leader}:5050/frameworks")["frameworks"]
        completed = [
            t
            for f in frameworks
            if f["id"] == framework_id
            for t in f["completed_tasks"]
            if t["id"] == task_id
        ]
        return Poll(
            bool(completed) and mine[0]["state"] == "TASK_FINISHED", None, f"completed: {completed}"
        )

    wait_for(acknowledged, 15, "the terminal update acknowledged by avmesos")
    client.get_driver().tearDown()
    client.tearDown()

    def gone() -> Poll[None]:
        frameworks = http_json(f"http://{leader}:5050/frameworks")
        return Poll(
            any(f["id"] == framework_id for f in frameworks["completed_frameworks"]),
            None,
            "framework not yet torn down",
        )

    wait_for(gone, 15, "the framework torn down")


def start_long_task(cluster: Cluster, leader: str, name: str) -> tuple[Any, str, str]:
    """A framework (failover_timeout 300 s) with one long task; (scheduler, task id, agent host)."""
    module = scheduler_module()
    scheduler = module.Scheduler(f"http://{leader}:5050", name=f"e2e-{name}", failover_timeout=300)
    task = module.command_task(name, "sleep 3600")
    offer = scheduler.offer()
    scheduler.launch(offer, [task])
    scheduler.wait_state(task["task_id"]["value"], {"TASK_RUNNING"}, 30)
    return scheduler, task["task_id"]["value"], offer["hostname"]


def task_state(leader: str, task_id: str) -> str:
    tasks = http_json(f"http://{leader}:5050/tasks")["tasks"]
    return next((t["state"] for t in tasks if t["id"] == task_id), "")


def node_by_ip(cluster: Cluster, ip: str) -> Node:
    return next(n for n in cluster.nodes if n.ip_address == ip)


def test_agent_process_kill_keeps_tasks(cluster: Cluster) -> None:
    leader = leader_ip(cluster)
    scheduler, task_id, host = start_long_task(cluster, leader, "agent-kill")
    agent = node_by_ip(cluster, host)
    try:
        before = http_json(f"http://{host}:5051/state")["id"]
        start = time.monotonic()
        agent.run(["systemctl", "kill", "--signal=SIGKILL", "dcos-mesos-slave"])

        def reports_task() -> Poll[None]:
            try:
                state = http_json(f"http://{host}:5051/state")
            except (OSError, ValueError) as exc:
                return Poll(False, None, str(exc))
            tasks = [
                t
                for f in state["frameworks"]
                for e in f["executors"]
                for t in e["tasks"]
                if t["id"] == task_id
            ]
            ok = bool(tasks) and tasks[0]["state"] == "TASK_RUNNING"
            return Poll(ok, None, f"agent reports {tasks}")

        wait_for(
            reports_task,
            30,
            "the restarted agent reporting the task",
            interval_s=0.1,
            max_interval_s=0.2,
        )
        recovered = time.monotonic() - start
        assert http_json(f"http://{host}:5051/state")["id"] == before
        wait_for(
            lambda: host in registered_agents(leader),
            30,
            "the agent re-registered",
            interval_s=0.1,
            max_interval_s=0.2,
        )
        reregistered = time.monotonic() - start
        assert task_state(leader, task_id) == "TASK_RUNNING"
        # The task never stopped: no update but TASK_RUNNING reached the framework.
        assert [s["state"] for s in scheduler.statuses(task_id)] == ["TASK_RUNNING"]
        print(
            f"\nagent kill: task reported again after {recovered:.2f} s, "
            f"agent re-registered after {reregistered:.2f} s"
        )
    finally:
        scheduler.teardown()


def test_leader_kill_elects_new_leader_and_keeps_tasks(cluster: Cluster) -> None:
    module = scheduler_module()
    old = leader_ip(cluster)
    scheduler, task_id, host = start_long_task(cluster, old, "leader-kill")
    framework_id = scheduler.framework_id
    agents = {a.ip_address for a in cluster.agents}
    start = time.monotonic()
    node_by_ip(cluster, old).run(["systemctl", "kill", "--signal=SIGKILL", "dcos-mesos-master"])
    scheduler.close()
    new = leader_ip(cluster, exclude=old)
    elected = time.monotonic() - start
    wait_for(
        lambda: registered_agents(new) == agents,
        30,
        "every agent re-registered",
        interval_s=0.1,
        max_interval_s=0.2,
    )
    agents_back = time.monotonic() - start
    follower = module.Scheduler(
        f"http://{new}:5050",
        name="e2e-leader-kill",
        failover_timeout=300,
        framework_id=framework_id,
    )
    resubscribed = time.monotonic() - start
    try:
        assert follower.framework_id == framework_id
        follower.call(
            "RECONCILE", {"reconcile": {"tasks": [{"task_id": {"value": task_id}}]}}
        ).raise_for_status()
        status = follower.wait_state(task_id, {"TASK_RUNNING"}, 15)
        assert status["reason"] == "REASON_RECONCILIATION"
        assert task_state(new, task_id) == "TASK_RUNNING"
        agent_state = http_json(f"http://{host}:5051/state")
        assert any(
            t["id"] == task_id and t["state"] == "TASK_RUNNING"
            for f in agent_state["frameworks"]
            for e in f["executors"]
            for t in e["tasks"]
        )
        print(
            f"\nleader kill: new leader {new} after {elected:.2f} s, agents re-registered "
            f"after {agents_back:.2f} s, framework re-subscribed after {resubscribed:.2f} s"
        )
    finally:
        follower.teardown()


def test_silent_agent_is_marked_unreachable_with_short_ping_timeouts(cluster: Cluster) -> None:
    """DC/OS's agent_ping_timeout and max_agent_ping_timeouts decide when an agent is gone."""
    for master in cluster.masters:
        master.run(
            [
                "bash",
                "-c",
                "printf 'MESOS_AGENT_PING_TIMEOUT=2secs\\n"
                "MESOS_MAX_AGENT_PING_TIMEOUTS=3\\n' > /var/lib/dcos/mesos-master",
            ]
        )
        master.run(["systemctl", "restart", "dcos-mesos-master"])
    leader = leader_ip(cluster)
    agents = {a.ip_address for a in cluster.agents}
    wait_for(
        lambda: registered_agents(leader) == agents,
        60,
        "every agent registered",
        interval_s=0.1,
        max_interval_s=0.2,
    )
    scheduler, task_id, host = start_long_task(cluster, leader, "unreachable")
    agent = node_by_ip(cluster, host)
    try:
        start = time.monotonic()
        # A stopped agent sends no pings; its task keeps running in its own unit.
        agent.run(["systemctl", "stop", "dcos-mesos-slave"])
        lost = scheduler.wait_state(task_id, {"TASK_LOST"}, 60)
        marked = time.monotonic() - start
        assert lost["reason"] == "REASON_SLAVE_REMOVED"
        assert host not in registered_agents(leader)
        units = agent.run(["systemctl", "list-units", "--no-legend", "mesos-*"]).stdout
        assert units.strip(), "the task's unit stopped with the agent"
        agent.run(["systemctl", "start", "dcos-mesos-slave"])
        wait_for(
            lambda: host in registered_agents(leader),
            30,
            "the agent back",
            interval_s=0.1,
            max_interval_s=0.2,
        )
        back = time.monotonic() - start

        def shut_down() -> Poll[None]:
            # The framework is not partition-aware: its task on the returning agent is killed.
            out = agent.run(["systemctl", "list-units", "--no-legend", "mesos-*"]).stdout
            return Poll(not out.strip(), None, out.decode())

        wait_for(shut_down, 30, "the lost task shut down on the returning agent")
        print(
            f"\nunreachable: TASK_LOST after {marked:.2f} s (2 s x 3 pings), "
            f"agent back after {back:.2f} s"
        )
    finally:
        scheduler.teardown()
        for master in cluster.masters:
            master.run(["rm", "-f", "/var/lib/dcos/mesos-master"])
