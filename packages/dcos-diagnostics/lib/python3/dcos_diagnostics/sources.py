"""What a node gives a diagnostics bundle: its files, as DC/OS's diagnostics lists and serves them.

Every node answers `GET /system/health/v1/logs` with a map from a file name in
the bundle to where the master fetches it (`:port/path` on the node):

- each DC/OS unit's journal (`dcos-mesos-master.service` ->
  `:<port>/system/health/v1/logs/units/dcos-mesos-master.service`),
- its own health (`dcos-diagnostics-health.json` -> `:<port>/system/health/v1`),
- the HTTP endpoints of the endpoint config for its role
  (`5050-master_state.json` -> `:5050/master/state`),
- the local files of the endpoint config (`/etc/resolv.conf` ->
  `:<port>/system/health/v1/logs/files/etc_resolv.conf`),
- the commands of the endpoint config (`dmesg_-T-0.output` ->
  `:<port>/system/health/v1/logs/cmds/dmesg_-T-0.output`).

`<port>` is where the node's diagnostics answers other nodes: 1050 on
masters, Admin Router Agent's 61001 on agents. The `logs/...` paths stream
their content (gzipped when the client accepts gzip, as DC/OS sends it), so a
node never holds a whole journal in memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import units

BASE = "/system/health/v1"
ENDPOINT_CONFIG = Path(
    os.environ.get(
        "DCOS_DIAGNOSTICS_ENDPOINT_CONFIG",
        "/opt/mesosphere/etc/dcos-diagnostics-endpoint-config.json",
    )
)
HEALTH_FILE = "dcos-diagnostics-health.json"
UNITS_LOGS_SINCE = "24h"  # DC/OS's diagnostics-units-since
COMMAND_TIMEOUT_S = 50  # DC/OS's command-exec-timeout
CHUNK = 64 * 1024


def sanitize(text: str) -> str:
    """DC/OS's name for an HTTP endpoint's file: leading slashes off, specials to `_`."""
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in text.lstrip("/"))


def _for_role(role: str, roles: list[str] | None) -> bool:
    return not roles or role in roles


@dataclass(frozen=True)
class Sources:
    """The providers of one node (its role decides which of the config's apply)."""

    role: str  # diagnostics' role name: master, agent or agent_public
    port: int
    units: list[str]
    http: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        role: str,
        port: int,
        config: Path = ENDPOINT_CONFIG,
        unit_names: list[str] | None = None,
    ) -> Sources:
        try:
            document = json.loads(config.read_text())
        except (OSError, ValueError):
            document = {}
        return cls(
            role,
            port,
            units.discover() if unit_names is None else unit_names,
            [e for e in document.get("HTTPEndpoints", []) if _for_role(role, e.get("Role"))],
            [f for f in document.get("LocalFiles", []) if _for_role(role, f.get("Role"))],
            # The index counts every command of the config, as in DC/OS's names.
            [
                {**c, "index": i}
                for i, c in enumerate(document.get("LocalCommands", []))
                if _for_role(role, c.get("Role")) and c.get("Command")
            ],
        )

    @staticmethod
    def file_entity(location: str) -> str:
        return location.lstrip("/").replace("/", "_")

    @staticmethod
    def command_entity(command: dict[str, Any]) -> str:
        joined = "_".join(command["Command"]).replace("/", "")
        return f"{joined}-{command['index']}.output"

    def endpoints(self) -> dict[str, str]:
        """GET /system/health/v1/logs: bundle file name -> `:port/path` on this node."""
        out: dict[str, str] = {}
        for unit in self.units:
            out[unit] = f":{self.port}{BASE}/logs/units/{unit}"
        out[HEALTH_FILE] = f":{self.port}{BASE}"
        for endpoint in self.http:
            name = (
                endpoint.get("FileName") or f"{endpoint['Port']}-{sanitize(endpoint['Uri'])}.json"
            )
            out[name] = f":{endpoint['Port']}{endpoint['Uri']}"
        for entry in self.files:
            location = entry["Location"]
            out[location] = f":{self.port}{BASE}/logs/files/{self.file_entity(location)}"
        for command in self.commands:
            entity = self.command_entity(command)
            out[entity] = f":{self.port}{BASE}/logs/cmds/{entity}"
        return out

    def open(self, provider: str, entity: str) -> Iterator[bytes]:
        """The content behind /logs/<provider>/<entity>; KeyError when there is none."""
        if provider == "units" and entity in self.units:
            return journal(entity)
        if provider == "files":
            for entry in self.files:
                if self.file_entity(entry["Location"]) == entity:
                    return read_file(Path(entry["Location"]))
        if provider == "cmds":
            for command in self.commands:
                if self.command_entity(command) == entity:
                    return run_command(command["Command"])
        raise KeyError(f"{provider}/{entity}")


def _stream_output(proc: subprocess.Popen[bytes], timeout_s: float | None) -> Iterator[bytes]:
    """A child's stdout as it comes; the child is killed when the reader stops early."""
    assert proc.stdout is not None
    try:
        while chunk := os.read(proc.stdout.fileno(), CHUNK):
            yield chunk
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        yield f"\n(killed after {timeout_s} s)\n".encode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def run_command(argv: list[str], timeout_s: float | None = COMMAND_TIMEOUT_S) -> Iterator[bytes]:
    """The command's output (stdout and stderr); OSError at once when it cannot start."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return _stream_output(proc, timeout_s)


def journal(unit: str, since: str = UNITS_LOGS_SINCE) -> Iterator[bytes]:
    """The unit's journal of the last `since` (DC/OS's `24h`), oldest first."""
    return run_command(
        ["journalctl", "--no-pager", "-o", "short-iso", "-u", unit, f"--since=-{since}"], None
    )


def read_file(path: Path) -> Iterator[bytes]:
    """The file's content; OSError at once when it cannot be opened."""
    f = path.open("rb")

    def chunks() -> Iterator[bytes]:
        with f:
            while chunk := f.read(CHUNK):
                yield chunk

    return chunks()


def gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A gzip stream of `chunks`, compressed as they come."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    try:
        for chunk in chunks:
            out = compressor.compress(chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()
