"""dcos-metronome: serve the API on port 9000, contend for leadership, and when elected
restore the state from ZooKeeper and run the framework on Mesos.

Settings come from Metronome's own environment variables where DC/OS sets
them (`METRONOME_PLAY_SERVER_HTTP_PORT`, `METRONOME_MESOS_USER`,
`METRONOME_FRAMEWORK_NAME`, `METRONOME_LEADER_ELECTION_HOSTNAME`); ZooKeeper
is reached on the masters' addresses.
"""

from __future__ import annotations

import asyncio
import logging
import os

from dcos_internal_utils import aio, node, zk
from dcos_internal_utils.scheduler import SchedulerDriver

from dcos_metronome import api
from dcos_metronome.framework import Framework, framework_info
from dcos_metronome.leader import Election
from dcos_metronome.service import JobService
from dcos_metronome.store import ZkStore

log = logging.getLogger("dcos_metronome")


def main() -> None:
    port = int(os.environ.get("METRONOME_PLAY_SERVER_HTTP_PORT", "9000"))
    hostname = os.environ.get("METRONOME_LEADER_ELECTION_HOSTNAME") or node.detect_ip()
    name = os.environ.get("METRONOME_FRAMEWORK_NAME", "metronome")
    user = os.environ.get("METRONOME_MESOS_USER", "root")
    client = zk.client()
    election = Election(client, f"{hostname}:{port}")
    app = api.make_app(election)

    async def close_session(_app: object) -> None:
        # Ends our ephemeral znodes at once, so that another Metronome can lead.
        election.resigned = True
        await asyncio.to_thread(client.stop)
        await asyncio.to_thread(client.close)

    app.on_cleanup.append(close_session)

    async def lead() -> None:
        await election.contend()
        framework = Framework()
        service = JobService(ZkStore(client), framework)
        framework.service = service
        await service.restore()
        driver = SchedulerDriver(
            framework_info(name, user, hostname, port),
            client,
            framework,
            framework_id=service.framework_id,
        )
        framework.driver = driver
        election.service = service
        log.info("leading: %d jobs; subscribing to Mesos as %r", len(service.jobs), name)
        await driver.run()
        # The driver stops only when Mesos refuses the framework: let systemd restart us.
        raise RuntimeError("the Mesos scheduler driver stopped")

    aio.run(app, tcp=[("0.0.0.0", port)], main=lead)


if __name__ == "__main__":
    main()
