"""The provider interface: everything the harness asks of a container engine.

Small enough to read at once, and only what callers use. `DockerProvider`
implements it; `tests/fake_provider.py` is its in-memory twin, and
`tests/provider_contract.py` holds the cases both must pass. Only providers
talk to an engine; they speak in the value types below and never import the
facade (`minidcos.cluster`, `minidcos.node`) that sits above them.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from minidcos.status import Status


class Role(Enum):
    """A node's role. The value is the label value; `dcos_role` is what dcos_install.sh takes."""

    MASTER = "master"
    AGENT = "agent"
    PUBLIC_AGENT = "public_agent"

    @property
    def dcos_role(self) -> str:
        return {"master": "master", "agent": "slave", "public_agent": "slave_public"}[self.value]

    @property
    def container_word(self) -> str:
        """How the role reads in container names: master, agent, public-agent."""
        return self.value.replace("_", "-")


class Output(Enum):
    """What happens to a command's output."""

    CAPTURE = "capture"  # returned in the CompletedProcess
    LOG_AND_CAPTURE = "log_and_capture"  # returned, and copied to our stderr as it comes
    NO_CAPTURE = "no_capture"  # goes straight to our stdout/stderr


def node_name(cluster_id: str, role: Role, index: int) -> str:
    """A node's container name and hostname: minidcos-<cluster>-master-0, -public-agent-1."""
    return f"minidcos-{cluster_id}-{role.container_word}-{index}"


@dataclass(frozen=True, eq=False)
class NodeRecord:
    """What a provider knows of one node container. Equality is by container id."""

    cluster_id: str
    role: Role
    index: int
    container_name: str
    container_id: str
    ip_address: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeRecord) and other.container_id == self.container_id

    def __hash__(self) -> int:
        return hash(self.container_id)

    @property
    def reference(self) -> str:
        """The `master_0`-style name `minidcos docker run --node` accepts."""
        return f"{self.role.value}_{self.index}"

    def __str__(self) -> str:
        return f"{self.reference} ({self.container_name}, {self.ip_address})"


@dataclass(frozen=True)
class Mount:
    """A host path (or named volume) mounted into every node: `src:dst[:ro|rw]`."""

    source: str
    target: str
    read_only: bool = False

    @property
    def is_named_volume(self) -> bool:
        return not self.source.startswith("/")


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
    run_token: str  # labels everything this run makes, so its cleanup removes only that
    nodes: tuple[NodePlan, ...]
    network: str
    workspace: Path
    image: str
    mounts: tuple[Mount, ...] = ()


@dataclass(frozen=True)
class ClusterLayout:
    """What the nodes of an existing cluster share: a node added later gets the same."""

    network: Network
    workspace: Path
    image: str
    mounts: tuple[Mount, ...]


class NodeState(Enum):
    """A node container's state, as the engine reports it."""

    RUNNING = "running"
    PAUSED = "paused"  # every process frozen (`docker pause`)
    STOPPED = "stopped"  # exited or not started
    GONE = "gone"  # no such container any more


@dataclass(frozen=True)
class ProviderInfo:
    engine_version: str
    privileged: bool  # False: all available capabilities, seccomp/apparmor unconfined
    node_mode: str  # how nodes run, in words, for `doctor`
    address_pool: ipaddress.IPv4Network  # where cluster networks come from
    cgroup_version: str
    cgroup_driver: str
    storage_driver: str
    docker_root: str
    memory_bytes: int


@dataclass(frozen=True)
class Transfer:
    """What a copy to or from a node moved, checked on both ends."""

    files: int
    bytes: int
    sha256_verified: bool

    def __str__(self) -> str:
        check = "sha256 verified" if self.sha256_verified else "not verified"
        return f"{self.files} file(s), {self.bytes} bytes, {check}"


@dataclass(frozen=True)
class ImageRef:
    """An image in the host's engine, by name and tag."""

    name: str  # minidcos/python3
    tag: str

    @property
    def reference(self) -> str:
        return f"{self.name}:{self.tag}"


@dataclass(frozen=True)
class RegistryInfo:
    """The one registry every cluster on this engine pulls through."""

    container_name: str
    image: str
    running: bool
    host_url: str  # how this machine reaches it (loopback only), "" when it is not running
    node_address: str  # how nodes reach it, on their cluster's own network
    volume: str  # its storage: images outlive clusters
    networks: tuple[str, ...]  # the cluster networks it is attached to


