"""`pkgpanda setup [--no-block]`: what bin/pkgpanda runs."""

from __future__ import annotations

import sys

from pkgpanda.activation import Layout, setup

USAGE = """\
usage: pkgpanda setup [--no-block]

Reads the repository URL and the package list id from /etc/mesosphere/setup-flags,
fetches every package of the list that /opt/mesosphere/packages lacks, activates
the ones for this node's roles (/etc/mesosphere/roles) and starts dcos.target
(--no-block: without waiting for it).
"""


def main(argv: list[str], layout: Layout | None = None) -> int:
    if not argv or argv[0] != "setup" or any(a != "--no-block" for a in argv[1:]):
        print(USAGE, file=sys.stderr, end="")
        return 2
    return setup(layout or Layout(), block="--no-block" not in argv[1:])
