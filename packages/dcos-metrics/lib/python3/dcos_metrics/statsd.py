"""StatsD for tasks: one UDP port per container, and the metrics received on it.

When the Mesos agent launches a container it registers it here (PUT
/containers/<id> on /run/dcos/dcos-metrics-statsd.sock) and passes the
answer to the task as STATSD_UDP_HOST and STATSD_UDP_PORT, as DC/OS's metrics
module did. Whatever the task sends to that port is that container's
application metrics (/v0/containers/<id>/app). A port is per container so
that metrics need no tag to say where they come from.

Lines are `name:value|type[|@rate][|#tag:value,...]` (DogStatsD tags
included); gauges keep the last value (or move by a signed `+n`/`-n`),
counters add up what was sent (scaled by the sample rate), timers and
histograms keep the last value. Registrations are kept in /run, so a
restarted dcos-metrics listens on the same ports again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datapoints import Datapoint, timestamp

log = logging.getLogger("dcos-metrics.statsd")

# DC/OS's metrics module listened on the spartan address: reachable from the
# node itself and from containers on a bridge, and never from another node.
DEFAULT_HOST = "198.51.100.1"
MAX_SERIES_PER_CONTAINER = 1000
MAX_PACKET = 65535


@dataclass
class Series:
    name: str
    kind: str
    value: float
    updated: float
    tags: dict[str, str] = field(default_factory=dict)


def _number(value: float) -> float:
    """Whole numbers as integers (`42`, not `42.0`), as StatsD clients sent them."""
    return int(value) if float(value).is_integer() else value


def parse_line(line: str) -> tuple[str, str, float, dict[str, str], bool] | None:
    """(name, type, value, tags, relative) of one StatsD line, or None if it is not one."""
    name, sep, rest = line.strip().partition(":")
    if not sep or not name:
        return None
    parts = rest.split("|")
    if len(parts) < 2:
        return None
    raw_value, kind = parts[0], parts[1]
    if kind not in ("g", "c", "ms", "h", "s"):
        return None
    rate = 1.0
    tags: dict[str, str] = {}
    for extra in parts[2:]:
        if extra.startswith("@"):
            try:
                rate = float(extra[1:]) or 1.0
            except ValueError:
                return None
        elif extra.startswith("#"):
            for tag in extra[1:].split(","):
                key, _, tag_value = tag.partition(":")
                if key:
                    tags[key] = tag_value
    try:
        number = float(raw_value)
    except ValueError:
        if kind != "s":  # a set counts distinct strings: those need not be numbers
            return None
        number = 0.0
    relative = kind == "g" and raw_value[:1] in ("+", "-")
    if kind == "c":
        number = number / rate
    return name, kind, number, tags, relative


class ContainerMetrics:
    """The series one container sent, newest value of each."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, tuple[tuple[str, str], ...]], Series] = {}
        self._sets: dict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = {}

    def receive(self, packet: bytes, now: float) -> None:
        for line in packet.decode("utf-8", "replace").splitlines():
            parsed = parse_line(line)
            if parsed is None:
                continue
            name, kind, value, tags, relative = parsed
            key = (name, tuple(sorted(tags.items())))
            series = self.series.get(key)
            if series is None:
                if len(self.series) >= MAX_SERIES_PER_CONTAINER:
                    continue
                series = self.series[key] = Series(name, kind, 0, now, tags)
            if kind == "c" or relative:
                series.value = _number(series.value + value)
            elif kind == "s":
                members = self._sets.setdefault(key, set())
                members.add(line.split(":", 1)[1].split("|", 1)[0])
                series.value = len(members)
            else:
                series.value = _number(value)
            series.kind, series.updated = kind, now

    def datapoints(self, prefix: str = "") -> list[Datapoint]:
        return [
            Datapoint(s.name, s.value, "", timestamp(s.updated), dict(s.tags))
            for s in sorted(self.series.values(), key=lambda s: (s.name, sorted(s.tags.items())))
            if s.name == prefix or not prefix or s.name.startswith(prefix + ".")
        ]


@dataclass
class Registration:
    container_id: str
    host: str
    port: int
    registered_at: float = field(default_factory=time.monotonic)

    def to_json(self) -> dict[str, Any]:
        return {
            "container_id": self.container_id,
            "statsd_host": self.host,
            "statsd_port": self.port,
        }


class StatsdServer:
    """UDP listeners for registered containers, served by one thread."""

    def __init__(self, state_file: Path, host: str = DEFAULT_HOST) -> None:
        self.state_file = state_file
        self.host = host
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._sockets: dict[str, socket.socket] = {}
        self.registrations: dict[str, Registration] = {}
        self.metrics: dict[str, ContainerMetrics] = {}
        self._thread: threading.Thread | None = None

    # -- registrations --

    def restore(self) -> None:
        """Listen again on the ports registered before a restart."""
        try:
            saved = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return
        for item in saved:
            try:
                self.register(str(item["container_id"]), int(item["statsd_port"]), save=False)
            except (OSError, KeyError, ValueError) as exc:
                log.warning("cannot listen again for %s: %s", item, exc)
        self._save()

    def register(self, container_id: str, port: int = 0, save: bool = True) -> Registration:
        with self._lock:
            existing = self.registrations.get(container_id)
            if existing is not None:
                return existing
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((self.host, port))
            except OSError:
                sock.close()
                raise
            sock.setblocking(False)
            registration = Registration(container_id, self.host, sock.getsockname()[1])
            self._sockets[container_id] = sock
            self.registrations[container_id] = registration
            self.metrics.setdefault(container_id, ContainerMetrics())
            self._selector.register(sock, selectors.EVENT_READ, container_id)
        if save:
            self._save()
        self._wake()
        log.info("container %s: statsd on %s:%d", container_id, self.host, registration.port)
        return registration

    def unregister(self, container_id: str) -> bool:
        with self._lock:
            sock = self._sockets.pop(container_id, None)
            self.registrations.pop(container_id, None)
            self.metrics.pop(container_id, None)
            if sock is not None:
                self._selector.unregister(sock)
                sock.close()
        if sock is not None:
            self._save()
            self._wake()
        return sock is not None

    def forget_all_but(self, live: set[str], grace_s: float = 300.0) -> None:
        """Drop the containers Mesos no longer knows (the agent did not unregister them).

        A container registers before the agent lists it, so young registrations stay.
        """
        now = time.monotonic()
        for container_id, registration in list(self.registrations.items()):
            if container_id not in live and now - registration.registered_at > grace_s:
                self.unregister(container_id)

    def _save(self) -> None:
        with self._lock:
            data = [r.to_json() for r in self.registrations.values()]
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state_file)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # -- receiving --

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="statsd", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            for key, _ in self._selector.select():
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                self.receive_from(key.fileobj, key.data)  # type: ignore[arg-type]

    def receive_from(self, sock: socket.socket, container_id: str) -> None:
        while True:
            try:
                packet = sock.recv(MAX_PACKET)
            except (BlockingIOError, OSError):
                return
            with self._lock:
                metrics = self.metrics.get(container_id)
                if metrics is not None:
                    metrics.receive(packet, time.time())

    def datapoints(self, container_id: str, prefix: str = "") -> list[Datapoint]:
        with self._lock:
            metrics = self.metrics.get(container_id)
            return metrics.datapoints(prefix) if metrics else []

    def containers_with_data(self) -> list[str]:
        with self._lock:
            return [cid for cid, m in self.metrics.items() if m.series]
