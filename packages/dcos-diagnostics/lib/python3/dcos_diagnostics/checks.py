"""`dcos-checks`: the node checks DC/OS 1.10's runner config calls.

    dcos-checks [--role ROLE] [--detect-ip PATH] [--node-ip IP] COMMAND [ARGS]

    components [--port N] [--scheme S] [--health-url PATH]
                       every unit of this node's /system/health/v1 is healthy
    executable NAME    NAME (curl, wget, tar, git, xz or unzip) is installed
    ip                 detect_ip prints a valid IP address
    mesos-metrics      the Mesos master recovered its registry / the agent registered
    journald [--path]  the journal folder is group systemd-journal with r-x for it
    time               the clock is synchronized (adjtimex)

Each prints what it found and exits 0 (OK), 1 (warning), 2 (failure) or
3 (unknown); a check that cannot run at all logs why and exits 1, as DC/OS's
`logrus.Fatal` does.
"""

from __future__ import annotations

import argparse
import grp
import ipaddress
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STATUS_OK, STATUS_WARNING, STATUS_FAILURE, STATUS_UNKNOWN = 0, 1, 2, 3
VALID_EXECUTABLES = ("curl", "wget", "tar", "git", "xz", "unzip")
JOURNAL_PATHS = ("/var/log/journal", "/run/log/journal")
MESOS_PORTS = {"master": 5050, "agent": 5051, "agent_public": 5051}
ROLE_CONFIG = Path("/opt/mesosphere/etc/dcos-diagnostics-config.json")
TIMEOUT_S = 5.0


class CheckError(Exception):
    """The check could not be run (as opposed to: it ran and found a problem)."""


@dataclass
class Options:
    role: str
    detect_ip: str
    node_ip: str

    def ip(self) -> str:
        if self.node_ip:
            return self.node_ip
        try:
            out = subprocess.run(
                [self.detect_ip], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
            ).stdout.strip()
            return str(ipaddress.ip_address(out))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            message = f"unable to detect the node's IP with {self.detect_ip}: {exc}"
            raise CheckError(message) from exc


Outcome = tuple[str, int]


def _get_json(url: str) -> object:
    import urllib.request  # here: the checks that need no HTTP start faster without it

    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return json.load(response)
    except (OSError, ValueError) as exc:
        raise CheckError(f"unable to execute GET {url}: {exc}") from exc


def components(opts: Options, port: int, scheme: str, health_url: str) -> Outcome:
    data = _get_json(f"{scheme}://{opts.ip()}:{port}{health_url}")
    units = data.get("units", []) if isinstance(data, dict) else []
    problems = [
        f"component {u.get('name')} has health status {u.get('health')}"
        for u in units
        if u.get("health") != STATUS_OK
    ]
    return "\n".join(problems), STATUS_FAILURE if problems else STATUS_OK


def executable(opts: Options, names: list[str]) -> Outcome:
    if not names:
        raise CheckError("No executable to check")
    if len(names) > 1:
        raise CheckError("Only one executable allowed at a time")
    if names[0] not in VALID_EXECUTABLES:
        raise CheckError(f"Choose from valid list of executables {list(VALID_EXECUTABLES)}")
    if shutil.which(names[0]) is None:
        raise CheckError(f"{names[0]} not installed")
    return "", STATUS_OK


