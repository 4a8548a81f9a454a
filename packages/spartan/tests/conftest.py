"""Put the package's modules and dcos-internal-utils on sys.path, as PYTHONPATH does on a node."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGES = Path(__file__).resolve().parents[2]
for package in ("spartan", "dcos-internal-utils"):
    sys.path.insert(0, str(PACKAGES / package / "lib" / "python3"))
