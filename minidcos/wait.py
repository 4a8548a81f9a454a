"""Readiness: named checks, run in order under one deadline.

A check is a value: a name that reads as a fact, the node it is about, and a
probe that returns (ok, detail). `dcos_checks` lists them in boot order;
`wait_until` polls each with the one poll helper (`minidcos._util.polling`)
until it passes. A timeout raises NotReadyError naming the check, the node
and the last answer; it never reports success. A probe that sees it can
never pass (the container is gone) raises CannotPassError, which fails at
once.

Adding a component's check (packages/README.md has the whole checklist):

    def marathon_leader(node: Node) -> Check:
        port = package_port("marathon")       # from packages/marathon/buildinfo.json

        def probe() -> tuple[bool, str]:
            leader = http_json(f"http://{node.ip_address}:{port}/v2/leader")
            return bool(leader.get("leader")), f"leader: {leader}"

        return Check("Marathon has a leader", node, probe)

and one line in `dcos_checks`, after the checks of what it needs.
"""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minidcos import iam
from minidcos._util.http import TRANSIENT, http_json
from minidcos._util.polling import Poll, PollTimeoutError, wait_for
from minidcos.errors import NotReadyError
from minidcos.installer.packages import package_port
from minidcos.node import Node, Role
from minidcos.status import Status

__all__ = [
    "TRANSIENT",
    "CannotPassError",
    "Check",
    "dcos_checks",
    "http_json",
    "package_port",
    "wait_until",
]

POLL_INTERVAL_S = 0.2
MAX_POLL_INTERVAL_S = 0.5  # a ready cluster is noticed within half a second


class CannotPassError(Exception):
    """Raised by a check that can no longer pass (the node's container has exited)."""


@dataclass(frozen=True)
class Check:
    name: str
    node: Node
    probe: Callable[[], tuple[bool, str]]


