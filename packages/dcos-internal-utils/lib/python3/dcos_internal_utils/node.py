"""This node's identity and the cluster's config, as pkgpanda laid them out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

# Overridable so that the package's own tests can point at a temporary tree.
MESOSPHERE = Path(os.environ.get("DCOS_MESOSPHERE_DIR", "/opt/mesosphere"))
ROLES_DIR = Path(os.environ.get("DCOS_ROLES_DIR", "/etc/mesosphere/roles"))
CLUSTER_ID_FILE = Path(os.environ.get("DCOS_CLUSTER_ID_FILE", "/var/lib/dcos/cluster-id"))

# DC/OS's role names on disk, and the names diagnostics reports for them.
ROLE_NAMES = {"master": "master", "slave": "agent", "slave_public": "agent_public"}


def etc_path(name: str) -> Path:
    return MESOSPHERE / "etc" / name


def expanded_config() -> dict[str, Any]:
    """The full config genconf calculated (/opt/mesosphere/etc/expanded.config.json)."""
    with open(etc_path("expanded.config.json")) as f:
        config: dict[str, Any] = json.load(f)
    return config


def dcos_version() -> dict[str, Any]:
    with open(etc_path("dcos-version.json")) as f:
        version: dict[str, Any] = json.load(f)
    return version


def cluster_id() -> str:
    """The cluster's ID (a UUID), as every DC/OS component reads it."""
    return CLUSTER_ID_FILE.read_text().strip()


def role() -> str:
    """The node's DC/OS role: master, slave or slave_public."""
    for name in ("master", "slave_public", "slave"):
        if (ROLES_DIR / name).exists():
            return name
    raise RuntimeError(f"no role file in {ROLES_DIR}: is DC/OS installed on this node?")


def detect_ip() -> str:
    """The node's private IP, as the cluster's ip-detect script reports it."""
    out = subprocess.run(
        [str(MESOSPHERE / "bin" / "detect_ip")], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not out:
        raise RuntimeError("ip-detect printed nothing")
    return out.split()[0]


def config_list(key: str, config: dict[str, Any] | None = None) -> list[str]:
    """A list-valued config key; genconf stores lists as JSON strings, as DC/OS does."""
    config = config if config is not None else expanded_config()
    value = config.get(key, [])
    if isinstance(value, str):
        return list(json.loads(value)) if value else []
    return list(value)


def master_list(config: dict[str, Any] | None = None) -> list[str]:
    return config_list("master_list", config)
