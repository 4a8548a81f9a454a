"""DNS records from a Mesos master's `/master/state`, named exactly as Mesos-DNS names them.

For a state whose leader is `master@10.0.0.1:5050`, with agent `S1` at
10.0.0.2 running task `web` (id `web.1`) of framework `marathon` on port 31000:

    leader.mesos, master.mesos, master0.mesos     A    10.0.0.1
    _leader._tcp.mesos, _leader._udp.mesos        SRV  leader.mesos.:5050
    slave.mesos (and agent.mesos)                 A    10.0.0.2
    _slave._tcp.mesos                             SRV  slave.mesos.:5051
    web.marathon.mesos                            A    task IP (first IP source that has one)
    web-<hash>-s1.marathon.mesos                  A    the same
    web.marathon.slave.mesos, web-<hash>-s1...    A    10.0.0.2
    _web._tcp.marathon.mesos (and _udp, .slave)   SRV  web-<hash>-s1.marathon.slave.mesos.:31000

`<hash>` is 5 characters of the zbase32-encoded SHA-1 of the task ID, and
`s1` the last `-` part of the agent ID. Only TASK_RUNNING tasks get records.
All names are lower case and end with a dot.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dcos_mesos_dns.labels import LabelFunc, domain_frag, rfc952, rfc1123

# Resolves a host name that is not an IP address to its addresses.
Lookup = Callable[[str], list[str]]

ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
DOCKER_IP_LABEL = "Docker.NetworkSettings.IPAddress"
MESOS_IP_LABEL = "MesosContainerizer.NetworkSettings.IPAddress"
IP_SOURCES = ("host", "mesos", "docker", "netinfo")


@dataclass(frozen=True)
class GeneratorConfig:
    domain: str = "mesos"
    soa_mname: str = "ns1.mesos."
    listener: str = "0.0.0.0"
    ip_sources: tuple[str, ...] = ("host", "netinfo")
    enforce_rfc952: bool = False

    @property
    def label(self) -> LabelFunc:
        return rfc952 if self.enforce_rfc952 else rfc1123


class _RRSet(dict[str, dict[str, None]]):
    """name -> values, each value once, in insertion order (a dict used as an ordered set)."""

    def add(self, name: str, value: str) -> bool:
        if not value:
            return False
        values = self.setdefault(name, {})
        if value in values:
            return False
        values[value] = None
        return True

    def first(self, name: str) -> str | None:
        return next(iter(self.get(name, ())), None)

    def export(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.items()}


@dataclass
class Records:
    """One generation of records. Values are IPs (A, AAAA) or `host:port` (SRV)."""

    a: _RRSet = field(default_factory=_RRSet)
    aaaa: _RRSet = field(default_factory=_RRSet)
    srv: _RRSet = field(default_factory=_RRSet)
    # /v1/enumerate: {"frameworks": [{"tasks": [...], "name": ...}]}
    frameworks: list[dict[str, Any]] = field(default_factory=list)

    def add_ip(self, name: str, ip: str) -> bool:
        kind = ip_kind(ip)
        if kind == "A":
            return self.a.add(name, ip)
        if kind == "AAAA":
            return self.aaaa.add(name, ip)
        return False

    def has_name(self, name: str) -> bool:
        return name in self.a or name in self.aaaa or name in self.srv


def ip_kind(text: str) -> str | None:
    """ "A" for IPv4, "AAAA" for IPv6, None for anything else."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return "A" if address.version == 4 else "AAAA"


def hash_string(text: str) -> str:
    """The first 5 zbase32 characters of text's SHA-1: a short, stable per-task tag."""
    digest = hashlib.sha1(text.encode()).digest()  # a name tag, not security
    bits = int.from_bytes(digest[:4], "big")  # 25 bits needed, 32 read
    return "".join(ZBASE32[(bits >> (27 - 5 * i)) & 0x1F] for i in range(5))


def slave_id_tail(slave_id: str) -> str:
    return slave_id.split("-")[-1].lower()


def split_pid(pid: str) -> tuple[str, str] | None:
    """("10.0.0.1", "5051") from a libprocess PID such as "slave(1)@10.0.0.1:5051"."""
    if not pid or "@" not in pid:
        return None
    address = pid.split("@", 1)[1]
    host, sep, port = address.rpartition(":")
    if not sep:
        return None
    return host.strip("[]"), port


def port_list(ranges: Any) -> list[str]:
    """Each port of a task's `resources.ports` (Mesos writes "[31000-31001, 31005-31005]")."""
    if not isinstance(ranges, str):
        return []
    ports: list[str] = []
    for low, high in re.findall(r"(\d+)\s*-\s*(\d+)", ranges):
        ports.extend(str(p) for p in range(int(low), int(high) + 1))
    return ports


