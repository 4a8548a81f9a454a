"""Cluster: the library's facade, and `create`, the one orchestrator.

    from minidcos import Cluster, ClusterSpec, InstallSpec

    with Cluster.create(ClusterSpec(masters=1, agents=1, public_agents=0),
                        install=InstallSpec()) as cluster:
        cluster.masters[0].run(["echo", "hi"])

`create` reads top to bottom: validate everything (the spec, the installer,
the config, through the installer's own --validate-config), then image,
network (which claims the id), config, nodes, install, wait. Nothing exists
in the engine until every check has passed. Anything that fails afterwards
(or Ctrl-C, or SIGTERM) removes what this run made, and only that, unless
`retain`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from minidcos import iam, roles
from minidcos import registry as image_registry
from minidcos import wait as readiness
from minidcos._util import paths
from minidcos._util.interrupts import deferred_interrupts
from minidcos.backends.base import ClusterPlan, Mount, NodePlan, Provider, node_name
from minidcos.errors import (
    ClusterExistsError,
    ClusterNotFoundError,
    CommandError,
    ConfigError,
    NodeNotFoundError,
    NotReadyError,
    StepError,
    UsageError,
)
from minidcos.faults import Faults
from minidcos.installer import build as installer_build
from minidcos.installer import install as installing
from minidcos.installer.extra_config import load_extra_config
from minidcos.logs import export_logs
from minidcos.node import Node, Output, Role
from minidcos.status import Status

# Config that depends on the nodes' addresses, which exist only once the network
# does: called with each node's reference and address ({"master_0": "172.28.1.2"}).
ConfigFromAddresses = Callable[[Mapping[str, str]], Mapping[str, Any]]

CLUSTER_ID_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
MAX_CLUSTER_ID = 40
HOST_NAME_MAX = 64  # Linux's limit for a hostname; each node's hostname is its container name
MASTER_COUNTS = (1, 3, 5, 7, 9)  # a ZooKeeper quorum, as DC/OS allows
MAX_NODES = 250  # the cluster's network is a /24
TEST_DIR = "/opt/mesosphere/active/dcos-integration-test"
DEFAULT_WAIT_S = 600.0
# Set from the nodes' addresses: an extra config cannot know them in advance.
NODE_LIST_KEYS = ("master_list", "agent_list", "public_agent_list")
# Documentation addresses stand in for the nodes' while the config is checked,
# before the cluster's network (and so its addresses) exists.
PLACEHOLDER_SUBNET = ipaddress.IPv4Network("192.0.2.0/24")


def validate_cluster_id(cluster_id: str, source: str = "") -> str:
    """`cluster_id` if valid; UsageError naming `source` (the flag or variable it came from)."""
    if not CLUSTER_ID_PATTERN.match(cluster_id) or len(cluster_id) > MAX_CLUSTER_ID:
        where = f" in {source}" if source else ""
        raise UsageError(
            f"invalid cluster id {cluster_id!r}{where}: use 1 to {MAX_CLUSTER_ID} letters, "
            "digits, '_', '.' or '-', starting with a letter or digit (for example ci-1)"
        )
    return cluster_id


def default_provider() -> Provider:
    from minidcos.backends.docker.provider import DockerProvider

    return DockerProvider()


@dataclass(frozen=True)
class ClusterSpec:
    """The shape of a cluster: how many nodes of each role, its id, and extra mounts."""

    masters: int = 1
    agents: int = 1
    public_agents: int = 1
    cluster_id: str = "default"
    custom_volumes: tuple[Mount, ...] = ()

    def node_plans(self, subnet: ipaddress.IPv4Network) -> tuple[NodePlan, ...]:
        """Static addresses in order (.2 upwards), so a node keeps its IP across restarts."""
        hosts = subnet.hosts()
        next(hosts)  # .1 is the bridge's gateway
        plans = []
        for role, count in (
            (Role.MASTER, self.masters),
            (Role.AGENT, self.agents),
            (Role.PUBLIC_AGENT, self.public_agents),
        ):
            plans += [NodePlan(role, i, str(next(hosts))) for i in range(count)]
        return tuple(plans)

    def longest_hostname(self) -> str:
        """The longest node name (= hostname) this spec makes."""
        names = [
            node_name(self.cluster_id, role, count - 1)
            for role, count in (
                (Role.MASTER, self.masters),
                (Role.AGENT, self.agents),
                (Role.PUBLIC_AGENT, self.public_agents),
            )
            if count > 0
        ]
        return max(names, key=len)

    def validate(self, dcos: bool = False) -> None:
        """Every check of the spec, before anything is made. `dcos`: DC/OS will be installed."""
        validate_cluster_id(self.cluster_id, "--cluster-id")
        for flag, count, least in (
            ("--masters", self.masters, 1),
            ("--agents", self.agents, 0),
            ("--public-agents", self.public_agents, 0),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < least:
                raise UsageError(f"{flag} must be {least} or more, not {count!r}")
        if dcos and self.masters not in MASTER_COUNTS:
            raise UsageError(
                f"--masters must be 1, 3, 5, 7 or 9 for DC/OS (a ZooKeeper quorum), "
                f"not {self.masters}"
            )
        total = self.masters + self.agents + self.public_agents
        if total > MAX_NODES:
            raise UsageError(
                f"--masters + --agents + --public-agents must be at most {MAX_NODES} "
                f"(the cluster's network is a /24), not {total}"
            )
        longest = self.longest_hostname()
        if len(longest) > HOST_NAME_MAX:
            room = MAX_CLUSTER_ID - (len(longest) - HOST_NAME_MAX)
            raise UsageError(
                f"--cluster-id {self.cluster_id!r} is too long for this many nodes: node "
                f"hostname {longest!r} would be {len(longest)} characters, over Linux's "
                f"{HOST_NAME_MAX}; use an id of at most {room} characters"
            )
        for mount in self.custom_volumes:
            _check_mount(mount)


def _check_mount(mount: Mount) -> None:
    text = f"{mount.source}:{mount.target}"
    if not mount.target.startswith("/"):
        raise UsageError(f"--custom-volume {text!r}: the path in the node must be absolute")
    if mount.is_named_volume:
        if not re.match(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", mount.source):
            raise UsageError(
                f"--custom-volume {text!r}: {mount.source!r} is neither an absolute host path "
                "nor a volume name (letters, digits, '_', '.', '-')"
            )
    elif not Path(mount.source).exists():
        # Docker would create it, as root, behind the user's back.
        raise UsageError(
            f"--custom-volume {text!r}: the host path {mount.source} does not exist; "
            "create it first"
        )


@dataclass(frozen=True)
class InstallSpec:
    """How to install DC/OS: an installer honouring the contract, and config over the base.

    `installer` None is the installer this project builds from packages/ (built
    on demand, cached by content). `extra_config` is a mapping, or the path of
    a YAML file, merged over the config the harness generates; it may not set
    master_list, agent_list or public_agent_list, which come from the nodes.
    Config that names the nodes' own addresses (`resolvers` pointing at a DNS
    server a test runs on an agent) is a function of them:
    `extra_config=lambda addresses: {"resolvers": [addresses["agent_0"]]}`.
    """

    installer: Path | None = None
    extra_config: Mapping[str, Any] | Path | ConfigFromAddresses = field(default_factory=dict)
    genconf_dir: Path | None = None


@dataclass(frozen=True)
class _CheckedInstall:
    installer: Path
    extra_config: dict[str, Any] | ConfigFromAddresses
    genconf_dir: Path | None
    source: str  # how config errors name the config

    def extra_for(self, plans: Sequence[NodePlan]) -> dict[str, Any]:
        if callable(self.extra_config):
            addresses = {f"{p.role.value}_{p.index}": p.ip_address for p in plans}
            return dict(self.extra_config(addresses))
        return self.extra_config


class Cluster:
    """A cluster found by its id: its state is its containers' labels."""

    def __init__(self, cluster_id: str = "default", provider: Provider | None = None) -> None:
        self.cluster_id = validate_cluster_id(cluster_id)
        self.provider = provider or default_provider()
        self._nodes: list[Node] | None = None

    # -- creating -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        spec: ClusterSpec,
        *,
        install: InstallSpec | None = None,
        wait: bool = True,
        wait_timeout_s: float = DEFAULT_WAIT_S,
        retain: bool = False,
        provider: Provider | None = None,
        status: Status | None = None,
        registry: bool = True,
        log_dir: Path | None = None,
    ) -> Cluster:
        """Create the cluster; with `install`, install DC/OS on it (and wait, unless not `wait`).

        With `registry` (the default), the engine's image registry is started if
        it is not running, holds the offline image set, and joins the cluster's
        network, so that the nodes' Docker Engine pulls through it. When the wait
        fails, a log bundle of every node is written in `log_dir` (the working
        directory by default) before the cluster is removed.
        """
        status = status or Status.silent()
        spec.validate(dcos=install is not None)
        checked = _check_install(spec, install, status) if install is not None else None
        provider = provider or default_provider()
        if spec.cluster_id in provider.list_clusters():
            raise ClusterExistsError(spec.cluster_id)
        with status.step("Ensuring the node image"):
            image = provider.ensure_image(status)
        if registry:
            with status.step("Ensuring the image registry"):
                image_registry.ensure(provider, status)

        run_token = secrets.token_hex(6)
        workspace = paths.workspaces_dir() / f"{spec.cluster_id}-{run_token}"
        try:
            workspace.mkdir(parents=True)
            with deferred_interrupts():  # a network made but not known would be left behind
                network = provider.create_network(spec.cluster_id, run_token)
                if registry:  # ... and one the registry joined unseen could not be removed
                    provider.attach_registry(network)
            plans = spec.node_plans(network.subnet)
            mounts = list(spec.custom_volumes)
            if checked is not None:
                _generate_config(checked, plans, workspace, status)
                serve = workspace / "genconf" / "serve"
                mounts.append(Mount(str(serve), installing.SERVE_MOUNT, read_only=True))
            plan = ClusterPlan(
                cluster_id=spec.cluster_id,
                run_token=run_token,
                nodes=plans,
                network=network.name,
                workspace=workspace,
                image=image,
                mounts=tuple(mounts),
            )
            nodes = provider.provision(plan, status)
            cluster = cls(spec.cluster_id, provider)
            cluster._nodes = [Node.of(n, provider) for n in nodes]
            if checked is not None:
                installing.install(cluster.nodes, status)
                if wait:
                    cluster.wait(timeout_s=wait_timeout_s, status=status, log_dir=log_dir)
            return cluster
        except BaseException:  # Ctrl-C and SIGTERM included: nothing is left unless asked
            if not retain:
                with (
                    deferred_interrupts(),
                    status.step(f"Removing what this run made for cluster {spec.cluster_id!r}"),
                ):
                    provider.delete_cluster(spec.cluster_id, run_token=run_token)
                    shutil.rmtree(workspace, ignore_errors=True)
            raise

    # -- inspecting ---------------------------------------------------------

    @property
    def nodes(self) -> list[Node]:
        if self._nodes is None:
            records = self.provider.list_nodes(self.cluster_id)
            if not records:
                raise ClusterNotFoundError(self.cluster_id, self.provider.list_clusters())
            self._nodes = [Node.of(r, self.provider) for r in records]
        return self._nodes

    @property
    def masters(self) -> list[Node]:
        return [n for n in self.nodes if n.role is Role.MASTER]

    @property
    def agents(self) -> list[Node]:
        return [n for n in self.nodes if n.role is Role.AGENT]

    @property
    def public_agents(self) -> list[Node]:
        return [n for n in self.nodes if n.role is Role.PUBLIC_AGENT]

    def node(self, reference: str) -> Node:
        """A node by IP, container name or id, `master_0`-style reference, or the role it
        holds at this moment: `mesos-leader`, `marathon-leader`, `zookeeper-leader`."""
        if reference in roles.ROLE_REFERENCES:
            return roles.by_reference(reference, self.masters)
        return resolve_node(self.nodes, reference, self.cluster_id)

    def refresh(self) -> None:
        """Forget the node list, so the next use reads it from the provider again."""
        self._nodes = None

    # -- roles, at the moment they are asked for ----------------------------

    def leader(self, timeout_s: float = roles.DEFAULT_TIMEOUT_S) -> Node:
        """The master that leads Mesos now."""
        return roles.mesos_leader(self.masters, timeout_s)

    def marathon_leader(self, timeout_s: float = roles.DEFAULT_TIMEOUT_S) -> Node:
        """The master whose Marathon leads now."""
        return roles.marathon_leader(self.masters, timeout_s)

    def zookeeper_leader(self, timeout_s: float = roles.DEFAULT_TIMEOUT_S) -> Node:
        """The master whose ZooKeeper leads the quorum now."""
        return roles.zookeeper_leader(self.masters, timeout_s)

    # -- faults and logs ----------------------------------------------------

    @property
    def faults(self) -> Faults:
        """Make, list and heal faults (minidcos.faults): kills, pauses, partitions, ..."""
        return self.faults_with(Status.silent())

    def faults_with(self, status: Status) -> Faults:
        """`faults`, showing what is done on `status`."""
        self.nodes  # noqa: B018  (raises ClusterNotFoundError for a cluster that is not there)
        return Faults(self.cluster_id, self.provider, lambda: self.nodes, status)

    def export_logs(self, dest: Path) -> Path:
        """Write every node's logs and state, and a summary naming failed units, to `dest`."""
        faults = self.faults
        return export_logs(self.cluster_id, self.provider, self.nodes, faults.active(), dest)

    def as_dict(self) -> dict[str, Any]:
        """The cluster as `minidcos docker inspect` prints it (schema in the README)."""
        return {
            "cluster_id": self.cluster_id,
            "nodes": {
                role: [node_dict(n) for n in nodes]
                for role, nodes in (
                    ("masters", self.masters),
                    ("agents", self.agents),
                    ("public_agents", self.public_agents),
                )
            },
        }

    # -- using --------------------------------------------------------------

    def wait(
        self,
        timeout_s: float = DEFAULT_WAIT_S,
        status: Status | None = None,
        log_dir: Path | None = None,
    ) -> None:
        """Return once DC/OS is up on every node; raise NotReadyError if not.

        On failure the journal of every node's DC/OS units is written to a
        new folder in `log_dir` (the working directory by default).
        """
        status = status or Status.silent()
        with status.step(
            f"Waiting for DC/OS on {len(self.nodes)} nodes (at most {timeout_s:.0f} s)"
        ):
            try:
                readiness.wait_until(readiness.dcos_checks(self.nodes), timeout_s, status)
            except NotReadyError as exc:
                self._attach_logs(exc, log_dir)
                raise

    def _attach_logs(self, exc: NotReadyError, log_dir: Path | None) -> None:
        """Write a log bundle for a failed wait and name it in the error."""
        bundle = (log_dir or Path.cwd()) / f"minidcos-logs-{self.cluster_id}-{int(time.time())}"
        self.export_logs(bundle)
        exc.args = (f"{exc.args[0]}\n  logs of every node: {bundle} (summary.txt first)",)

    def test_environment(self) -> dict[str, str]:
        """The variables dcos-test-utils and DC/OS's integration suite read."""
        masters = [n.ip_address for n in self.masters]
        agents = [n.ip_address for n in self.agents]
        public = [n.ip_address for n in self.public_agents]
        return {
            "MASTER_HOSTS": ",".join(masters),
            "PUBLIC_MASTER_HOSTS": ",".join(masters),
            "SLAVE_HOSTS": ",".join(agents),
            "PUBLIC_SLAVE_HOSTS": ",".join(public),
            "DCOS_DNS_ADDRESS": f"http://{masters[0]}",
            "DCOS_NUM_MASTERS": str(len(masters)),
            "DCOS_NUM_AGENTS": str(len(agents) + len(public)),
        }

    def run_with_test_environment(
        self,
        args: Sequence[str],
        *,
        node: Node | None = None,
        env: Mapping[str, str] | None = None,
        output: Output = Output.CAPTURE,
        tty: bool = False,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `args` in the integration-test directory with DC/OS's environment sourced."""
        node = node or self.masters[0]
        script = f'. /opt/mesosphere/environment.export && cd {TEST_DIR} && exec "$@"'
        # With auth on, suites need a token (dcos-test-utils reads DCOS_ACS_TOKEN).
        token = iam.test_user_token(self.masters[0])
        auth = {"DCOS_ACS_TOKEN": token} if token else {}
        return node.run(
            ["bash", "-c", script, "minidcos-test-env", *args],
            env={**self.test_environment(), **auth, **(env or {})},
            output=output,
            tty=tty,
            check=check,
        )

    # -- membership ---------------------------------------------------------

    def add_node(
        self,
        role: Role,
        *,
        wait: bool = True,
        wait_timeout_s: float = DEFAULT_WAIT_S,
        status: Status | None = None,
        log_dir: Path | None = None,
    ) -> Node:
        """Add a node of `role`, installed from the cluster's own installer output and config.

        As in DC/OS, a new agent runs the same `dcos_install.sh` from the same
        genconf output: the config (and its node lists) is not regenerated, since
        DC/OS needs `agent_list` only to deploy by SSH, and its diagnostics learn
        agents from Mesos. A master can only take the place of one removed (its
        address is in the fixed `master_list`, as `master_discovery: static`
        wants). Returns once the node is ready (its checks pass), unless not `wait`.
        """
        status = status or Status.silent()
        nodes = self.nodes
        layout = self.provider.layout(self.cluster_id)
        serve = [m for m in layout.mounts if m.target == installing.SERVE_MOUNT]
        if not serve:
            raise UsageError(
                f"cluster {self.cluster_id!r} has no DC/OS installer output mounted "
                "(it was made with `provision`): there is nothing to install a node from"
            )
        plan = _plan_new_node(role, nodes, layout.network.subnet, _master_list(layout.workspace))
        run_token = secrets.token_hex(6)
        cluster_plan = ClusterPlan(
            cluster_id=self.cluster_id,
            run_token=run_token,
            nodes=(plan,),
            network=layout.network.name,
            workspace=layout.workspace,
            image=layout.image,
            mounts=layout.mounts,
        )
        try:
            (record,) = self.provider.provision(cluster_plan, status)
            node = Node.of(record, self.provider)
            installing.install([node], status)
            self._nodes = None
            if wait:
                with status.step(f"Waiting for {node.reference} (at most {wait_timeout_s:.0f} s)"):
                    checks = readiness.node_checks(self.nodes, node)
                    try:
                        readiness.wait_until(checks, wait_timeout_s, status)
                    except NotReadyError as exc:
                        self._attach_logs(exc, log_dir)
                        raise
            return node
        except BaseException:
            with deferred_interrupts(), status.step(f"Removing the new {role.value}"):
                self.provider.delete_cluster(self.cluster_id, run_token=run_token)
            self._nodes = None
            raise

    def remove_node(self, node: Node) -> None:
        """Remove `node` as a machine dies: its container and disk go at once.

        Mesos marks a removed agent unreachable after its ping timeout, and
        Marathon replaces its tasks; a removed master leaves its address vacant
        in `master_list` for `add_node(Role.MASTER)`.
        """
        if node.cluster_id != self.cluster_id:
            raise UsageError(f"{node} is not a node of cluster {self.cluster_id!r}")
        self.provider.delete_node(node)
        self._nodes = None

    # -- upgrading ----------------------------------------------------------

    def upgrade(
        self,
        installer: Path,
        *,
        wait_timeout_s: float = DEFAULT_WAIT_S,
        status: Status | None = None,
        log_dir: Path | None = None,
    ) -> str:
        """Upgrade DC/OS node by node to the version `installer` installs, as DC/OS does.

        The installer's `--generate-node-upgrade-script <version now>` runs on
        the config the cluster was installed with and adds the new build to the
        folder every node reads; then each node runs `dcos_node_upgrade.sh`,
        masters first, then agents, then public agents, and the next node
        starts only once this one is back (its checks pass; after a master,
        Marathon answers again). Returns the version the cluster now runs.
        """
        status = status or Status.silent()
        installer = installing.check_installer(Path(installer))
        workspace = self.provider.layout(self.cluster_id).workspace
        if not (workspace / "genconf" / "config.yaml").is_file():
            raise UsageError(
                f"cluster {self.cluster_id!r} has no genconf/config.yaml in its workspace "
                f"({workspace}): it was not installed by minidcos, so there is no config to "
                "upgrade from"
            )
        before = self.dcos_version()
        with status.step(f"Generating the node upgrade script from DC/OS {before}"):
            script = installing.generate_upgrade(installer, workspace, before)
        for node in self.masters + self.agents + self.public_agents:
            with status.step(f"Upgrading {node.reference} ({node.ip_address})") as step:
                try:
                    node.run(["bash", f"{installing.SERVE_MOUNT}/{script}"])
                except CommandError as exc:
                    raise StepError(
                        "upgrading DC/OS", f"dcos_node_upgrade.sh failed on {node}"
                    ) from exc
                checks = readiness.node_checks(self.nodes, node)
                if node.role is Role.MASTER:
                    checks.append(readiness.marathon_registered(node))
                try:
                    readiness.wait_until(checks, wait_timeout_s, status)
                except NotReadyError as exc:
                    self._attach_logs(exc, log_dir)
                    raise
                step.update(f"{node.reference} runs DC/OS {self.dcos_version(node)}")
        return self.dcos_version()

    def dcos_version(self, node: Node | None = None) -> str:
        """The DC/OS version a node runs (master_0 by default), from dcos-version.json."""
        node = node or self.masters[0]
        proc = node.run(["cat", "/opt/mesosphere/etc/dcos-version.json"], check=False)
        try:
            return str(json.loads(proc.stdout)["version"])
        except (ValueError, KeyError) as exc:
            raise UsageError(f"DC/OS is not installed on {node} (no dcos-version.json)") from exc

    # -- destroying ---------------------------------------------------------

    def destroy(self) -> bool:
        """Remove every container, volume and the network of the cluster; False if none existed.

        Volumes the user made and mounted with --custom-volume are kept.
        """
        self._nodes = None
        with deferred_interrupts():
            return self.provider.delete_cluster(self.cluster_id)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()


def node_dict(node: Node) -> dict[str, Any]:
    return {
        "reference": node.reference,
        "role": node.role.value,
        "index": node.index,
        "container_name": node.container_name,
        "container_id": node.container_id,
        "ip_address": node.ip_address,
    }


def _check_install(spec: ClusterSpec, install: InstallSpec, status: Status) -> _CheckedInstall:
    """Everything about the installer and its config, checked before anything is made:
    the installer is one, the extra config reads, and the installer's own
    `--validate-config` accepts the config (with stand-in node addresses)."""
    extra: dict[str, Any] | ConfigFromAddresses
    if isinstance(install.extra_config, Path):
        extra = load_extra_config(install.extra_config)
        source = f"config.yaml (generated, with {install.extra_config} merged over it)"
    elif callable(install.extra_config):
        extra = install.extra_config
        source = "config.yaml (generated, with the extra config merged over it)"
    else:
        extra = dict(install.extra_config)
        source = "config.yaml (generated, with the extra config merged over it)"
    placeholder = spec.node_plans(PLACEHOLDER_SUBNET)
    probe = _CheckedInstall(Path(), extra, None, source).extra_for(placeholder)
    set_by_us = [key for key in NODE_LIST_KEYS if key in probe]
    if set_by_us:
        raise ConfigError(
            [
                f"{key}: set from the cluster's nodes (--masters, --agents, --public-agents); "
                "remove it from the extra config"
                for key in set_by_us
            ],
            source=source,
        )
    if install.genconf_dir is not None and not install.genconf_dir.is_dir():
        raise UsageError(f"--genconf-dir {install.genconf_dir} is not a folder")
    if install.installer is None:
        with status.step("Building the installer from packages/"):
            installer = installer_build.build()
    else:
        installer = installing.check_installer(Path(install.installer))
    checked = _CheckedInstall(installer, extra, install.genconf_dir, source)
    with (
        status.step(f"Checking the config with {installer.name} --validate-config") as step,
        tempfile.TemporaryDirectory(prefix="minidcos-validate-") as scratch,
    ):
        config = _config(checked, placeholder)
        for warning in installing.validate_config(
            installer, config, install.genconf_dir, Path(scratch), source
        ):
            step.update(f"warning: {warning}")
    return checked


def _config(checked: _CheckedInstall, plans: Sequence[NodePlan]) -> dict[str, Any]:
    masters, agents, public = installing.role_lists([(p.role, p.ip_address) for p in plans])
    return {**installing.base_config(masters, agents, public), **checked.extra_for(plans)}


def _generate_config(
    checked: _CheckedInstall, plans: Sequence[NodePlan], workspace: Path, status: Status
) -> None:
    with status.step(f"Generating the config with {checked.installer.name} --genconf"):
        installing.write_genconf(workspace, _config(checked, plans), checked.genconf_dir)
        # Warnings were shown when the config was checked.
        installing.genconf(checked.installer, workspace, checked.source)


def _master_list(workspace: Path) -> list[str]:
    """The masters' addresses the cluster was installed with (genconf/config.yaml)."""
    try:
        config = yaml.safe_load((workspace / "genconf" / "config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    return [str(ip) for ip in config.get("master_list") or []]


def _plan_new_node(
    role: Role, nodes: Sequence[Node], subnet: ipaddress.IPv4Network, master_list: Sequence[str]
) -> NodePlan:
    """Where a new node goes: a master into a vacant master_list address (its own index),
    an agent at the next index of its role and the lowest address nobody holds."""
    used = {n.ip_address for n in nodes}
    if role is Role.MASTER:
        vacant = [(i, ip) for i, ip in enumerate(master_list) if ip not in used]
        if not vacant:
            raise UsageError(
                "DC/OS's masters are fixed at install (master_discovery: static lists "
                f"{', '.join(master_list) or 'them'}): a master can only take the place of one "
                "removed; remove one first (remove-node master_N), or add an agent"
            )
        index, ip = vacant[0]
        return NodePlan(role, index, ip)
    index = max((n.index for n in nodes if n.role is role), default=-1) + 1
    reserved = used | set(master_list) | {str(subnet.network_address + 1)}  # .1: the gateway
    for address in subnet.hosts():
        if str(address) not in reserved:
            return NodePlan(role, index, str(address))
    raise UsageError(f"the cluster's network {subnet} has no free address left")


def list_clusters(provider: Provider | None = None) -> list[str]:
    return (provider or default_provider()).list_clusters()


def clean(provider: Provider | None = None) -> bool:
    """Remove every container, network and volume miniDC/OS made (images are kept)."""
    with deferred_interrupts():
        return (provider or default_provider()).delete_all()


def resolve_node(nodes: Sequence[Node], reference: str, cluster_id: str) -> Node:
    """A node by IP, container name, container id (or a unique prefix of 4+), or `master_0`."""
    for node in nodes:
        if reference in (node.ip_address, node.container_name, node.container_id, node.reference):
            return node
    if len(reference) >= 4:
        matches = [n for n in nodes if n.container_id.startswith(reference)]
        if len(matches) == 1:
            return matches[0]
    raise NodeNotFoundError(reference, cluster_id, [n.reference for n in nodes])
