"""Put every package's Python modules on sys.path, as PYTHONPATH does on a node.

On a node, pkgpanda links each active package's lib/python3/* into
/opt/mesosphere/lib/python3, which is on PYTHONPATH; the packages' fast tests
see the same modules from the checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGES = Path(__file__).resolve().parent
for lib in sorted(PACKAGES.glob("*/lib/python3")):
    if str(lib) not in sys.path:
        sys.path.insert(0, str(lib))