def _latest_running_status(task: dict[str, Any]) -> dict[str, Any] | None:
    # Mesos does not promise any order of statuses: take the newest TASK_RUNNING.
    running = [s for s in task.get("statuses") or [] if s.get("state") == "TASK_RUNNING"]
    return max(running, key=lambda s: float(s.get("timestamp") or 0)) if running else None


def _label_ips(key: str) -> Callable[[dict[str, Any]], list[str]]:
    def ips(status: dict[str, Any]) -> list[str]:
        labels = status.get("labels") or []
        if isinstance(labels, dict):  # the v1 shape, {"labels": [...]}
            labels = labels.get("labels") or []
        return [str(lab.get("value", "")) for lab in labels if lab.get("key") == key]

    return ips


def _netinfo_ips(status: dict[str, Any]) -> list[str]:
    ips: list[str] = []
    for info in (status.get("container_status") or {}).get("network_infos") or []:
        addresses = info.get("ip_addresses") or []
        if addresses:
            ips.extend(str(a.get("ip_address", "")) for a in addresses)
        elif info.get("ip_address"):  # Mesos 0.25's single address
            ips.append(str(info["ip_address"]))
    return ips


_STATUS_SOURCES = {
    "mesos": _label_ips(MESOS_IP_LABEL),
    "docker": _label_ips(DOCKER_IP_LABEL),
    "netinfo": _netinfo_ips,
}


def task_ips(task: dict[str, Any], slave_ips: list[str], sources: Iterable[str]) -> list[str]:
    """The task's IPs from the first source (in `sources` order) that has any."""
    status = _latest_running_status(task)
    for source in sources:
        if source == "host":
            found = slave_ips
        elif source in _STATUS_SOURCES and status is not None:
            found = _STATUS_SOURCES[source](status)
        else:
            found = []
        valid = [ip for ip in found if ip_kind(ip)]
        if valid:
            return valid
    return []


