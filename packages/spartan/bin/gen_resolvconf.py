#!/usr/bin/python3
"""See dcos_spartan.resolvconf (on PYTHONPATH through /opt/mesosphere/environment)."""

import sys

from dcos_spartan.resolvconf import main

sys.exit(main())
