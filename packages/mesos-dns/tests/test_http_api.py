"""Mesos-DNS's HTTP API: field names and the empty answers DC/OS's tests rely on."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from conftest import MASTERS
from dcos_internal_utils import aio
from dcos_mesos_dns import config as mesos_dns_config
from dcos_mesos_dns import http_api
from dcos_mesos_dns.answer import Answerer
from dcos_mesos_dns.records import GeneratorConfig, generate, hash_string

CONFIG = mesos_dns_config.from_expanded(
    {"master_list": '["192.0.2.11", "192.0.2.12", "192.0.2.13"]', "resolvers": '["192.0.2.53"]'}
)


def get_all(state: dict[str, Any], paths: list[str]) -> list[tuple[int, Any]]:
    async def scenario() -> list[tuple[int, Any]]:
        answerer = Answerer(CONFIG.zone())
        answerer.update(generate(state, GeneratorConfig(), MASTERS, [], lambda h: []), 42)
        runner = await aio.serve(http_api.make_app(CONFIG, answerer), tcp=[("127.0.0.1", 0)])
        base = next(iter(runner.sites)).name
        results = []
        async with aiohttp.ClientSession() as session:
            for path in paths:
                async with session.get(base + path) as response:
                    body = (
                        await response.json()
                        if response.content_type == "application/json"
                        else await response.text()
                    )
                    results.append((response.status, body))
        await runner.cleanup()
        return results

    return asyncio.run(scenario())


def test_version_config_and_lookups(state: dict[str, Any]) -> None:
    app_hash = hash_string("app_group.5a2e9b3f-1111-11ee-8c90-0242ac120002")
    (version, config, hosts, no_host, services, no_service, ports, enumerate_, axfr) = get_all(
        state,
        [
            "/v1/version",
            "/v1/config",
            "/v1/hosts/leader.mesos",
            "/v1/hosts/nope.mesos",
            "/v1/services/_app-group._tcp.marathon.mesos.",
            "/v1/services/_nope._tcp.marathon.mesos",
            "/v1/hosts/leader.mesos/ports",
            "/v1/enumerate",
            "/v1/axfr",
        ],
    )
    assert version[0] == 200 and version[1]["Service"] == "Mesos-DNS"
    assert set(version[1]) == {"Service", "URL", "Version"}
    assert config[1]["Port"] == 61053 and config[1]["HttpPort"] == 8123
    assert config[1]["Zk"] == "zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/mesos"
    assert config[1]["IPSources"] == ["host", "netinfo"] and config[1]["SOASerial"] == 42
    assert config[1]["Resolvers"] == ["192.0.2.53"] and config[1]["ExternalOn"] is True
    assert hosts[1] == [{"host": "leader.mesos.", "ip": "192.0.2.11"}]
    assert no_host[1] == [{"host": "", "ip": ""}]
    target = f"app-group-{app_hash}-s0.marathon.slave.mesos."
    assert sorted(services[1], key=lambda r: r["port"]) == [
        {
            "service": "_app-group._tcp.marathon.mesos.",
            "host": target,
            "ip": "192.0.2.21",
            "port": port,
        }
        for port in ("31005", "31006")
    ]
    assert no_service[1] == [{"service": "", "host": "", "ip": "", "port": ""}]
    assert ports[0] == 501
    assert [f["name"] for f in enumerate_[1]["frameworks"]] == ["marathon", "my.Framework_1"]
    assert axfr[1]["Records"]["As"]["leader.mesos."] == ["192.0.2.11"]
    assert axfr[1]["Domain"] == "mesos"
