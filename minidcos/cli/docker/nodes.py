"""add-node, remove-node, upgrade, export-logs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from minidcos.cli import _options as opt
from minidcos.cluster import Cluster, node_dict
from minidcos.node import Role
from minidcos.status import Status


@click.command(name="add-node")
@opt.cluster_id()
@opt.role
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait until the new node has joined (its checks pass).",
)
@opt.wait_timeout
@opt.json_output
def add_node(cluster_id: str, role: str, wait: bool, wait_timeout: int, as_json: bool) -> None:
    """Add a node to a running cluster, installed from the cluster's own installer
    output and config (as DC/OS adds an agent). Prints its reference (agent_2).

    A master can only take the place of one removed: DC/OS's master list is
    fixed at install.
    """
    node = Cluster(cluster_id).add_node(
        Role(role), wait=wait, wait_timeout_s=wait_timeout, status=Status()
    )
    click.echo(json.dumps(node_dict(node), indent=2) if as_json else node.reference)


@click.command(name="remove-node")
@opt.cluster_id()
@opt.one_node_required
@opt.json_output
def remove_node(cluster_id: str, node_ref: str, as_json: bool) -> None:
    """Remove a node as a machine dies: its container and its disk go at once.

    Mesos marks a removed agent unreachable after its ping timeout; a removed
    master's address is left for `add-node --role master`.
    """
    cluster = Cluster(cluster_id)
    node = cluster.node(node_ref)
    cluster.remove_node(node)
    click.echo(f"removed {node}", err=True)
    click.echo(json.dumps(node_dict(node), indent=2) if as_json else node.reference)


@click.command()
@click.argument("installer", type=opt.local_path)
@opt.cluster_id()
@opt.wait_timeout
@opt.log_dir
def upgrade(installer: Path, cluster_id: str, wait_timeout: int, log_dir: Path | None) -> None:
    """Upgrade the cluster to the DC/OS that INSTALLER installs, node by node.

    Runs INSTALLER --generate-node-upgrade-script on the config the cluster
    was installed with, then dcos_node_upgrade.sh on each node: masters first,
    then agents, then public agents, each once the one before is healthy again.
    Tasks keep running throughout. Prints the version the cluster then runs.
    """
    click.echo(
        Cluster(cluster_id).upgrade(
            installer, wait_timeout_s=wait_timeout, status=Status(), log_dir=log_dir
        )
    )


@click.command(name="export-logs")
@click.argument("destination", type=opt.local_path)
@opt.cluster_id()
@opt.json_output
def export_logs(destination: Path, cluster_id: str, as_json: bool) -> None:
    """Write every node's logs and state to DESTINATION (made if missing).

    Per node: the journal of every dcos-* unit and of systemd, the expanded
    config, Mesos, Exhibitor, diagnostics and Navstar state; summary.txt names
    failed and unhealthy units and the active faults. A frozen node or a dead
    unit is written down, not fatal.
    """
    cluster = Cluster(cluster_id)
    with Status().step(f"Exporting the logs of {len(cluster.nodes)} nodes to {destination}"):
        path = cluster.export_logs(destination)
    summary = (path / "summary.txt").read_text()
    if as_json:
        click.echo(json.dumps({"cluster_id": cluster_id, "path": str(path.resolve())}, indent=2))
    else:
        click.echo(summary, err=True, nl=False)
        click.echo(path)


COMMANDS = [add_node, remove_node, upgrade, export_logs]
