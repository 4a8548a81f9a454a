"""dnsmasq's configuration, computed from the cluster's expanded config."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from dcos_spartan import (
    DNS_PORT,
    HOSTS_DIR,
    LISTEN_ADDRESSES,
    MESOS_DNS_PORT,
    READY_ADDRESS,
    READY_NAME,
)

# Big enough that a busy node answers repeat names from memory (DC/OS's
# budget for spartan is p99 < 1 ms at 5000 qps); dnsmasq's default is 150.
CACHE_SIZE = 10000
# Concurrent forwarded queries; dnsmasq's default (150) drops queries under load.
DNS_FORWARD_MAX = 1024
# Seconds an answer may be served from the cache. DC/OS's spartan did not cache
# at all, so `.mesos` answers were as fresh as Mesos-DNS's; one second keeps
# them that fresh (Mesos-DNS follows the cluster within a second or two) while
# a busy node still answers repeated names from memory.
MAX_CACHE_TTL = 1
# The TTL of the answers dnsmasq gives from its own records (Navstar's
# `*.thisdcos.directory`, `ready.spartan`, `zk-N.zk`): DC/OS's navstar_dns uses 5 s.
LOCAL_TTL = 5
# A `.mesos` answer past its TTL is still given at once (and refreshed from
# Mesos-DNS in the background) for this many seconds: no query waits on a
# round trip to Mesos-DNS while the name is in use, and answers are at most
# MAX_CACHE_TTL + STALE_CACHE_S old.
STALE_CACHE_S = 2
# DC/OS names the ZooKeeper ensemble zk-1.zk ... zk-5.zk whatever the number
# of masters (its units' connection strings list all five): the names repeat
# the masters in order.
ZK_NAMES = 5


class ConfigError(ValueError):
    """The expanded config holds a value spartan cannot use."""


@dataclass(frozen=True)
class Server:
    """A DNS server as the config names it: "ip" or "ip:port" ("[v6]:port" for IPv6)."""

    host: str
    port: int = DNS_PORT

    @classmethod
    def parse(cls, text: str) -> Server:
        text = text.strip()
        host, port = text, DNS_PORT
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest:
                port = _port(rest.removeprefix(":"), text)
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = _port(port_text, text)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ConfigError(f"not an IP address: {text!r}") from None
        return cls(host, port)

    def dnsmasq(self) -> str:
        """dnsmasq's spelling, which separates the port with '#'."""
        return self.host if self.port == DNS_PORT else f"{self.host}#{self.port}"


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"bad port in {whole!r}")
    return int(text)


def _json_value(config: dict[str, Any], key: str, default: Any) -> Any:
    """genconf stores structured values as JSON strings, as DC/OS does."""
    value = config.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"{key}: not valid JSON: {value!r}") from None
    return value


def upstream_resolvers(config: dict[str, Any]) -> list[Server]:
    servers = [Server.parse(s) for s in _json_value(config, "resolvers", [])]
    # Forwarding to ourselves would loop every query until it times out.
    looping = [s for s in servers if s.host in LISTEN_ADDRESSES and s.port == DNS_PORT]
    if looping:
        raise ConfigError(f"resolvers: spartan's own addresses found: {looping}")
    return servers


def forward_zones(config: dict[str, Any]) -> list[tuple[str, list[Server]]]:
    """DC/OS's optional `dns_forward_zones`.

    Either {"zone": ["ip:port", ...]} or [["zone", ["ip:port", ...]], ...].
    """
    value = _json_value(config, "dns_forward_zones", {})
    pairs = value.items() if isinstance(value, dict) else value
    return [(str(zone).strip("."), [Server.parse(s) for s in servers]) for zone, servers in pairs]


def zk_records(master_ips: list[str]) -> list[tuple[str, str]]:
    """(zk-N.zk, master IP): the names clients use for ZooKeeper, answered by spartan itself."""
    if not master_ips:
        return []
    count = max(ZK_NAMES, len(master_ips))
    return [(f"zk-{i + 1}.zk", master_ips[i % len(master_ips)]) for i in range(count)]


def render(config: dict[str, Any]) -> str:
    """The dnsmasq.conf for this cluster."""
    master_ips = [Server.parse(m).host for m in _json_value(config, "master_list", [])]
    masters = [Server(ip, MESOS_DNS_PORT) for ip in master_ips]
    zones = [
        *forward_zones(config),
        ("mesos", masters),
    ]
    lines = [
        "# Written by dcos-spartan at start from /opt/mesosphere/etc/expanded.config.json.",
        "# Edits are lost: change the cluster config instead.",
        f"port={DNS_PORT}",
        # Bind only our own addresses: 127.0.0.11 (Docker's embedded DNS, our
        # upstream) and anything else on port 53 stay untouched.
        "bind-interfaces",
        *(f"listen-address={a}" for a in LISTEN_ADDRESSES),
        # Upstreams come from the cluster config only: /etc/resolv.conf points
        # back at spartan once gen-resolvconf ran, and /etc/hosts is the
        # node's business, not the cluster's.
        "no-resolv",
        "no-poll",
        "no-hosts",
        # Spartan's own zone is answered here and never forwarded.
        f"host-record={READY_NAME},{READY_ADDRESS}",
        "local=/spartan/",
        # ZooKeeper's names come from the config, never from an upstream.
        *(f"host-record={name},{ip}" for name, ip in zk_records(master_ips)),
        "local=/zk/",
        # Navstar's records (`*.thisdcos.directory`), answered from memory: a
        # file per writer in this directory, reread when it changes.
        f"hostsdir={HOSTS_DIR}",
        "local=/thisdcos.directory/",
        f"local-ttl={LOCAL_TTL}",
    ]
    for zone, servers in zones:
        if not servers:
            # An empty zone must not fall through to the upstreams.
            lines.append(f"local=/{zone}/")
        lines.extend(f"server=/{zone}/{s.dnsmasq()}" for s in servers)
    lines.extend(f"server={s.dnsmasq()}" for s in upstream_resolvers(config))
    lines += [
        f"cache-size={CACHE_SIZE}",
        f"max-cache-ttl={MAX_CACHE_TTL}",
        f"use-stale-cache={STALE_CACHE_S}",
        f"dns-forward-max={DNS_FORWARD_MAX}",
        # Ask every upstream of a zone at once and take the first answer, so one
        # dead master does not cost a timeout.
        "all-servers",
        "user=dnsmasq",
        # systemd tracks the process; a pid file would only go stale.
        "pid-file=",
        # stderr, which systemd sends to the journal.
        "log-facility=-",
    ]
    return "\n".join(lines) + "\n"
