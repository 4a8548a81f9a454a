"""list, inspect, status."""

from __future__ import annotations

import json
from typing import Any

import click

from minidcos.cli import _options as opt
from minidcos.cluster import Cluster
from minidcos.cluster import list_clusters as cluster_ids
from minidcos.wait import TRANSIENT, http_json


def cluster_json(cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster_id": cluster.cluster_id,
        "nodes": {
            role: [
                {
                    "reference": n.reference,
                    "role": n.role.value,
                    "index": n.index,
                    "container_name": n.container_name,
                    "container_id": n.container_id,
                    "ip_address": n.ip_address,
                }
                for n in nodes
            ]
            for role, nodes in (
                ("masters", cluster.masters),
                ("agents", cluster.agents),
                ("public_agents", cluster.public_agents),
            )
        },
    }


@click.command(name="list")
@opt.json_output
def list_clusters(as_json: bool) -> None:
    """List the ids of every cluster, one per line (a JSON list with --json)."""
    ids = cluster_ids()
    click.echo(json.dumps(ids) if as_json else "\n".join(ids), nl=bool(ids) or as_json)


@click.command()
@opt.cluster_id()
def inspect(cluster_id: str) -> None:
    """Print the cluster as JSON: its id, and each node's role, index, container and IP."""
    click.echo(json.dumps(cluster_json(Cluster(cluster_id)), indent=2))


def _health(ip: str) -> str:
    try:
        units = http_json(f"http://{ip}:1050/system/health/v1", timeout=2)["units"]
    except TRANSIENT as exc:
        return f"diagnostics not answering ({type(exc).__name__})"
    bad = [u["id"] for u in units if u["health"] != 0]
    return f"{len(units)} units, all healthy" if not bad else f"unhealthy: {', '.join(bad)}"


@click.command()
@opt.cluster_id()
def status(cluster_id: str) -> None:
    """Show the cluster's nodes and the health of their DC/OS units, for people."""
    cluster = Cluster(cluster_id)
    click.echo(
        f"cluster {cluster_id}: {len(cluster.masters)} master(s), "
        f"{len(cluster.agents)} agent(s), {len(cluster.public_agents)} public agent(s)"
    )
    for node in cluster.nodes:
        click.echo(
            f"  {node.reference:<16} {node.ip_address:<15} {node.container_name:<40} "
            f"{_health(node.ip_address)}"
        )


COMMANDS = [list_clusters, inspect, status]
