"""The control plane on 3 masters: leaders die or freeze, ZooKeeper loses its quorum.

One cluster (3 masters, 2 agents) serves the module, with an app of DC/OS's
test server running throughout (`/failover/web`, 2 instances). Each scenario
makes its fault with `cluster.faults`, measures how DC/OS recovers (printed and
recorded as figures), heals, and waits until the cluster is ready again before
the next one begins: read-only checks first, the most disruptive last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from minidcos import Cluster
from minidcos._util.polling import Poll
from minidcos.node import Node
from test_e2e.dcos import (
    MESOS_AGENT_PORT,
    Api,
    ApiError,
    active_agents,
    deploy,
    get_json,
    healthy_tasks,
    marathon_framework_id,
    master_state,
    mesos_tasks,
    seconds_since,
    server_app,
    until,
    wait_healthy,
)

pytestmark = pytest.mark.minidcos_cluster(masters=3, agents=2, public_agents=0)

WEB = "/failover/web"
# The budget for a new Mesos leader and every agent back: printed beside the
# figures, never asserted (timings are judged by benchmarks on a quiet machine).
LEADER_BUDGET_S = 15.0
ZK_CLI = "/usr/share/zookeeper/bin/zkCli.sh"

Figure = Callable[..., None]


@pytest.fixture(scope="module")
def cluster(minidcos_cluster: Cluster) -> Iterator[Cluster]:
    yield minidcos_cluster


@pytest.fixture(scope="module")
def api(cluster: Cluster) -> Api:
    return Api(cluster)


@pytest.fixture(scope="module")
def web(api: Api) -> str:
    """The app that runs through every scenario."""
    deploy(api, server_app(WEB, instances=2))
    return WEB


@pytest.fixture
def healed(cluster: Cluster) -> Iterator[None]:
    """Heal whatever the scenario broke, and wait until the cluster is ready again."""
    yield
    cluster.faults.heal()
    cluster.wait(timeout_s=300)


def exhibitor_status(master: Node) -> list[dict[str, object]]:
    return list(get_json(f"http://{master.ip_address}:8181/exhibitor/v1/cluster/status"))


def zk_write(master: Node, path: str, value: str) -> bool:
    """Whether the master's own ZooKeeper took a write (zkCli prints `Created <path>`)."""
    proc = master.run(
        ["bash", "-c", f"timeout 20 {ZK_CLI} -server 127.0.0.1:2181 create {path} {value} 2>&1"],
        check=False,
    )
    return f"Created {path}" in proc.stdout.decode()


def zk_read(master: Node, path: str) -> str:
    proc = master.run(
        ["bash", "-c", f"timeout 20 {ZK_CLI} -server 127.0.0.1:2181 get {path} 2>&1"], check=False
    )
    return proc.stdout.decode()


def running(tasks: dict[str, str]) -> set[str]:
    return {task for task, state in tasks.items() if state == "TASK_RUNNING"}


def agent_tasks(agent: Node) -> dict[str, str]:
    """Task id -> state, as the agent itself reports its tasks (no master needed)."""
    state = get_json(f"http://{agent.ip_address}:{MESOS_AGENT_PORT}/state")
    return {
        t["id"]: t["state"] for f in state["frameworks"] for e in f["executors"] for t in e["tasks"]
    }


# -- read-only checks ------------------------------------------------------------------


def test_zookeeper_forms_a_quorum_of_three_and_replicates(cluster: Cluster) -> None:
    ips = sorted(m.ip_address for m in cluster.masters)
    for master in cluster.masters:
        servers = exhibitor_status(master)
        assert sorted(str(s["hostname"]) for s in servers) == ips
        assert all(s["code"] == 3 for s in servers)
        assert sum(bool(s["isLeader"]) for s in servers) == 1
    first, *others = cluster.masters
    first.run(["bash", "-c", f"{ZK_CLI} -server 127.0.0.1:2181 create /e2e-quorum replicated"])
    for master in others:
        out = master.run(["bash", "-c", f"{ZK_CLI} -server 127.0.0.1:2181 get /e2e-quorum"])
        assert b"replicated" in out.stdout


# -- leaders ---------------------------------------------------------------------------


