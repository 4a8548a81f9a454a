"""dcos-ping-wait NAME...: DC/OS's `ExecStartPre=/bin/ping -c1 NAME`, waiting instead of failing.

DC/OS's units order the boot with pings: a unit starts once the names it
needs resolve and answer (`ready.spartan`, `leader.mesos`,
`marathon.mesos`). A failed ping fails the unit and systemd restarts it
seconds later; this helper polls every 0.1 s instead, so a unit starts as
soon as its dependency does. Each name is asked of the node's DNS forwarder
(spartan, 198.51.100.1-3) directly, as resolv.conf points there, then pinged
once. systemd's TimeoutStartSec bounds the wait.
"""

from __future__ import annotations

import random
import socket
import struct
import subprocess
import sys
import time

SPARTAN = ("198.51.100.1", "198.51.100.2", "198.51.100.3")
POLL_S = 0.1


def query(name: str) -> bytes:
    header = struct.pack("!6H", random.randrange(1 << 16), 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".") if p)
    return header + labels + b"\0" + struct.pack("!2H", 1, 1)


def first_a_record(reply: bytes) -> str:
    """The first A record's address in a DNS reply ("" if none)."""
    if len(reply) < 12:
        return ""
    _id, flags, questions, answers, _ns, _ar = struct.unpack("!6H", reply[:12])
    if flags & 0x000F or not answers:
        return ""
    offset = 12
    for _ in range(questions):
        offset = _skip_name(reply, offset) + 4
    for _ in range(answers):
        offset = _skip_name(reply, offset)
        rtype, _cls, _ttl, length = struct.unpack("!2HIH", reply[offset : offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            return socket.inet_ntoa(reply[offset : offset + 4])
        offset += length
    return ""


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += length + 1


def resolve(name: str, timeout: float = 0.2) -> str:
    for server in SPARTAN:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(timeout)
                sock.sendto(query(name), (server, 53))
                address = first_a_record(sock.recv(4096))
        except OSError:
            continue
        if address:
            return address
    return ""


def wait_for(name: str) -> str:
    while True:
        address = resolve(name)
        if address:
            ping = subprocess.run(
                ["ping", "-c1", "-W1", address],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if ping.returncode == 0:
                return address
        time.sleep(POLL_S)


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else argv
    for name in names:
        started = time.monotonic()
        address = wait_for(name)
        print(f"{name} ({address}) answered after {time.monotonic() - started:.1f} s", flush=True)
    return 0
