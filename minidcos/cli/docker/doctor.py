"""doctor, build-image."""

from __future__ import annotations

import json

import click

from minidcos import cluster
from minidcos.cli import _options as opt
from minidcos.doctor import as_json as findings_json
from minidcos.doctor import diagnose
from minidcos.status import Status


@click.command()
@opt.json_output
def doctor(as_json: bool) -> None:
    """Check that this machine can run miniDC/OS clusters; exits 1 on any error.

    Progress (the node image being built the first time) goes to stderr.
    """
    findings = diagnose(cluster.default_provider(), Status())
    if as_json:
        click.echo(json.dumps(findings_json(findings), indent=2))
    else:
        for finding in findings:
            line = f"{finding.level:<5} {finding.name}: {finding.detail}"
            click.echo(line + (f"\n      fix: {finding.fix}" if finding.fix else ""))
    if any(f.level == "error" for f in findings):
        raise click.exceptions.Exit(1)


@click.command(name="build-image")
def build_image() -> None:
    """Build the node image (debootstrap base, then Dockerfile.node) if an input changed.

    Prints the image's tag.
    """
    click.echo(cluster.default_provider().ensure_image(Status()))


COMMANDS = [doctor, build_image]
