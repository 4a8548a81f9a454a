"""ZooKeeper for DC/OS's components: where the ensemble is, and a client for it.

Components reach ZooKeeper on the masters' addresses from the expanded
config (DC/OS's units spell them `zk-1.zk` ... through spartan; addresses
need no DNS, so a component can start before spartan answers).
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from dcos_internal_utils import node

ZK_PORT = 2181
# How long a client waits for a server to serve before it lets kazoo try anyway.
SERVING_WAIT_S = 60.0


def hosts(config: dict[str, Any] | None = None) -> str:
    """The ensemble as kazoo and Mesos take it: `ip:2181,ip:2181,...`."""
    return ",".join(f"{ip}:{ZK_PORT}" for ip in node.master_list(config))


def mesos_zk_url(config: dict[str, Any] | None = None) -> str:
    """The `--zk` URL DC/OS passes to Mesos, Marathon and Metronome, in DC/OS's own spelling."""
    count = len(node.master_list(config))
    return "zk://" + ",".join(f"zk-{i}.zk:{ZK_PORT}" for i in range(1, count + 1)) + "/mesos"


def client(config: dict[str, Any] | None = None, timeout_s: float = 10.0) -> Any:
    """A started KazooClient that retries its connection for ever (sessions come and go)."""
    from kazoo.client import KazooClient  # Debian's python3-kazoo, on nodes only

    zk = KazooClient(
        hosts=hosts(config),
        timeout=timeout_s,
        connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 2.0},
        command_retry={"max_tries": -1, "delay": 0.1, "max_delay": 2.0},
        logger=logging.getLogger("kazoo"),
    )
    wait_until_serving(hosts(config))
    zk.start(timeout=None)  # block until connected: nothing works without ZooKeeper
    return zk


def serving(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Whether the server answers `srvr` with its mode (it is in a quorum, or standalone)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(b"srvr")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
    except OSError:
        return False
    return b"Mode: " in answer


def wait_until_serving(ensemble: str, deadline_s: float = SERVING_WAIT_S) -> None:
    """Return once a server of `ensemble` (host:port,...) serves, or after `deadline_s`.

    A server that accepts connections before it has a quorum leaves a kazoo
    connection attempt waiting for its whole timeout (the session timeout, 10 s)
    before the next: asking first makes the first attempt the one that works.
    """
    servers = [(h, int(p)) for h, _, p in (s.rpartition(":") for s in ensemble.split(","))]
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        if any(serving(host, port) for host, port in servers):
            return
        time.sleep(0.2)
