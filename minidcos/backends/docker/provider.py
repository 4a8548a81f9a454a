"""The Docker provider: the only code that talks to the Docker engine.

State lives in labels (no state file): a cluster is the set of containers,
volumes and the network labelled `minidcos.cluster=<id>`; everything one
`create` makes also carries its run token (`minidcos.run`), so a failed or
interrupted create removes only what it made. Commands run through the
`docker` CLI so that every failure names a command one can paste.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions

from minidcos._util.interrupts import deferred_interrupts
from minidcos._util.polling import Poll, PollTimeoutError, wait_for
from minidcos.backends.base import (
    ClusterLayout,
    ClusterPlan,
    ImageRef,
    Mount,
    Network,
    NodePlan,
    NodeRecord,
    NodeState,
    Output,
    ProviderInfo,
    RegistryInfo,
    Role,
    Transfer,
)
from minidcos.backends.docker import image_set, images, labels, transfer
from minidcos.backends.docker.registry import (
    NODE_ALIAS,
    RegistryContainer,
    detach_registries,
    registry_address,
)
from minidcos.errors import (
    ClusterExistsError,
    CommandError,
    NodeBootError,
    ProviderError,
    UsageError,
)
from minidcos.status import Status

# Private /24s for cluster networks, tried in order from a start derived from
# the cluster id; the engine refuses one that overlaps another network.
SUBNET_POOL = ipaddress.IPv4Network(os.environ.get("MINIDCOS_SUBNET_POOL", "172.28.0.0/14"))
BOOT_TIMEOUT_S = 90.0
# A clean restart gives systemd this long to stop every unit before the engine kills it.
STOP_TIMEOUT_S = 30
PAUSE_TIMEOUT_S = 30.0
NETWORK_REMOVE_TIMEOUT_S = 15.0

ENGINE_HINT = (
    "start the engine (bash setup.sh --host-only starts dockerd), "
    "or point DOCKER_HOST at one that answers"
)

# Linux capability names by bit, for the fallback from --privileged: every
# capability the host's bounding set has, and none it lacks.
CAPABILITIES = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
]


def docker_cli() -> str:
    """The `docker` client, which runs commands on nodes (`docker exec`)."""
    path = shutil.which("docker")
    if path is None:
        raise ProviderError(
            "the docker command-line client is not installed",
            hint="install it with the engine: apt-get install docker.io (bash setup.sh does)",
        )
    return path


def missing_capabilities(cap_bnd_hex: str) -> list[str]:
    """Capabilities absent from a bounding set such as /proc/self/status's CapBnd."""
    mask = int(cap_bnd_hex, 16)
    return [name for bit, name in enumerate(CAPABILITIES) if not mask & (1 << bit)]


def host_capability_bounding_set() -> str:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return line.split()[1]
    return "ffffffffff"


