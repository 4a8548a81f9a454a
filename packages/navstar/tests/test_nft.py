from __future__ import annotations

from dcos_navstar import nft
from dcos_navstar.controller import VipView, build_ruleset, resolve
from dcos_navstar.vips import Backend, Vip

NAMED = Vip("tcp", "web.marathon.l4lb.thisdcos.directory", 80)
UNNAMED = Vip("udp", "192.0.2.9", 53)


def views() -> list[VipView]:
    table = {
        NAMED: {Backend("192.0.2.12", 31001), Backend("192.0.2.11", 31001)},
        UNNAMED: {Backend("198.19.1.2", 53)},
        Vip("tcp", "192.0.2.10", 81): set(),
    }
    return resolve(table, {"web.marathon.l4lb.thisdcos.directory": "198.18.0.9"})


def test_script_replaces_the_table_in_one_transaction() -> None:
    script = nft.render(build_ruleset(views(), [], []))
    first = script.splitlines()[:3]
    assert first == ["table ip navstar {}", "delete table ip navstar", "table ip navstar {"]


def test_each_vip_spreads_round_robin_over_its_backends() -> None:
    script = nft.render(build_ruleset(views(), [], []))
    assert (
        "meta l4proto tcp counter dnat ip addr . port to numgen inc mod 2 map "
        "{ 0 : 192.0.2.11 . 31001, 1 : 192.0.2.12 . 31001 }" in script
    )
    assert "198.18.0.9 . 80 : goto vip_" in script
    assert "192.0.2.9 . 53 : goto vip_" in script


def test_a_vip_without_backends_gets_no_rule_but_keeps_its_address() -> None:
    ruleset = build_ruleset(views(), [], [])
    script = nft.render(ruleset)
    assert "192.0.2.10 . 81" not in script
    assert "192.0.2.10" in ruleset.vip_addresses


def test_both_hooks_and_the_source_nat_cases() -> None:
    script = nft.render(build_ruleset(views(), ["198.19.1.0/25"], ["198.19.0.0/17"]))
    assert "type nat hook prerouting priority -110;" in script
    assert "type nat hook output priority -110;" in script
    assert 'ct status dnat ip saddr @vip_addresses oifname != "lo" masquerade' in script
    assert "ct status dnat ip saddr 198.19.1.0/25 ip daddr 198.19.1.0/25 masquerade" in script
    assert "ip saddr { 198.19.0.0/17 } ip daddr != { 198.19.0.0/17 } masquerade" in script


def test_counters_are_read_per_vip() -> None:
    listing = {
        "nftables": [
            {"chain": {"name": "vip_0", "comment": "198.18.0.9:80/tcp"}},
            {"rule": {"chain": "vip_0", "expr": [{"counter": {"packets": 7, "bytes": 420}}]}},
        ]
    }
    assert nft.counters_from_json(listing) == {"198.18.0.9:80/tcp": 7}
