"""dcos-adminrouter master|agent: write this node's config, then exec nginx in the foreground.

Everything that differs between nodes is written to /run/dcos/adminrouter:
`node.conf` (included in nginx's http block) names this node's own Mesos
master or agent as an upstream, and HOST_IP reaches the lua code through the
environment. The rest of the config is the package's `nginx/conf/`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from dcos_internal_utils import node

log = logging.getLogger("dcos-adminrouter")

NGINX = os.environ.get("ADMINROUTER_NGINX", "/usr/sbin/nginx")
PREFIX = Path(os.environ.get("ADMINROUTER_PREFIX", "/opt/mesosphere/active/adminrouter/nginx"))
RUN_DIR = Path(os.environ.get("ADMINROUTER_RUN_DIR", "/run/dcos/adminrouter"))
MESOS_PORTS = {"master": 5050, "agent": 5051}


def node_conf(role: str, host_ip: str) -> str:
    port = MESOS_PORTS[role]
    return (
        "# Written by dcos-adminrouter at start: this node's own Mesos process.\n"
        f"upstream mesos_local {{\n    server {host_ip}:{port};\n}}\n"
    )


def prepare(role: str, host_ip: str, run_dir: Path = RUN_DIR) -> list[str]:
    """Write the node's files; returns nginx's argv."""
    if role not in MESOS_PORTS:
        raise SystemExit(f"usage: dcos-adminrouter master|agent (got {role!r})")
    for sub in ("", "tmp", "cache"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    (run_dir / "node.conf").write_text(node_conf(role, host_ip))
    return [
        NGINX,
        "-p",
        f"{PREFIX}/",
        "-c",
        f"conf/nginx.{role}.conf",
        "-g",
        f"pid {run_dir / 'nginx.pid'};",
    ]


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    role = argv[0] if argv else ""
    host_ip = node.detect_ip()
    args = prepare(role, host_ip)
    os.environ["HOST_IP"] = host_ip
    log.info("starting %s", " ".join(args))
    sys.stdout.flush()
    os.execv(args[0], args)
    return 1  # not reached
