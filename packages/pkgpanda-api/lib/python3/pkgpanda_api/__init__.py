"""miniDC/OS's Pkgpanda API: the node's packages, read from /opt/mesosphere on every request."""
