"""The `minidcos` command line, and its one error boundary.

Commands are thin: options from `_options`, one facade call, print the
result. Errors the library raises on purpose are printed here as
`Error: ...` (with the failing command and the end of its output); a
traceback only with --debug. Any other exception is a bug and shows its
traceback.
"""

from __future__ import annotations

import shlex
import signal
import sys
from types import FrameType

import click

from minidcos.cli.docker import docker as docker_group
from minidcos.cli.installer import installer
from minidcos.errors import CommandError, MiniDCOSError

OUTPUT_LINES = 40


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def minidcos(ctx: click.Context, debug: bool) -> None:
    """miniDC/OS: a whole DC/OS cluster on one machine."""
    ctx.obj = {"debug": debug}


minidcos.add_command(docker_group)
minidcos.add_command(installer)


def _first_command_error(exc: BaseException | None) -> CommandError | None:
    while exc is not None:
        if isinstance(exc, CommandError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def format_error(exc: MiniDCOSError) -> str:
    lines = [f"Error: {exc}"]
    failed = _first_command_error(exc)
    if failed is not None:
        if failed is not exc:
            lines.append(f"  {failed}")
        lines.append(
            f"  Command: {shlex.join(failed.argv)} (on {failed.where}, exit {failed.returncode})"
        )
        output = failed.output.rstrip().splitlines()[-OUTPUT_LINES:]
        lines += ["  | " + line for line in output]
    return "\n".join(lines)


def _sigterm(signum: int, frame: FrameType | None) -> None:
    # Treat `kill` like Ctrl-C so that an interrupted create cleans up too.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _sigterm)
    debug = "--debug" in sys.argv[1:]
    try:
        # Without standalone mode click returns (rather than exits with) the
        # status a command asked for, as `run` does to pass on the node's.
        returncode = minidcos.main(standalone_mode=False)
    except MiniDCOSError as exc:
        if debug:
            raise
        click.echo(format_error(exc), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    sys.exit(returncode if isinstance(returncode, int) else 0)
