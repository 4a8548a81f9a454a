"""A task's stdout and stderr, to its sandbox files and to the journal (DC/OS's journald sink).

DC/OS's Mesos agents run each container's output through a logger that
writes it to the sandbox (`stdout`, `stderr`) and to journald, every line an
entry with the container's labels: FRAMEWORK_ID, EXECUTOR_ID, CONTAINER_ID,
AGENT_ID and STREAM (STDOUT or STDERR). dcos-log finds a task's entries by
those fields (/system/v1/logs/v1/range/framework/<f>/executor/<e>/container/<c>).

`mesos-journald-logger` (in dcos-log's bin/) wraps the task's command line:

    mesos-journald-logger --sandbox DIR --label FRAMEWORK_ID=<id> --label EXECUTOR_ID=<id> \
        --label CONTAINER_ID=<id> --label AGENT_ID=<id> -- /bin/sh -c 'the task'

It runs the command with the same environment, passes signals on, copies
the bytes to the files unchanged, and exits as the command did.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Send = Callable[..., None]

FORWARDED_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
MAX_LINE = 64 * 1024  # a longer line becomes several entries, as journald itself splits


def journal_send() -> Send:
    from systemd import journal  # Debian's python3-systemd, on nodes

    return journal.send  # type: ignore[no-any-return]


class StreamSink:
    """One stream: bytes to its file as they come, whole lines to the journal."""

    def __init__(self, stream: str, path: Path, labels: dict[str, str], send: Send) -> None:
        self.stream = stream
        self.file = open(path, "ab", buffering=0)  # noqa: SIM115 (kept open for the task's life)
        self.labels = labels
        self.send = send
        self.pending = b""

    def feed(self, data: bytes) -> None:
        self.file.write(data)
        self.pending += data
        while True:
            newline = self.pending.find(b"\n")
            if newline < 0:
                if len(self.pending) >= MAX_LINE:
                    self._entry(self.pending[:MAX_LINE])
                    self.pending = self.pending[MAX_LINE:]
                    continue
                return
            self._entry(self.pending[:newline])
            self.pending = self.pending[newline + 1 :]

    def close(self) -> None:
        if self.pending:
            self._entry(self.pending)
            self.pending = b""
        self.file.close()

    def _entry(self, line: bytes) -> None:
        # journald away: the sandbox file still has the line.
        with contextlib.suppress(OSError):
            self.send(line.decode("utf-8", "replace"), STREAM=self.stream, **self.labels)


def run(argv: list[str], sandbox: Path, labels: dict[str, str], send: Send) -> int:
    """Run `argv`, logging its output; returns its exit status (-N for signal N)."""
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    sinks = {
        child.stdout: StreamSink("STDOUT", sandbox / "stdout", labels, send),
        child.stderr: StreamSink("STDERR", sandbox / "stderr", labels, send),
    }
    selector = selectors.DefaultSelector()
    for pipe in sinks:
        assert pipe is not None
        selector.register(pipe, selectors.EVENT_READ)
    open_pipes = len(sinks)
    while open_pipes:
        for key, _ in selector.select():
            data = os.read(key.fd, 65536)
            if data:
                sinks[key.fileobj].feed(data)  # type: ignore[index]
            else:
                selector.unregister(key.fileobj)
                open_pipes -= 1
    for sink in sinks.values():
        sink.close()
    return child.wait()


def parse_labels(items: list[str]) -> dict[str, str]:
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--label must be KEY=VALUE, got {item!r}")
        labels[key.upper()] = value
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", required=True, type=Path, help="where stdout/stderr go")
    parser.add_argument("--label", action="append", default=[], help="KEY=VALUE journal field")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    status = run(command, args.sandbox, parse_labels(args.label), journal_send())
    if status < 0:  # killed by a signal: end the same way, so the agent sees it
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    sys.exit(main())
