"""The provider interface's in-memory twin, for fast tests of the CLI and the orchestrator.

It keeps what a real engine would (networks, nodes, volumes, each labelled
with its cluster and run token), and each node has a small filesystem and a
few commands of its own (true, false, echo, cat, printenv, hostname,
test -e, systemctl is-system-running), so that `tests/provider_contract.py`
runs the same cases against it as against the Docker provider. Any other
command succeeds silently and is recorded, unless the test told the fake
to fail it (`fail_command`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from minidcos.backends.base import (
    ClusterLayout,
    ClusterPlan,
    ImageRef,
    Network,
    NodeRecord,
    NodeState,
    Output,
    ProviderInfo,
    RegistryInfo,
    Transfer,
    node_name,
)
from minidcos.errors import ClusterExistsError, CommandError, TransferError, UsageError
from minidcos.status import Status


@dataclass
class FakeNode:
    record: NodeRecord
    run_token: str
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # path -> (data, mode)
    state: NodeState = NodeState.RUNNING
    restarts: int = 0
    folders: set[str] = field(default_factory=lambda: {"/", "/root", "/tmp", "/run", "/etc"})


@dataclass
class Failure:
    match: str
    returncode: int
    stdout: bytes
    stderr: bytes


class FakeProvider:
    def __init__(self, fail_provision: BaseException | None = None) -> None:
        self.networks: dict[str, tuple[str, Network]] = {}  # cluster id -> (run token, network)
        self.cluster_nodes: dict[str, list[FakeNode]] = {}
        self.volumes: dict[str, tuple[str, str]] = {}  # name -> (cluster id, run token)
        self.fail_provision = fail_provision
        self.failures: list[Failure] = []
        self.calls: list[str] = []
        self.layouts: dict[str, ClusterLayout] = {}  # cluster id -> what its nodes share
        self.faults: dict[str, dict[str, str]] = {}  # cluster id -> fault id -> record
        self.commands: list[tuple[str, list[str], dict[str, str]]] = []
        self._subnets = 0
        # The registry: it has no images and no HTTP API here (both are tested
        # on the engine); what matters is that it outlives clusters.
        self.registry_info: RegistryInfo | None = None

    # -- what tests ask of the fake -------------------------------------------

    def fail_command(
        self, match: str, returncode: int = 1, stdout: bytes = b"", stderr: bytes = b""
    ) -> None:
        """Every later command whose words contain `match` exits `returncode` with this output."""
        self.failures.append(Failure(match, returncode, stdout, stderr))

    def objects(self, cluster_id: str) -> list[str]:
        """Everything left of a cluster, as an engine would list it."""
        found = [f"network {cluster_id}"] if cluster_id in self.networks else []
        found += [f"node {n.record.container_name}" for n in self.cluster_nodes.get(cluster_id, [])]
        found += [f"volume {v}" for v, (c, _) in self.volumes.items() if c == cluster_id]
        found += [f"fault {f}" for f in self.faults.get(cluster_id, {})]
        return found

    # -- the provider interface -----------------------------------------------

    def info(self) -> ProviderInfo:
        return ProviderInfo(
            engine_version="fake",
            privileged=False,
            node_mode="fake nodes in memory",
            address_pool=ipaddress.IPv4Network("172.28.0.0/14"),
            cgroup_version="1",
            cgroup_driver="cgroupfs",
            storage_driver="overlay2",
            docker_root="/var/lib/docker",
            memory_bytes=2**34,
        )

    def ensure_image(self, status: Status) -> str:
        self.calls.append("ensure_image")
        return "minidcos/node:fake"

    def create_network(self, cluster_id: str, run_token: str) -> Network:
        self.calls.append(f"create_network {cluster_id}")
        if cluster_id in self.networks:
            raise ClusterExistsError(cluster_id)
        self._subnets += 1
        network = Network(
            f"minidcos-{cluster_id}", ipaddress.IPv4Network(f"172.28.{self._subnets}.0/24")
        )
        self.networks[cluster_id] = (run_token, network)
        return network

    def provision(self, plan: ClusterPlan, status: Status) -> list[NodeRecord]:
        self.calls.append(f"provision {plan.cluster_id}")
        for mount in plan.mounts:
            if mount.is_named_volume and mount.source not in self.volumes:
                self.volumes[mount.source] = (plan.cluster_id, plan.run_token)
        made = self.cluster_nodes.setdefault(plan.cluster_id, [])
        self.layouts.setdefault(
            plan.cluster_id,
            ClusterLayout(
                self.networks[plan.cluster_id][1], plan.workspace, plan.image, plan.mounts
            ),
        )
        for node_plan in plan.nodes:
            name = node_name(plan.cluster_id, node_plan.role, node_plan.index)
            record = NodeRecord(
                cluster_id=plan.cluster_id,
                role=node_plan.role,
                index=node_plan.index,
                container_name=name,
                container_id=hashlib.sha256(f"{name}{plan.run_token}".encode()).hexdigest(),
                ip_address=node_plan.ip_address,
            )
            made.append(FakeNode(record, plan.run_token))
            if self.fail_provision is not None:
                raise self.fail_provision  # like a real engine: one node exists already
        return [n.record for n in made if n.run_token == plan.run_token]

    def list_clusters(self) -> list[str]:
        owners = {c for c, _ in self.volumes.values()} | {c for c, f in self.faults.items() if f}
        return sorted(set(self.networks) | {c for c, n in self.cluster_nodes.items() if n} | owners)

    def list_nodes(self, cluster_id: str) -> list[NodeRecord]:
        order = {"master": 0, "agent": 1, "public_agent": 2}
        records = [n.record for n in self.cluster_nodes.get(cluster_id, [])]
        return sorted(records, key=lambda r: (order[r.role.value], r.index))

    def delete_cluster(self, cluster_id: str, run_token: str | None = None) -> bool:
        self.calls.append(f"delete_cluster {cluster_id}")

        def ours(token: str) -> bool:
            return run_token is None or token == run_token

        existed = False
        if cluster_id in self.networks and ours(self.networks[cluster_id][0]):
            del self.networks[cluster_id]
            self._detach_registry_from_gone_networks()
            existed = True
        nodes = self.cluster_nodes.get(cluster_id, [])
        kept = [n for n in nodes if not ours(n.run_token)]
        existed |= len(kept) != len(nodes)
        if cluster_id in self.cluster_nodes:
            self.cluster_nodes[cluster_id] = kept
        for name, (owner, token) in list(self.volumes.items()):
            if owner == cluster_id and ours(token):
                del self.volumes[name]
                existed = True
        if run_token is None:
            existed |= bool(self.faults.pop(cluster_id, None))
            if not self.cluster_nodes.get(cluster_id):
                self.layouts.pop(cluster_id, None)
        return existed

    def delete_all(self) -> bool:
        existed = bool(self.list_clusters())
        self.networks.clear()
        self.cluster_nodes.clear()
        self.volumes.clear()
        self._detach_registry_from_gone_networks()
        self.faults.clear()
        self.layouts.clear()
        return existed

    # -- the registry -----------------------------------------------------------

    def ensure_registry(self, status: Status) -> RegistryInfo:
        self.calls.append("ensure_registry")
        if self.registry_info is None:
            self.registry_info = RegistryInfo(
                container_name="minidcos-registry",
                image="minidcos/registry:fake",
                running=True,
                host_url="",
                node_address="minidcos-registry:5000",
                volume="minidcos-registry",
                networks=(),
            )
        return self.registry_info

    def registry(self) -> RegistryInfo | None:
        return self.registry_info

    def attach_registry(self, network: Network) -> None:
        self.calls.append(f"attach_registry {network.name}")
        assert self.registry_info is not None, "attach before the registry runs"
        networks = tuple(sorted({*self.registry_info.networks, network.name}))
        self.registry_info = replace(self.registry_info, networks=networks)

    def _detach_registry_from_gone_networks(self) -> None:
        if self.registry_info is not None:
            live = {n.name for _, n in self.networks.values()}
            kept = tuple(n for n in self.registry_info.networks if n in live)
            self.registry_info = replace(self.registry_info, networks=kept)

    def delete_registry(self) -> bool:
        existed = self.registry_info is not None
        self.registry_info = None
        return existed

    def shipped_images(self, status: Status) -> list[ImageRef]:
        return []

    def save_images(self, references: list[str], archive: Path) -> None:
        raise UsageError(f"no image {', '.join(references)} in the fake engine")

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
        self.commands.append((node.reference, argv, env))
        fake = self._node(node)
        if fake.state is NodeState.PAUSED:
            message = f"Error response from daemon: Container {node.container_id} is paused, "
            raise_or = (1, b"", (message + "unpause the container before exec\n").encode())
            if check:
                raise CommandError(str(node), argv, *raise_or)
            return subprocess.CompletedProcess(argv, *raise_or)
        returncode, stdout, stderr = self._run(fake, argv, env, input)
        if check and returncode != 0:
            raise CommandError(str(node), argv, returncode, stdout, stderr)
        return subprocess.CompletedProcess(argv, returncode, stdout, stderr)

    def popen(
        self, node: NodeRecord, argv: list[str], *, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        raise NotImplementedError("the fake has no processes; popen is tested on the engine")

    def send_file(self, node: NodeRecord, local_path: Path, remote_path: Path) -> Transfer:
        self.calls.append(f"send_file {node.reference} {remote_path}")
        fake = self._node(node)
        if not local_path.exists():
            raise UsageError(f"{local_path} does not exist on this machine")
        sources = [(local_path, remote_path)]
        if local_path.is_dir():
            sources = [
                (path, remote_path / path.relative_to(local_path))
                for path in sorted(local_path.rglob("*"))
                if path.is_file()
            ]
            self._make_folder(fake, str(remote_path))
        elif str(remote_path) in fake.folders:
            raise TransferError(f"{remote_path} is a folder; give the file's own path")
        size = 0
        for path, dest in sources:
            self._make_folder(fake, str(PurePosixPath(dest).parent))
            data = path.read_bytes()
            fake.files[str(dest)] = (data, path.stat().st_mode & 0o7777)
            size += len(data)
        return Transfer(len(sources), size, sha256_verified=True)

    def download_file(self, node: NodeRecord, remote_path: Path, local_path: Path) -> Transfer:
        self.calls.append(f"download_file {node.reference} {remote_path}")
        fake = self._node(node)
        root = str(remote_path)
        if root in fake.files:
            found = {Path(""): fake.files[root]}
        elif root in fake.folders:
            prefix = root.rstrip("/") + "/"
            found = {
                Path(p[len(prefix) :]): f for p, f in fake.files.items() if p.startswith(prefix)
            }
        else:
            raise TransferError(f"copying {node}:{remote_path} failed: {root} does not exist")
        for rel, (data, mode) in found.items():
            dest = local_path / rel if rel != Path("") else local_path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            os.chmod(dest, mode)
        return Transfer(len(found), sum(len(d) for d, _ in found.values()), sha256_verified=True)

    # -- membership and faults ------------------------------------------------

    def layout(self, cluster_id: str) -> ClusterLayout:
        if cluster_id not in self.layouts:
            raise UsageError(f"cluster {cluster_id!r} has no node to take its layout from")
        return self.layouts[cluster_id]

    def delete_node(self, node: NodeRecord) -> None:
        self.calls.append(f"delete_node {node.reference}")
        nodes = self.cluster_nodes.get(node.cluster_id, [])
        self.cluster_nodes[node.cluster_id] = [
            n for n in nodes if n.record.container_id != node.container_id
        ]

    def node_state(self, node: NodeRecord) -> NodeState:
        for fake in self.cluster_nodes.get(node.cluster_id, []):
            if fake.record.container_id == node.container_id:
                return fake.state
        return NodeState.GONE

    def pause(self, node: NodeRecord) -> None:
        self.calls.append(f"pause {node.reference}")
        self._node(node).state = NodeState.PAUSED

    def unpause(self, node: NodeRecord) -> None:
        self.calls.append(f"unpause {node.reference}")
        fake = self._node(node)
        if fake.state is not NodeState.PAUSED:
            raise CommandError(str(node), ["unpause"], 1, b"", b"Container is not paused")
        fake.state = NodeState.RUNNING

    def restart(self, node: NodeRecord, *, hard: bool, status: Status, down_s: float = 0.0) -> None:
        down = f" down {down_s:g}s" if down_s else ""
        self.calls.append(f"restart {node.reference}{' hard' if hard else ''}{down}")
        fake = self._node(node)
        fake.state = NodeState.RUNNING
        fake.restarts += 1

    def record_fault(self, cluster_id: str, fault_id: str, record: str) -> None:
        self.faults.setdefault(cluster_id, {})[fault_id] = record

    def fault_records(self, cluster_id: str) -> dict[str, str]:
        return dict(self.faults.get(cluster_id, {}))

    def delete_fault_record(self, cluster_id: str, fault_id: str) -> None:
        self.faults.get(cluster_id, {}).pop(fault_id, None)

    # -- the fake nodes -------------------------------------------------------

    def _node(self, record: NodeRecord) -> FakeNode:
        for fake in self.cluster_nodes.get(record.cluster_id, []):
            if fake.record.container_id == record.container_id:
                return fake
        raise CommandError(str(record), [], 1, b"", b"Error: No such container")

    def _make_folder(self, fake: FakeNode, path: str) -> None:
        parts = PurePosixPath(path).parts
        for i in range(1, len(parts) + 1):
            folder = str(PurePosixPath(*parts[:i]))
            if folder in fake.files:
                raise TransferError(f"cannot copy to {path}: {folder} is a file, not a folder")
            fake.folders.add(folder)

    def _run(
        self, fake: FakeNode, argv: list[str], env: dict[str, str], input: bytes | None
    ) -> tuple[int, bytes, bytes]:
        words = " ".join(argv)
        for failure in self.failures:
            if failure.match in words:
                return failure.returncode, failure.stdout, failure.stderr
        command, args = (argv[0], argv[1:]) if argv else ("", [])
        if command == "true":
            return 0, b"", b""
        if command == "false":
            return 1, b"", b""
        if command == "echo":
            return 0, (" ".join(args) + "\n").encode(), b""
        if argv == ["systemctl", "is-system-running"]:
            return 0, b"running\n", b""
        if command == "hostname":
            return 0, f"{fake.record.container_name}\n".encode(), b""
        if command == "printenv" and args:
            return (0, f"{env[args[0]]}\n".encode(), b"") if args[0] in env else (1, b"", b"")
        if command == "test" and args[:1] == ["-e"] and len(args) == 2:
            return (0 if args[1] in fake.files or args[1] in fake.folders else 1), b"", b""
        if command == "cat":
            if not args:
                return 0, input or b"", b""
            if args[0] in fake.files:
                return 0, fake.files[args[0]][0], b""
            return 1, b"", f"cat: {args[0]}: No such file or directory\n".encode()
        return 0, b"", b""
