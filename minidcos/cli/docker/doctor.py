"""doctor, build-image."""

from __future__ import annotations

import click

from minidcos.backends.docker.doctor import diagnose
from minidcos.backends.docker.provider import DockerProvider
from minidcos.status import Status


@click.command()
def doctor() -> None:
    """Check that this machine can run miniDC/OS clusters; exits 1 on any error."""
    findings = diagnose(DockerProvider())
    for finding in findings:
        line = f"{finding.level:<5} {finding.name}: {finding.detail}"
        click.echo(line + (f"\n      fix: {finding.fix}" if finding.fix else ""))
    if any(f.level == "error" for f in findings):
        click.get_current_context().exit(1)


@click.command(name="build-image")
def build_image() -> None:
    """Build the node image (debootstrap base, then Dockerfile.node) if an input changed.

    Prints the image's tag.
    """
    click.echo(DockerProvider().ensure_image(Status()))


COMMANDS = [doctor, build_image]
