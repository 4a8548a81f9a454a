"""Where the project's files and the harness's caches live."""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

# The checkout the harness runs from: node_images/, Dockerfile.node, packages/
# and integration_tests/ are read from it (the project is installed editable).
PROJECT_ROOT = Path(os.environ.get("MINIDCOS_PROJECT_ROOT", Path(__file__).resolve().parents[2]))


def home() -> Path:
    """Caches (rootfs, installers) and cluster workspaces: $MINIDCOS_HOME or ~/.minidcos."""
    return Path(os.environ.get("MINIDCOS_HOME", Path.home() / ".minidcos"))


def cache_dir() -> Path:
    path = home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def workspaces_dir() -> Path:
    path = home() / "workspaces"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tree_files(
    root: Path, exclude: tuple[str, ...] = ("__pycache__", ".pytest_cache")
) -> list[Path]:
    """Every file under `root`, sorted, skipping caches: the inputs of a content hash."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part in exclude for part in p.relative_to(root).parts)
    )


def content_hash(items: Iterable[tuple[str, bytes]]) -> str:
    """sha1 over (name, content) pairs; stable across machines and checkouts."""
    digest = hashlib.sha1()
    for name, data in items:
        digest.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def unique_suffix() -> str:
    """A name part no other process uses at once: for files written then renamed into place."""
    return f"{os.getpid()}-{secrets.token_hex(3)}"


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Held by one process (or thread) at a time on this machine: `name` in the cache folder.

    flock belongs to the open file, so two threads of one process exclude each
    other too; the kernel drops it when a holder dies, so no stale lock remains.
    """
    with open(cache_dir() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
