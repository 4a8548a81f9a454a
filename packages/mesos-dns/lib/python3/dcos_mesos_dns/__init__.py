"""miniDC/OS's Mesos-DNS: DNS names for a Mesos cluster, named as mesosphere/mesos-dns names them.

Records are built from the leading master's `/master/state` (found through
ZooKeeper) and rebuilt whenever the master's operator event stream reports a
change, so they follow the cluster within a second or two. Queries are answered
from memory.
"""

# Reported by /v1/version: the Mesos-DNS release DC/OS 1.10 ships, and ours.
VERSION = "0.6.0-minidcos1"
DNS_PORT = 61053
HTTP_PORT = 8123
