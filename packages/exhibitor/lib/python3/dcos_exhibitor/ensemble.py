"""The ZooKeeper ensemble as the static master list defines it, and its zoo.cfg.

Pure functions only, so that the package's tests can check every answer on
the host without a node.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

# DC/OS's layout: Exhibitor's state lives here, with ZooKeeper's snapshots and
# transaction logs in separate directories (DC/OS's own test lists both).
STATE_DIR = Path("/var/lib/dcos/exhibitor")
ZK_DIR = STATE_DIR / "zookeeper"
SNAPSHOT_DIR = ZK_DIR / "snapshot"
TRANSACTIONS_DIR = ZK_DIR / "transactions"
CONF_DIR = STATE_DIR / "conf"
ZOO_CFG = CONF_DIR / "zoo.cfg"
ZK_INSTALL_DIR = Path("/usr/share/zookeeper")

CLIENT_PORT = 2181
CONNECT_PORT = 2888
ELECTION_PORT = 3888
API_PORT = 8181

# DC/OS accepts these master counts ("Must have 1, 3, 5, 7, or 9 masters").
ENSEMBLE_SIZES = (1, 3, 5, 7, 9)

# zoo.cfg settings beyond the paths, ports and servers. Every server of the
# ensemble runs on one machine, so the network is fast and timeouts can be
# short: a leader is elected (and re-elected after a failure) in about a
# second instead of DC/OS's tens of seconds.
DEFAULT_TUNING: dict[str, str] = {
    "tickTime": "1000",
    # Ticks a follower may take to connect to and sync with the leader.
    "initLimit": "5",
    # Ticks a follower may lag before the leader drops it.
    "syncLimit": "3",
    # Clients (Mesos, Marathon, kazoo) ask for ~10 s sessions; with a short
    # tick the default cap (20 ticks) would be too low, so state it.
    "minSessionTimeout": "2000",
    "maxSessionTimeout": "60000",
    # Port 8080 belongs to Marathon.
    "admin.enableServer": "false",
    # Status comes from srvr/mntr/ruok, and operators expect stat/cons/dump.
    "4lw.commands.whitelist": "*",
    # Keep the data directories small without an Exhibitor cleanup task.
    "autopurge.snapRetainCount": "3",
    "autopurge.purgeInterval": "1",
    # 4 MiB transaction log pre-allocation instead of 64 MiB: many clusters
    # may share one disk.
    "preAllocSize": "4096",
    # Every node is a container on one host: a crashed node keeps the host's
    # page cache, so fsync per write buys nothing but latency here.
    "forceSync": "no",
}


class EnsembleError(ValueError):
    """The master list cannot describe a ZooKeeper ensemble for this node."""


@dataclass(frozen=True)
class Ensemble:
    """The servers of the ensemble (in master_list order) and this node's place in it."""

    servers: tuple[str, ...]
    my_ip: str
    tuning: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TUNING))

    @property
    def my_id(self) -> int:
        return my_id(list(self.servers), self.my_ip)

    @property
    def standalone(self) -> bool:
        """One server: ZooKeeper runs standalone (its srvr Mode says so)."""
        return len(self.servers) == 1

    @property
    def servers_spec(self) -> str:
        return servers_spec(list(self.servers))


def validate_masters(masters: list[str]) -> list[str]:
    """The master list, checked: IPv4 addresses, no duplicates, an allowed ensemble size."""
    for ip in masters:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError as exc:
            raise EnsembleError(f"master_list: not an IPv4 address: {ip!r}") from exc
    if len(set(masters)) != len(masters):
        raise EnsembleError(f"master_list: List cannot contain duplicates: {masters}")
    if len(masters) not in ENSEMBLE_SIZES:
        raise EnsembleError(
            f"master_list: Must have 1, 3, 5, 7, or 9 masters. Found {len(masters)}"
        )
    return masters


def my_id(masters: list[str], ip: str) -> int:
    """ZooKeeper's server id for `ip`: its 1-based position in the master list.

    Every master computes the same ids from the same list, which is what lets
    each one write the whole ensemble's config on its own.
    """
    try:
        return masters.index(ip) + 1
    except ValueError:
        raise EnsembleError(
            f"this node's IP {ip} is not in master_list {masters}: "
            "is ip-detect consistent with the config?"
        ) from None


def make_ensemble(masters: list[str], ip: str) -> Ensemble:
    validate_masters(masters)
    my_id(masters, ip)  # raise now, not on first use, if this node is not a master
    return Ensemble(servers=tuple(masters), my_ip=ip)


def servers_spec(masters: list[str]) -> str:
    """Exhibitor's serversSpec: "1:ip,2:ip,..."."""
    return ",".join(f"{i}:{ip}" for i, ip in enumerate(masters, start=1))


def server_lines(masters: list[str]) -> list[str]:
    return [
        f"server.{i}={ip}:{CONNECT_PORT}:{ELECTION_PORT}" for i, ip in enumerate(masters, start=1)
    ]


def render_zoo_cfg(
    ensemble: Ensemble,
    snapshot_dir: Path = SNAPSHOT_DIR,
    transactions_dir: Path = TRANSACTIONS_DIR,
) -> str:
    lines = [
        "# Written by dcos-exhibitor from master_list in expanded.config.json; do not edit.",
        f"dataDir={snapshot_dir}",
        f"dataLogDir={transactions_dir}",
        f"clientPort={CLIENT_PORT}",
        *(f"{key}={value}" for key, value in ensemble.tuning.items()),
    ]
    # ZooKeeper logs an error for a single server line and runs standalone
    # anyway, so a one-master ensemble gets none.
    if not ensemble.standalone:
        lines += server_lines(list(ensemble.servers))
    return "\n".join(lines) + "\n"
