"""Agents fail: a process dies, a node restarts, a node is cut off from the masters; and
third-party clients (a Mesos scheduler library, Marathon's own client) drive the cluster.

One cluster (1 master, 2 agents) serves the module, tuned as an operator of a test
cluster would: Mesos's agent ping timeouts shortened to 2 s x 3 (DC/OS's defaults take
5 minutes to give up on an agent) and Marathon's task reconciliation to every 5 s
(DC/OS's: 10 minutes), so that the scenarios take seconds, not minutes. Each failure
scenario heals and waits until the cluster is ready again before the next begins.

The Mesos conformance client is avmesos (PyPI, AVENTER's maintained Mesos HTTP scheduler
library; pymesos 0.3.15 cannot be installed on Python 3.11: its http-parser dependency
does not build). Marathon's is `marathon` 0.13 from PyPI, unmodified, through Admin
Router; it still uses the `collections` names Python 3.10 removed, so they are put back
(from `collections.abc`) before it is imported.
"""

from __future__ import annotations

import collections
import collections.abc
import importlib.util
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minidcos import Cluster
from minidcos._util.polling import Poll
from minidcos.node import Node
from test_e2e.dcos import (
    Api,
    active_agents,
    agent_task_units,
    app,
    deploy,
    get_json,
    healthy_tasks,
    seconds_since,
    server_app,
    tune_for_failures,
    until,
    wait_healthy,
)

for _name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
    setattr(collections, _name, getattr(collections.abc, _name))

from marathon import MarathonClient  # noqa: E402  (needs the names restored above)
from marathon.models import MarathonApp, MarathonHealthCheck  # noqa: E402

pytestmark = pytest.mark.minidcos_cluster(masters=1, agents=2, public_agents=0)

SCHEDULER_MODULE = Path(__file__).resolve().parents[1] / "integration_tests" / "mesos_scheduler.py"
PING_TIMEOUT = "2secs"
MAX_MISSED_PINGS = 3

Figure = Callable[..., None]


@pytest.fixture(scope="module")
def cluster(minidcos_cluster: Cluster) -> Iterator[Cluster]:
    tune_for_failures(minidcos_cluster, PING_TIMEOUT, MAX_MISSED_PINGS)
    yield minidcos_cluster


@pytest.fixture(scope="module")
def api(cluster: Cluster) -> Api:
    return Api(cluster)


@pytest.fixture
def healed(cluster: Cluster) -> Iterator[None]:
    yield
    cluster.faults.heal()
    cluster.wait(timeout_s=300)


