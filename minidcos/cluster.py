"""Cluster: the library's facade, and `create`, the one orchestrator.

    from minidcos import Cluster, ClusterSpec

    with Cluster.create(ClusterSpec(masters=1, agents=1, public_agents=0)) as cluster:
        cluster.masters[0].run(["echo", "hi"])

`create` reads top to bottom: validate, image, workspace, network, config,
nodes, install, wait. Anything that fails (or Ctrl-C) removes what it made,
unless `retain`.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from minidcos import iam
from minidcos import wait as readiness
from minidcos._util import paths
from minidcos.backends.base import ClusterPlan, Mount, NodePlan, Provider
from minidcos.errors import (
    ClusterExistsError,
    ClusterNotFoundError,
    NodeNotFoundError,
    NotReadyError,
    UsageError,
)
from minidcos.installer import run as installing
from minidcos.node import Node, Output, Role
from minidcos.status import Status

CLUSTER_ID_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,39}$")
TEST_DIR = "/opt/mesosphere/active/dcos-integration-test"
DEFAULT_WAIT_S = 600.0


def validate_cluster_id(cluster_id: str) -> str:
    if not CLUSTER_ID_PATTERN.match(cluster_id):
        raise UsageError(
            f"invalid cluster id {cluster_id!r}: use 1 to 40 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit (for example --cluster-id ci-1)"
        )
    return cluster_id


def default_provider() -> Provider:
    from minidcos.backends.docker.provider import DockerProvider

    return DockerProvider()


@dataclass(frozen=True)
class ClusterSpec:
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

    def validate(self) -> None:
        validate_cluster_id(self.cluster_id)
        if self.masters < 1:
            raise UsageError("a cluster needs at least one master: pass --masters 1 or more")
        if self.agents < 0 or self.public_agents < 0:
            raise UsageError("--agents and --public-agents must be 0 or more")
        if self.masters + self.agents + self.public_agents > 250:
            raise UsageError("at most 250 nodes fit the cluster's /24 network")


@dataclass(frozen=True)
class InstallSpec:
    """How to install DC/OS: an installer honouring the contract, and config over the base."""

    installer: Path
    extra_config: Mapping[str, Any] = field(default_factory=dict)
    genconf_dir: Path | None = None


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
    ) -> Cluster:
        """Create the cluster; with `install`, install DC/OS on it (and wait, unless not `wait`)."""
        spec.validate()
        provider = provider or default_provider()
        status = status or Status.silent()
        if spec.cluster_id in provider.list_clusters():
            raise ClusterExistsError(spec.cluster_id)
        workspace = paths.workspaces_dir() / f"{spec.cluster_id}-{secrets.token_hex(4)}"
        try:
            with status.step("Ensuring the node image"):
                image = provider.ensure_image(status)
            workspace.mkdir(parents=True)
            network = provider.create_network(spec.cluster_id)
            plans = spec.node_plans(network.subnet)
            mounts = list(spec.custom_volumes)
            if install is not None:
                _generate_config(spec, install, plans, workspace, status)
                mounts.append(
                    Mount(
                        str(workspace / "genconf" / "serve"), installing.SERVE_MOUNT, read_only=True
                    )
                )
            plan = ClusterPlan(
                cluster_id=spec.cluster_id,
                nodes=plans,
                network=network.name,
                workspace=workspace,
                image=image,
                mounts=tuple(mounts),
            )
            nodes = provider.provision(plan, status)
            cluster = cls(spec.cluster_id, provider)
            if install is not None:
                installing.install(nodes, status)
                if wait:
                    cluster.wait(timeout_s=wait_timeout_s, status=status)
            return cluster
        except BaseException:  # Ctrl-C included: nothing is left behind unless asked
            if not retain:
                with status.step(f"Removing what was made for cluster {spec.cluster_id!r}"):
                    provider.delete_cluster(spec.cluster_id)
                    shutil.rmtree(workspace, ignore_errors=True)
            raise

    # -- inspecting ---------------------------------------------------------

    @property
    def nodes(self) -> list[Node]:
        if self._nodes is None:
            nodes = self.provider.list_nodes(self.cluster_id)
            if not nodes:
                raise ClusterNotFoundError(self.cluster_id, self.provider.list_clusters())
            self._nodes = nodes
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
        return resolve_node(self.nodes, reference, self.cluster_id)

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
                bundle = (
                    log_dir or Path.cwd()
                ) / f"minidcos-logs-{self.cluster_id}-{int(time.time())}"
                readiness.write_log_bundle(self.nodes, bundle)
                exc.args = (f"{exc.args[0]}\n  logs of every node: {bundle}",)
                raise

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

    # -- destroying ---------------------------------------------------------

    def destroy(self) -> bool:
        """Remove every container, volume and the network of the cluster; False if none existed."""
        self._nodes = None
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


def _generate_config(
    spec: ClusterSpec,
    install: InstallSpec,
    plans: Sequence[NodePlan],
    workspace: Path,
    status: Status,
) -> None:
    with status.step(f"Generating the config with {install.installer.name} --genconf") as step:
        masters, agents, public = installing.role_lists([(p.role, p.ip_address) for p in plans])
        config = {**installing.base_config(masters, agents, public), **install.extra_config}
        installing.write_genconf(workspace, config, install.genconf_dir)
        for warning in installing.genconf(install.installer, workspace):
            step.update(f"warning: {warning}")


def list_clusters(provider: Provider | None = None) -> list[str]:
    return (provider or default_provider()).list_clusters()


def clean(provider: Provider | None = None) -> bool:
    """Remove every container, network and volume miniDC/OS made (images are kept)."""
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
