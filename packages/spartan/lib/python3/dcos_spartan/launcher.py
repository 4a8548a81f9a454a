"""dcos-spartan: write dnsmasq's config, add the spartan addresses, exec dnsmasq.

dnsmasq replaces this process, so systemd's MainPID is dnsmasq itself and
Restart=always sees it die.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from dcos_internal_utils import node

from dcos_spartan import HOSTS_DIR, SPARTAN_ADDRESSES, dnsmasq_conf

log = logging.getLogger("dcos-spartan")

DNSMASQ = os.environ.get("SPARTAN_DNSMASQ", "/usr/sbin/dnsmasq")
CONFIG_PATH = Path(os.environ.get("SPARTAN_CONFIG", "/run/dcos/spartan/dnsmasq.conf"))


def add_addresses(device: str = "lo") -> None:
    """Put the spartan addresses on `device` (the kernel has no dummy interfaces here)."""
    for address in SPARTAN_ADDRESSES:
        # `replace` is idempotent: a restart finds the addresses already there.
        subprocess.run(["ip", "-4", "addr", "replace", f"{address}/32", "dev", device], check=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    text = dnsmasq_conf.render(node.expanded_config())
    CONFIG_PATH.parent.mkdir(parents=True, exist_ok=True)
    CONFIG_PATH.write_text(text)
    # dnsmasq watches the directory from its start: it must exist (Navstar fills it).
    Path(HOSTS_DIR).mkdir(parents=True, exist_ok=True)
    log.info("wrote %s:\n%s", CONFIG_PATH, text)
    add_addresses()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(DNSMASQ, [DNSMASQ, "--keep-in-foreground", f"--conf-file={CONFIG_PATH}"])
