"""Mesos-DNS's configuration, as DC/OS 1.10 writes it (gen/dcos-config.yaml, mesos-dns.json).

DC/OS sets: zk on the masters, refreshSeconds 30, ttl 60, domain `mesos`,
port 61053, the cluster's resolvers (or externalOn false without any),
timeout 5, listener 0.0.0.0, IPSources from `mesos_dns_ip_sources`
(default ["host", "netinfo"]) and SetTruncateBit from
`mesos_dns_set_truncate_bit` (default true). Everything else keeps
Mesos-DNS's own default. `/v1/config` shows it with Mesos-DNS's field names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dcos_internal_utils import node, zk

from dcos_mesos_dns import DNS_PORT, HTTP_PORT
from dcos_mesos_dns.answer import ZoneConfig
from dcos_mesos_dns.records import IP_SOURCES, GeneratorConfig

CONFIG_FILE = "/opt/mesosphere/etc/expanded.config.json"
DEFAULT_IP_SOURCES = ["host", "netinfo"]


class ConfigError(ValueError):
    pass


@dataclass
class Config:
    zk: str
    resolvers: list[str]
    ip_sources: list[str] = field(default_factory=lambda: list(DEFAULT_IP_SOURCES))
    set_truncate_bit: bool = True
    refresh_seconds: int = 30
    ttl: int = 60
    domain: str = "mesos"
    port: int = DNS_PORT
    http_port: int = HTTP_PORT
    timeout: int = 5
    listener: str = "0.0.0.0"
    soa_mname: str = "ns1.mesos."
    soa_rname: str = "root.ns1.mesos."
    soa_refresh: int = 60
    soa_retry: int = 600
    soa_expire: int = 86400
    soa_minttl: int = 60
    enforce_rfc952: bool = False
    recurse_on: bool = True

    @property
    def external_on(self) -> bool:
        return bool(self.resolvers)

    def zone(self) -> ZoneConfig:
        return ZoneConfig(
            domain=self.domain,
            ttl=self.ttl,
            soa_mname=self.soa_mname,
            soa_rname=self.soa_rname,
            soa_refresh=self.soa_refresh,
            soa_retry=self.soa_retry,
            soa_expire=self.soa_expire,
            recurse_on=self.recurse_on,
            set_truncate_bit=self.set_truncate_bit,
        )

    def generator(self) -> GeneratorConfig:
        return GeneratorConfig(
            domain=self.domain,
            soa_mname=self.soa_mname,
            listener=self.listener,
            ip_sources=tuple(self.ip_sources),
            enforce_rfc952=self.enforce_rfc952,
        )

    def resolver_addresses(self) -> list[tuple[str, int]]:
        addresses = []
        for text in self.resolvers:
            host, port = text, 53
            if text.count(":") == 1:
                host, port_text = text.split(":")
                port = int(port_text)
            addresses.append((host.strip("[]"), port))
        return addresses

    def as_json(self, serial: int) -> dict[str, Any]:
        """/v1/config: Mesos-DNS's Config struct, with its Go field names."""
        return {
            "RefreshSeconds": self.refresh_seconds,
            "Port": self.port,
            "Timeout": self.timeout,
            "StateTimeoutSeconds": 300,
            "ZkDetectionTimeout": 30,
            "HttpPort": self.http_port,
            "TTL": self.ttl,
            "SOASerial": serial,
            "SOARefresh": self.soa_refresh,
            "SOARetry": self.soa_retry,
            "SOAExpire": self.soa_expire,
            "SOAMinttl": self.soa_minttl,
            "SOAMname": self.soa_mname,
            "SOARname": self.soa_rname,
            "Masters": None,
            "ZoneResolvers": {},
            "Resolvers": self.resolvers,
            "IPSources": self.ip_sources,
            "Zk": self.zk,
            "Domain": self.domain,
            "File": CONFIG_FILE,
            "Listener": self.listener,
            "HTTPListener": self.listener,
            "RecurseOn": self.recurse_on,
            "DnsOn": True,
            "HttpOn": True,
            "ExternalOn": self.external_on,
            "EnforceRFC952": self.enforce_rfc952,
            "SetTruncateBit": self.set_truncate_bit,
            "EnumerationOn": True,
            "MesosHTTPSOn": False,
            "CACertFile": "",
            "CertFile": "",
            "KeyFile": "",
            "MesosCredentials": {"principal": "", "secret": ""},
            "IAMConfigFile": "",
            "MesosAuthentication": "",
        }


def _json_list(value: Any, key: str) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: not a JSON list: {value!r}") from None
    if not isinstance(decoded, list):
        raise ConfigError(f"{key}: not a JSON list: {value!r}")
    return [str(v) for v in decoded]


def from_expanded(config: dict[str, Any]) -> Config:
    ip_sources = _json_list(
        config.get("mesos_dns_ip_sources") or DEFAULT_IP_SOURCES, "mesos_dns_ip_sources"
    )
    unknown = [s for s in ip_sources if s not in IP_SOURCES]
    if unknown:
        raise ConfigError(
            f"mesos_dns_ip_sources: unknown IP sources {unknown}; choose from {list(IP_SOURCES)}"
        )
    truncate = str(config.get("mesos_dns_set_truncate_bit", "true")).lower()
    return Config(
        zk=zk.mesos_zk_url(config),
        resolvers=_json_list(config.get("resolvers") or "[]", "resolvers"),
        ip_sources=ip_sources,
        set_truncate_bit=truncate == "true",
    )


def load() -> Config:
    return from_expanded(node.expanded_config())