class DockerProvider:
    def __init__(self, registry_name: str | None = None) -> None:
        self._client: docker.DockerClient | None = None
        self._privileged: bool | None = None
        self._lock = threading.Lock()
        # The registry's container and volume name; tests pass one of their own.
        self.registry_name = registry_name or os.environ.get(
            "MINIDCOS_REGISTRY_NAME", "minidcos-registry"
        )
        self._built: image_set.ImageSet | None = None
        self._subnets: dict[str, ipaddress.IPv4Network] = {}

    # -- the engine ---------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                client = docker.from_env(timeout=120)
                client.ping()
            except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                raise ProviderError(
                    f"the Docker engine does not answer: {exc}", ENGINE_HINT
                ) from exc
            self._client = client
        return self._client

    def info(self) -> ProviderInfo:
        info = self.client.info()
        privileged = self.privileged_works()
        if privileged:
            mode = "--privileged works"
        else:
            missing = missing_capabilities(host_capability_bounding_set())
            mode = (
                "--privileged is refused (the host lacks "
                + ", ".join(missing or ["a capability"])
                + "): nodes get every other capability, seccomp and apparmor unconfined"
            )
        return ProviderInfo(
            engine_version=str(info.get("ServerVersion", "?")),
            privileged=privileged,
            node_mode=mode,
            address_pool=SUBNET_POOL,
            cgroup_version=str(info.get("CgroupVersion", "1")),
            cgroup_driver=str(info.get("CgroupDriver", "?")),
            storage_driver=str(info.get("Driver", "?")),
            docker_root=str(info.get("DockerRootDir", "/var/lib/docker")),
            memory_bytes=int(info.get("MemTotal", 0)),
        )

    def privileged_works(self) -> bool:
        """Whether the engine can run --privileged containers (not where the host lacks a cap)."""
        with self._lock:
            if self._privileged is None:
                self._privileged = self._try_privileged()
            return self._privileged

    def _try_privileged(self) -> bool:
        if missing_capabilities(host_capability_bounding_set()):
            # runc refuses to grant a capability the bounding set lacks.
            return False
        image = self.ensure_image(Status.silent())
        try:
            self.client.containers.run(image, ["true"], entrypoint=[], privileged=True, remove=True)
        except docker.errors.APIError:
            return False
        return True

    def ensure_image(self, status: Status) -> str:
        return images.ensure_node_image(self.client, status)

    # -- networks -----------------------------------------------------------

    def create_network(self, cluster_id: str, run_token: str) -> Network:
        subnets = list(SUBNET_POOL.subnets(new_prefix=24))
        start = sum(cluster_id.encode()) % len(subnets)
        name = labels.network_name(cluster_id)
        for attempt in range(len(subnets)):
            subnet = subnets[(start + attempt) % len(subnets)]
            ipam = docker.types.IPAMConfig(
                pool_configs=[docker.types.IPAMPool(subnet=str(subnet), gateway=str(subnet[1]))]
            )
            try:
                # The bridge's device name is derived from the cluster id, and the
                # engine creates one network per device name at a time: creating
                # it is what claims the id, even against a run started at the
                # same moment (check_duplicate catches the slower one earlier).
                self.client.networks.create(
                    name,
                    driver="bridge",
                    ipam=ipam,
                    check_duplicate=True,
                    labels=labels.cluster_labels(cluster_id, run_token),
                    options={"com.docker.network.bridge.name": labels.bridge_name(cluster_id)},
                )
            except docker.errors.APIError as exc:
                text = str(exc).lower()
                if "already exists" in text or "same bridge name" in text:
                    raise ClusterExistsError(cluster_id) from exc
                if "overlap" in text:
                    continue  # another network holds this subnet: try the next
                raise ProviderError(f"creating network {name} failed: {exc}") from exc
            return Network(name, subnet)
        raise ProviderError(
            f"no free /24 left in {SUBNET_POOL} for network {name}",
            hint="destroy clusters you no longer need, or set MINIDCOS_SUBNET_POOL to a free range",
        )

    # -- nodes --------------------------------------------------------------

    def provision(self, plan: ClusterPlan, status: Status) -> list[NodeRecord]:
        self._make_named_volumes(plan)
        with status.step(f"Starting {len(plan.nodes)} nodes") as step:

            def start(node_plan: NodePlan) -> NodeRecord:
                node = self._start_node(plan, node_plan, cancelled)
                self._wait_booted(node, BOOT_TIMEOUT_S, cancelled)
                step.update(f"{node.reference} up ({node.container_name}, {node.ip_address})")
                return node

            # Set when provisioning is abandoned (Ctrl-C, a sibling node failed),
            # so that the other nodes' threads stop and cleanup can begin.
            cancelled = threading.Event()
            pool = ThreadPoolExecutor(max_workers=min(16, len(plan.nodes)))
            nodes: list[NodeRecord] = []
            try:
                # Not while a worker thread is being started: a Ctrl-C landing there would
                # leave that thread outside the pool's own list, so shutdown below would not
                # wait for it, and the container it goes on to make would outlive the cleanup.
                with deferred_interrupts():
                    futures = [pool.submit(start, n) for n in plan.nodes]
                for future in futures:
                    nodes.append(future.result())
            except BaseException:
                # Stop the other threads, and let each finish the engine call it
                # is in (a second Ctrl-C included) before anyone cleans up after
                # them: a container created after the cleanup would be left behind.
                cancelled.set()
                with deferred_interrupts():
                    pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        return nodes

    def _make_named_volumes(self, plan: ClusterPlan) -> None:
        """Create the named volumes of --custom-volume that do not exist, labelled as the
        cluster's (so destroy removes them); a volume the user made is used and kept."""
        for mount in plan.mounts:
            if not mount.is_named_volume:
                continue
            try:
                self.client.api.inspect_volume(mount.source)
            except docker.errors.NotFound:
                self.client.volumes.create(
                    mount.source, labels=labels.cluster_labels(plan.cluster_id, plan.run_token)
                )

    def _host_config(self, plan: ClusterPlan, node_plan: NodePlan) -> dict[str, Any]:
        binds = ["/sys/fs/cgroup:/sys/fs/cgroup:rw"]
        for mount in plan.mounts:
            binds.append(f"{mount.source}:{mount.target}:{'ro' if mount.read_only else 'rw'}")
        # Every node runs Docker Engine (masters too, as on DC/OS); its layers must
        # not sit on the node's overlayfs root (no overlay on overlay: Docker
        # would fall back to copying whole layers with vfs).
        binds.append(f"{labels.docker_volume_name(plan.cluster_id, node_plan)}:/var/lib/docker")
        devices = [f"{d}:{d}:rwm" for d in ("/dev/net/tun", "/dev/fuse") if os.path.exists(d)]
        config: dict[str, Any] = dict(
            binds=binds,
            # The registry's name in /etc/hosts, so that it resolves whatever DNS the
            # cluster's config sets up (its address on the network is fixed).
            extra_hosts={NODE_ALIAS: registry_address(self._subnet(plan.network))},
            tmpfs={"/run": "rw,exec,mode=755", "/run/lock": "rw", "/tmp": "rw,exec,mode=1777"},
            security_opt=["seccomp=unconfined", "apparmor=unconfined"],
            cgroupns="host",
            devices=devices,
            init=False,
        )
        if self.privileged_works():
            config["privileged"] = True
        else:
            config["cap_add"] = ["ALL"]
            config["cap_drop"] = missing_capabilities(host_capability_bounding_set())
        return config

    def _subnet(self, network: str) -> ipaddress.IPv4Network:
        with self._lock:
            if network not in self._subnets:
                ipam = self.client.api.inspect_network(network)["IPAM"]["Config"][0]
                self._subnets[network] = ipaddress.IPv4Network(ipam["Subnet"])
            return self._subnets[network]

    def _start_node(
        self, plan: ClusterPlan, node_plan: NodePlan, cancelled: threading.Event
    ) -> NodeRecord:
        if cancelled.is_set():
            raise NodeBootError(node_plan.role.value, "provisioning was abandoned", "")
        api = self.client.api
        name = labels.container_name(plan.cluster_id, node_plan.role, node_plan.index)
        run_labels = labels.cluster_labels(plan.cluster_id, plan.run_token)
        node_labels = {
            **run_labels,
            labels.ROLE: node_plan.role.value,
            labels.INDEX: str(node_plan.index),
            labels.IP: node_plan.ip_address,
            labels.WORKSPACE: str(plan.workspace),
        }
        self.client.volumes.create(
            labels.docker_volume_name(plan.cluster_id, node_plan), labels=run_labels
        )
        container = api.create_container(
            plan.image,
            name=name,
            hostname=name,
            tty=True,  # systemd writes its boot progress to the console: `docker logs`
            labels=node_labels,
            environment={"container": "docker"},
            stop_signal="SIGRTMIN+3",
            host_config=api.create_host_config(**self._host_config(plan, node_plan)),
            networking_config=api.create_networking_config(
                {plan.network: api.create_endpoint_config(ipv4_address=node_plan.ip_address)}
            ),
        )
        api.start(container["Id"])
        return NodeRecord(
            cluster_id=plan.cluster_id,
            role=node_plan.role,
            index=node_plan.index,
            container_name=name,
            container_id=container["Id"],
            ip_address=node_plan.ip_address,
        )

    def _wait_booted(self, node: NodeRecord, timeout_s: float, cancelled: threading.Event) -> None:
        """Return when systemd has reached its default target (running or degraded)."""
        deadline = time.monotonic() + timeout_s
        last = ""
        while True:
            if cancelled.is_set():
                raise NodeBootError(node.container_name, "provisioning was abandoned", "")
            state = self.client.api.inspect_container(node.container_id)["State"]
            if not state.get("Running"):
                raise NodeBootError(
                    node.container_name,
                    f"container exited with status {state.get('ExitCode')}",
                    self.logs(node),
                )
            argv = [docker_cli(), "exec", node.container_id, "systemctl", "is-system-running"]
            try:
                proc = subprocess.run(
                    [*argv, "--wait"],
                    capture_output=True,
                    text=True,
                    timeout=max(1.0, deadline - time.monotonic()),
                )
            except subprocess.TimeoutExpired:
                raise NodeBootError(
                    node.container_name,
                    f"systemd did not reach its default target in {timeout_s:.0f} s",
                    self.logs(node),
                ) from None
            last = (proc.stdout + proc.stderr).strip()
            if last in ("running", "degraded"):
                return
            # "offline" also means "not started yet" this early, so only these are final.
            if last in ("maintenance", "stopping"):
                raise NodeBootError(node.container_name, f"systemd is {last}", self.logs(node))
            if time.monotonic() > deadline:
                raise NodeBootError(
                    node.container_name,
                    f"systemd did not reach its default target in {timeout_s:.0f} s "
                    f"(last answer: {last!r})",
                    self.logs(node),
                )
            time.sleep(0.1)  # D-Bus is not up yet: "Failed to connect to bus"

    def logs(self, node: NodeRecord, tail: int = 50) -> str:
        """The last lines of the node's console (systemd's boot output)."""
        try:
            raw: bytes = self.client.api.logs(node.container_id, tail=tail)
        except docker.errors.APIError as exc:
            return f"(no log: {exc})"
        return raw.decode(errors="replace")

    # -- clusters -----------------------------------------------------------

    def _containers(self, selector: dict[str, list[str]]) -> list[dict[str, Any]]:
        # The low-level listing: the high-level one inspects each container and
        # fails if one is removed meanwhile (a concurrent destroy).
        return list(self.client.api.containers(all=True, filters=selector))

    def _networks(self, selector: dict[str, list[str]]) -> list[dict[str, Any]]:
        return list(self.client.api.networks(filters=selector))

    def _volumes(self, selector: dict[str, list[str]]) -> list[dict[str, Any]]:
        return list(self.client.api.volumes(filters=selector).get("Volumes") or [])

    def list_clusters(self) -> list[str]:
        # Networks and volumes too: what an interrupted create could not undo
        # must still show up, so that `destroy` can be pointed at it.
        every = labels.selector()
        found = {
            (item.get("Labels") or {}).get(labels.CLUSTER, "")
            for item in self._containers(every) + self._networks(every) + self._volumes(every)
        }
        return sorted(c for c in found if c)

    def list_nodes(self, cluster_id: str) -> list[NodeRecord]:
        nodes = [
            NodeRecord(
                cluster_id=cluster_id,
                role=Role(c["Labels"][labels.ROLE]),
                index=int(c["Labels"][labels.INDEX]),
                container_name=c["Names"][0].lstrip("/"),
                container_id=c["Id"],
                ip_address=c["Labels"].get(labels.IP, ""),
            )
            for c in self._containers(labels.selector(cluster_id))
            if labels.ROLE in c["Labels"]
        ]
        order = {Role.MASTER: 0, Role.AGENT: 1, Role.PUBLIC_AGENT: 2}
        return sorted(nodes, key=lambda n: (order[n.role], n.index))

    def workspaces(self, cluster_id: str) -> list[Path]:
        selector = labels.selector(cluster_id)
        found = {c["Labels"].get(labels.WORKSPACE) for c in self._containers(selector)}
        found |= {(n.get("Labels") or {}).get(labels.WORKSPACE) for n in self._networks(selector)}
        return sorted(Path(w) for w in found if w)

    def delete_cluster(self, cluster_id: str, run_token: str | None = None) -> bool:
        return self._delete(labels.selector(cluster_id, run_token))

    def delete_all(self) -> bool:
        """Remove every container, volume and network miniDC/OS made (`clean`), nothing else."""
        return self._delete(labels.selector())

    def _delete(self, selector: dict[str, list[str]]) -> bool:
        api = self.client.api
        containers = self._containers(selector)
        networks = self._networks(selector)
        volumes = self._volumes(selector)
        workspaces = {c["Labels"].get(labels.WORKSPACE) for c in containers}
        workspaces |= {(n.get("Labels") or {}).get(labels.WORKSPACE) for n in networks}
        errors: list[str] = []

        def remove(kind: str, name: str, action: Any) -> None:
            try:
                action()
            except docker.errors.NotFound:
                pass  # removed meanwhile: what we wanted
            except docker.errors.APIError as exc:
                errors.append(f"{kind} {name}: {exc}")

        if containers:
            with ThreadPoolExecutor(max_workers=min(16, len(containers))) as pool:
                list(
                    pool.map(
                        lambda c: remove(
                            "container",
                            c["Names"][0],
                            lambda: api.remove_container(c["Id"], force=True, v=True),
                        ),
                        containers,
                    )
                )
        for volume in volumes:
            remove(
                "volume", volume["Name"], lambda v=volume: api.remove_volume(v["Name"], force=True)
            )
        for network in networks:
            remove("network", network["Name"], lambda n=network: self._remove_network(n["Id"]))
        for workspace in workspaces:
            if workspace and Path(workspace).is_relative_to(labels.workspace_root()):
                shutil.rmtree(workspace, ignore_errors=True)
        if errors:
            raise ProviderError(
                "cleaning up left resources behind:\n  " + "\n  ".join(errors),
                hint="run `minidcos docker destroy` for the cluster once the engine is healthy",
            )
        return bool(containers or networks or volumes)

    def _remove_network(self, network_id: str) -> None:
        detach_registries(self.client, network_id)  # it is shared: it stays, off this network
        # A container removed a moment ago may still hold its endpoint on a busy engine
        # ("has active endpoints"): let it go (force-disconnect what is gone) and retry.
        deadline = time.monotonic() + NETWORK_REMOVE_TIMEOUT_S
        while True:
            try:
                self.client.api.remove_network(network_id)
                return
            except docker.errors.APIError as exc:
                if "active endpoints" not in str(exc):
                    raise
                attached = self.client.api.inspect_network(network_id).get("Containers") or {}
                if time.monotonic() > deadline:
                    names = ", ".join(e.get("Name", i[:12]) for i, e in attached.items())
                    raise docker.errors.APIError(f"{exc}; still on it: {names}") from exc
            for endpoint in attached:
                if self._container_gone(endpoint):  # a live one's own removal frees it
                    with contextlib.suppress(docker.errors.APIError):
                        self.client.api.disconnect_container_from_network(
                            endpoint, network_id, force=True
                        )
            time.sleep(0.5)

    def _container_gone(self, container_id: str) -> bool:
        try:
            self.client.api.inspect_container(container_id)
        except docker.errors.NotFound:
            return True
        return False

    # -- the registry and the image set ---------------------------------------

    def _registry(self) -> RegistryContainer:
        return RegistryContainer(self.client, self.registry_name)

    def _image_set(self, status: Status) -> image_set.ImageSet:
        with self._lock:  # built once per provider; the engine keeps it by input hash
            if self._built is None:
                self._built = image_set.ensure_image_set(self.client, status)
            return self._built

    def ensure_registry(self, status: Status) -> RegistryInfo:
        built = self._image_set(status)
        return self._registry().ensure(built[image_set.REGISTRY_IMAGE].reference)

    def registry(self) -> RegistryInfo | None:
        return self._registry().info()

    def attach_registry(self, network: Network) -> None:
        self._registry().attach(network.name, network.subnet)

    def delete_registry(self) -> bool:
        return self._registry().remove()

    def shipped_images(self, status: Status) -> list[ImageRef]:
        return self._image_set(status).shipped()

    def save_images(self, references: list[str], archive: Path) -> None:
        missing = []
        for reference in references:
            try:
                self.client.api.inspect_image(reference)
            except docker.errors.ImageNotFound:
                missing.append(reference)
        if missing:
            raise UsageError(
                f"no image {', '.join(missing)} in this machine's Docker engine "
                "(`docker images` lists what it has); build or pull it there first, "
                "or load a `docker save` archive with --archive"
            )
        argv = [docker_cli(), "save", "--output", str(archive), *references]
        proc = subprocess.run(argv, capture_output=True)
        if proc.returncode != 0:
            raise CommandError("this machine", argv, proc.returncode, proc.stdout, proc.stderr)

    # -- membership -----------------------------------------------------------

    def layout(self, cluster_id: str) -> ClusterLayout:
        containers = [
            c for c in self._containers(labels.selector(cluster_id)) if labels.ROLE in c["Labels"]
        ]
        if not containers:
            raise ProviderError(f"cluster {cluster_id!r} has no node to take its layout from")
        api = self.client.api
        details = api.inspect_container(containers[0]["Id"])
        name = labels.network_name(cluster_id)
        try:
            ipam = api.inspect_network(name)["IPAM"]["Config"][0]
        except (docker.errors.NotFound, KeyError, IndexError) as exc:
            raise ProviderError(f"the network {name} of cluster {cluster_id!r} is gone") from exc
        mounts = []
        own_volume = labels.node_docker_volume_name(details["Name"].lstrip("/"))
        for bind in details["HostConfig"].get("Binds") or []:
            source, target, *mode = bind.split(":")
            if target == "/sys/fs/cgroup" or source == own_volume:
                continue  # every node gets these; they are not the cluster's own mounts
            mounts.append(Mount(source, target, read_only=mode[:1] == ["ro"]))
        return ClusterLayout(
            network=Network(name, ipaddress.IPv4Network(ipam["Subnet"])),
            workspace=Path(details["Config"]["Labels"].get(labels.WORKSPACE, "")),
            image=details["Config"]["Image"],
            mounts=tuple(mounts),
        )

    def delete_node(self, node: NodeRecord) -> None:
        api = self.client.api
        with deferred_interrupts():
            try:
                api.remove_container(node.container_id, force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                raise ProviderError(f"removing {node} failed: {exc}") from exc
            with contextlib.suppress(docker.errors.NotFound):  # masters have none
                api.remove_volume(labels.node_docker_volume_name(node.container_name), force=True)

    # -- fault primitives -----------------------------------------------------

    def node_state(self, node: NodeRecord) -> NodeState:
        try:
            state = self.client.api.inspect_container(node.container_id)["State"]
        except docker.errors.NotFound:
            return NodeState.GONE
        if state.get("Paused"):
            return NodeState.PAUSED
        return NodeState.RUNNING if state.get("Running") else NodeState.STOPPED

    def _engine_call(self, what: str, node: NodeRecord, call: Any) -> None:
        try:
            call(node.container_id)
        except docker.errors.APIError as exc:
            raise ProviderError(f"{what} {node} failed: {exc.explanation or exc}") from exc

    def pause(self, node: NodeRecord) -> None:
        # runc gives up freezing when the cgroup does not settle in time (a busy machine:
        # "unable to freeze"), and thaws it again: try again until it holds.
        def attempt() -> Poll[None]:
            try:
                self.client.api.pause(node.container_id)
            except docker.errors.APIError as exc:
                if "unable to freeze" not in str(exc):
                    raise ProviderError(f"pausing {node} failed: {exc.explanation or exc}") from exc
                return Poll(False, None, str(exc.explanation or exc))
            return Poll(True)

        try:
            wait_for(attempt, PAUSE_TIMEOUT_S, f"pausing {node}", interval_s=0.2)
        except PollTimeoutError as exc:
            raise ProviderError(f"pausing {node} failed: {exc.last}") from None

    def unpause(self, node: NodeRecord) -> None:
        self._engine_call("unpausing", node, self.client.api.unpause)

    def restart(self, node: NodeRecord, *, hard: bool, status: Status, down_s: float = 0.0) -> None:
        api = self.client.api
        if hard:
            self._engine_call("killing", node, api.kill)
        elif down_s > 0:
            # The stop signal is systemd's (SIGRTMIN+3): it stops every unit first.
            self._engine_call("stopping", node, lambda c: api.stop(c, timeout=STOP_TIMEOUT_S))
        if hard or down_s > 0:
            time.sleep(down_s)  # the fault itself: the node stays off this long
            self._engine_call("starting", node, api.start)
        else:
            self._engine_call("restarting", node, lambda c: api.restart(c, timeout=STOP_TIMEOUT_S))
        self._wait_booted(node, BOOT_TIMEOUT_S, threading.Event())
        status.line(f"     {node.reference} is up again ({node.ip_address})")

    # -- fault records ----------------------------------------------------------

    def record_fault(self, cluster_id: str, fault_id: str, record: str) -> None:
        self.client.volumes.create(
            labels.fault_volume_name(cluster_id, fault_id),
            labels={
                labels.CLUSTER: cluster_id,
                labels.FAULT: fault_id,
                labels.FAULT_RECORD: record,
            },
        )

    def fault_records(self, cluster_id: str) -> dict[str, str]:
        selector = {"label": [f"{labels.CLUSTER}={cluster_id}", labels.FAULT]}
        found = {}
        for volume in self._volumes(selector):
            volume_labels = volume.get("Labels") or {}
            found[volume_labels[labels.FAULT]] = volume_labels.get(labels.FAULT_RECORD, "")
        return found

    def delete_fault_record(self, cluster_id: str, fault_id: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.client.api.remove_volume(labels.fault_volume_name(cluster_id, fault_id))

    # -- commands and files -------------------------------------------------

    def _exec_argv(
        self, node: NodeRecord, argv: list[str], env: dict[str, str], tty: bool, interactive: bool
    ) -> list[str]:
        cmd = [docker_cli(), "exec"]
        if interactive:
            cmd.append("--interactive")
        if tty:
            cmd.append("--tty")
        for key, value in env.items():
            cmd += ["--env", f"{key}={value}"]
        return [*cmd, node.container_id, *argv]

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
        cmd = self._exec_argv(node, argv, env, tty, interactive=tty or input is not None)
        if output is Output.NO_CAPTURE:
            proc = subprocess.run(cmd, input=input)
            result = subprocess.CompletedProcess(argv, proc.returncode, b"", b"")
        elif output is Output.CAPTURE:
            proc = subprocess.run(cmd, input=input, capture_output=True)
            result = subprocess.CompletedProcess(argv, proc.returncode, proc.stdout, proc.stderr)
        else:
            result = _tee(cmd, argv, input)
        if check and result.returncode != 0:
            raise CommandError(str(node), argv, result.returncode, result.stdout, result.stderr)
        return result

    def popen(
        self, node: NodeRecord, argv: list[str], *, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._exec_argv(node, argv, env, tty=False, interactive=True),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def _node_exec(self, node: NodeRecord) -> transfer.ExecArgv:
        return lambda argv, interactive: self._exec_argv(node, argv, {}, False, interactive)

    def send_file(self, node: NodeRecord, local_path: Path, remote_path: Path) -> Transfer:
        return transfer.send(self._node_exec(node), str(node), local_path, remote_path)

    def download_file(self, node: NodeRecord, remote_path: Path, local_path: Path) -> Transfer:
        return transfer.receive(self._node_exec(node), str(node), remote_path, local_path)


def _tee(
    cmd: list[str], argv: list[str], input: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    """Run `cmd`, copying its output to our stderr line by line while capturing it."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if input is not None:
        assert proc.stdin is not None
        proc.stdin.write(input)
        proc.stdin.close()
    captured = []
    assert proc.stdout is not None
    for line in proc.stdout:
        captured.append(line)
        sys.stderr.buffer.write(line)
        sys.stderr.flush()
    return subprocess.CompletedProcess(argv, proc.wait(), b"".join(captured), b"")
