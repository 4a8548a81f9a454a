"""Which systemd units are "the node's DC/OS units": the ones dcos.target wants.

pkgpanda links every unit of the node's role into dcos.target.wants, as DC/OS
does, and DC/OS's diagnostics reports exactly those: a socket- or
timer-activated service is reported because its package lists it in
dcos.target.wants too (dcos-log-master.service beside its socket), and a
service a timer merely triggers without being wanted is not (dcos-signal.service
on agents, where only dcos-signal.timer is wanted).
"""

from __future__ import annotations

from pathlib import Path

WANTS_DIR = Path("/etc/systemd/system/dcos.target.wants")

# Install-time one-shots DC/OS leaves out of health as well: once the node is
# up they are irrelevant, and a failed download would otherwise stay red forever.
EXCLUDED = frozenset({"dcos-setup.service", "dcos-download.service", "dcos-link-env.service"})


def discover(wants_dir: Path = WANTS_DIR) -> list[str]:
    """Every DC/OS unit of this node, sorted."""
    try:
        wanted = {p.name for p in wants_dir.iterdir()}
    except FileNotFoundError:
        return []
    return sorted(wanted - EXCLUDED)
