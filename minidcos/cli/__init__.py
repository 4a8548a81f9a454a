"""The `minidcos` command line, and its one error boundary.

Commands are thin: options from `_options`, one facade call, print the
result. Errors the library raises on purpose are printed here as
`Error: ...` (with the failing command and the end of its output); a
traceback only with the parsed `--debug` option (never an argument that
merely looks like it, as in `minidcos docker run -- pytest --debug`). Any
other exception is a bug: its traceback, and a line that says so.
"""

from __future__ import annotations

import shlex
import signal
import sys
import traceback
from types import FrameType

import click

from minidcos.cli.docker import docker as docker_group
from minidcos.cli.installer import installer
from minidcos.errors import CommandError, MiniDCOSError

OUTPUT_LINES = 40
BUG = (
    "Error: this is a bug in minidcos, not a problem with what you asked: please report it "
    "with the traceback above."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def minidcos(debug: bool) -> None:
    """miniDC/OS: a whole DC/OS cluster on one machine."""


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


def run(args: list[str]) -> int:
    """Run the command line on `args`; the exit status. Errors are printed, never raised."""
    debug = False
    try:
        with minidcos.make_context("minidcos", list(args)) as ctx:
            debug = bool(ctx.params.get("debug"))
            returncode = minidcos.invoke(ctx)
    except MiniDCOSError as exc:
        if debug:
            traceback.print_exc()
        click.echo(format_error(exc), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except BrokenPipeError:
        return 141  # the reader went away (`minidcos docker list | head`): not an error of ours
    except Exception:
        traceback.print_exc()
        click.echo(BUG, err=True)
        return 1
    return returncode if isinstance(returncode, int) else 0


def main() -> None:
    signal.signal(signal.SIGTERM, _sigterm)
    sys.exit(run(sys.argv[1:]))