def test_killing_the_mesos_leader(
    cluster: Cluster, api: Api, web: str, figure: Figure, healed: None
) -> None:
    """kill -9 of the leading Mesos master: another leads, every agent and Marathon
    re-register with it, and the app's tasks are untouched."""
    old = cluster.leader()
    tasks = set(healthy_tasks(api, web))
    framework = marathon_framework_id(api)
    agents = {a.ip_address for a in cluster.agents}
    others = [m for m in cluster.masters if m != old]

    start = time.monotonic()
    cluster.faults.kill(old, "dcos-mesos-master")

    def new_leader() -> Poll[Node]:
        leader = cluster.leader(timeout_s=5)
        return Poll(leader != old, leader, f"leader {leader.reference}")

    leader: Node = until(new_leader, "another master leading Mesos", 120, interval_s=0.1)
    elected_s = seconds_since(start)
    until(lambda: active_agents(leader) == agents, "every agent re-registered", 120, 0.1)
    agents_s = seconds_since(start)

    def marathon_subscribed() -> bool:
        frameworks = master_state(leader, "/frameworks")["frameworks"]
        return any(f["id"] == framework and f.get("active") for f in frameworks)

    until(marathon_subscribed, "Marathon re-registered with the new leader", 120, 0.1)
    marathon_s = seconds_since(start)

    def marathon_answers() -> Poll[None]:
        # Admin Router finds Marathon among the leading master's frameworks, from a state
        # cache it refreshes on a miss at most once a second: a refresh made just before
        # Marathon re-registered answers "service not found" until the next one.
        try:
            api.get(f"/marathon/v2/apps{web}", masters=others)
        except ApiError as exc:
            if exc.status != 404:
                raise
            return Poll(False, None, str(exc))
        return Poll(True)

    until(marathon_answers, "Marathon answering through Admin Router", 60)
    answering_s = seconds_since(start)

    assert set(healthy_tasks(api, web)) == tasks
    assert running(mesos_tasks(leader, "failover_web")) == tasks
    figure("mesos_leader_kill.new_leader", elected_s)
    figure("mesos_leader_kill.agents_reregistered", agents_s)
    figure("mesos_leader_kill.marathon_reregistered", marathon_s)
    figure("mesos_leader_kill.marathon_answering", answering_s)
    print(
        f"\nMesos leader {old.reference} killed: {leader.reference} leads after {elected_s:.1f} s, "
        f"every agent back after {agents_s:.1f} s ({agents_s / LEADER_BUDGET_S:.0%} of the "
        f"{LEADER_BUDGET_S:.0f} s budget), Marathon re-registered after {marathon_s:.1f} s"
    )


def test_killing_the_marathon_leader(
    cluster: Cluster, api: Api, web: str, figure: Figure, healed: None
) -> None:
    """kill -9 of the leading Marathon: another Marathon leads with the same framework
    and the same tasks."""
    old = cluster.marathon_leader()
    others = [m for m in cluster.masters if m != old]
    tasks = set(healthy_tasks(api, web))
    framework = marathon_framework_id(api)

    start = time.monotonic()
    cluster.faults.kill(old, "dcos-marathon")

    def another_leads() -> Poll[Node]:
        leader = cluster.marathon_leader(timeout_s=5)
        return Poll(leader != old, leader, f"leader {leader.reference}")

    leader: Node = until(another_leads, "another Marathon leading", 120)
    elected_s = seconds_since(start)

    def same_framework_same_tasks() -> bool:
        info = api.get("/marathon/v2/info", masters=others)
        return bool(info["frameworkId"] == framework and set(healthy_tasks(api, web)) == tasks)

    until(same_framework_same_tasks, "the same framework with the same tasks", 120)
    figure("marathon_leader_kill.new_leader", elected_s)
    figure("marathon_leader_kill.same_tasks", seconds_since(start))
    print(
        f"\nMarathon leader {old.reference} killed: {leader.reference} leads after "
        f"{elected_s:.1f} s, same framework and tasks after {seconds_since(start):.1f} s"
    )


def test_pausing_the_marathon_leader(
    cluster: Cluster, api: Api, web: str, figure: Figure, healed: None
) -> None:
    """The whole master of the leading Marathon frozen in the middle of a deployment:
    another Marathon leads and finishes it; thawed, the old one does not come back as a
    second leader, and no task is duplicated."""
    old = cluster.marathon_leader()
    others = [m for m in cluster.masters if m != old]
    before = set(healthy_tasks(api, web))
    deployment = api.request("PUT", f"/marathon/v2/apps{web}", {"instances": 4})["deploymentId"]

    start = time.monotonic()
    cluster.faults.pause(old)

    def another_leads() -> Poll[Node]:
        leader = cluster.marathon_leader(timeout_s=5)
        return Poll(leader != old, leader, f"leader {leader.reference}")

    leader: Node = until(another_leads, "another Marathon leading", 180)
    elected_s = seconds_since(start)
    tasks = wait_healthy(api, web, 4, timeout_s=240)
    deployed_s = seconds_since(start)
    assert before <= set(tasks), "the tasks that ran before the pause keep running"
    assert deployment not in {d["id"] for d in api.get("/marathon/v2/deployments", masters=others)}

    cluster.faults.heal()
    cluster.wait(timeout_s=300)
    cluster.marathon_leader()  # every master agrees on one leader: the thawed one is not
    assert set(wait_healthy(api, web, 4)) == set(tasks)
    assert running(mesos_tasks(cluster.leader(), "failover_web")) == set(tasks)  # no duplicate
    api.request("PUT", f"/marathon/v2/apps{web}", {"instances": 2})
    wait_healthy(api, web, 2)
    figure("marathon_leader_pause.new_leader", elected_s)
    figure("marathon_leader_pause.deployment_done", deployed_s)
    print(
        f"\nMarathon leader {old.reference} paused mid-deployment: {leader.reference} leads "
        f"after {elected_s:.1f} s, the deployment finished after {deployed_s:.1f} s"
    )


