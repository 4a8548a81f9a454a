"""create, provision, wait, destroy, destroy-list, clean."""

from __future__ import annotations

import json
from pathlib import Path

import click

from minidcos import cluster as cluster_module
from minidcos import iam
from minidcos import registry as image_registry
from minidcos.cli import _options as opt
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec, validate_cluster_id
from minidcos.cluster import clean as clean_all
from minidcos.errors import MiniDCOSError
from minidcos.status import Status


def _spec(
    cluster_id: str, masters: int, agents: int, public_agents: int, custom_volumes: tuple[str, ...]
) -> ClusterSpec:
    return ClusterSpec(
        masters=masters,
        agents=agents,
        public_agents=public_agents,
        cluster_id=cluster_id,
        custom_volumes=tuple(opt.parse_volume(v) for v in custom_volumes),
    )


def _print_result(cluster: Cluster, as_json: bool) -> None:
    click.echo(json.dumps(cluster.as_dict(), indent=2) if as_json else cluster.cluster_id)


@click.command()
@click.argument("installer", required=False, type=opt.local_path)
@opt.node_counts(dcos=True)
@opt.cluster_id()
@click.option(
    "--extra-config",
    type=opt.local_path,
    help="YAML merged over the generated config.yaml (resolvers, dns_search, ...; at most 1 MiB).",
)
@click.option(
    "--genconf-dir",
    type=opt.local_path,
    help="Files copied into genconf/ before --genconf (e.g. your own ip-detect).",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait until DC/OS is ready on every node.",
)
@opt.wait_timeout
@opt.log_dir
@opt.custom_volume
@opt.retain
@opt.json_output
def create(
    installer: Path | None,
    masters: int,
    agents: int,
    public_agents: int,
    cluster_id: str,
    extra_config: Path | None,
    genconf_dir: Path | None,
    wait: bool,
    wait_timeout: int,
    log_dir: Path | None,
    custom_volumes: tuple[str, ...],
    retain: bool,
    as_json: bool,
) -> None:
    """Create a cluster and install DC/OS on it from INSTALLER.

    INSTALLER is a dcos_generate_config.sh; without it, the installer this
    project builds from packages/ (built on demand). Prints the cluster id,
    or the cluster as JSON with --json.
    """
    status = Status()
    cluster = Cluster.create(
        _spec(cluster_id, masters, agents, public_agents, custom_volumes),
        install=InstallSpec(installer, extra_config or {}, genconf_dir),
        wait=wait,
        wait_timeout_s=wait_timeout,
        retain=retain,
        status=status,
        log_dir=log_dir,
    )
    _print_result(cluster, as_json)
    hint = iam.login_hint(cluster.cluster_id, cluster.masters[0])
    if hint is not None:
        status.line(hint)


@click.command()
@opt.node_counts(dcos=False)
@opt.cluster_id()
@opt.custom_volume
@opt.retain
@opt.json_output
def provision(
    masters: int,
    agents: int,
    public_agents: int,
    cluster_id: str,
    custom_volumes: tuple[str, ...],
    retain: bool,
    as_json: bool,
) -> None:
    """Create a cluster of bare nodes (systemd up, DC/OS not installed)."""
    spec = _spec(cluster_id, masters, agents, public_agents, custom_volumes)
    cluster = Cluster.create(spec, retain=retain, status=Status())
    _print_result(cluster, as_json)


@click.command()
@opt.cluster_id()
@opt.wait_timeout
@opt.log_dir
def wait(cluster_id: str, wait_timeout: int, log_dir: Path | None) -> None:
    """Wait until DC/OS is ready on every node of the cluster (see the README's "wait").

    On a timeout, writes a log bundle (`export-logs`) in --log-dir and exits 1.
    """
    Cluster(cluster_id).wait(timeout_s=wait_timeout, status=Status(), log_dir=log_dir)
    click.echo(f"cluster {cluster_id!r} is ready", err=True)


def _destroy_each(cluster_ids: tuple[str, ...]) -> None:
    """Destroy each cluster, whatever happens to the others; exit 1 if any failed."""
    failed = 0
    for cluster_id in cluster_ids:
        try:
            destroyed = Cluster(validate_cluster_id(cluster_id)).destroy()
        except MiniDCOSError as exc:
            failed += 1
            click.echo(f"Error: {exc}", err=True)
            continue
        if destroyed:
            click.echo(cluster_id)
        else:
            click.echo(f"cluster {cluster_id!r} does not exist; nothing to destroy", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("cluster_ids", nargs=-1)
@opt.cluster_id()
def destroy(cluster_ids: tuple[str, ...], cluster_id: str) -> None:
    """Destroy clusters: each CLUSTER_ID given, or the --cluster-id one.

    Removes their containers, volumes, network and workspace. Destroying a
    cluster that does not exist says so and exits 0: destroy is idempotent,
    so scripts can call it unconditionally. Each id is destroyed whatever
    happens to the others; the exit status is 1 if any of them failed.
    """
    _destroy_each(cluster_ids or (cluster_id,))


@click.command(name="destroy-list")
@click.argument("cluster_ids", nargs=-1)
def destroy_list(cluster_ids: tuple[str, ...]) -> None:
    """Destroy each cluster named (e.g. `minidcos docker destroy-list $(minidcos docker list)`)."""
    _destroy_each(cluster_ids)


@click.command()
@click.option(
    "--registry",
    "with_registry",
    is_flag=True,
    help="Also remove the image registry and every image loaded into it.",
)
def clean(with_registry: bool) -> None:
    """Remove every container, network and volume miniDC/OS made, and nothing else.

    Every cluster on this engine goes, whoever made it. Images are kept: they
    are the build cache. The image registry (shared by all clusters) is kept
    too, with what was loaded into it, unless --registry.
    """
    removed = clean_all()
    click.echo(
        "removed miniDC/OS's containers, networks and volumes" if removed else "nothing to clean",
        err=True,
    )
    if with_registry:
        gone = image_registry.remove(cluster_module.default_provider())
        click.echo("removed the image registry" if gone else "no image registry", err=True)


COMMANDS = [create, provision, wait, destroy, destroy_list, clean]
