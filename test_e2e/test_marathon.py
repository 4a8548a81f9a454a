"""Marathon from the host: its own Python client, and leader failures on 3 masters.

One cluster (3 masters, 1 private agent) serves the module: the conformance
test only adds and removes its own app, and each failure test kills one
process that systemd starts again, then waits until the cluster has healed
before the next test begins. Each failure test prints what it measured.

The conformance test drives Marathon with `marathon` 0.13 from PyPI,
unmodified, through Admin Router at http://<master_0>/marathon. That client
still uses the `collections` names Python 3.10 removed, so the test puts them
back (from `collections.abc`) before importing it.
"""

from __future__ import annotations

import collections
import collections.abc
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minidcos import iam
from minidcos._util.polling import Poll, wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.node import Node
from minidcos.status import Status

for _name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
    setattr(collections, _name, getattr(collections.abc, _name))

from marathon import MarathonClient  # noqa: E402  (needs the names restored above)
from marathon.models import MarathonApp, MarathonHealthCheck  # noqa: E402

SERVE = "python3 -m http.server $PORT0"
# The budget for a new leader; printed beside the measurement, not asserted
# (timings are judged by benchmarks on a quiet machine, never by tests).
LEADER_BUDGET_S = 20.0
TRANSIENT = (OSError, ValueError, urllib.error.URLError)


@pytest.fixture(scope="module")
def cluster(provider: DockerProvider, installer: Path) -> Iterator[Cluster]:
    from test_e2e.conftest import RUN_PREFIX

    spec = ClusterSpec(masters=3, agents=1, public_agents=0, cluster_id=f"{RUN_PREFIX}-marathon")
    with Cluster.create(
        spec, install=InstallSpec(installer), provider=provider, status=Status()
    ) as made:
        master = made.masters[0]
        TOKEN["value"] = iam.test_user_token(master) if iam.auth_enabled(master) else None
        yield made


TOKEN: dict[str, str | None] = {}  # the cluster token (None with auth off), set by the fixture


