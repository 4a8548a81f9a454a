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

from dcos_internal_utils import aio, node, zk

from .api import Api
from .core import Config, Marathon
from .election import ZkElection
from .events import EventBus
from .store import ZkStore
from .tasks import spawn

log = logging.getLogger("marathon")
HTTP_PORT = int(os.environ.get("MARATHON_HTTP_PORT", "8080"))


def zk_display(config: dict[str, Any], chroot: str) -> str:
    count = len(node.master_list(config))
    return "zk://" + ",".join(f"zk-{i}.zk:2181" for i in range(1, count + 1)) + chroot


class Service:
    def __init__(self) -> None:
        expanded = node.expanded_config()
        self.expanded = expanded
        hostname = node.detect_ip()
        self.config = Config(
            hostname=hostname,
            http_port=HTTP_PORT,
            zk_display=zk_display(expanded, "/marathon"),
            master_display=zk.mesos_zk_url(expanded),
        )
        self.events = EventBus()
        self.zk: Any = None
        self.core: Marathon | None = None
        self.election: ZkElection | None = None

    async def run(self) -> None:
        self.zk = await asyncio.to_thread(zk.client, self.expanded)
        store = ZkStore(self.zk)
        # The scheduler driver follows the leading Mesos master in ZooKeeper.
        core = Marathon(self.config, store, self.events, self.zk)
        self.core = core
        assert self.election is not None
        self.election.zk = self.zk
        loop = asyncio.get_running_loop()

        def elected() -> None:
            spawn(core.start())

        def end(why: str) -> None:
            log.warning("%s: exiting so that systemd starts a follower", why)
            loop.call_later(0.3, os._exit, 0)

        self.election.on_elected = elected
        self.election.on_defeated = lambda: end("no longer the leader")
        core.on_fatal = lambda: end("Mesos refused the framework")
        await self.election.start()
        await asyncio.Event().wait()


def main() -> None:
    service = Service()
    # The election object exists before ZooKeeper is reached, so the API can answer at once.
    service.election = ZkElection(None, service.config.host_port)
    placeholder = Marathon(service.config, ZkStore(None), service.events, master=None)
    api = Api(placeholder, service.election)

    async def background() -> None:
        task = asyncio.create_task(service.run())
        while service.core is None and not task.done():
            await asyncio.sleep(0.05)
        if service.core is not None:
            api.core = service.core
        await task

    aio.run(api.build(), tcp=[("0.0.0.0", HTTP_PORT)], main=background)