def wait_until(
    checks: Sequence[Check],
    timeout_s: float,
    status: Status,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run each check in order until it passes; all of them share one deadline."""
    start = clock()
    deadline = start + timeout_s
    for check in checks:

        def poll(check: Check = check) -> Poll[None]:
            ok, detail = check.probe()
            return Poll(ok, None, detail)

        try:
            wait_for(
                poll,
                max(0.0, deadline - clock()),
                check.name,
                interval_s=POLL_INTERVAL_S,
                max_interval_s=MAX_POLL_INTERVAL_S,
                transient=TRANSIENT,
                clock=clock,
                sleep=sleep,
            )
        except PollTimeoutError as exc:
            raise NotReadyError(check.name, str(check.node), clock() - start, exc.last) from None
        except CannotPassError as exc:
            raise NotReadyError(check.name, str(check.node), clock() - start, str(exc)) from exc
        status.line(f"     \u2713 {check.name}: {check.node.reference} ({clock() - start:.1f} s)")


# -- the checks of a DC/OS cluster, in boot order -----------------------------


def systemd_up(node: Node) -> Check:
    def probe() -> tuple[bool, str]:
        proc = node.run(["systemctl", "is-system-running"], check=False)
        state = proc.stdout.decode().strip() or proc.stderr.decode().strip()
        if proc.returncode != 0 and "No such container" in proc.stderr.decode():
            raise CannotPassError("the node's container is gone")
        return state in ("running", "degraded"), f"systemd is {state!r}"

    return Check("systemd reached its default target", node, probe)


def dcos_installed(node: Node) -> Check:
    def probe() -> tuple[bool, str]:
        proc = node.run(["test", "-e", "/opt/mesosphere/etc/dcos-version.json"], check=False)
        if proc.returncode != 0:
            # dcos_install.sh has finished before anyone can wait, so this is final.
            raise CannotPassError(
                "DC/OS is not installed on this node (no /opt/mesosphere/etc/dcos-version.json); "
                "`minidcos docker provision` makes bare nodes, `create` installs DC/OS"
            )
        return True, "installed"

    return Check("DC/OS is installed", node, probe)


def zookeeper_quorum(node: Node, num_masters: int) -> Check:
    port = package_port("exhibitor")

    def probe() -> tuple[bool, str]:
        servers = http_json(f"http://{node.ip_address}:{port}/exhibitor/v1/cluster/status")
        serving = [s for s in servers if s.get("code") == 3]
        leaders = [s for s in servers if s.get("isLeader")]
        detail = f"{len(serving)}/{num_masters} serving, {len(leaders)} leader(s): {servers}"
        return len(serving) == num_masters and len(leaders) == 1, detail

    return Check(f"ZooKeeper quorum of {num_masters} (Exhibitor)", node, probe)


def has_mesos(master: Node) -> bool:
    """Whether the installer put a Mesos master on this node (a real DC/OS one always does)."""
    unit = "/etc/systemd/system/dcos-mesos-master.service"
    return master.run(["test", "-e", unit], check=False).returncode == 0


def mesos_leader_elected(node: Node, masters: Sequence[Node]) -> Check:
    port = package_port("mesos", "master")

    def probe() -> tuple[bool, str]:
        if not has_mesos(node):
            return True, "skipped: this installer has no Mesos master"
        leaders = set()
        for master in masters:
            state = http_json(f"http://{master.ip_address}:{port}/state")
            leaders.add(state.get("leader_info", {}).get("hostname", ""))
        ok = len(leaders) == 1 and "" not in leaders
        return ok, f"leaders the masters name: {sorted(leaders)}"

    return Check("one Mesos leader elected", node, probe)


def mesos_agents_registered(node: Node, agents: Sequence[Node]) -> Check:
    port = package_port("mesos", "master")

    def probe() -> tuple[bool, str]:
        if not has_mesos(node):
            return True, "skipped: this installer has no Mesos master"
        state = http_json(f"http://{node.ip_address}:{port}/state")
        leader = state.get("leader_info", {}).get("hostname")
        if not leader:
            return False, "no Mesos leader yet"
        slaves = http_json(f"http://{leader}:{port}/slaves")["slaves"]
        active = {s["hostname"] for s in slaves if s.get("active")}
        missing = sorted(a.ip_address for a in agents if a.ip_address not in active)
        return not missing, f"not registered with {leader}: {missing}" if missing else "all"

    return Check("every agent registered with the Mesos leader", node, probe)


def iam_answers(node: Node) -> Check:
    """dcos-oauth answers on the master (it listens on 127.0.0.1 only)."""
    port = package_port("dcos-oauth")

    def probe() -> tuple[bool, str]:
        proc = node.run(
            ["curl", "-sS", "--max-time", "3", f"http://127.0.0.1:{port}/acs/api/v1/groups"],
            check=False,
        )
        answer = (proc.stdout or proc.stderr).decode().strip()
        return proc.returncode == 0 and '"array"' in answer, answer or "no answer"

    return Check("IAM answers (dcos-oauth)", node, probe)


def cosmos_answers(node: Node) -> Check:
    """Cosmos lists its package repositories on the master (127.0.0.1 only; ZooKeeper behind)."""
    port = package_port("cosmos")
    media = "application/vnd.dcos.package.repository.list-{}+json;charset=utf-8;version=v1"

    def probe() -> tuple[bool, str]:
        proc = node.run(
            [
                "curl", "-sS", "--max-time", "5", "-X", "POST", "-d", "{}",
                "-H", "Content-Type: " + media.format("request"),
                "-H", "Accept: " + media.format("response"),
                f"http://127.0.0.1:{port}/package/repository/list",
            ],
            check=False,
        )  # fmt: skip
        answer = (proc.stdout or proc.stderr).decode().strip()
        return proc.returncode == 0 and '"repositories"' in answer, answer or "no answer"

    return Check("Cosmos answers (package repositories)", node, probe)


def leader_mesos_resolves(node: Node, masters: Sequence[Node]) -> Check:
    """Spartan on `node` answers leader.mesos (from Mesos-DNS) with one of the masters.

    An installer without a Mesos master has no leader to name: the check then
    passes and says so.
    """
    master_ips = {m.ip_address for m in masters}

    def probe() -> tuple[bool, str]:
        has_mesos = masters[0].run(
            ["test", "-e", "/etc/systemd/system/dcos-mesos-master.service"], check=False
        )
        if has_mesos.returncode != 0:
            return True, "skipped: this installer has no Mesos master"
        proc = node.run(
            ["dig", "+short", "+time=1", "+tries=1", "@198.51.100.1", "leader.mesos", "A"],
            check=False,
        )
        answer = proc.stdout.decode().strip() or proc.stderr.decode().strip() or "no answer"
        ips = set(answer.split())
        return len(ips) == 1 and ips <= master_ips, f"leader.mesos: {answer}"

    return Check("leader.mesos resolves through spartan", node, probe)


class AdminRouterToken:
    """A cluster token for checks that go through Admin Router, minted on first use.

    None when the cluster has auth off (`oauth_enabled: false`): then no token is needed.
    Until the answer is known (the config unreadable, dcos-oauth not minting yet) it
    raises a transient error, so the check says "not yet" and asks again.
    """

    def __init__(self, master: Node) -> None:
        self._master = master
        self._token: list[str | None] = []

    def __call__(self) -> str | None:
        if not self._token:
            enabled = iam.auth_setting(self._master)
            if enabled is None:
                raise ConnectionError("the cluster's expanded config cannot be read yet")
            token = iam.test_user_token(self._master) if enabled else None
            if enabled and token is None:
                raise ConnectionError("dcos-oauth does not mint a token for the test user yet")
            self._token.append(token)
        return self._token[0]


def marathon_registered(node: Node) -> Check:
    """Marathon answers through Admin Router and is a subscribed `marathon` framework in Mesos."""
    port = package_port("adminrouter")
    token = AdminRouterToken(node)

    def probe() -> tuple[bool, str]:
        has_marathon = node.run(
            ["test", "-e", "/etc/systemd/system/dcos-marathon.service"], check=False
        )
        if has_marathon.returncode != 0:
            return True, "skipped: this installer has no Marathon"
        info = http_json(f"http://{node.ip_address}:{port}/marathon/v2/info", token=token())
        framework_id = info.get("frameworkId")
        if info.get("name") != "marathon" or not framework_id:
            return False, f"/marathon/v2/info: leader {info.get('leader')}, no framework id yet"
        frameworks = http_json(f"http://{node.ip_address}:{port}/mesos/frameworks", token=token())[
            "frameworks"
        ]
        mine = [f for f in frameworks if f.get("id") == framework_id]
        if not mine or mine[0].get("name") != "marathon" or not mine[0].get("active"):
            return False, f"framework {framework_id} is not an active framework in Mesos"
        return True, f"framework {framework_id}, leader {info.get('leader')}"

    return Check("Marathon answers through Admin Router, registered in Mesos", node, probe)


def metronome_answers(node: Node) -> Check:
    """Metronome answers through Admin Router: it leads, is registered with Mesos (Admin
    Router routes /service/metronome/ by the framework's webui_url) and lists its jobs."""
    port = package_port("adminrouter")
    token = AdminRouterToken(node)

    def probe() -> tuple[bool, str]:
        url = f"http://{node.ip_address}:{port}/service/metronome/v1/jobs"
        try:
            jobs = http_json(url, token=token())
        except urllib.error.HTTPError as exc:
            return False, f"{url}: HTTP {exc.code}"
        return isinstance(jobs, list), f"{url}: {jobs}"

    return Check("Metronome answers through Admin Router", node, probe)


def health_url(node: Node) -> str:
    """Where the node's /system/health/v1 answers from the host."""
    # Diagnostics listens on its own TCP port on masters; on agents Admin
    # Router Agent fronts it, as in DC/OS.
    if node.role is Role.MASTER:
        port = package_port("dcos-diagnostics")
    else:
        port = package_port("adminrouter", "agent")
    return f"http://{node.ip_address}:{port}/system/health/v1"


def units_healthy(node: Node) -> Check:
    url = health_url(node)

    def probe() -> tuple[bool, str]:
        health = http_json(url)
        bad = [
            f"{u['id']}: {u.get('output') or 'unhealthy'}"
            for u in health.get("units", [])
            if u.get("health") != 0
        ]
        if not health.get("units"):
            return False, "diagnostics lists no units yet"
        return not bad, "; ".join(bad) or "all units healthy"

    return Check("every DC/OS unit is healthy (/system/health/v1)", node, probe)


def dcos_checks(nodes: Sequence[Node]) -> list[Check]:
    """Every readiness check of a DC/OS cluster, in boot order.

    A component adds its check here, after the checks of what it needs and
    before the last one (every unit healthy).
    """
    masters = [n for n in nodes if n.role is Role.MASTER]
    checks = [systemd_up(n) for n in nodes] + [dcos_installed(n) for n in nodes]
    checks += [zookeeper_quorum(m, len(masters)) for m in masters]
    agents = [n for n in nodes if n.role is not Role.MASTER]
    if masters:
        checks += [mesos_leader_elected(masters[0], masters)]
        checks += [mesos_agents_registered(masters[0], agents)]
    checks += [iam_answers(m) for m in masters]
    checks += [cosmos_answers(m) for m in masters]
    checks += [leader_mesos_resolves(n, masters) for n in nodes]
    checks += [marathon_registered(masters[0])]
    checks += [metronome_answers(m) for m in masters]
    checks += [units_healthy(n) for n in nodes]
    return checks


def node_checks(nodes: Sequence[Node], node: Node) -> list[Check]:
    """The checks that say `node` has joined the cluster `nodes` (a node just added):
    its own, and those of the cluster that it changes (a master: the quorum and the leader)."""
    masters = [n for n in nodes if n.role is Role.MASTER]
    checks = [systemd_up(node), dcos_installed(node)]
    if node.role is Role.MASTER:
        checks += [zookeeper_quorum(m, len(masters)) for m in masters]
        checks += [mesos_leader_elected(node, masters), iam_answers(node)]
    else:
        checks += [mesos_agents_registered(masters[0], [node])]
    checks += [leader_mesos_resolves(node, masters), units_healthy(node)]
    return checks
