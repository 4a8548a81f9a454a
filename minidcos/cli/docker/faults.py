"""fault (kill, stop, start, restart, pause, unpause, restart-node, partition, list), heal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, cast

import click

from minidcos.cli import _options as opt
from minidcos.cluster import Cluster
from minidcos.faults import DROPS, Drop, Fault, Faults
from minidcos.status import Status


def _faults(cluster_id: str) -> tuple[Cluster, Faults]:
    cluster = Cluster(cluster_id)
    return cluster, cluster.faults_with(Status())


def _print(faults: Sequence[Fault], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in faults], indent=2))
    else:
        for fault in faults:
            click.echo(fault.id)


def _each_node(
    cluster_id: str, node_refs: tuple[str, ...], make: Callable[[Faults, Any], Fault]
) -> list[Fault]:
    cluster, faults = _faults(cluster_id)
    # Every reference is resolved (and a bad one refused) before any fault is made.
    nodes = [cluster.node(ref) for ref in node_refs]
    return [make(faults, node) for node in nodes]


@click.group()
def fault() -> None:
    """Break a running cluster: kill, stop or restart a unit, pause or restart a node,
    partition nodes. Each fault prints its id; `minidcos docker heal` undoes them.

    --node takes an IP, a container name or id, master_0 / agent_1, or the role a
    master holds when the fault is made: mesos-leader, marathon-leader,
    zookeeper-leader.
    """


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.unit
@click.option(
    "--signal",
    default="SIGKILL",
    show_default=True,
    help="The signal: a name (SIGKILL, SIGTERM, SIGSTOP) or a number.",
)
@opt.json_output
def kill(
    cluster_id: str, node_refs: tuple[str, ...], unit: str, signal: str, as_json: bool
) -> None:
    """Send a signal to a unit's main process (kill -9 by default).

    systemd restarts DC/OS's units; SIGSTOP leaves the process frozen until
    heal sends SIGCONT.
    """
    _print(_each_node(cluster_id, node_refs, lambda f, n: f.kill(n, unit, signal)), as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.unit
@opt.json_output
def stop(cluster_id: str, node_refs: tuple[str, ...], unit: str, as_json: bool) -> None:
    """Stop a unit (`systemctl stop`); it stays stopped until `fault start` or heal."""
    _print(_each_node(cluster_id, node_refs, lambda f, n: f.stop(n, unit)), as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.unit
@opt.json_output
def start(cluster_id: str, node_refs: tuple[str, ...], unit: str, as_json: bool) -> None:
    """Start a unit again, undoing `fault stop` (prints the faults it undid)."""
    cluster, faults = _faults(cluster_id)
    nodes = [cluster.node(ref) for ref in node_refs]
    _print([u for node in nodes for u in faults.start(node, unit)], as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.unit
@opt.json_output
def restart(cluster_id: str, node_refs: tuple[str, ...], unit: str, as_json: bool) -> None:
    """Restart a unit (`systemctl restart`)."""
    _print(_each_node(cluster_id, node_refs, lambda f, n: f.restart(n, unit)), as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.json_output
def pause(cluster_id: str, node_refs: tuple[str, ...], as_json: bool) -> None:
    """Freeze a whole node, systemd included (`docker pause`)."""
    _print(_each_node(cluster_id, node_refs, lambda f, n: f.pause(n)), as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@opt.json_output
def unpause(cluster_id: str, node_refs: tuple[str, ...], as_json: bool) -> None:
    """Thaw a paused node (prints the faults it undid)."""
    cluster, faults = _faults(cluster_id)
    nodes = [cluster.node(ref) for ref in node_refs]
    _print([u for node in nodes for u in faults.unpause(node)], as_json)


@fault.command(name="restart-node")
@opt.cluster_id()
@opt.fault_nodes
@click.option("--hard", is_flag=True, help="Kill the node's container first, as a power cut would.")
@opt.json_output
def restart_node(cluster_id: str, node_refs: tuple[str, ...], hard: bool, as_json: bool) -> None:
    """Restart a node; it keeps its address and its disk, and DC/OS starts on it again.

    Returns once the node's systemd is up; `minidcos docker wait` then waits for DC/OS.
    """
    _print(_each_node(cluster_id, node_refs, lambda f, n: f.restart_node(n, hard=hard)), as_json)


@fault.command()
@opt.cluster_id()
@opt.fault_nodes
@click.option(
    "--from",
    "peer_refs",
    multiple=True,
    help="A node of the other side (repeatable); every other node by default.",
)
@click.option(
    "--drop",
    type=click.Choice(DROPS),
    default="both",
    show_default=True,
    help="Which packets are dropped: both ways, outgoing (from --node to --from) or "
    "incoming (from --from to --node).",
)
@opt.json_output
def partition(
    cluster_id: str,
    node_refs: tuple[str, ...],
    peer_refs: tuple[str, ...],
    drop: str,
    as_json: bool,
) -> None:
    """Cut the --node set off from the --from set, with iptables rules inside the nodes
    (the cluster's bridge and the host are untouched)."""
    cluster, faults = _faults(cluster_id)
    side = [cluster.node(ref) for ref in node_refs]
    peers = [cluster.node(ref) for ref in peer_refs] if peer_refs else None
    _print([faults.partition(side, peers, cast(Drop, drop))], as_json)


@fault.command(name="list")
@opt.cluster_id()
@opt.json_output
def list_faults(cluster_id: str, as_json: bool) -> None:
    """List the cluster's active faults (id, what, for how long)."""
    active = Cluster(cluster_id).faults.active()
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in active], indent=2))
        return
    for f in active:
        click.echo(f"{f.id}  {f.describe()} (for {f.age_s:.0f} s)")


@click.command()
@click.argument("fault_ids", nargs=-1)
@opt.cluster_id()
@opt.json_output
def heal(fault_ids: tuple[str, ...], cluster_id: str, as_json: bool) -> None:
    """Undo faults: each FAULT_ID given, or every active one of the cluster.

    Thaws paused nodes, starts stopped nodes and units, removes partitions,
    and makes sure every killed or restarted unit runs again. Prints the ids
    of the faults it healed.
    """
    _, faults = _faults(cluster_id)
    _print(faults.heal(fault_ids), as_json)


COMMANDS = [fault, heal]
