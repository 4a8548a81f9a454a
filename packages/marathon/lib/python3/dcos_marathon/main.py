"""dcos-marathon: Marathon on a master (port 8080).

Serves the REST API at once (followers proxy to the leader), contends for
leadership in ZooKeeper, and once elected loads the state and becomes the
`marathon` framework on the leading Mesos master. Losing leadership ends the
process; systemd starts it again as a follower.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from dcos_internal_utils import aio, mesos_leader, node, zk

from .api import Api
from .core import Config, Marathon
from .election import ZkElection
from .events import EventBus
from .store import ZkStore
from .tasks import spawn

log = logging.getLogger("marathon")
# Marathon takes each of its flags from a MARATHON_<FLAG> environment variable
# too; a second Marathon run as an app (Marathon-on-Marathon, the Universe's
# `marathon` package) sets its own port, framework name and ZooKeeper path so.
HTTP_PORT = int(os.environ.get("MARATHON_HTTP_PORT", "8080"))
FRAMEWORK_NAME = os.environ.get("MARATHON_FRAMEWORK_NAME", "marathon")
# zk://host:port,.../path: the path is where this Marathon keeps its state and
# its leader latches (the cluster's own ensemble is the one connected to).
ZK_URL = os.environ.get("MARATHON_ZK", "")


def zk_chroot(url: str) -> str:
    if not url.startswith("zk://") or "/" not in url[len("zk://") :]:
        return "/marathon"
    return "/" + url[len("zk://") :].split("/", 1)[1].strip("/")


def zk_display(config: dict[str, Any], chroot: str) -> str:
    count = len(node.master_list(config))
    return "zk://" + ",".join(f"zk-{i}.zk:2181" for i in range(1, count + 1)) + chroot


class Service:
    def __init__(self) -> None:
        expanded = node.expanded_config()
        self.expanded = expanded
        hostname = os.environ.get("MARATHON_HOSTNAME") or node.detect_ip()
        self.chroot = zk_chroot(ZK_URL)
        self.config = Config(
            hostname=hostname,
            http_port=HTTP_PORT,
            zk_display=ZK_URL or zk_display(expanded, self.chroot),
            master_display=zk.mesos_zk_url(expanded),
            framework_name=FRAMEWORK_NAME,
        )
        self.events = EventBus()
        self.zk: Any = None
        self.core: Marathon | None = None
        self.election: ZkElection | None = None
        self.mesos_leader: str | None = None

    async def find_master(self) -> str | None:
        info = await asyncio.to_thread(mesos_leader.leader, self.zk)
        if info is None:
            return None
        self.mesos_leader = info.url
        return info.url

    async def run(self) -> None:
        self.zk = await asyncio.to_thread(zk.client, self.expanded)
        store = ZkStore(self.zk, f"{self.chroot}/state")
        core = Marathon(self.config, store, self.events, self.find_master)
        self.core = core
        assert self.election is not None
        self.election.zk = self.zk
        loop = asyncio.get_running_loop()

        def elected() -> None:
            spawn(core.start())

        def defeated() -> None:
            log.warning("no longer the leader: exiting so that systemd starts a follower")
            loop.call_later(0.3, os._exit, 0)

        self.election.on_elected = elected
        self.election.on_defeated = defeated
        self.watch_mesos_leader(loop)
        await self.election.start()
        await asyncio.Event().wait()

    def watch_mesos_leader(self, loop: asyncio.AbstractEventLoop) -> None:
        """Subscribe again as soon as another master leads (do not wait for the stream to fail)."""

        def changed(children: list[str]) -> None:
            contenders = mesos_leader.contenders(children)
            loop.call_soon_threadsafe(self._maybe_reconnect, contenders)

        self.zk.ChildrenWatch(mesos_leader.MESOS_ZNODE, changed)

    def _maybe_reconnect(self, contenders: list[str]) -> None:
        if self.core is None or not self.core.mesos.connected or self.mesos_leader is None:
            return

        async def check() -> None:
            info = await asyncio.to_thread(mesos_leader.leader, self.zk)
            if info is not None and self.core is not None and info.url != self.mesos_leader:
                log.info("the leading Mesos master is now %s: subscribing there", info.url)
                self.core.mesos.reconnect()

        del contenders
        spawn(check())


def main() -> None:
    service = Service()
    # The election object exists before ZooKeeper is reached, so the API can answer at once.
    service.election = ZkElection(
        None, service.config.host_port, f"{service.chroot}/leader-curator"
    )
    store = ZkStore(None, f"{service.chroot}/state")
    placeholder = Marathon(service.config, store, service.events, service.find_master)
    api = Api(placeholder, service.election)

    async def background() -> None:
        task = asyncio.create_task(service.run())
        while service.core is None and not task.done():
            await asyncio.sleep(0.05)
        if service.core is not None:
            api.core = service.core
        await task

    aio.run(api.build(), tcp=[("0.0.0.0", HTTP_PORT)], main=background)
