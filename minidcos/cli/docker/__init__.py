"""`minidcos docker ...`: clusters of systemd node containers on the local Docker engine."""

from __future__ import annotations

import click

from minidcos.cli.docker import doctor, faults, image, inspect, lifecycle, nodes, run, web


@click.group()
def docker() -> None:
    """Create, use and destroy DC/OS clusters whose nodes are Docker containers."""


for module in (lifecycle, inspect, run, faults, nodes, doctor, image, web):
    for command in module.COMMANDS:
        docker.add_command(command)
