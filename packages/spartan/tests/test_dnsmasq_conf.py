from __future__ import annotations

import json
from typing import Any

import pytest
from dcos_spartan.dnsmasq_conf import ConfigError, Server, render, upstream_resolvers


def config(**overrides: Any) -> dict[str, Any]:
    base = {
        "master_list": json.dumps(["172.31.251.2", "172.31.251.3", "172.31.251.4"]),
        "resolvers": json.dumps(["127.0.0.11"]),
        "dns_search": "",
        "agent_list": json.dumps(["172.31.251.5"]),
        "public_agent_list": "[]",
    }
    base.update(overrides)
    return base


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_listens_on_spartan_addresses_and_loopback_only() -> None:
    out = lines(render(config()))
    assert "bind-interfaces" in out
    assert [line for line in out if line.startswith("listen-address=")] == [
        "listen-address=198.51.100.1",
        "listen-address=198.51.100.2",
        "listen-address=198.51.100.3",
        "listen-address=127.0.0.1",
    ]
    assert "port=53" in out


def test_never_reads_resolv_conf_or_hosts() -> None:
    out = lines(render(config()))
    assert {"no-resolv", "no-hosts", "no-poll"} <= set(out)


def test_answers_ready_spartan_itself() -> None:
    out = lines(render(config()))
    assert "host-record=ready.spartan,127.0.0.1" in out
    assert "local=/spartan/" in out


def test_zk_names_are_the_masters_answered_locally() -> None:
    out = lines(render(config()))
    assert [line for line in out if line.startswith("host-record=zk-")] == [
        "host-record=zk-1.zk,172.31.251.2",
        "host-record=zk-2.zk,172.31.251.3",
        "host-record=zk-3.zk,172.31.251.4",
        "host-record=zk-4.zk,172.31.251.2",
        "host-record=zk-5.zk,172.31.251.3",
    ]
    assert "local=/zk/" in out


def test_one_master_is_every_zk_name() -> None:
    out = lines(render(config(master_list=json.dumps(["172.31.251.2"]))))
    assert [line for line in out if line.startswith("host-record=zk-")] == [
        f"host-record=zk-{i}.zk,172.31.251.2" for i in range(1, 6)
    ]


def test_cached_answers_stay_fresh() -> None:
    # Mesos-DNS answers carry a 60 s TTL; spartan must not serve them that long.
    assert "max-cache-ttl=1" in lines(render(config()))


def test_mesos_goes_to_mesos_dns_on_every_master() -> None:
    out = lines(render(config()))
    assert [line for line in out if line.startswith("server=/mesos/")] == [
        "server=/mesos/172.31.251.2#61053",
        "server=/mesos/172.31.251.3#61053",
        "server=/mesos/172.31.251.4#61053",
    ]


def test_thisdcos_directory_is_answered_from_navstars_records() -> None:
    conf = lines(render(config()))
    assert "hostsdir=/run/dcos/spartan/hosts.d" in conf
    # Never forwarded: a name Navstar has no record of is NXDOMAIN at once.
    assert "local=/thisdcos.directory/" in conf
    assert not any(line.startswith("server=/thisdcos.directory/") for line in conf)


def test_mesos_answers_never_wait_on_a_refresh() -> None:
    conf = lines(render(config()))
    assert "use-stale-cache=2" in conf
    assert "max-cache-ttl=1" in conf


def test_everything_else_goes_to_the_configured_resolvers() -> None:
    out = lines(render(config(resolvers=json.dumps(["127.0.0.11", "192.0.2.2:5353"]))))
    assert [line for line in out if line.startswith("server=") and "/" not in line] == [
        "server=127.0.0.11",
        "server=192.0.2.2#5353",
    ]


def test_no_public_resolver_appears_unless_configured() -> None:
    text = render(config())
    assert "8.8.8.8" not in text and "1.1.1.1" not in text


def test_cache_on() -> None:
    cache = [line for line in lines(render(config())) if line.startswith("cache-size=")]
    assert cache and int(cache[0].split("=")[1]) >= 1000


def test_no_masters_keeps_mesos_local_instead_of_leaking_upstream() -> None:
    out = lines(render(config(master_list="[]")))
    assert "local=/mesos/" in out
    assert not [line for line in out if line.startswith("server=/mesos/")]


def test_forward_zones_dict_and_list_forms() -> None:
    as_dict = config(
        dns_forward_zones=json.dumps({"a.contoso.com": ["203.0.113.1:53", "203.0.113.2"]})
    )
    as_list = config(
        dns_forward_zones=json.dumps([["a.contoso.com", ["203.0.113.1:53", "203.0.113.2"]]])
    )
    for cfg in (as_dict, as_list):
        out = lines(render(cfg))
        assert "server=/a.contoso.com/203.0.113.1" in out
        assert "server=/a.contoso.com/203.0.113.2" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.11", Server("127.0.0.11", 53)),
        ("192.0.2.1:5353", Server("192.0.2.1", 5353)),
        ("fd00::1", Server("fd00::1", 53)),
        ("[fd00::1]:54", Server("fd00::1", 54)),
    ],
)
def test_server_parse(text: str, expected: Server) -> None:
    assert Server.parse(text) == expected


@pytest.mark.parametrize("text", ["dns.example.com", "192.0.2.1:0", "192.0.2.1:x", "192.0.2.300"])
def test_server_parse_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        Server.parse(text)


def test_spartan_address_as_resolver_is_a_loop() -> None:
    with pytest.raises(ConfigError, match="spartan"):
        upstream_resolvers(config(resolvers=json.dumps(["198.51.100.1"])))


def test_resolvers_not_json_is_an_error() -> None:
    with pytest.raises(ConfigError, match="resolvers"):
        upstream_resolvers(config(resolvers="127.0.0.11"))
