"""`minidcos installer build`: the harness command that builds the installer artifact."""

from __future__ import annotations

from pathlib import Path

import click

from minidcos.installer import build as installer_build


@click.group()
def installer() -> None:
    """The DC/OS installer this project builds from packages/."""


@click.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Also copy the installer to this file (its folder must exist).",
)
@click.option(
    "--dcos-version",
    help="The DC/OS version the installer installs (default: this project's). Two builds "
    "with different versions upgrade one to the other (`minidcos docker upgrade`).",
)
def build(output: Path | None, dcos_version: str | None) -> None:
    """Build dcos_generate_config.sh from packages/ and integration_tests/.

    Cached by a hash of its inputs; prints its path.
    """
    click.echo(installer_build.build(output, dcos_version))


installer.add_command(build)
