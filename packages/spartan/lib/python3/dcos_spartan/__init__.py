"""Spartan, DC/OS's node-local DNS forwarder, built on Debian's dnsmasq.

Every node answers DNS on 198.51.100.1-3 (DC/OS's fixed addresses, so that
resolv.conf and task configs can name them without knowing the node) and on
127.0.0.1. `mesos` goes to Mesos-DNS on the masters, `thisdcos.directory` from
Navstar's records, everything else to the cluster's upstream resolvers.
"""

from __future__ import annotations

# DC/OS's spartan addresses; 198.51.100.4 is reserved and unused, as in DC/OS.
SPARTAN_ADDRESSES: tuple[str, ...] = ("198.51.100.1", "198.51.100.2", "198.51.100.3")
LISTEN_ADDRESSES: tuple[str, ...] = (*SPARTAN_ADDRESSES, "127.0.0.1")
DNS_PORT = 53

# The name spartan answers itself (A 127.0.0.1), so that a client can tell
# "the forwarder is up" apart from "the forwarder and its upstreams are up".
READY_NAME = "ready.spartan"
READY_ADDRESS = "127.0.0.1"

MESOS_DNS_PORT = 61053
# Records other components (Navstar) give spartan to answer itself, one hosts
# file each (dnsmasq's hostsdir).
HOSTS_DIR = "/run/dcos/spartan/hosts.d"

SPARTAN_UNIT = "dcos-spartan.service"
