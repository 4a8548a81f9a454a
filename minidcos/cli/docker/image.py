"""image load, image list: the registry every cluster on this engine pulls through."""

from __future__ import annotations

import json
from pathlib import Path

import click

from minidcos import cluster
from minidcos import registry as image_registry
from minidcos.cli import _options as opt
from minidcos.status import Status


@click.group()
def image() -> None:
    """Images in the registry every cluster pulls through (kept across clusters)."""


@image.command()
@click.argument("images", nargs=-1)
@click.option(
    "--archive",
    type=opt.local_path,
    help="A `docker save` archive or an OCI image layout archive (.tar, .tar.gz) to load.",
)
@opt.json_output
def load(images: tuple[str, ...], archive: Path | None, as_json: bool) -> None:
    """Push IMAGES from this machine's Docker engine (or the images of --archive) into the
    registry, under their names and tags.

    Nodes pull them by the same names: a Docker Hub name (nginx:1.10,
    myorg/app:1.0) through the registry as their mirror, others as
    minidcos-registry:5000/<host>/<path>. Usable at once on every cluster,
    existing or future. Progress per layer goes to stderr; the images loaded
    (with the digest to pin them by) to stdout, or as JSON with --json.
    """
    pushed = image_registry.load_images(
        list(images), archive, provider=cluster.default_provider(), status=Status()
    )
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in pushed], indent=2))
        return
    for p in pushed:
        click.echo(f"{p.name}\t{p.digest}\t{_size(p.size)}\ton nodes: {p.node_reference}")


@image.command(name="list")
@opt.json_output
def list_(as_json: bool) -> None:
    """List the images the registry holds: name, digest, size as stored (what a pull fetches)."""
    listing = image_registry.list_images(cluster.default_provider())
    if as_json:
        click.echo(json.dumps(listing.as_dict(), indent=2))
        return
    if listing.registry is None or not listing.registry.running:
        click.echo("no registry is running: `minidcos docker create` starts it", err=True)
        return
    rows = [("NAME", "DIGEST", "SIZE")]
    rows += [(i.node_reference, i.digest, _size(i.size)) for i in listing.images]
    width = max(len(r[0]) for r in rows)
    for name, digest, size in rows:
        click.echo(f"{name:<{width}}  {digest:<71}  {size:>9}")


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


COMMANDS = [image]