def scheduler_module() -> Any:
    """The suites' small v1 scheduler client (integration_tests/mesos_scheduler.py)."""
    spec = importlib.util.spec_from_file_location("mesos_scheduler", SCHEDULER_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leader_url(cluster: Cluster) -> str:
    return f"http://{cluster.leader().ip_address}:5050"


def node_by_ip(cluster: Cluster, ip: str) -> Node:
    return next(n for n in cluster.nodes if n.ip_address == ip)


def task_state(cluster: Cluster, task_id: str) -> str:
    tasks = get_json(f"{leader_url(cluster)}/tasks")["tasks"]
    return next((t["state"] for t in tasks if t["id"] == task_id), "")


def start_long_task(cluster: Cluster, name: str) -> tuple[Any, str, str]:
    """A framework (failover_timeout 300 s) with one long task; (scheduler, task id, agent)."""
    module = scheduler_module()
    scheduler = module.Scheduler(leader_url(cluster), name=f"e2e-{name}", failover_timeout=300)
    task = module.command_task(name, "sleep 3600")
    offer = scheduler.offer()
    scheduler.launch(offer, [task])
    scheduler.wait_state(task["task_id"]["value"], {"TASK_RUNNING"}, 30)
    return scheduler, task["task_id"]["value"], offer["hostname"]


# -- third-party clients ---------------------------------------------------------------


def test_third_party_scheduler_runs_a_task(cluster: Cluster) -> None:
    from avmesos.client import MesosClient

    leader = leader_url(cluster)
    task_id = f"avmesos-{uuid.uuid4().hex[:8]}"
    updates: list[dict[str, Any]] = []
    finished = threading.Event()
    launched = threading.Event()
    client = MesosClient(mesos_urls=[leader], frameworkName="avmesos-conformance", max_reconnect=1)

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
        tasks = get_json(f"{leader}/tasks")["tasks"]
        mine = [t for t in tasks if t["id"] == task_id]
        frameworks = get_json(f"{leader}/frameworks")["frameworks"]
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

    until(acknowledged, "the terminal update acknowledged by avmesos", 15)
    client.get_driver().tearDown()
    client.tearDown()

    def gone() -> Poll[None]:
        frameworks = get_json(f"{leader}/frameworks")
        return Poll(
            any(f["id"] == framework_id for f in frameworks["completed_frameworks"]),
            None,
            "framework not yet torn down",
        )

    until(gone, "the framework torn down", 15)


def test_marathon_python_client_creates_scales_lists_and_deletes(
    cluster: Cluster, api: Api
) -> None:
    client = MarathonClient(
        f"http://{cluster.masters[0].ip_address}/marathon", auth_token=api.token
    )
    assert client.get_info().name == "marathon"
    assert client.ping() == b"pong"
    client.create_app(
        "/conformance",
        MarathonApp(
            cmd="python3 -m http.server $PORT0",
            cpus=0.05,
            mem=32,
            instances=1,
            health_checks=[
                MarathonHealthCheck(
                    protocol="HTTP", path="/", interval_seconds=1, grace_period_seconds=30
                )
            ],
        ),
    )

    def healthy(instances: int) -> Callable[[], Poll[None]]:
        def probe() -> Poll[None]:
            current = client.get_app("/conformance")
            return Poll(
                current.tasks_healthy == instances and not current.deployments,
                detail=f"{current.tasks_healthy} healthy",
            )

        return probe

    until(healthy(1), "1 healthy task", 120)
    app = client.get_app("/conformance")
    assert (
        app.port_definitions[0].port >= 10000 and app.upgrade_strategy.minimum_health_capacity == 1
    )
    result = client.scale_app("/conformance", instances=3)
    assert set(result) == {"version", "deploymentId"}
    until(healthy(3), "3 healthy tasks", 120)
    assert "/conformance" in [a.id for a in client.list_apps()]
    tasks = client.list_tasks("/conformance")
    assert len(tasks) == 3 and all(t.state == "TASK_RUNNING" for t in tasks)
    assert {t.host for t in tasks} <= {a.ip_address for a in cluster.agents}
    assert len(client.list_versions("/conformance")) == 2
    client.delete_app("/conformance", force=True)
    until(lambda: Poll("/conformance" not in [a.id for a in client.list_apps()]), "app gone", 120)
    assert [t for t in client.list_tasks() if t.app_id == "/conformance"] == []


# -- an agent's process ------------------------------------------------------------------


def test_agent_process_kill_keeps_tasks(cluster: Cluster, figure: Figure, healed: None) -> None:
    scheduler, task_id, host = start_long_task(cluster, "agent-kill")
    agent = node_by_ip(cluster, host)
    try:
        before = get_json(f"http://{host}:5051/state")["id"]
        start = time.monotonic()
        cluster.faults.kill(agent, "dcos-mesos-slave")

        def reports_task() -> Poll[None]:
            state = get_json(f"http://{host}:5051/state")
            tasks = [
                t
                for f in state["frameworks"]
                for e in f["executors"]
                for t in e["tasks"]
                if t["id"] == task_id
            ]
            ok = bool(tasks) and tasks[0]["state"] == "TASK_RUNNING"
            return Poll(ok, None, f"agent reports {tasks}")

        until(reports_task, "the restarted agent reporting the task", 30, interval_s=0.1)
        recovered = seconds_since(start)
        assert get_json(f"http://{host}:5051/state")["id"] == before
        until(lambda: host in active_agents(cluster.leader()), "the agent back", 30, 0.1)
        reregistered = seconds_since(start)
        assert task_state(cluster, task_id) == "TASK_RUNNING"
        # The task never stopped: no update but TASK_RUNNING reached the framework.
        assert [s["state"] for s in scheduler.statuses(task_id)] == ["TASK_RUNNING"]
        figure("agent_process_kill.task_reported", recovered)
        figure("agent_process_kill.reregistered", reregistered)
    finally:
        scheduler.teardown()


def test_silent_agent_is_unreachable_and_a_lost_task_is_shut_down(
    cluster: Cluster, figure: Figure, healed: None
) -> None:
    """An agent that stops pinging is removed after 2 s x 3; a framework that is not
    partition-aware gets TASK_LOST, and its task is shut down when the agent returns."""
    scheduler, task_id, host = start_long_task(cluster, "unreachable")
    agent = node_by_ip(cluster, host)
    try:
        start = time.monotonic()
        # A stopped agent sends no pings; its task keeps running in its own unit.
        cluster.faults.stop(agent, "dcos-mesos-slave")
        lost = scheduler.wait_state(task_id, {"TASK_LOST"}, 60)
        marked = seconds_since(start)
        assert lost["reason"] == "REASON_SLAVE_REMOVED"
        assert host not in active_agents(cluster.leader())
        assert agent_task_units(agent), "the task's unit stopped with the agent"
        cluster.faults.start(agent, "dcos-mesos-slave")
        until(lambda: host in active_agents(cluster.leader()), "the agent back", 30, 0.1)
        until(lambda: not agent_task_units(agent), "the lost task shut down on its agent", 30)
        figure("silent_agent.task_lost", marked)
    finally:
        scheduler.teardown()


# -- whole agent nodes -------------------------------------------------------------------


def test_agent_node_restart(cluster: Cluster, api: Api, figure: Figure, healed: None) -> None:
    """A restarted agent node keeps its address and its disk; the tasks it ran
    died with it and Marathon replaces them as each app's unreachableStrategy says: at once
    by default, and not while the agent is away for an app willing to wait."""
    eager = deploy(api, server_app("/restart/eager", instances=2))
    patient_app = server_app(
        "/restart/patient",
        unreachableStrategy={"inactiveAfterSeconds": 600, "expungeAfterSeconds": 1200},
    )
    # Its health check never kills: three failed checks 2 s apart come before the agent's
    # ping timeout (3 x 2 s), and Marathon (DC/OS's too) replaces a task it killed for its
    # health whatever the unreachableStrategy says.
    patient_app["healthChecks"][0]["maxConsecutiveFailures"] = 0
    (patient_task,) = deploy(api, patient_app).values()
    target = node_by_ip(cluster, patient_task["host"])
    lost_eager = {t for t, task in eager.items() if task["host"] == target.ip_address}
    target.run(["bash", "-c", "echo kept > /var/lib/docker/minidcos-e2e-marker"])

    # Off for longer than the agent ping timeout (2 s x 3), as a slow reboot would be.
    start = time.monotonic()
    cluster.faults.restart_node(target, down_s=10)
    booted = seconds_since(start)
    assert target.run(["cat", "/var/lib/docker/minidcos-e2e-marker"]).stdout == b"kept\n"
    address = target.run(["ip", "-4", "-o", "addr", "show", "eth0"]).stdout.decode()
    assert f" {target.ip_address}/" in address

    # Sampled while waiting: whether the agent was away, and what the patient app did then.
    early_replacements: list[str] = []
    away = []

    def both_healthy() -> Poll[None]:
        agent_here = target.ip_address in active_agents(cluster.leader())
        patient_ids = {t["id"] for t in app(api, "/restart/patient")["tasks"]}
        if not agent_here:
            away.append(seconds_since(start))
            early_replacements.extend(patient_ids - {patient_task["id"]})
        eager_ok = len(healthy_tasks(api, "/restart/eager")) == 2
        patient_ok = len(healthy_tasks(api, "/restart/patient")) == 1
        return Poll(agent_here and eager_ok and patient_ok, None, f"agent here: {agent_here}")

    until(both_healthy, "both apps healthy with the agent back", 300, interval_s=0.5)
    healthy_s = seconds_since(start)
    eager_after = wait_healthy(api, "/restart/eager", 2)
    (patient_after,) = wait_healthy(api, "/restart/patient", 1).values()
    assert not lost_eager & set(eager_after), "the node's tasks died with it: replaced"
    assert set(eager) - lost_eager <= set(eager_after), "the other agent's task is untouched"
    assert patient_after["id"] != patient_task["id"]
    assert not early_replacements, "the patient app replaced its task while the agent was away"
    figure("agent_restart.node_up", booted)
    figure("agent_restart.apps_healthy", healthy_s)
    figure("agent_restart.agent_away", max(away, default=0.0), "s (last seen away)")
    print(
        f"\n{target.reference} restarted: up after {booted:.1f} s, both apps healthy again "
        f"after {healthy_s:.1f} s (the agent was seen away until {max(away, default=0):.1f} s)"
    )
    for app_id in ("/restart/eager", "/restart/patient"):
        api.request("DELETE", f"/marathon/v2/apps{app_id}")


def test_agent_partitioned_beyond_the_ping_timeout(
    cluster: Cluster, api: Api, figure: Figure, healed: None
) -> None:
    """An agent cut off from the masters for longer than the ping timeout is unreachable;
    Marathon replaces its task on the other agent; when the partition heals the old task
    is killed, and no duplicate is left."""
    (task,) = deploy(api, server_app("/partition/web")).values()
    cut = node_by_ip(cluster, task["host"])
    other = next(a for a in cluster.agents if a != cut)

    start = time.monotonic()
    fault = cluster.faults.partition([cut], cluster.masters)
    until(
        lambda: cut.ip_address not in active_agents(cluster.leader()),
        "the agent marked unreachable",
        120,
    )
    unreachable_s = seconds_since(start)

    def replaced() -> Poll[dict[str, Any]]:
        healthy = healthy_tasks(api, "/partition/web")
        elsewhere = [t for t in healthy.values() if t["host"] == other.ip_address]
        return Poll(bool(elsewhere), elsewhere[0] if elsewhere else None, f"healthy: {healthy}")

    replacement = until(replaced, "the task replaced on the other agent", 180)
    replaced_s = seconds_since(start)
    assert agent_task_units(cut), "the cut-off agent's task runs on, unaware"

    cluster.faults.heal([fault.id])
    until(lambda: cut.ip_address in active_agents(cluster.leader()), "the agent back", 120)
    until(lambda: not agent_task_units(cut), "the old task killed on the healed agent", 120)
    killed_s = seconds_since(start)
    tasks = wait_healthy(api, "/partition/web", 1)
    assert list(tasks) == [replacement["id"]], "exactly one task, the replacement"
    figure("agent_partition.unreachable", unreachable_s)
    figure("agent_partition.replaced", replaced_s)
    figure("agent_partition.old_task_killed", killed_s)
    print(
        f"\n{cut.reference} cut off: unreachable after {unreachable_s:.1f} s, replaced after "
        f"{replaced_s:.1f} s, the old task killed after {killed_s:.1f} s (healed)"
    )
    api.request("DELETE", "/marathon/v2/apps/partition/web")


# -- log bundles -------------------------------------------------------------------------


def test_a_log_bundle_names_the_failed_unit(cluster: Cluster, tmp_path: Path, healed: None) -> None:
    agent = cluster.agents[0]
    cluster.faults.stop(agent, "dcos-metrics-agent.service")
    # A unit that failed outright (systemd's own "failed" state), beside one stopped.
    agent.run(["systemd-run", "--unit=dcos-e2e-broken", "--", "false"], check=False)
    until(
        lambda: (
            b"failed"
            in agent.run(["systemctl", "is-failed", "dcos-e2e-broken"], check=False).stdout
        ),
        "the broken unit failed",
        30,
    )
    try:
        bundle = cluster.export_logs(tmp_path / "bundle")
        summary = (bundle / "summary.txt").read_text()
        assert "agent_0: dcos-e2e-broken.service" in summary
        assert "stop: dcos-metrics-agent.service on agent_0" in summary
        journal = bundle / "agent_0" / "journal" / "dcos-mesos-slave.service.log"
        assert journal.stat().st_size > 0
        for name in ("expanded.config.json", "mesos-agent-state.json", "diagnostics-health.json"):
            assert (bundle / "agent_0" / name).is_file(), name
        for name in ("mesos-master-state.json", "exhibitor-status.json", "diagnostics-report.json"):
            assert (bundle / "master_0" / name).is_file(), name
    finally:
        agent.run(["systemctl", "reset-failed", "dcos-e2e-broken"], check=False)
