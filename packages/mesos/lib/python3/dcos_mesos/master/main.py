"""dcos-mesos-master: contend for leadership in ZooKeeper, serve port 5050, lead when elected.

A master that loses its ZooKeeper session (and with it any leadership)
exits, as Mesos's does, and systemd starts it again as a fresh contender.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import struct
import sys
from typing import Any

from dcos_internal_utils import aio, node, zk

from dcos_mesos import MESOS_VERSION
from dcos_mesos.ids import new_uuid
from dcos_mesos.master.core import Flags, Master
from dcos_mesos.master.http import MasterHttp
from dcos_mesos.master.model import Agent
from dcos_mesos.master.zookeeper import Election, ZooKeeperRegistry
from dcos_mesos.overlay import OverlayAgent, overlay_handler, overlay_master_handler
from dcos_mesos.protocol import HttpClient

log = logging.getLogger("mesos-master")

PORT = 5050


def ip_as_int(ip: str) -> int:
    """MasterInfo.ip: the IPv4 address as Mesos stores it (network byte order, read as uint32)."""
    return int(struct.unpack("<I", socket.inet_aton(ip))[0])


def master_info(ip: str, port: int, hostname: str) -> dict[str, Any]:
    return {
        "id": new_uuid(),
        "ip": ip_as_int(ip),
        "port": port,
        "pid": f"master@{ip}:{port}",
        "hostname": hostname,
        "version": MESOS_VERSION,
        "address": {"hostname": hostname, "ip": ip, "port": port},
    }


def default_flags(config: dict[str, Any]) -> dict[str, str]:
    """DC/OS 1.10's master flags, overridable by MESOS_<FLAG> in the environment."""
    masters = node.master_list(config)
    flags = {
        "agent_ping_timeout": "15secs",
        "agent_reregister_timeout": "10mins",
        "allocation_interval": "1secs",
        "allocator": "HierarchicalDRF",
        "authenticate_agents": "false",
        "authenticate_frameworks": "false",
        "authenticate_http_frameworks": "false",
        "authenticate_http_readonly": "false",
        "authenticate_http_readwrite": "false",
        "cluster": str(config.get("cluster_name", "")),
        "framework_sorter": "drf",
        "hostname_lookup": "false",
        "log_dir": "/var/log/mesos",
        "max_agent_ping_timeouts": "20",
        "max_completed_frameworks": "50",
        "max_completed_tasks_per_framework": "1000",
        "offer_timeout": "2mins",
        "port": str(PORT),
        "quorum": str(len(masters) // 2 + 1),
        "registry": "replicated_log",
        "registry_store_timeout": "20secs",
        "roles": "slave_public",
        "user_sorter": "drf",
        "version": "false",
        "weights": "slave_public=1",
        "work_dir": "/var/lib/dcos/mesos/master",
        "zk": zk.mesos_zk_url(config),
        "zk_session_timeout": "10secs",
    }
    for key, val in os.environ.items():
        if key.startswith("MESOS_") and key != "MESOS_NATIVE_JAVA_LIBRARY":
            flags[key[6:].lower()] = val
    return flags


class AgentPoster:
    def __init__(self, client: HttpClient) -> None:
        self.client = client

    async def post(self, agent: Agent, path: str, body: dict[str, Any]) -> bool:
        status, data = await self.client.post_json(agent.url + path, body)
        if status not in (200, 202):
            log.warning("agent %s %s: %s %s", agent.id, path, status, data)
        return status in (200, 202)


async def run_master() -> None:
    config = node.expanded_config()
    ip = node.detect_ip()
    flags = Flags(default_flags(config))
    info = master_info(ip, PORT, ip)
    loop = asyncio.get_running_loop()
    client = HttpClient()
    session_timeout = flags.seconds("zk_session_timeout", 10.0)
    zk_client = await asyncio.to_thread(zk.client, config, session_timeout)
    master = Master(info, flags, ZooKeeperRegistry(zk_client), AgentPoster(client))
    lost = asyncio.Event()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)

    def on_leader(leader: dict[str, Any] | None, is_me: bool) -> None:
        if is_me and not master.elected:
            master.spawn(master.become_leader())
        elif not is_me:
            if master.elected:
                log.error("lost leadership: exiting so that a fresh master contends")
                lost.set()
            master.leader_info = leader

    # The master runs DC/OS's overlay master and, without bridges, an overlay agent.
    overlay_agent = OverlayAgent(config, ip, bridges=False)
    app = MasterHttp(master).app()
    app.router.add_get("/overlay-agent/overlay", overlay_handler(overlay_agent))
    app.router.add_get("/overlay-master/state", overlay_master_handler(overlay_agent, zk_client))
    runner = await aio.serve(app, tcp=[("0.0.0.0", PORT)])
    overlay_task = asyncio.create_task(overlay_agent.start(zk_client))
    election = Election(zk_client, loop, info, on_leader, lost.set)
    await asyncio.to_thread(election.start)

    async def ping_checker() -> None:
        while True:
            await asyncio.sleep(master.ping_timeout())
            if master.elected:
                await master.check_agent_pings()

    checker = asyncio.create_task(ping_checker())
    waiters = [asyncio.create_task(lost.wait()), asyncio.create_task(stopping.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        checker.cancel()
        overlay_task.cancel()
        await runner.cleanup()
        await client.close()
    if stopping.is_set():
        # Closing the session removes our znode now: another master leads at once.
        await asyncio.to_thread(zk_client.stop)
        log.info("stopped")
        return
    log.error("ZooKeeper session or leadership lost")
    os._exit(1)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    try:
        asyncio.run(run_master())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