class Provider(Protocol):
    def info(self) -> ProviderInfo: ...

    def ensure_image(self, status: Status) -> str:
        """The node image's tag, built first if any of its inputs changed."""
        ...

    def create_network(self, cluster_id: str, run_token: str) -> Network:
        """The cluster's own bridge network, on a subnet no other network uses.

        Creating it claims the cluster id: raises ClusterExistsError when another
        run holds it, even one that started at the same moment.
        """
        ...

    def provision(self, plan: ClusterPlan, status: Status) -> list[NodeRecord]:
        """Start every node in parallel and return once each node's systemd is up."""
        ...

    def list_clusters(self) -> list[str]:
        """Ids of every cluster with anything left: a container, a network or a volume."""
        ...

    def list_nodes(self, cluster_id: str) -> list[NodeRecord]:
        """The cluster's nodes, masters first, then agents, then public agents."""
        ...

    def delete_cluster(self, cluster_id: str, run_token: str | None = None) -> bool:
        """Remove the cluster's containers, volumes and network; False if none existed.

        With `run_token`, only what that run made (a failed create's cleanup).
        """
        ...

    def delete_all(self) -> bool:
        """Remove every container, volume and network miniDC/OS made; False if there were none."""
        ...

    def exec(
        self,
        node: NodeRecord,
        argv: list[str],
        *,
        env: dict[str, str],
        output: Output,
        tty: bool,
        check: bool,
        input: bytes | None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run argv on the node; CommandError on a non-zero exit when `check`."""
        ...

    def popen(
        self, node: NodeRecord, argv: list[str], *, env: dict[str, str]
    ) -> subprocess.Popen[bytes]: ...

    def send_file(self, node: NodeRecord, local_path: Path, remote_path: Path) -> Transfer:
        """Copy a file or folder to exactly `remote_path` (absolute), making missing parents."""
        ...

    def download_file(self, node: NodeRecord, remote_path: Path, local_path: Path) -> Transfer:
        """Copy a file or folder from the node to exactly `local_path`."""
        ...

    # -- the registry and the images it serves --------------------------------

    def ensure_registry(self, status: Status) -> RegistryInfo:
        """Start the registry if it is not running; safe when two runs race (one wins)."""
        ...

    def registry(self) -> RegistryInfo | None:
        """The registry, or None when there is none."""
        ...

    def attach_registry(self, network: Network) -> None:
        """Make the registry reachable on a cluster's network at its node address."""
        ...

    def delete_registry(self) -> bool:
        """Remove the registry and its storage; False if there was none."""
        ...

    def shipped_images(self, status: Status) -> list[ImageRef]:
        """The images every cluster gets in the registry, built first where inputs changed."""
        ...

    def save_images(self, references: list[str], archive: Path) -> None:
        """Write images of the host's engine to `archive`, as `docker save` does."""
        ...

    # -- membership: nodes added to and removed from a running cluster ----------

    def layout(self, cluster_id: str) -> ClusterLayout:
        """The network, workspace, image and mounts of the cluster's nodes."""
        ...

    def delete_node(self, node: NodeRecord) -> None:
        """Remove one node's container and its volumes (the cluster's network stays)."""
        ...

    # -- fault primitives: the whole container ----------------------------------

    def node_state(self, node: NodeRecord) -> NodeState: ...

    def pause(self, node: NodeRecord) -> None:
        """Freeze every process of the node (the engine's cgroup freezer)."""
        ...

    def unpause(self, node: NodeRecord) -> None: ...

    def restart(self, node: NodeRecord, *, hard: bool, status: Status, down_s: float = 0.0) -> None:
        """Restart the node's container, keeping its address and its disk; return once
        its systemd is up again. `hard`: kill it (a power cut) instead of a clean shutdown;
        `down_s`: stay off that long before starting again (a slow reboot)."""
        ...

    # -- fault records: the cluster's active faults, kept by the engine ---------

    def record_fault(self, cluster_id: str, fault_id: str, record: str) -> None:
        """Keep `record` (a fault, as text) among the cluster's labelled objects."""
        ...

    def fault_records(self, cluster_id: str) -> dict[str, str]:
        """Every fault recorded for the cluster: fault id -> record."""
        ...

    def delete_fault_record(self, cluster_id: str, fault_id: str) -> None: ...