class _Generator:
    def __init__(self, config: GeneratorConfig, lookup: Lookup) -> None:
        self.config = config
        self.label = config.label
        self.lookup = lookup
        self.tail = "." + config.domain + "."
        self.records = Records()
        self.slave_ips: dict[str, list[str]] = {}

    def host_ips(self, host: str) -> list[str]:
        if ip_kind(host):
            return [host]
        try:
            return [ip for ip in self.lookup(host) if ip_kind(ip)] if host else []
        except OSError:
            return []

    def frameworks(self, state: dict[str, Any]) -> None:
        for framework in state.get("frameworks") or []:
            pid = split_pid(str(framework.get("pid") or ""))
            host, port = pid if pid else (str(framework.get("hostname") or ""), "")
            ips = self.host_ips(host)
            if not ips:
                continue
            name = domain_frag(str(framework.get("name") or ""), self.label) + self.tail
            for ip in ips:
                self.records.add_ip(name, ip)
            if port:
                self.records.srv.add("_framework._tcp." + name, f"{name}:{port}")

    def slaves(self, state: dict[str, Any]) -> None:
        for slave in state.get("slaves") or []:
            pid = split_pid(str(slave.get("pid") or ""))
            host, port = pid if pid else (str(slave.get("hostname") or ""), "5051")
            ips = self.host_ips(host)
            for ip in ips:
                # Mesos-DNS's name; DC/OS users also know agents as agent.mesos.
                for prefix in ("slave", "agent"):
                    self.records.add_ip(prefix + self.tail, ip)
            if ips:
                for prefix in ("slave", "agent"):
                    name = prefix + self.tail
                    self.records.srv.add(f"_{prefix}._tcp" + self.tail, f"{name}:{port}")
            self.slave_ips[str(slave.get("id", ""))] = ips or [domain_frag(host, self.label)]

    def listener(self, local_ips: list[str]) -> None:
        ns = self.config.soa_mname
        if self.config.listener == "0.0.0.0":
            for ip in local_ips:
                self.records.add_ip(ns, ip)
        else:
            self.records.add_ip(ns, self.config.listener)

    def masters(self, leader_pid: str, masters: list[str]) -> None:
        """leader, master and masterN; `masters` are "ip:port", in ZooKeeper's order."""
        pid = split_pid(leader_pid)
        if pid is None:
            return
        ip, port = pid
        leader_address = f"{ip}:{port}"
        self.records.add_ip("leader" + self.tail, ip)
        self.records.add_ip("master" + self.tail, ip)
        for proto in ("tcp", "udp"):
            self.records.srv.add(f"_leader._{proto}" + self.tail, f"leader{self.tail}:{port}")
        index = 0
        leader_numbered = False
        for master in masters:
            master_ip = master.rpartition(":")[0].strip("[]")
            if not ip_kind(master_ip):
                continue
            if master != leader_address and not self.records.add_ip(
                "master" + self.tail, master_ip
            ):
                continue  # the same master listed twice
            if master == leader_address and leader_numbered:
                continue
            self.records.add_ip(f"master{index}" + self.tail, master_ip)
            index += 1
            leader_numbered = leader_numbered or master == leader_address
        if not leader_numbered:
            self.records.add_ip(f"master{index}" + self.tail, ip)

    def tasks(self, state: dict[str, Any]) -> None:
        for framework in state.get("frameworks") or []:
            enumerated: dict[str, Any] = {"tasks": [], "name": framework.get("name", "")}
            self.records.frameworks.append(enumerated)
            for task in framework.get("tasks") or []:
                slave_ips = self.slave_ips.get(str(task.get("slave_id", "")))
                if slave_ips is not None and task.get("state") == "TASK_RUNNING":
                    self.task(task, framework, slave_ips, enumerated["tasks"])

    def task(
        self,
        task: dict[str, Any],
        framework: dict[str, Any],
        slave_ips: list[str],
        enumerated: list[dict[str, Any]],
    ) -> None:
        entry: dict[str, Any] = {
            "name": task.get("name", ""),
            "id": task.get("id", ""),
            "records": [],
        }
        enumerated.append(entry)
        discovery = task.get("discovery") or {}
        context = _TaskContext(
            name=self.label(str(task.get("name") or "")),
            id_hash=hash_string(str(task.get("id", ""))),
            slave_tail=slave_id_tail(str(task.get("slave_id", ""))),
            ips=task_ips(task, slave_ips, self.config.ip_sources),
            slave_ips=slave_ips,
        )
        if discovery.get("name"):
            # Mesos-DNS makes records for the DiscoveryInfo name both as given
            # and as a label (a legacy it keeps), then the label wins anyway.
            for name in (str(discovery["name"]), self.label(str(discovery["name"]))):
                self.task_records(context.renamed(name), task, framework, entry)
        else:
            self.task_records(context, task, framework, entry)

    def add_task_rr(self, kind: str, name: str, value: str, entry: dict[str, Any]) -> None:
        if kind == "SRV":
            added = self.records.srv.add(name, value)
        else:
            kind = ip_kind(value) or "A"
            added = (self.records.aaaa if kind == "AAAA" else self.records.a).add(name, value)
        if added:
            entry["records"].append({"name": name, "host": value, "rtype": kind})

    def task_records(
        self,
        context: _TaskContext,
        task: dict[str, Any],
        framework: dict[str, Any],
        entry: dict[str, Any],
    ) -> None:
        fname = domain_frag(str(framework.get("name") or ""), self.label)
        tail = self.tail
        canonical = f"{context.name}-{context.id_hash}-{context.slave_tail}.{fname}"
        arec = f"{context.name}.{fname}"
        for ip in context.ips:
            self.add_task_rr("A", arec + tail, ip, entry)
            self.add_task_rr("A", canonical + tail, ip, entry)
        for ip in context.slave_ips:
            # A slave without an IP is recorded by its host name label, as Mesos-DNS does.
            self.add_task_rr("A", arec + ".slave" + tail, ip, entry)
            self.add_task_rr("A", canonical + ".slave" + tail, ip, entry)

        discovery = task.get("discovery") or {}
        has_discovery = bool(discovery.get("name"))
        subdomains = ["slave"] if has_discovery else ["slave", ""]
        slave_host = canonical + ".slave" + tail
        for port in port_list((task.get("resources") or {}).get("ports")):
            for subdomain in subdomains:
                for proto in ("tcp", "udp"):
                    name = f"_{context.name}._{proto}.{fname}" + (
                        f".{subdomain}" if subdomain else ""
                    )
                    self.add_task_rr("SRV", name + tail, f"{slave_host}:{port}", entry)
        if not has_discovery:
            return
        for port in ((discovery.get("ports") or {}).get("ports")) or []:
            target = f"{canonical}{tail}:{port.get('number')}"
            protocol = self.label(str(port.get("protocol") or ""))
            names = [
                f"_{context.name}._{p}.{fname}"
                for p in ([protocol] if protocol else ["tcp", "udp"])
            ]
            port_name = self.label(str(port.get("name") or ""))
            if port_name:
                names += [f"_{port_name}.{n}" for n in names]
            for name in names:
                self.add_task_rr("SRV", name + tail, target, entry)


@dataclass(frozen=True)
class _TaskContext:
    name: str
    id_hash: str
    slave_tail: str
    ips: list[str]
    slave_ips: list[str]

    def renamed(self, name: str) -> _TaskContext:
        return _TaskContext(name, self.id_hash, self.slave_tail, self.ips, self.slave_ips)


def generate(
    state: dict[str, Any],
    config: GeneratorConfig,
    masters: list[str],
    local_ips: list[str],
    lookup: Lookup,
) -> Records:
    """Every record of one state. `masters` are "ip:port", leader first, as ZooKeeper has them."""
    generator = _Generator(config, lookup)
    generator.frameworks(state)
    generator.slaves(state)
    generator.listener(local_ips)
    generator.masters(str(state.get("leader") or ""), masters)
    generator.tasks(state)
    return generator.records
