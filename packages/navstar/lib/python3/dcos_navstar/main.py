"""dcos-navstar: wire the controller to ZooKeeper, the leading master and the API."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
from dcos_internal_utils import aio, mesos_leader, node, overlay, zk

from dcos_navstar import API_PORT, api, stream
from dcos_navstar.allocation import NamedIps
from dcos_navstar.controller import Controller
from dcos_navstar.ranges import Settings
from dcos_navstar.vxlan import Vxlan

log = logging.getLogger("navstar")

# spartan's dnsmasq reads every file in this directory (hostsdir) and rereads
# a file when it changes.
RECORDS_PATH = Path(os.environ.get("NAVSTAR_RECORDS", "/run/dcos/spartan/hosts.d/navstar.hosts"))


class Leader:
    """The leading master's URL, kept current by a ZooKeeper watch."""

    def __init__(self) -> None:
        self.url = ""
        self.changed = asyncio.Event()

    def set(self, url: str) -> None:
        if url != self.url:
            self.url = url
            log.info("leading master: %s", url or "none")
            self.changed.set()


async def follow_master(controller: Controller, leader: Leader) -> None:
    """Keep the controller's state equal to the leader's, through its event stream."""
    retry = 0
    async with aiohttp.ClientSession() as session:
        while True:
            if not leader.url:
                leader.changed.clear()
                await leader.changed.wait()
            url = leader.url
            leader.changed.clear()
            reader = asyncio.create_task(_consume(session, url, controller))
            changed = asyncio.create_task(leader.changed.wait())
            done, _ = await asyncio.wait({reader, changed}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reader, changed):
                task.cancel()
            if reader in done and not reader.cancelled() and reader.exception():
                log.warning("event stream from %s: %s", url, reader.exception())
                await asyncio.sleep(stream.RETRY_S[min(retry, len(stream.RETRY_S) - 1)])
                retry += 1
            else:
                retry = 0


async def _consume(session: aiohttp.ClientSession, url: str, controller: Controller) -> None:
    async for event in stream.events(session, url):
        if controller.state.apply(event):
            if controller.state.unknown_frameworks():
                frameworks = await stream.call(session, url, "GET_FRAMEWORKS")
                for framework in (frameworks.get("get_frameworks") or {}).get("frameworks", []):
                    controller.state.add_framework(framework)
            controller.changed()


def watch_zookeeper(
    zk_client: Any, loop: asyncio.AbstractEventLoop, leader: Leader, vxlan: Vxlan | None
) -> None:
    """Leader and overlay watches; kazoo calls them on its own thread."""
    zk_client.ensure_path(mesos_leader.MESOS_ZNODE)

    def on_masters(children: list[str]) -> None:
        info = mesos_leader.leader(zk_client)
        loop.call_soon_threadsafe(leader.set, info.url if info else "")

    zk_client.ChildrenWatch(mesos_leader.MESOS_ZNODE, on_masters)
    if vxlan is None:
        return
    zk_client.ensure_path(overlay.AGENTS)

    def on_agents(children: list[str]) -> None:
        try:
            vxlan.sync(overlay.read_all(zk_client))
        except Exception:
            log.exception("overlay sync failed")

    zk_client.ChildrenWatch(overlay.AGENTS, on_agents)


async def run() -> None:
    config = node.expanded_config()
    settings = Settings.from_config(config)
    my_ip = node.detect_ip()
    zk_client = await asyncio.to_thread(zk.client, config, 10.0)
    named_ips = None
    if settings.enable_lb:
        named_ips = NamedIps(zk_client, settings.min_named_ip, settings.max_named_ip)
        await asyncio.to_thread(named_ips.load)
    controller = Controller(settings, RECORDS_PATH, named_ips)
    await asyncio.to_thread(controller.setup_node)
    runner = await aio.serve(api.app(controller), tcp=[("0.0.0.0", API_PORT)])
    loop = asyncio.get_running_loop()
    leader = Leader()
    vxlan = Vxlan(my_ip) if settings.overlay_enabled else None
    await asyncio.to_thread(watch_zookeeper, zk_client, loop, leader, vxlan)
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    workers = [
        asyncio.create_task(controller.run()),
        asyncio.create_task(follow_master(controller, leader)),
        asyncio.create_task(stopping.wait()),
    ]
    log.info(
        "navstar on %s: load balancer %s, overlay %s",
        my_ip,
        "on" if settings.enable_lb else "off",
        "on" if settings.overlay_enabled else "off",
    )
    try:
        await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for worker in workers:
            worker.cancel()
        await runner.cleanup()
        await asyncio.to_thread(zk_client.stop)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        sys.exit(0)
