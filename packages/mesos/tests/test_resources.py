"""Resources: Mesos's text and JSON forms, arithmetic, and the v0 summary."""

from __future__ import annotations

from dcos_mesos.resources import DCOS_PORTS, Resources, parse_ranges


def test_dcos_ports_round_trip_in_mesos_text() -> None:
    res = Resources.parse(f"cpus:2;mem:1024;ports:{DCOS_PORTS}")
    assert res.to_v0()["ports"] == DCOS_PORTS
    assert res.to_v0()["cpus"] == 2.0 and res.to_v0()["gpus"] == 0.0


def test_subtract_splits_ranges_and_drops_empty_scalars() -> None:
    res = Resources.parse("cpus:1;mem:128;ports:[31000-31010]")
    used = Resources.parse("cpus:1;mem:28;ports:[31005-31005]")
    left = res - used
    assert left.scalar("cpus") == 0.0
    assert left.scalar("mem") == 100.0
    assert left.port_ranges() == [(31000, 31004), (31006, 31010)]
    assert (left + used) == res


def test_contains_respects_reservation_roles() -> None:
    public = Resources.parse("cpus:2;mem:512", role="slave_public")
    wanted = Resources.from_v1(
        [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "role": "slave_public"}]
    )
    unreserved = Resources.from_v1([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}])
    assert public.contains(wanted)
    assert not public.contains(unreserved)
    assert public.for_roles(["*"]).empty()
    assert public.for_roles(["slave_public"]) == public


def test_v1_json_carries_role_and_allocation_info() -> None:
    items = Resources.parse("cpus:0.5;ports:[80-81]", role="slave_public").to_v1("slave_public")
    cpus = next(i for i in items if i["name"] == "cpus")
    assert cpus == {
        "name": "cpus",
        "type": "SCALAR",
        "scalar": {"value": 0.5},
        "role": "slave_public",
        "allocation_info": {"role": "slave_public"},
    }
    ports = next(i for i in items if i["name"] == "ports")
    assert ports["ranges"] == {"range": [{"begin": 80, "end": 81}]}


def test_parse_ranges_merges_adjacent() -> None:
    assert parse_ranges("[1-2, 3-5, 10-10]") == [(1, 5), (10, 10)]
