"""create, provision, wait, destroy, destroy-list, clean."""

from __future__ import annotations

import json
from pathlib import Path

import click

from minidcos import iam
from minidcos.backends.base import Mount
from minidcos.cli import _options as opt
from minidcos.cli.docker.inspect import cluster_json
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.cluster import clean as clean_all
from minidcos.errors import UsageError
from minidcos.installer import build as installer_build
from minidcos.installer.run import load_extra_config
from minidcos.status import Status


def parse_volume(text: str) -> Mount:
    """`SRC:DST[:ro|rw]`, as `docker run -v` takes it."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise UsageError(
            f"--custom-volume {text!r}: use SRC:DST[:ro|rw] with an absolute DST, "
            "e.g. --custom-volume /srv/data:/data:ro"
        )
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise UsageError(f"--custom-volume {text!r}: the mode must be ro or rw, not {mode!r}")
    return Mount(parts[0], parts[1], read_only=mode == "ro")


def _spec(
    cluster_id: str, masters: int, agents: int, public_agents: int, custom_volumes: tuple[str, ...]
) -> ClusterSpec:
    return ClusterSpec(
        masters=masters,
        agents=agents,
        public_agents=public_agents,
        cluster_id=cluster_id,
        custom_volumes=tuple(parse_volume(v) for v in custom_volumes),
    )


def _print_result(cluster: Cluster, as_json: bool) -> None:
    click.echo(json.dumps(cluster_json(cluster), indent=2) if as_json else cluster.cluster_id)


@click.command()
@click.argument(
    "installer", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@opt.node_counts
@opt.cluster_id()
@click.option(
    "--extra-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML merged over the generated config.yaml (master_list, resolvers, ...).",
)
@click.option(
    "--genconf-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Files copied into genconf/ before --genconf (e.g. your own ip-detect).",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait until DC/OS is ready on every node.",
)
@opt.wait_timeout
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
    spec = _spec(cluster_id, masters, agents, public_agents, custom_volumes)
    spec.validate()
    extra = load_extra_config(extra_config) if extra_config else {}
    if installer is None:
        with status.step("Building the installer from packages/"):
            installer = installer_build.build()
    cluster = Cluster.create(
        spec,
        install=InstallSpec(installer.resolve(), extra, genconf_dir),
        wait=wait,
        wait_timeout_s=wait_timeout,
        retain=retain,
        status=status,
    )
    _print_result(cluster, as_json)
    if str(extra.get("oauth_enabled", True)).lower() != "false":
        status.line(iam.login_hint(cluster.cluster_id, cluster.masters[0].ip_address))


@click.command()
@opt.node_counts
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
def wait(cluster_id: str, wait_timeout: int) -> None:
    """Wait until DC/OS is ready on every node of the cluster (DESIGN.md section 7)."""
    Cluster(cluster_id).wait(timeout_s=wait_timeout, status=Status())
    click.echo(f"cluster {cluster_id!r} is ready", err=True)


@click.command()
@opt.cluster_id()
def destroy(cluster_id: str) -> None:
    """Destroy the cluster: its containers, volumes, network and workspace.

    Destroying a cluster that does not exist says so and exits 0: destroy is
    idempotent, so scripts can call it unconditionally.
    """
    if Cluster(cluster_id).destroy():
        click.echo(cluster_id)
    else:
        click.echo(f"cluster {cluster_id!r} does not exist; nothing to destroy", err=True)


@click.command(name="destroy-list")
@click.argument("cluster_ids", nargs=-1)
def destroy_list(cluster_ids: tuple[str, ...]) -> None:
    """Destroy each cluster named (e.g. `minidcos docker destroy-list $(minidcos docker list)`)."""
    for cluster_id in cluster_ids:
        if Cluster(cluster_id).destroy():
            click.echo(cluster_id)
        else:
            click.echo(f"cluster {cluster_id!r} does not exist; nothing to destroy", err=True)


@click.command()
def clean() -> None:
    """Remove every container, network and volume miniDC/OS made, and nothing else.

    Images are kept: they are the build cache.
    """
    removed = clean_all()
    click.echo(
        "removed miniDC/OS's containers, networks and volumes" if removed else "nothing to clean",
        err=True,
    )


COMMANDS = [create, provision, wait, destroy, destroy_list, clean]
