"""Put the package's modules and dcos_internal_utils on sys.path, as a node's PYTHONPATH does."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGES = Path(__file__).resolve().parents[2]
for lib in (
    PACKAGES / "exhibitor" / "lib" / "python3",
    PACKAGES / "dcos-internal-utils" / "lib" / "python3",
):
    if str(lib) not in sys.path:
        sys.path.insert(0, str(lib))
