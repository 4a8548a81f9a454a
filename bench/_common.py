"""Shared by the benchmarks: timing, results as JSON under bench/results/."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.monotonic()
    value = action()
    return value, time.monotonic() - start


def write_results(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": _cores(), "python": platform.python_version()},
        **figures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _cores() -> int:
    import os

    return os.cpu_count() or 0
