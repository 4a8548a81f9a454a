"""Names and labels: the only state a cluster has."""

from __future__ import annotations

import hashlib
from pathlib import Path

from minidcos._util import paths
from minidcos.backends.base import NodePlan, Role, node_name

CLUSTER = "minidcos.cluster"
ROLE = "minidcos.role"
INDEX = "minidcos.index"
IP = "minidcos.ip"
WORKSPACE = "minidcos.workspace"
# The create run that made an object: its cleanup removes only what carries its token.
RUN = "minidcos.run"
# A fault marker: a small volume per active fault, labelled with the fault's record
# (labels on containers cannot change after creation; a marker can come and go).
FAULT = "minidcos.fault"
FAULT_RECORD = "minidcos.fault.record"
PREFIX = "minidcos"


def cluster_labels(cluster_id: str, run_token: str | None = None) -> dict[str, str]:
    return {CLUSTER: cluster_id, **({RUN: run_token} if run_token else {})}


def selector(cluster_id: str | None = None, run_token: str | None = None) -> dict[str, list[str]]:
    """An engine filter: every object of miniDC/OS, of one cluster, or of one run of it."""
    wanted = [f"{CLUSTER}={cluster_id}" if cluster_id else CLUSTER]
    if run_token:
        wanted.append(f"{RUN}={run_token}")
    return {"label": wanted}


def container_name(cluster_id: str, role: Role, index: int) -> str:
    return node_name(cluster_id, role, index)


def network_name(cluster_id: str) -> str:
    return f"{PREFIX}-{cluster_id}"


def bridge_name(cluster_id: str) -> str:
    """The host's bridge device; Linux allows 15 characters, so hash long ids."""
    return "mdcos-" + hashlib.sha1(cluster_id.encode()).hexdigest()[:8]


def docker_volume_name(cluster_id: str, node: NodePlan) -> str:
    return node_docker_volume_name(container_name(cluster_id, node.role, node.index))


def node_docker_volume_name(container: str) -> str:
    """The /var/lib/docker volume of the agent whose container is named `container`."""
    return f"{container}-var-lib-docker"


def fault_volume_name(cluster_id: str, fault_id: str) -> str:
    return f"{PREFIX}-{cluster_id}-fault-{fault_id}"


def workspace_root() -> Path:
    return paths.workspaces_dir()
