"""Octarine, DC/OS's HTTP proxy "visible only to wizards and cats".

    octarine -mode standard|transparent [-bindPort N] [-cache-timeout S] [-verbose] ID
    octarine -client -port ID      print the port the server named ID listens on
    octarine -version

The server listens on 127.0.0.1 (a random port unless -bindPort) and proxies
HTTP. A request whose host starts with `_` (`_app._tcp.marathon.mesos`) goes
to the target and port of that name's SRV record. In transparent mode, a
request sent straight to it (not as a proxy request) goes to its Host header,
with the port and a `.mydcos.directory` suffix dropped. The client and server
of one ID meet over two Unix sockets in $TMPDIR/octarine/.
"""

VERSION = 3  # octarine's compatibility number, as its frontends read it
DCOS_DOMAIN = ".mydcos.directory"
MAX_PORT_LENGTH = 5
