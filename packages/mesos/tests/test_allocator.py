"""The DRF allocator: order by dominant share, roles, refuse filters, suppress and revive."""

from __future__ import annotations

import random

from dcos_mesos.master.allocator import Allocator
from dcos_mesos.resources import Resources


def agent(cpus: float = 4, mem: float = 4096, role: str = "*") -> Resources:
    return Resources.parse(f"cpus:{cpus};mem:{mem};disk:1000;ports:[31000-32000]", role)


def test_offers_everything_to_the_framework_with_the_lowest_share() -> None:
    alloc = Allocator(random.Random(1))
    alloc.add_agent("a1", agent())
    alloc.add_agent("a2", agent())
    alloc.add_framework("busy", ["*"], used={"a1": Resources.parse("cpus:3;mem:100")})
    alloc.add_framework("idle", ["*"])
    alloc.agents["a1"].allocated["busy"] = Resources.parse("cpus:3;mem:100")
    offers = alloc.allocate(now=0)
    assert next((o.framework_id, o.agent_id) for o in offers)[0] == "idle"
    by_agent = {o.agent_id: o for o in offers}
    assert by_agent["a1"].resources.scalar("cpus") == 1.0
    assert by_agent["a2"].resources.scalar("cpus") == 4.0


def test_public_resources_go_only_to_slave_public_frameworks() -> None:
    alloc = Allocator()
    alloc.add_agent("pub", agent(role="slave_public"))
    alloc.add_framework("star", ["*"])
    assert alloc.allocate(now=0) == []
    alloc.add_framework("public", ["slave_public"])
    offers = alloc.allocate(now=0)
    assert [(o.framework_id, o.role) for o in offers] == [("public", "slave_public")]


def test_declined_resources_are_filtered_until_refuse_seconds_pass() -> None:
    alloc = Allocator()
    alloc.add_agent("a1", agent())
    alloc.add_framework("f", ["*"])
    (offer,) = alloc.allocate(now=0)
    alloc.recover("f", "a1", offer.resources, refuse_seconds=5, now=0)
    assert alloc.allocate(now=1) == []
    assert alloc.next_expiry() == 5
    assert len(alloc.allocate(now=6)) == 1


def test_suppress_stops_offers_and_revive_clears_filters() -> None:
    alloc = Allocator()
    alloc.add_agent("a1", agent())
    alloc.add_framework("f", ["*"])
    alloc.suppress("f")
    assert alloc.allocate(now=0) == []
    alloc.revive("f")
    (offer,) = alloc.allocate(now=0)
    alloc.recover("f", "a1", offer.resources, refuse_seconds=100, now=0)
    alloc.revive("f")
    assert len(alloc.allocate(now=1)) == 1


def test_offered_resources_are_not_offered_twice_and_come_back() -> None:
    alloc = Allocator()
    alloc.add_agent("a1", agent())
    alloc.add_framework("f", ["*"])
    alloc.add_framework("g", ["*"])
    offers = alloc.allocate(now=0)
    assert len(offers) == 1
    assert alloc.allocate(now=0) == []
    alloc.recover(offers[0].framework_id, "a1", offers[0].resources)
    assert len(alloc.allocate(now=0)) == 1
