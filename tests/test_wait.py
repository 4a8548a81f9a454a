"""Readiness checks on a fake clock: order, one shared deadline, the last answer, no sleeping."""

from __future__ import annotations

import io
import urllib.error

import pytest

from minidcos import wait
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.errors import NotReadyError
from minidcos.node import Node
from minidcos.status import Status
from tests.fake_provider import FakeProvider


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def nodes() -> list[Node]:
    return Cluster.create(ClusterSpec(1, 1, 0, "w"), provider=FakeProvider()).nodes


def test_checks_run_in_order_until_each_passes(nodes: list[Node]) -> None:
    clock = FakeClock()
    seen: list[str] = []

    def after(name: str, at: float) -> wait.Check:
        def probe() -> tuple[bool, str]:
            seen.append(name)
            return clock.now >= at, f"{name} at {clock.now:.2f}"

        return wait.Check(name, nodes[0], probe)

    out = io.StringIO()
    checks = [after("first", 1.0), after("second", 1.5)]
    wait.wait_until(checks, 10, Status(out), clock=clock, sleep=clock.sleep)
    assert seen.index("second") > max(i for i, s in enumerate(seen) if s == "first")
    assert "\u2713 first: master_0" in out.getvalue()
    assert 1.5 <= clock.now < 2.5


def test_a_timeout_names_the_check_the_node_and_the_last_answer(nodes: list[Node]) -> None:
    clock = FakeClock()

    def refused() -> tuple[bool, str]:
        raise urllib.error.URLError("connection refused")

    checks = [
        wait.Check("fast", nodes[0], lambda: (True, "ok")),
        wait.Check("Marathon has a leader", nodes[1], refused),
    ]
    with pytest.raises(NotReadyError) as info:
        wait.wait_until(checks, 30, Status.silent(), clock=clock, sleep=clock.sleep)
    assert info.value.check == "Marathon has a leader"
    assert info.value.node.startswith("agent_0")
    assert "connection refused" in info.value.last_detail
    assert clock.now == pytest.approx(30)


def test_a_check_that_cannot_pass_fails_at_once(nodes: list[Node]) -> None:
    clock = FakeClock()

    def gone() -> tuple[bool, str]:
        raise wait.CannotPassError("the node's container is gone")

    with pytest.raises(NotReadyError, match="container is gone"):
        wait.wait_until(
            [wait.Check("x", nodes[0], gone)], 600, Status.silent(), clock=clock, sleep=clock.sleep
        )
    assert clock.now == 0


def test_health_answers_where_dcos_serves_it(nodes: list[Node]) -> None:
    master, agent = nodes
    assert wait.health_url(master) == f"http://{master.ip_address}:1050/system/health/v1"
    # On agents Admin Router Agent fronts diagnostics, as in DC/OS.
    assert wait.health_url(agent) == f"http://{agent.ip_address}:61001/system/health/v1"


def test_the_dcos_checks_come_in_boot_order(nodes: list[Node]) -> None:
    names = [c.name for c in wait.dcos_checks(nodes)]
    assert names[0] == "systemd reached its default target"
    assert names.index("DC/OS is installed") < names.index("ZooKeeper quorum of 1 (Exhibitor)")
    assert names[-1] == "every DC/OS unit is healthy (/system/health/v1)"


EXPANDED = "/opt/mesosphere/etc/expanded.config.json"


def _master_with_config(config: bytes | None) -> tuple[Node, FakeProvider]:
    provider = FakeProvider()
    master = Cluster.create(ClusterSpec(1, 0, 0, "tok"), provider=provider).masters[0]
    if config is not None:
        provider.cluster_nodes["tok"][0].files[EXPANDED] = (config, 0o644)
    return master, provider


def test_a_token_is_not_needed_with_auth_off() -> None:
    master, _ = _master_with_config(b'{"oauth_enabled": "false"}')
    assert wait.AdminRouterToken(master)() is None


def test_an_early_failure_to_mint_a_token_is_retried_not_kept() -> None:
    master, provider = _master_with_config(None)
    token = wait.AdminRouterToken(master)
    with pytest.raises(ConnectionError, match="cannot be read yet"):
        token()  # DC/OS is not installed yet: ask again later
    provider.cluster_nodes["tok"][0].files[EXPANDED] = (b'{"oauth_enabled": "true"}', 0o644)
    provider.fail_command("dcos-oauth login", returncode=1, stderr=b"not ready")
    with pytest.raises(ConnectionError, match="does not mint a token"):
        token()  # dcos-oauth is not up yet: ask again later
    provider.failures.clear()
    provider.fail_command("dcos-oauth login", returncode=0, stdout=b"aaa.bbb.ccc\n")
    assert token() == "aaa.bbb.ccc"
    provider.failures.clear()
    assert token() == "aaa.bbb.ccc"  # minted once
