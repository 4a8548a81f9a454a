"""Names and labels: the only state a cluster has."""

from __future__ import annotations

import hashlib
from pathlib import Path

from minidcos._util import paths
from minidcos.backends.base import NodePlan
from minidcos.node import Role

CLUSTER = "minidcos.cluster"
ROLE = "minidcos.role"
INDEX = "minidcos.index"
IP = "minidcos.ip"
WORKSPACE = "minidcos.workspace"
PREFIX = "minidcos"


def cluster_labels(cluster_id: str) -> dict[str, str]:
    return {CLUSTER: cluster_id}


def container_name(cluster_id: str, role: Role, index: int) -> str:
    return f"{PREFIX}-{cluster_id}-{role.container_word}-{index}"


def network_name(cluster_id: str) -> str:
    return f"{PREFIX}-{cluster_id}"


def bridge_name(cluster_id: str) -> str:
    """The host's bridge device; Linux allows 15 characters, so hash long ids."""
    return "mdcos-" + hashlib.sha1(cluster_id.encode()).hexdigest()[:8]


def docker_volume_name(cluster_id: str, node: NodePlan) -> str:
    return f"{container_name(cluster_id, node.role, node.index)}-var-lib-docker"


def workspace_root() -> Path:
    return paths.workspaces_dir()
