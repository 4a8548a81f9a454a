"""/etc/resolv.conf pointing at the spartan addresses that answer, or at the upstreams."""

from __future__ import annotations

import argparse
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dcos_internal_utils import node

from dcos_spartan import DNS_PORT, READY_NAME, SPARTAN_ADDRESSES, probe
from dcos_spartan.dnsmasq_conf import Server, upstream_resolvers

log = logging.getLogger("dcos-gen-resolvconf")

# glibc reads at most three nameserver lines.
MAX_NAMESERVERS = 3

HEADER = """\
# Written by dcos-gen-resolvconf: edits are lost within a minute.
# Change the cluster config (resolvers, dns_search) instead.
# Names the DNS forwarder (spartan) addresses that answer, or the upstream
# resolvers while none does.
options timeout:1
options attempts:3
"""


@dataclass(frozen=True)
class Choice:
    nameservers: list[str]
    fallback: bool  # true when no spartan answered and the upstreams stand in


def choose_nameservers(
    spartans: Sequence[str],
    is_live: Callable[[str], bool],
    upstreams: Sequence[Server],
    shuffle: Callable[[list[str]], None] = random.shuffle,
) -> Choice:
    live = [address for address in spartans if is_live(address)]
    if live:
        return Choice(live[:MAX_NAMESERVERS], fallback=False)
    # resolv.conf has no port syntax: an upstream on another port cannot stand in.
    usable = [s.host for s in upstreams if s.port == DNS_PORT]
    skipped = [s for s in upstreams if s.port != DNS_PORT]
    if skipped:
        log.warning("resolvers on a port other than 53 cannot go in resolv.conf: %s", skipped)
    # Spread nodes across upstreams, as DC/OS does.
    shuffle(usable)
    return Choice(usable[:MAX_NAMESERVERS], fallback=True)


def search_domains(dns_search: str) -> list[str]:
    """DC/OS's `dns_search` is a space-separated list of domains."""
    return dns_search.split()


def render(nameservers: Sequence[str], search: Sequence[str]) -> str:
    lines = [HEADER.rstrip("\n")]
    if search:
        lines.append("search " + " ".join(search))
    lines.extend(f"nameserver {ns}" for ns in nameservers)
    return "\n".join(lines) + "\n"


def write_in_place(path: str, contents: str) -> bool:
    """Write `contents` to `path` unless it already holds them; True if written.

    A node container's /etc/resolv.conf is a bind mount: renaming a temp file
    over it fails with EBUSY, so the file is truncated and rewritten in place.
    """
    try:
        with open(path) as f:
            if f.read() == contents:
                return False
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(contents)
        f.flush()
        os.fsync(f.fileno())
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default="/etc/resolv.conf")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for a spartan address to answer before falling back (boot)",
    )
    parser.add_argument("--timeout", type=float, default=1.0, help="per-query timeout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    config = node.expanded_config()
    upstreams = upstream_resolvers(config)
    search = search_domains(str(config.get("dns_search") or ""))

    deadline = time.monotonic() + args.wait
    while True:
        choice = choose_nameservers(
            SPARTAN_ADDRESSES, lambda a: probe.is_ready(a, timeout=args.timeout), upstreams
        )
        if not choice.fallback or time.monotonic() >= deadline:
            break
        time.sleep(1)

    if not choice.nameservers:
        log.error(
            "no spartan address answers %s and no upstream resolver can go in %s: left it as it is",
            READY_NAME,
            args.path,
        )
        return 1
    if choice.fallback:
        log.warning("no spartan address answers %s: falling back to the upstreams", READY_NAME)
    contents = render(choice.nameservers, search)
    written = write_in_place(args.path, contents)
    log.info("%s %s:\n%s", "wrote" if written else "kept (unchanged)", args.path, contents)
    return 0