# -- ZooKeeper ---------------------------------------------------------------------------


def serving(master: Node) -> int:
    return sum(1 for s in exhibitor_status(master) if s["code"] == 3)


def test_zookeeper_quorum_3_2_1_3(
    cluster: Cluster, api: Api, web: str, figure: Figure, healed: None
) -> None:
    """3 -> 2 servers: writes go on (Marathon deploys an app). 3 -> 1: writes are refused,
    while the running tasks still serve and the agents still report them. Back to 3: the
    cluster recovers with no app lost."""
    leader = cluster.zookeeper_leader()
    first, second = [m for m in cluster.masters if m != leader]
    tasks = healthy_tasks(api, web)
    addresses = [(t["host"], t["ports"][0]) for t in tasks.values()]

    # 3 -> 2: a quorum of 2 out of 3 keeps working.
    cluster.faults.stop(first, "dcos-exhibitor")
    until(lambda: serving(leader) == 2, "2 ZooKeeper servers serving", 120)
    start = time.monotonic()
    deploy(api, server_app("/failover/two-servers"), timeout_s=240)
    figure("zookeeper.deploy_with_2_of_3", seconds_since(start))
    assert zk_write(second, "/e2e-two-servers", "written")

    # 3 -> 1: no quorum, so nothing can be written.
    cluster.faults.stop(second, "dcos-exhibitor")
    start = time.monotonic()
    until(lambda: serving(leader) < 2, "the last ZooKeeper server leaving the quorum", 120)
    assert not zk_write(leader, "/e2e-one-server", "must-not-exist")
    with pytest.raises((ApiError, OSError)):
        api.request("POST", "/marathon/v2/apps", server_app("/failover/one-server"), timeout=10)
    figure("zookeeper.writes_refused_after", seconds_since(start))
    # What DC/OS still answers without a quorum: the tasks serve, their agents report them.
    for host, port in addresses:
        until(partial(_pings, cluster, host, port), f"the task at {host}:{port} serving", 30)
    reported = {t: s for a in cluster.agents for t, s in agent_tasks(a).items()}
    assert {t: reported.get(t) for t in tasks} == {t: "TASK_RUNNING" for t in tasks}

    # Back to 3: every app is there, the first one with the same tasks.
    start = time.monotonic()
    cluster.faults.heal()
    until(lambda: serving(leader) == 3, "3 ZooKeeper servers serving", 180)
    cluster.wait(timeout_s=300)
    recovered_s = seconds_since(start)
    apps = {a["id"] for a in api.get("/marathon/v2/apps")["apps"]}
    assert {web, "/failover/two-servers"} <= apps
    assert set(wait_healthy(api, web, 2)) == set(tasks)
    wait_healthy(api, "/failover/two-servers", 1)
    assert "written" in zk_read(first, "/e2e-two-servers")
    assert "must-not-exist" not in zk_read(first, "/e2e-one-server")
    figure("zookeeper.recovered_to_ready", recovered_s)
    print(f"\nZooKeeper back to 3 servers: the cluster is ready again after {recovered_s:.1f} s")
    if "/failover/one-server" in apps:
        # Known defect, reported as such: Marathon answered the POST with an error, but a
        # part of the change (its deployment) reached ZooKeeper and was carried out once
        # the quorum returned. Marathon must store the group and its deployment at once.
        pytest.xfail("a change refused without a ZooKeeper quorum was carried out later")


def _pings(cluster: Cluster, host: str, port: int) -> bool:
    proc = cluster.masters[0].run(
        ["curl", "-fsS", "--max-time", "3", f"http://{host}:{port}/ping"], check=False
    )
    return proc.returncode == 0 and b"pong" in proc.stdout
