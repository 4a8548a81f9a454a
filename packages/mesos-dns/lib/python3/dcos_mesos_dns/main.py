"""dcos-mesos-dns: DNS on 61053 (UDP and TCP) and HTTP on 8123, following the cluster."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from dcos_internal_utils import aio

from dcos_mesos_dns import config as mesos_dns_config
from dcos_mesos_dns import http_api, server
from dcos_mesos_dns.answer import Answerer
from dcos_mesos_dns.follower import Follower

log = logging.getLogger("mesos-dns")


def main() -> None:
    config = mesos_dns_config.load()
    answerer = Answerer(config.zone())
    resolver = server.Resolver(
        answerer, server.Forwarder(config.resolver_addresses(), timeout_s=config.timeout)
    )
    follower = Follower(config, answerer)

    async def follow() -> None:
        await server.start(resolver, config.listener, config.port)
        log.info(
            "DNS on %s:%d (udp, tcp); zone %s; resolvers %s",
            config.listener,
            config.port,
            config.domain,
            config.resolvers or "none (other names are refused)",
        )
        async with aiohttp.ClientSession() as session:
            await follower.run(session)
        await asyncio.Event().wait()  # pragma: no cover (run() never returns)

    aio.run(
        http_api.make_app(config, answerer), tcp=[(config.listener, config.http_port)], main=follow
    )
