#!/usr/bin/python3
"""Add a DC/OS user: dcos_add_user.py EMAIL (DC/OS 1.10 Open's tool, same messages).

Users are znodes under /dcos/users; a user added here may log in even after
the cluster's first user exists.
"""

import argparse
import sys

# People run these tools from any root shell on a master, not only with DC/OS's
# environment sourced: find DC/OS's Python modules either way.
sys.path.append("/opt/mesosphere/lib/python3")

from dcos_oauth.useradd import add_user

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("email")
parser.add_argument("--zk", default=None, help="ZooKeeper hosts (default: the masters, port 2181)")
args = parser.parse_args()
ok, message = add_user(args.email, args.zk)
print(message, file=sys.stdout if ok else sys.stderr)
sys.exit(0 if ok else 1)
