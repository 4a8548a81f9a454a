"""Options shared by several commands, each defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def cluster_id(default: str | None = "default") -> Callable[[F], F]:
    return click.option(
        "-c",
        "--cluster-id",
        default=default,
        show_default=True,
        envvar="MINIDCOS_CLUSTER_ID",
        help="The cluster's id: letters, digits, '_', '.', '-'.",
    )


json_output = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")

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


def node_counts(f: F) -> F:
    for name, default, text in (
        ("public-agents", 1, "public agent"),
        ("agents", 1, "private agent"),
        ("masters", 1, "master"),
    ):
        f = click.option(
            f"--{name}",
            default=default,
            show_default=True,
            type=click.IntRange(0),
            help=f"Number of {text} nodes.",
        )(f)
    return f


custom_volume = click.option(
    "--custom-volume",
    "custom_volumes",
    multiple=True,
    metavar="SRC:DST[:ro|rw]",
    help="Mount a host path or named volume into every node (repeatable).",
)

nodes = click.option(
    "--node",
    "node_refs",
    multiple=True,
    default=("master_0",),
    show_default=True,
    help="IP, container name or id, or master_0 / agent_1 / public_agent_0 (repeatable).",
)