def detect_ip(opts: Options) -> Outcome:
    proc = subprocess.run(
        [opts.detect_ip], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise CheckError(f"return code non zero: {proc.returncode}")
    if proc.stderr:
        raise CheckError(f"detect_ip returned stderr: {proc.stderr}")
    try:
        ip = ipaddress.ip_address(proc.stdout.strip())
    except ValueError as exc:
        raise CheckError(f"invalid IP address {proc.stdout}") from exc
    return f"{ip} is a valid IPV4 address", STATUS_OK


def mesos_metrics(opts: Options) -> Outcome:
    port = MESOS_PORTS.get(opts.role)
    if port is None:
        raise CheckError(f"invalid role {opts.role}")
    data = _get_json(f"http://{opts.ip()}:{port}/metrics/snapshot")
    metrics = data if isinstance(data, dict) else {}
    if opts.role == "master":
        if metrics.get("registrar/log/recovered") == 1.0:
            return "", STATUS_OK
        raise CheckError("Unable to run the check")
    if metrics.get("slave/registered") == 1.0:
        return "", STATUS_OK
    raise CheckError("Mesos replog not synchronized")


def journald(opts: Options, path: str) -> Outcome:
    if not path:
        path = next((p for p in JOURNAL_PATHS if os.path.isdir(p)), "")
        if not path:
            raise CheckError(f"journal folder not found in {', '.join(JOURNAL_PATHS)}")
    try:
        info = os.stat(path)
        gid = grp.getgrnam("systemd-journal").gr_gid
    except (OSError, KeyError) as exc:
        raise CheckError(str(exc)) from exc
    help_text = f"\nTry to run: systemd-tmpfiles --create --prefix {path}"
    for description, bit in (("group r--", stat.S_IRGRP), ("group --x", stat.S_IXGRP)):
        if not info.st_mode & bit:
            raise CheckError(
                f"directory {path} has wrong permissions: {description} bit must be set. \n"
                + help_text
            )
    if info.st_gid != gid:
        raise CheckError(f"directory {path} must be in group with Gid {gid}.{help_text}")
    return (
        f"directory {path} has the group owner `systemd-journal` and group permissons r-x",
        STATUS_OK,
    )


STA_UNSYNC = 0x0040
MAX_ESTIMATED_ERROR_US = 16_000_000


def clock(opts: Options) -> Outcome:
    import ctypes

    class Timex(ctypes.Structure):
        # struct timex (linux/timex.h) up to the fields read here; the kernel writes the
        # whole struct, so the buffer is padded to its full size.
        _fields_ = [
            ("modes", ctypes.c_uint),
            ("offset", ctypes.c_long),
            ("freq", ctypes.c_long),
            ("maxerror", ctypes.c_long),
            ("esterror", ctypes.c_long),
            ("status", ctypes.c_int),
            ("_rest", ctypes.c_byte * 200),
        ]

    libc = ctypes.CDLL(None, use_errno=True)
    buf = Timex()
    if libc.adjtimex(ctypes.byref(buf)) < 0:
        raise CheckError(f"unable to make a system call adjtimex: errno {ctypes.get_errno()}")
    if buf.maxerror > MAX_ESTIMATED_ERROR_US:
        over = (buf.maxerror - MAX_ESTIMATED_ERROR_US) / 1e6
        return (
            f"Clock is less stable than allowed. Max estimated error exceeded by: {over}s",
            STATUS_FAILURE,
        )
    if buf.status & STA_UNSYNC:
        return (
            "Clock is out of sync / in unsync state. Must be synchronized for proper operation.",
            STATUS_FAILURE,
        )
    return "Clock is synced", STATUS_OK


def default_role() -> str:
    """The role DC/OS's config names for this node (master, agent or agent_public)."""
    try:
        return str(json.loads(ROLE_CONFIG.read_text()).get("role", ""))
    except (OSError, ValueError):
        return ""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dcos-checks", description="DC/OS node checks")
    p.add_argument("--role", default="", help="master, agent or agent_public")
    p.add_argument("--detect-ip", default="/opt/mesosphere/bin/detect_ip")
    p.add_argument("--node-ip", default="")
    p.add_argument("--force-tls", action="store_true")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--iam-config", default="")
    p.add_argument("--ca-cert", default="")
    sub = p.add_subparsers(dest="command", required=True)
    comp = sub.add_parser("components")
    comp.add_argument("-p", "--port", type=int, default=1050)
    comp.add_argument("-s", "--scheme", default="http")
    comp.add_argument("-u", "--health-url", default="/system/health/v1")
    exe = sub.add_parser("executable")
    exe.add_argument("names", nargs="*")
    sub.add_parser("ip")
    sub.add_parser("mesos-metrics")
    jour = sub.add_parser("journald")
    jour.add_argument("--path", default="")
    sub.add_parser("time")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    opts = Options(role=args.role or default_role(), detect_ip=args.detect_ip, node_ip=args.node_ip)
    commands: dict[str, Callable[[], Outcome]] = {
        "components": lambda: components(opts, args.port, args.scheme, args.health_url),
        "executable": lambda: executable(opts, args.names),
        "ip": lambda: detect_ip(opts),
        "mesos-metrics": lambda: mesos_metrics(opts),
        "journald": lambda: journald(opts, args.path),
        "time": lambda: clock(opts),
    }
    try:
        output, status = commands[args.command]()
    except (CheckError, OSError, subprocess.SubprocessError) as exc:
        print(f"Error executing {args.command} check: {exc}", file=sys.stderr)
        return 1
    if output:
        print(output)
    return status
