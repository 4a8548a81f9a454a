"""The provider interface: everything the harness asks of a container engine.

Small enough to read at once. `DockerProvider` implements it; tests use a
fake of the same shape. Only providers talk to an engine.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from minidcos.node import Node, Output, Role
from minidcos.status import Status


@dataclass(frozen=True)
class Mount:
    """A host path (or named volume) mounted into every node: `src:dst[:ro|rw]`."""

    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Network:
    name: str
    subnet: ipaddress.IPv4Network


@dataclass(frozen=True)
class NodePlan:
    role: Role
    index: int
    ip_address: str


@dataclass(frozen=True)
class ClusterPlan:
    """Everything provisioning needs; made by the orchestrator before any container exists."""

    cluster_id: str
    nodes: tuple[NodePlan, ...]
    network: str
    workspace: Path
    image: str
    mounts: tuple[Mount, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderInfo:
    engine_version: str
    privileged: bool  # False: all available capabilities, seccomp/apparmor unconfined
    cgroup_version: str
    cgroup_driver: str
    storage_driver: str
    docker_root: str
    memory_bytes: int


class Provider(Protocol):
    def info(self) -> ProviderInfo: ...

    def ensure_image(self, status: Status) -> str:
        """The node image's tag, built first if any of its inputs changed."""
        ...

    def create_network(self, cluster_id: str) -> Network:
        """The cluster's own bridge network, on a subnet no other network uses."""
        ...

    def provision(self, plan: ClusterPlan, status: Status) -> list[Node]:
        """Start every node in parallel and return once each node's systemd is up."""
        ...

    def list_clusters(self) -> list[str]: ...

    def list_nodes(self, cluster_id: str) -> list[Node]: ...

    def delete_cluster(self, cluster_id: str) -> bool:
        """Remove the cluster's containers, volumes and network; False if none existed."""
        ...

    def delete_all(self) -> bool:
        """Remove every container, volume and network miniDC/OS made; False if there were none."""
        ...

    def exec(
        self,
        node: Node,
        argv: list[str],
        *,
        env: dict[str, str],
        output: Output,
        tty: bool,
        check: bool,
        input: bytes | None,
    ) -> subprocess.CompletedProcess[bytes]: ...

    def popen(
        self, node: Node, argv: list[str], *, env: dict[str, str]
    ) -> subprocess.Popen[bytes]: ...

    def send_file(self, node: Node, local_path: Path, remote_path: Path) -> None: ...

    def download_file(self, node: Node, remote_path: Path, local_path: Path) -> None: ...

    def logs(self, node: Node, tail: int = 50) -> str:
        """The last lines of the node's console (systemd's boot output)."""
        ...
