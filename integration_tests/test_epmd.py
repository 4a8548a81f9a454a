"""EPMD, the Erlang port mapper DC/OS runs on every node (port 4369)."""

from __future__ import annotations

import socket
import struct
import subprocess

import pytest

EPMD_PORT = 4369
NAMES_REQ = 110  # EPMD protocol: 'n'


def epmd_port(host: str) -> int:
    """Ask the EPMD at `host` for its names; it answers with its own port first."""
    with socket.create_connection((host, EPMD_PORT), timeout=5) as sock:
        sock.sendall(struct.pack("!HB", 1, NAMES_REQ))
        data = b""
        while len(data) < 4:
            chunk = sock.recv(4 - len(data))
            if not chunk:
                break
            data += chunk
    assert len(data) == 4, f"{host}: short EPMD reply {data!r}"
    (port,) = struct.unpack("!I", data)
    return int(port)


def test_unit_is_running() -> None:
    out = subprocess.run(
        ["systemctl", "show", "dcos-epmd.service", "--property=ActiveState,SubState"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "ActiveState=active" in out and "SubState=running" in out, out


def test_epmd_names_answers_locally() -> None:
    out = subprocess.run(["epmd", "-names"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert f"up and running on port {EPMD_PORT}" in out.stdout


def test_every_node_runs_epmd(all_hosts: list[str]) -> None:
    # Erlang nodes find each other's distribution ports through the EPMD on
    # each node's private IP.
    for host in all_hosts:
        assert epmd_port(host) == EPMD_PORT, host


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_epmd_protocol_on_loopback(host: str) -> None:
    assert epmd_port(host) == EPMD_PORT
