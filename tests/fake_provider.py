"""A provider of the same shape as DockerProvider that keeps everything in memory."""

from __future__ import annotations

import hashlib
import ipaddress
import subprocess
from pathlib import Path

from minidcos.backends.base import ClusterPlan, Network, ProviderInfo
from minidcos.node import Node, Output
from minidcos.status import Status


class FakeProvider:
    def __init__(self, fail_provision: BaseException | None = None) -> None:
        self.nodes: dict[str, list[Node]] = {}
        self.networks: set[str] = set()
        self.fail_provision = fail_provision
        self.calls: list[str] = []
        self.commands: list[tuple[str, list[str], dict[str, str]]] = []

    def info(self) -> ProviderInfo:
        return ProviderInfo("fake", False, "1", "cgroupfs", "overlay2", "/var/lib/docker", 2**34)

    def ensure_image(self, status: Status) -> str:
        self.calls.append("ensure_image")
        return "minidcos/node:fake"

    def create_network(self, cluster_id: str) -> Network:
        self.calls.append(f"create_network {cluster_id}")
        self.networks.add(cluster_id)
        return Network(f"minidcos-{cluster_id}", ipaddress.IPv4Network("172.28.9.0/24"))

    def provision(self, plan: ClusterPlan, status: Status) -> list[Node]:
        self.calls.append(f"provision {plan.cluster_id}")
        if self.fail_provision is not None:
            # Like a real engine: some nodes exist before the failure.
            self.nodes[plan.cluster_id] = []
            raise self.fail_provision
        nodes = [
            Node(
                plan.cluster_id,
                p.role,
                p.index,
                f"minidcos-{plan.cluster_id}-{p.role.container_word}-{p.index}",
                hashlib.sha256(f"{plan.cluster_id}{p.ip_address}".encode()).hexdigest(),
                p.ip_address,
                self,
            )
            for p in plan.nodes
        ]
        self.nodes[plan.cluster_id] = nodes
        return nodes

    def list_clusters(self) -> list[str]:
        return sorted(set(self.nodes) | self.networks)

    def list_nodes(self, cluster_id: str) -> list[Node]:
        return list(self.nodes.get(cluster_id, []))

    def delete_cluster(self, cluster_id: str) -> bool:
        self.calls.append(f"delete_cluster {cluster_id}")
        existed = cluster_id in self.nodes or cluster_id in self.networks
        self.nodes.pop(cluster_id, None)
        self.networks.discard(cluster_id)
        return existed

    def delete_all(self) -> bool:
        existed = bool(self.nodes or self.networks)
        self.nodes.clear()
        self.networks.clear()
        return existed

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
    ) -> subprocess.CompletedProcess[bytes]:
        self.commands.append((node.reference, argv, env))
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    def popen(self, node: Node, argv: list[str], *, env: dict[str, str]) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def send_file(self, node: Node, local_path: Path, remote_path: Path) -> None:
        self.calls.append(f"send_file {node.reference} {remote_path}")

    def download_file(self, node: Node, remote_path: Path, local_path: Path) -> None:
        self.calls.append(f"download_file {node.reference} {remote_path}")

    def logs(self, node: Node, tail: int = 50) -> str:
        return ""