def get_json(url: str, timeout: float = 3.0) -> Any:
    """GET as a logged-in client (Admin Router checks tokens with oauth_enabled)."""
    token = TOKEN.get("value")
    headers = {"Authorization": f"token={token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def client_for(master: Node) -> MarathonClient:
    return MarathonClient(marathon_url(master), auth_token=TOKEN.get("value"))


def marathon_url(master: Node) -> str:
    return f"http://{master.ip_address}/marathon"


def running_tasks(master: Node, app_id: str) -> set[str]:
    app = get_json(f"{marathon_url(master)}/v2/apps{app_id}")["app"]
    return {t["id"] for t in app["tasks"] if t["state"] == "TASK_RUNNING"}


def deploy_and_wait(client: MarathonClient, app_id: str, instances: int) -> None:
    client.create_app(
        app_id,
        MarathonApp(
            cmd=SERVE,
            cpus=0.05,
            mem=32,
            instances=instances,
            health_checks=[
                MarathonHealthCheck(
                    protocol="HTTP", path="/", interval_seconds=1, grace_period_seconds=30
                )
            ],
        ),
    )

    def healthy() -> Poll[None]:
        app = client.get_app(app_id)
        return Poll(
            app.tasks_healthy == instances and not app.deployments,
            detail=f"{app.tasks_healthy} healthy",
        )

    wait_for(healthy, 120, f"{instances} healthy tasks of {app_id}")


def test_marathon_python_client_creates_scales_lists_and_deletes(cluster: Cluster) -> None:
    client = client_for(cluster.masters[0])
    assert client.get_info().name == "marathon"
    assert client.ping() == b"pong"
    deploy_and_wait(client, "/conformance", 1)
    app = client.get_app("/conformance")
    assert (
        app.port_definitions[0].port >= 10000 and app.upgrade_strategy.minimum_health_capacity == 1
    )

    result = client.scale_app("/conformance", instances=3)
    assert set(result) == {"version", "deploymentId"}

    def scaled() -> Poll[None]:
        current = client.get_app("/conformance")
        return Poll(
            current.tasks_healthy == 3 and not current.deployments,
            detail=f"{current.tasks_healthy}",
        )

    wait_for(scaled, 120, "3 healthy tasks")
    assert "/conformance" in [a.id for a in client.list_apps()]
    tasks = client.list_tasks("/conformance")
    assert len(tasks) == 3 and all(t.state == "TASK_RUNNING" for t in tasks)
    assert {t.host for t in tasks} == {cluster.agents[0].ip_address}
    assert len(client.list_versions("/conformance")) == 2

    client.delete_app("/conformance", force=True)
    wait_for(lambda: Poll(not client.list_apps()), 120, "the app to be gone")
    assert client.list_tasks() == []


def leading_marathon(cluster: Cluster) -> Node:
    leader = get_json(f"{marathon_url(cluster.masters[0])}/v2/leader")["leader"]
    return next(m for m in cluster.masters if leader.startswith(m.ip_address + ":"))


def leading_mesos_master(cluster: Cluster) -> Node:
    state = get_json(f"http://{cluster.masters[0].ip_address}:5050/master/state")
    leader_ip = state["leader"].split("@")[1].split(":")[0]
    return next(m for m in cluster.masters if m.ip_address == leader_ip)


def test_killing_the_marathon_leader_keeps_apps_and_tasks(cluster: Cluster) -> None:
    client = client_for(cluster.masters[0])
    deploy_and_wait(client, "/survivor", 2)
    old_leader = leading_marathon(cluster)
    other = next(m for m in cluster.masters if m is not old_leader)
    before = running_tasks(other, "/survivor")
    framework = get_json(f"{marathon_url(other)}/v2/info")["frameworkId"]

    killed_at = time.monotonic()
    old_leader.run(["systemctl", "kill", "--signal=SIGKILL", "dcos-marathon"])

    def new_leader_answers() -> Poll[str]:
        leader = get_json(f"{marathon_url(other)}/v2/leader", timeout=2)["leader"]
        apps = get_json(f"{marathon_url(other)}/v2/apps", timeout=2)["apps"]
        return Poll(bool(apps), leader, f"leader {leader}, {len(apps)} apps")

    leader = wait_for(new_leader_answers, 60, "a Marathon leader that answers", transient=TRANSIENT)
    answered_s = time.monotonic() - killed_at

    def resubscribed() -> Poll[None]:
        info = get_json(f"{marathon_url(other)}/v2/info", timeout=2)
        return Poll(
            info["frameworkId"] == framework and running_tasks(other, "/survivor") == before
        )

    wait_for(resubscribed, 60, "the same framework with the same tasks", transient=TRANSIENT)
    confirmed_s = time.monotonic() - killed_at
    print(
        f"\nMarathon leader {old_leader.ip_address} killed: leader {leader} answered after "
        f"{answered_s:.1f} s ({answered_s / LEADER_BUDGET_S:.0%} of the {LEADER_BUDGET_S:.0f} s "
        f"budget), same framework and tasks confirmed after {confirmed_s:.1f} s"
    )
    assert running_tasks(other, "/survivor") == before


def test_killing_the_mesos_leader_loses_no_app(cluster: Cluster) -> None:
    master = cluster.masters[0]
    apps_before = {
        a["id"]: a["instances"] for a in get_json(f"{marathon_url(master)}/v2/apps")["apps"]
    }
    assert apps_before, "the previous test leaves an app running"
    # Read before the kill: a failover keeps the framework id, and until Marathon has
    # subscribed to the new leader Admin Router cannot route /marathon (it finds Marathon
    # in the leading master's frameworks).
    framework = get_json(f"{marathon_url(master)}/v2/info")["frameworkId"]
    old = leading_mesos_master(cluster)
    killed_at = time.monotonic()
    old.run(["systemctl", "kill", "--signal=SIGKILL", "dcos-mesos-master"])

    def new_mesos_leader() -> Poll[str]:
        node = leading_mesos_master(cluster)
        return Poll(node is not old, node.ip_address)

    leader_ip = wait_for(
        new_mesos_leader, 120, "another Mesos master to lead", transient=(*TRANSIENT, StopIteration)
    )
    elected_s = time.monotonic() - killed_at

    def marathon_back() -> Poll[None]:
        frameworks = get_json(f"http://{leader_ip}:5050/frameworks", timeout=2)["frameworks"]
        ours = [f for f in frameworks if f["id"] == framework and f.get("active")]
        apps = {a["id"]: a for a in get_json(f"{marathon_url(master)}/v2/apps", timeout=2)["apps"]}
        healthy = all(apps.get(i, {}).get("tasksRunning") == n for i, n in apps_before.items())
        return Poll(bool(ours) and healthy, detail=f"subscribed {bool(ours)}, apps {list(apps)}")

    wait_for(
        marathon_back,
        120,
        "Marathon subscribed to the new master with every app running",
        transient=TRANSIENT,
    )
    print(
        f"\nMesos leader {old.ip_address} killed: {leader_ip} led after {elected_s:.1f} s, "
        f"Marathon subscribed with all apps running after {time.monotonic() - killed_at:.1f} s"
    )
    apps_after = {
        a["id"]: a["instances"] for a in get_json(f"{marathon_url(master)}/v2/apps")["apps"]
    }
    assert apps_after == apps_before
