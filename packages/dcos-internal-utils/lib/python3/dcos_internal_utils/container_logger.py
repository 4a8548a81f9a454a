"""A task's stdout and stderr as journal entries (DC/OS's journald container logger).

DC/OS's Mesos agents send each container's output to journald, every line an
entry with the container's labels: FRAMEWORK_ID, EXECUTOR_ID, CONTAINER_ID
(`parent.child` for a nested container), AGENT_ID, SYSLOG_IDENTIFIER (the
executor's name), the executor's own labels, and STREAM (STDOUT or STDERR).
dcos-log finds a task's entries by those fields
(/system/v1/logs/v1/range/framework/<f>/executor/<e>/container/<c>).

The pieces here are shared by the two ways of doing it:
- `LineSplitter` and `JournalWriter`: bytes to lines, lines to entries on
  journald's native socket. An entry can be sent on behalf of another process
  (its pid as the socket credentials, which root may give): journald then
  files it under that process's unit, as if the process had logged it.
- The Mesos agent follows the sandbox files its task units write
  (dcos_mesos.agent.container_logger): no process per task.
- `mesos-journald-logger` (in dcos-log's bin/) wraps one command line instead:

    mesos-journald-logger --sandbox DIR --label FRAMEWORK_ID=<id> --label EXECUTOR_ID=<id> \
        --label CONTAINER_ID=<id> --label AGENT_ID=<id> -- /bin/sh -c 'the task'

  It runs the command with the same environment, passes signals on, copies
  the bytes to the sandbox files unchanged, and exits as the command did.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

JOURNAL_SOCKET = "/run/systemd/journal/socket"
MAX_LINE = 64 * 1024  # a longer line becomes several entries, as journald itself splits
# journald keeps only fields named like this (upper case, digits, underscore, no leading _).
FIELD_NAME = re.compile(r"[A-Z0-9][A-Z0-9_]{0,63}")

Send = Callable[[Mapping[str, str]], object]

FORWARDED_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)


def valid_field(name: str) -> bool:
    return bool(FIELD_NAME.fullmatch(name))


def entry_bytes(fields: Mapping[str, str]) -> bytes:
    """One entry in journald's native format: `NAME=value` lines, and a value with a
    newline as `NAME`, newline, its length (64-bit little endian), the value, newline."""
    out = bytearray()
    for name, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += name.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalWriter:
    """Entries to journald's native socket, each optionally on behalf of process `pid`.

    A blocked journald holds a send back for at most `timeout` seconds; an
    entry journald cannot take is dropped (the sandbox file keeps the line).
    """

    def __init__(self, path: str = JOURNAL_SOCKET, timeout: float = 5.0) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        self.credentials = (os.getuid(), os.getgid())

    def send(self, fields: Mapping[str, str], pid: int | None = None) -> bool:
        """Send one entry; False if journald did not take it."""
        try:
            self._send(entry_bytes(fields), pid)
            return True
        except OSError as exc:
            if exc.errno != errno.EMSGSIZE or len(fields.get("MESSAGE", "")) <= 4096:
                return False
        # Bigger than a datagram may be (a long line of bytes that are not UTF-8): its start.
        return self.send({**fields, "MESSAGE": fields["MESSAGE"][:4096]}, pid)

    def _send(self, data: bytes, pid: int | None) -> None:
        if pid:
            uid, gid = self.credentials
            credentials = struct.pack("iII", pid, uid, gid)
            try:
                self.sock.sendmsg(
                    [data], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, credentials)], 0, self.path
                )
                return
            except (ProcessLookupError, PermissionError):
                pass  # the process is gone, or we may not speak for it: send as ourselves
        self.sock.sendmsg([data], [], 0, self.path)

    def close(self) -> None:
        self.sock.close()


class LineSplitter:
    """Bytes as they come to whole lines (without the newline); a line longer than
    MAX_LINE is cut into several."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self.pending + data if self.pending else data
        lines, start = [], 0
        while True:
            newline = buffer.find(b"\n", start, start + MAX_LINE + 1)
            if newline >= 0:
                lines.append(buffer[start:newline])
                start = newline + 1
            elif len(buffer) - start >= MAX_LINE:
                lines.append(buffer[start : start + MAX_LINE])
                start += MAX_LINE
            else:
                self.pending = buffer[start:]
                return lines

    def flush(self) -> list[bytes]:
        """The last line, when the stream ended without a newline."""
        rest, self.pending = self.pending, b""
        return [rest] if rest else []


def line_entry(line: bytes, stream: str, labels: Mapping[str, str]) -> dict[str, str]:
    """The entry for one line of `stream` (STDOUT or STDERR)."""
    return {"MESSAGE": line.decode("utf-8", "replace"), **labels, "STREAM": stream}


class StreamSink:
    """One stream of a wrapped command: bytes to its file as they come, lines to the journal."""

    def __init__(self, stream: str, path: Path, labels: dict[str, str], send: Send) -> None:
        self.stream = stream
        self.file = open(path, "ab", buffering=0)  # noqa: SIM115 (kept open for the task's life)
        self.labels = labels
        self.send = send
        self.lines = LineSplitter()

    def feed(self, data: bytes) -> None:
        self.file.write(data)
        for line in self.lines.feed(data):
            self._entry(line)

    def close(self) -> None:
        for line in self.lines.flush():
            self._entry(line)
        self.file.close()

    def _entry(self, line: bytes) -> None:
        # journald away: the sandbox file still has the line.
        with contextlib.suppress(OSError):
            self.send(line_entry(line, self.stream, self.labels))


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
    writer = JournalWriter()
    status = run(command, args.sandbox, parse_labels(args.label), writer.send)
    if status < 0:  # killed by a signal: end the same way, so the agent sees it
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    sys.exit(main())
