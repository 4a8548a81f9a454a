"""`pkgpanda setup [--no-block]` and `pkgpanda upgrade REPOSITORY_URL PACKAGE_LIST_ID`:
what bin/pkgpanda runs."""

from __future__ import annotations

import sys

from pkgpanda.activation import Layout, setup, upgrade

USAGE = """\
usage: pkgpanda setup [--no-block]
       pkgpanda upgrade REPOSITORY_URL PACKAGE_LIST_ID

setup: reads the repository URL and the package list id from /etc/mesosphere/setup-flags,
fetches every package of the list that /opt/mesosphere/packages lacks, activates the ones
for this node's roles (/etc/mesosphere/roles) and starts dcos.target (--no-block: without
waiting for it).
upgrade: swaps the node to another package list (what dcos_node_upgrade.sh runs): stops
this node's DC/OS units, activates the new list's packages and starts dcos.target again.
"""


def main(argv: list[str], layout: Layout | None = None) -> int:
    if argv[:1] == ["upgrade"] and len(argv) == 3:
        return upgrade(layout or Layout(), argv[1], argv[2])
    if not argv or argv[0] != "setup" or any(a != "--no-block" for a in argv[1:]):
        print(USAGE, file=sys.stderr, end="")
        return 2
    return setup(layout or Layout(), block="--no-block" not in argv[1:])
