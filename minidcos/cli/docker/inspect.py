"""list, inspect, status."""

from __future__ import annotations

import json

import click

from minidcos.cli import _options as opt
from minidcos.cluster import Cluster
from minidcos.cluster import list_clusters as cluster_ids
from minidcos.health import node_health


@click.command(name="list")
@opt.json_output
def list_clusters(as_json: bool) -> None:
    """List the ids of every cluster, one per line (a JSON list with --json)."""
    ids = cluster_ids()
    click.echo(json.dumps(ids) if as_json else "\n".join(ids), nl=bool(ids) or as_json)


@click.command()
@opt.cluster_id()
@opt.json_output
def inspect(cluster_id: str, as_json: bool) -> None:
    """Print the cluster as JSON: its id, and each node's role, index, container and IP.

    The output is always JSON; --json is accepted so scripts can pass it to
    every command alike.
    """
    click.echo(json.dumps(Cluster(cluster_id).as_dict(), indent=2))


@click.command()
@opt.cluster_id()
@opt.json_output
def status(cluster_id: str, as_json: bool) -> None:
    """Show the cluster's nodes and the health of their DC/OS units."""
    cluster = Cluster(cluster_id)
    health = [node_health(node) for node in cluster.nodes]
    faults = cluster.faults.active()
    if as_json:
        report = {
            "cluster_id": cluster_id,
            "nodes": [h.as_dict() for h in health],
            "faults": [f.as_dict() for f in faults],
        }
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"cluster {cluster_id}: {len(cluster.masters)} master(s), "
        f"{len(cluster.agents)} agent(s), {len(cluster.public_agents)} public agent(s)"
    )
    for h in health:
        node = h.node
        click.echo(
            f"  {node.reference:<16} {node.ip_address:<15} {node.container_name:<40} {h.summary()}"
        )
    click.echo(
        f"active faults: {len(faults)}"
        + (" (`minidcos docker heal` undoes them)" if faults else "")
    )
    for f in faults:
        click.echo(f"  {f.id}  {f.describe()} (for {f.age_s:.0f} s)")


COMMANDS = [list_clusters, inspect, status]
