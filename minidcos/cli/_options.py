"""Options shared by several commands, each defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from minidcos.backends.base import Mount
from minidcos.cluster import validate_cluster_id
from minidcos.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
CLUSTER_ID_VARIABLE = "MINIDCOS_CLUSTER_ID"


def _checked_cluster_id(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Validate the id up front, naming where it came from (the flag or the variable)."""
    if value is None:
        return value
    from_env = ctx.get_parameter_source(param.name or "") is ParameterSource.ENVIRONMENT
    return validate_cluster_id(value, CLUSTER_ID_VARIABLE if from_env else "--cluster-id")


def cluster_id(default: str | None = "default") -> Callable[[F], F]:
    return click.option(
        "-c",
        "--cluster-id",
        default=default,
        show_default=True,
        envvar=CLUSTER_ID_VARIABLE,
        callback=_checked_cluster_id,
        help="The cluster's id: 1 to 40 letters, digits, '_', '.', '-'.",
    )


json_output = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for machines (schema in the README)."
)

retain = click.option(
    "--retain",
    is_flag=True,
    help="Keep what was made when create fails or is interrupted (to debug it).",
)

wait_timeout = click.option(
    "--wait-timeout",
    default=600,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds to wait for DC/OS to be ready before failing.",
)


log_dir = click.option(
    "--log-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where a failed wait writes its log bundle (default: the working directory).",
)


def node_counts(dcos: bool) -> Callable[[F], F]:
    """--masters, --agents, --public-agents; the library checks them, naming the flag."""
    masters = "1, 3, 5, 7 or 9 (a ZooKeeper quorum)" if dcos else "at least 1"

    def decorate(f: F) -> F:
        for name, default, text in (
            ("public-agents", 1, "Public agent nodes: 0 or more"),
            ("agents", 1, "Private agent nodes: 0 or more"),
            ("masters", 1, f"Master nodes: {masters}"),
        ):
            f = click.option(
                f"--{name}",
                default=default,
                show_default=True,
                type=int,
                help=f"{text}; at most 250 nodes in all.",
            )(f)
        return f

    return decorate


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


custom_volume = click.option(
    "--custom-volume",
    "custom_volumes",
    multiple=True,
    metavar="SRC:DST[:ro|rw]",
    help="Mount an existing host path, or a named volume, into every node (repeatable). "
    "A named volume that does not exist is made, and removed by destroy.",
)

nodes = click.option(
    "--node",
    "node_refs",
    multiple=True,
    default=("master_0",),
    show_default=True,
    help="IP, container name or id, or master_0 / agent_1 / public_agent_0 (repeatable).",
)

one_node = click.option(
    "--node",
    "node_ref",
    default="master_0",
    show_default=True,
    help="IP, container name or id, or master_0 / agent_1 / public_agent_0.",
)

one_node_required = click.option(
    "--node",
    "node_ref",
    required=True,
    help="IP, container name or id, or master_0 / agent_1 / public_agent_0.",
)

local_path = click.Path(path_type=Path)

fault_nodes = click.option(
    "--node",
    "node_refs",
    multiple=True,
    required=True,
    help="IP, container name or id, master_0 / agent_1, or mesos-leader / marathon-leader / "
    "zookeeper-leader (repeatable).",
)

unit = click.option(
    "--unit", required=True, help="A systemd unit of the node, e.g. dcos-mesos-master."
)

role = click.option(
    "--role",
    type=click.Choice(["master", "agent", "public_agent"]),
    default="agent",
    show_default=True,
    help="The new node's role; a master only takes the place of one removed.",
)
