"""The agent's container logger: every task's output into the journal, as DC/OS's
journald container logger (`com_mesosphere_mesos_JournaldLogger`) puts it there.

A task's unit writes its stdout and stderr to the sandbox files itself
(`StandardOutput=append:`), so the task's exit status, its memory limit and
its files are systemd's and the task's alone. This logger follows those files
(inotify) and sends each new line to journald with the fields DC/OS's logger
gives it: FRAMEWORK_ID, EXECUTOR_ID, CONTAINER_ID (`parent.child` for a nested
container), AGENT_ID, SYSLOG_IDENTIFIER (the executor's name), the executor's
labels, and STREAM (STDOUT or STDERR). Each entry is sent on behalf of a
process of the task's unit, so journald files it under that unit
(`_SYSTEMD_UNIT=mesos-<container>.service`), with the unit's own rate limit.
Output that comes while the unit has no process (a short task has exited and
its ExecStopPost has not started yet) waits for one: the unit's exit helper,
which tells the agent of the end and waits until the rest is sent. Output
that finds no process of its unit for `HOLD_S` goes as the agent's own.

One thread serves every container of the agent: no process per task, and a
slow journald never holds up the agent's event loop. How far each file has
been sent is checkpointed (at most once a second while it grows, and when the
container ends) beside the container's record, so a restarted agent carries
on where it stopped: a line is never lost, and at most the last second's lines
are sent twice after a crash.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from dcos_internal_utils.container_logger import JournalWriter, LineSplitter, line_entry

log = logging.getLogger("mesos-agent.container-logger")

STREAMS = {"STDOUT": "stdout", "STDERR": "stderr"}
CHECKPOINT_S = 1.0
HOLD_S = 2.0
READ_CHUNK = 256 * 1024  # per stream and turn, so that one flooding task cannot starve the rest

Send = Callable[[Mapping[str, str], "int | None"], object]


class Inotify:
    """The three inotify calls the logger needs, through libc (nodes have no inotify module)."""

    IN_MODIFY = 0x002
    IN_IGNORED = 0x8000
    IN_Q_OVERFLOW = 0x4000
    _EVENT = struct.Struct("iIII")

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def watch(self, directory: Path) -> int:
        wd = int(self._libc.inotify_add_watch(self.fd, os.fsencode(directory), self.IN_MODIFY))
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory}")
        return wd

    def unwatch(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self.fd, wd)

    def events(self) -> list[tuple[int, int, str]]:
        """(watch, mask, file name) of every event queued so far."""
        try:
            data = os.read(self.fd, 64 * 1024)
        except BlockingIOError:
            return []
        out, offset = [], 0
        while offset + self._EVENT.size <= len(data):
            wd, mask, _cookie, length = self._EVENT.unpack_from(data, offset)
            offset += self._EVENT.size
            name = data[offset : offset + length].rstrip(b"\0").decode(errors="replace")
            offset += length
            out.append((wd, mask, name))
        return out

    def close(self) -> None:
        os.close(self.fd)


@dataclass
class _Stream:
    name: str  # STDOUT or STDERR
    path: Path
    sent: int = 0  # bytes of whole lines sent so far (what a checkpoint keeps)
    lines: LineSplitter = field(default_factory=LineSplitter)
    file: BinaryIO | None = None

    @property
    def read(self) -> int:
        return self.sent + len(self.lines.pending)


@dataclass
class _Container:
    key: str
    directory: Path
    fields: dict[str, str]
    checkpoint: Path | None
    pids: Callable[[], list[int]]
    streams: dict[str, _Stream]
    wd: int = -1
    pid: int | None = None
    no_process_since: float | None = None  # output waits for a process of the unit
    dirty: bool = False


class ContainerLogger:
    """Follows containers' sandbox files into the journal, on one thread of its own."""

    def __init__(self, send: Send | None = None) -> None:
        self._writer = JournalWriter() if send is None else None
        self._send: Send = send or self._writer.send  # type: ignore[union-attr]
        self._inotify = Inotify()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._lock = threading.Lock()
        self._ops: list[tuple[str, Any]] = []
        self._syncs: list[threading.Event] = []  # flushes waiting for the backlog to empty
        self._containers: dict[str, _Container] = {}
        self._by_watch: dict[int, _Container] = {}
        self._backlog: set[str] = set()
        self._waiting: dict[str, float] = {}  # containers whose output waits for a process: until
        self._last_checkpoint = 0.0
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="container-logger", daemon=True)
        self._thread.start()

    # -- the agent's side (any thread) --------------------------------------------------

    def follow(
        self,
        key: str,
        directory: Path,
        fields: Mapping[str, str],
        pids: Callable[[], list[int]],
        checkpoint: Path | None = None,
    ) -> None:
        """Send what `directory`'s stdout and stderr get, from where `checkpoint` says
        sending stopped (the start of the files without one); `pids` gives processes of
        the container, on whose behalf the entries are sent."""
        sent: dict[str, int] = {}
        if checkpoint is not None:
            with contextlib.suppress(OSError, ValueError):
                sent = {k: int(v) for k, v in json.loads(checkpoint.read_text()).items()}
        streams = {
            name: _Stream(name, directory / file, sent.get(name, 0))
            for name, file in STREAMS.items()
        }
        self._submit("follow", _Container(key, directory, dict(fields), checkpoint, pids, streams))

    def finish(self, key: str) -> Future[None]:
        """The container ended: send the rest of its files, then forget it (done when sent)."""
        done: Future[None] = Future()
        self._submit("finish", (key, done))
        return done

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every file followed is sent up to what it holds now."""
        done = threading.Event()
        self._submit("sync", done)
        return done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._closing = True
        self._wake()
        self._thread.join(10)

    def _submit(self, op: str, arg: Any) -> None:
        with self._lock:
            self._ops.append((op, arg))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    # -- the logger's thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            ready, _, _ = select.select([self._inotify.fd, self._wake_r], [], [], self._timeout())
            if self._wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
            with self._lock:
                ops, self._ops = self._ops, []
                closing = self._closing
            for op, arg in ops:
                try:
                    if op == "follow" and isinstance(arg, _Container):
                        self._start(arg)
                    elif op == "finish":
                        key, done = arg
                        try:
                            self._end(key)
                        finally:
                            done.set_result(None)
                    elif op == "sync":  # everything, now, waiting for a process or not
                        self._syncs.append(arg)
                        self._backlog.update(self._containers)
                        self._waiting.clear()
                except Exception:  # one container's trouble must not stop the others' logs
                    log.exception("container logger: %s %s", op, arg)
            if self._inotify.fd in ready:
                self._on_events()
            now = time.monotonic()
            for key in [k for k, until in self._waiting.items() if until <= now]:
                del self._waiting[key]
                self._backlog.add(key)
            for key in list(self._backlog):
                container = self._containers.get(key)
                self._backlog.discard(key)
                if container is not None:
                    self._pump(container, force=bool(self._syncs))
            if time.monotonic() - self._last_checkpoint >= CHECKPOINT_S:
                self._checkpoint_all()
            if not self._backlog:
                for done in self._syncs:
                    done.set()
                self._syncs.clear()
            if closing:
                self._checkpoint_all(force=True)
                for container in self._containers.values():
                    self._close_files(container)
                return

    def _timeout(self) -> float | None:
        if self._backlog or self._syncs:
            return 0
        wakes = list(self._waiting.values())
        if any(c.dirty for c in self._containers.values()):
            wakes.append(self._last_checkpoint + CHECKPOINT_S)
        return max(0.0, min(wakes) - time.monotonic()) if wakes else None

    def _on_events(self) -> None:
        for wd, mask, name in self._inotify.events():
            if mask & Inotify.IN_Q_OVERFLOW:
                self._backlog.update(self._containers)  # events were lost: look at every file
                continue
            container = self._by_watch.get(wd)
            if container is None:
                continue
            if mask & Inotify.IN_IGNORED:  # the sandbox went away
                self._by_watch.pop(wd, None)
                container.wd = -1
                continue
            if name in STREAMS.values():
                self._backlog.add(container.key)

    def _start(self, container: _Container) -> None:
        old = self._containers.pop(container.key, None)
        if old is not None:
            self._drop(old)
        self._containers[container.key] = container
        try:
            container.wd = self._inotify.watch(container.directory)
            self._by_watch[container.wd] = container
        except OSError as exc:
            log.warning("not following %s: %s", container.directory, exc)
        self._pump(container)

    def _end(self, key: str) -> None:
        container = self._containers.pop(key, None)
        if container is None:
            return
        self._waiting.pop(key, None)
        self._pump(container, force=True, to_end=True)
        pid = self._pid(container)
        for stream in container.streams.values():
            for line in stream.lines.flush():
                self._send(line_entry(line, stream.name, container.fields), pid)
        self._drop(container)
        if container.checkpoint is not None:
            with contextlib.suppress(OSError):
                container.checkpoint.unlink()

    def _drop(self, container: _Container) -> None:
        if container.wd >= 0:
            self._by_watch.pop(container.wd, None)
            self._inotify.unwatch(container.wd)
        self._backlog.discard(container.key)
        self._waiting.pop(container.key, None)
        self._close_files(container)

    def _close_files(self, container: _Container) -> None:
        for stream in container.streams.values():
            if stream.file is not None:
                stream.file.close()
                stream.file = None

    def _pump(self, container: _Container, force: bool = False, to_end: bool = False) -> None:
        """Send what the container's files got; all of it with `to_end`, else a chunk per
        stream (the rest on a later turn). Without `force`, output that finds no process
        of the container waits for one, up to HOLD_S."""
        pid = self._pid(container)
        if pid is None and not force:
            now = time.monotonic()
            if container.no_process_since is None:
                container.no_process_since = now
            if now - container.no_process_since < HOLD_S:
                self._waiting[container.key] = container.no_process_since + HOLD_S
                return
        if pid is not None:
            container.no_process_since = None
        for stream in container.streams.values():
            while self._read(container, stream, pid):
                if not to_end:
                    self._backlog.add(container.key)
                    break

    def _read(self, container: _Container, stream: _Stream, pid: int | None) -> bool:
        """Send the lines of one chunk of a stream; True if the file has more."""
        if stream.file is None:
            try:
                stream.file = open(stream.path, "rb")  # noqa: SIM115 (kept open while followed)
            except OSError:
                return False
        try:
            size = os.fstat(stream.file.fileno()).st_size
            if size < stream.read:  # truncated: start again from its beginning
                stream.sent, stream.lines = 0, LineSplitter()
            stream.file.seek(stream.read)
            data = stream.file.read(READ_CHUNK)
        except OSError:
            return False
        if not data:
            return False
        start = stream.read
        for line in stream.lines.feed(data):
            self._send(line_entry(line, stream.name, container.fields), pid)
        stream.sent = start + len(data) - len(stream.lines.pending)
        container.dirty = True
        return len(data) == READ_CHUNK

    def _pid(self, container: _Container) -> int | None:
        """A live process of the container, on whose behalf entries are sent."""
        if container.pid is not None and os.path.exists(f"/proc/{container.pid}"):
            return container.pid
        try:
            pids = container.pids()
        except OSError:
            pids = []
        container.pid = pids[0] if pids else None
        return container.pid

    def _checkpoint_all(self, force: bool = False) -> None:
        self._last_checkpoint = time.monotonic()
        for container in self._containers.values():
            if (container.dirty or force) and container.checkpoint is not None:
                offsets = {s.name: s.sent for s in container.streams.values()}
                tmp = container.checkpoint.with_name(container.checkpoint.name + ".tmp")
                try:
                    tmp.write_text(json.dumps(offsets))
                    os.replace(tmp, container.checkpoint)
                except OSError as exc:
                    log.warning("checkpoint %s: %s", container.checkpoint, exc)
            container.dirty = False
