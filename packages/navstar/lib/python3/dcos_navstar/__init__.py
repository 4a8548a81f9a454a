"""Navstar: DC/OS's node-local networking controller.

One `dcos-navstar` per node follows the leading Mesos master's operator event
stream and programs the node's kernel: nftables DNAT for the cluster's
virtual IPs (Minuteman's L4 load balancer), the `dcos` overlay's VXLAN
device and routes, unreachable routes for the VIP and overlay ranges, and the
`*.thisdcos.directory` records spartan answers from memory.
"""

from __future__ import annotations

VERSION = "1.10.0-minidcos"
API_PORT = 62080

# The DNS zones Navstar fills, as DC/OS names them.
DCOS_DOMAIN = "dcos.thisdcos.directory"
L4LB_DOMAIN = "l4lb.thisdcos.directory"
# Seconds a client may cache an answer (navstar_dns's TTL).
RECORD_TTL = 5
