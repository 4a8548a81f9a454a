"""run, send-file, get-file."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import click

from minidcos.cli import _options as opt
from minidcos.cluster import TEST_DIR, Cluster
from minidcos.errors import MiniDCOSError, UsageError
from minidcos.node import Node, Output


def _env(pairs: tuple[str, ...]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {pair!r}: use KEY=VALUE, e.g. --env LOG_LEVEL=debug")
        env[key] = value
    return env


def _copy_backs(pairs: tuple[str, ...], test_env: bool) -> list[tuple[PurePosixPath, Path]]:
    """`REMOTE:LOCAL` pairs; a relative REMOTE is in the command's working directory."""
    copies = []
    for pair in pairs:
        remote, sep, local = pair.partition(":")
        if not sep or not remote or not local:
            raise UsageError(
                f"--copy-back {pair!r}: use REMOTE:LOCAL, e.g. --copy-back junit.xml:./junit.xml"
            )
        path = PurePosixPath(remote)
        if not path.is_absolute():
            if not test_env:
                raise UsageError(
                    f"--copy-back {pair!r}: without --test-env the path on the node must be "
                    f"absolute (for example /tmp/{path})"
                )
            path = PurePosixPath(TEST_DIR) / path
        copies.append((path, Path(local)))
    return copies


def _copy_back(node: Node, copies: list[tuple[PurePosixPath, Path]], returncode: int) -> int:
    """Copy each file back, whatever the command's exit status; a missing one is an error
    only when the command succeeded (a failed command may not have written it)."""
    for remote, local in copies:
        try:
            transfer = node.download_file(Path(remote), local)
        except MiniDCOSError as exc:
            click.echo(f"Error: --copy-back {remote}: {exc}", err=True)
            returncode = returncode or 1
            continue
        click.echo(f"copied back {node.reference}:{remote} -> {local}: {transfer}", err=True)
    return returncode


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("node_args", nargs=-1, required=True, type=click.UNPROCESSED)
@opt.cluster_id()
@opt.nodes
@click.option(
    "--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="Set a variable (repeatable)."
)
@click.option(
    "-te",
    "--test-env",
    is_flag=True,
    help="Run in the integration-test environment: DC/OS's environment sourced, in the "
    "dcos-integration-test directory, with MASTER_HOSTS, SLAVE_HOSTS, PUBLIC_SLAVE_HOSTS, "
    "DCOS_DNS_ADDRESS, DCOS_NUM_MASTERS and DCOS_NUM_AGENTS set.",
)
@click.option(
    "--copy-back",
    "copy_back",
    multiple=True,
    metavar="REMOTE:LOCAL",
    help="After the command (whatever its exit status), copy REMOTE on the node to LOCAL "
    "here (repeatable): a JUnit file for CI. A relative REMOTE is in the test directory "
    "with --test-env.",
)
def run(
    node_args: tuple[str, ...],
    cluster_id: str,
    node_refs: tuple[str, ...],
    env_pairs: tuple[str, ...],
    test_env: bool,
    copy_back: tuple[str, ...],
) -> None:
    """Run a command on nodes; exits with the command's exit status.

    Put `--` before a command that has options of its own:
    `minidcos docker run -- ls -l /`. For CI, the JUnit file of a suite comes
    back with it: `minidcos docker run --test-env --copy-back junit.xml:junit.xml
    -- python3 -m pytest --junitxml=junit.xml`.
    """
    copies = _copy_backs(copy_back, test_env)
    if copies and len(node_refs) > 1:
        raise UsageError("--copy-back works with one --node (each node would write LOCAL)")
    cluster = Cluster(cluster_id)
    env = _env(env_pairs)
    tty = sys.stdout.isatty() and sys.stdin.isatty()
    returncode = 0
    for node in [cluster.node(ref) for ref in node_refs]:
        if test_env:
            proc = cluster.run_with_test_environment(
                list(node_args), node=node, env=env, output=Output.NO_CAPTURE, tty=tty, check=False
            )
        else:
            proc = node.run(
                list(node_args), env=env, output=Output.NO_CAPTURE, tty=tty, check=False
            )
        returncode = returncode or proc.returncode
        if copies:
            returncode = _copy_back(node, copies, returncode)
    raise click.exceptions.Exit(returncode)


@click.command(name="send-file")
@click.argument("source", type=opt.local_path)
@click.argument("destination", type=opt.local_path)
@opt.cluster_id()
@opt.nodes
def send_file(source: Path, destination: Path, cluster_id: str, node_refs: tuple[str, ...]) -> None:
    """Copy a file or folder from this machine to DESTINATION on nodes.

    DESTINATION is the absolute path the copy gets on the node (missing
    folders are made; modes are kept). Every file is checked by sha256 on
    both ends; a copy that cannot be made is an error.
    """
    cluster = Cluster(cluster_id)
    for node in [cluster.node(ref) for ref in node_refs]:
        transfer = node.send_file(source, destination)
        click.echo(f"{node.reference}:{destination}: {transfer}", err=True)


@click.command(name="get-file")
@click.argument("source", type=opt.local_path)
@click.argument("destination", type=opt.local_path)
@opt.cluster_id()
@opt.one_node
def get_file(source: Path, destination: Path, cluster_id: str, node_ref: str) -> None:
    """Copy a file or folder at SOURCE (an absolute path) on a node to DESTINATION here.

    DESTINATION is the path the copy gets on this machine (missing folders are
    made; modes are kept). Every file is checked by sha256 on both ends.
    """
    node = Cluster(cluster_id).node(node_ref)
    transfer = node.download_file(source, destination)
    click.echo(f"{destination}: {transfer}", err=True)


COMMANDS = [run, send_file, get_file]
