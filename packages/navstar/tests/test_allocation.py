from __future__ import annotations

import ipaddress

from dcos_navstar.allocation import IPS, NAMES, NamedIps, candidates
from zk_fake import FakeZooKeeper

LOW = ipaddress.IPv4Address("198.18.0.1")
HIGH = ipaddress.IPv4Address("198.18.0.4")


def test_candidates_cover_the_range_once_from_the_names_hash() -> None:
    seen = list(candidates("a.marathon.l4lb.thisdcos.directory", LOW, HIGH))
    assert sorted(seen) == [ipaddress.IPv4Address(f"198.18.0.{i}") for i in range(1, 5)]
    assert seen == list(candidates("a.marathon.l4lb.thisdcos.directory", LOW, HIGH))


def test_two_nodes_agree_on_a_name_whoever_allocates_first() -> None:
    zk = FakeZooKeeper()
    first, second = NamedIps(zk, LOW, HIGH), NamedIps(zk, LOW, HIGH)
    first.load()
    second.load()
    address = first.address("web.marathon.l4lb.thisdcos.directory")
    assert second.address("web.marathon.l4lb.thisdcos.directory") == address
    assert zk.nodes[f"{IPS}/{address}"] == b"web.marathon.l4lb.thisdcos.directory"


def test_a_taken_address_is_skipped() -> None:
    zk = FakeZooKeeper()
    allocator = NamedIps(zk, LOW, HIGH)
    allocator.load()
    names = [f"n{i}.marathon.l4lb.thisdcos.directory" for i in range(4)]
    addresses = [allocator.address(n) for n in names]
    assert len(set(addresses)) == 4


def test_losing_a_race_for_the_name_takes_the_winners_address() -> None:
    zk = FakeZooKeeper()
    allocator = NamedIps(zk, LOW, HIGH)
    allocator.load()
    name = "race.marathon.l4lb.thisdcos.directory"
    # Another node creates the name (with some other address) just before our commit.
    zk.before_commit.append(lambda: zk.nodes.update({f"{NAMES}/{name}": b"198.18.0.3"}))
    assert allocator.address(name) == "198.18.0.3"


def test_losing_a_race_for_the_address_probes_on() -> None:
    zk = FakeZooKeeper()
    allocator = NamedIps(zk, LOW, HIGH)
    allocator.load()
    name = "probe.marathon.l4lb.thisdcos.directory"
    first = str(next(candidates(name, LOW, HIGH)))
    zk.before_commit.append(lambda: zk.nodes.update({f"{IPS}/{first}": b"other"}))
    address = allocator.address(name)
    assert address != first
    assert zk.nodes[f"{NAMES}/{name}"] == address.encode()


def test_a_restarted_node_reads_what_exists() -> None:
    zk = FakeZooKeeper()
    before = NamedIps(zk, LOW, HIGH)
    before.load()
    address = before.address("keep.marathon.l4lb.thisdcos.directory")
    after = NamedIps(zk, LOW, HIGH)
    after.load()
    assert after.known == {"keep.marathon.l4lb.thisdcos.directory": address}
