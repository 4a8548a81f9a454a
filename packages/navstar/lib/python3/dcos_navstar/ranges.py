"""The address ranges Navstar owns on a node, from the expanded config."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from dcos_internal_utils import overlay


@dataclass(frozen=True)
class Settings:
    enable_lb: bool
    overlay_enabled: bool
    min_named_ip: ipaddress.IPv4Address
    max_named_ip: ipaddress.IPv4Address
    network: overlay.NetworkConfig

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        return cls(
            enable_lb=str(config.get("enable_lb", "true")).lower() == "true",
            overlay_enabled=overlay.enabled(config),
            min_named_ip=ipaddress.IPv4Address(
                str(config.get("dcos_l4lb_min_named_ip", "198.18.0.1"))
            ),
            max_named_ip=ipaddress.IPv4Address(
                str(config.get("dcos_l4lb_max_named_ip", "198.18.255.254"))
            ),
            network=overlay.NetworkConfig.from_config(config),
        )

    def vip_networks(self) -> list[str]:
        """The smallest network that holds the named-VIP range (198.18.0.0/16 by default)."""
        network = ipaddress.IPv4Network(f"{self.min_named_ip}/32")
        while self.max_named_ip not in network:
            network = network.supernet()
        return [str(network)]

    def overlay_networks(self) -> list[str]:
        return [str(o.subnet) for o in self.network.overlays]

    def unreachable_networks(self) -> list[str]:
        out = []
        if self.enable_lb:
            out += self.vip_networks()
        if self.overlay_enabled:
            out += self.overlay_networks()
        return out
