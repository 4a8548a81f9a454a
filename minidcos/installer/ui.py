"""The web UI's bundle: built from ui/ with Node.js, shipped as the dcos-ui package.

ui/ holds the UI's sources, its package.json and package-lock.json. The
bundle (`node build.mjs`, esbuild) is cached under a hash of those inputs,
so it is rebuilt only when one changes; `npm ci` runs first when
ui/node_modules was not installed from the current lockfile. The bundle's
files go into packages/dcos-ui/ as `usr/` (DC/OS's layout), which Admin
Router serves at `/`.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from minidcos._util import paths
from minidcos.errors import CommandError, StepError
from minidcos.installer.packages import Package, read_tree

UI_DIR = paths.PROJECT_ROOT / "ui"
PACKAGE_NAME = "dcos-ui"
# Not sources: installed modules, local builds, editor and test leftovers.
NOT_SOURCES = ("node_modules", "dist", ".cache", "__pycache__")


def sources_hash() -> str:
    """The content hash of the UI's inputs (sources, build script, package.json, lockfile)."""
    files = paths.tree_files(UI_DIR, exclude=NOT_SOURCES)
    return paths.content_hash((p.relative_to(UI_DIR).as_posix(), p.read_bytes()) for p in files)


def _lock_stamp() -> Path:
    lock = hashlib.sha256((UI_DIR / "package-lock.json").read_bytes()).hexdigest()[:16]
    return UI_DIR / "node_modules" / f".minidcos-lock-{lock}"


def _run(argv: list[str], what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise StepError(
            what,
            f"`{argv[0]}` is not installed; `bash setup.sh --host-only` installs Node.js and npm",
        )
    proc = subprocess.run(argv, cwd=UI_DIR, capture_output=True, check=False)
    if proc.returncode != 0:
        error = CommandError("the host", argv, proc.returncode, proc.stdout, proc.stderr)
        tail = "\n".join(error.output.strip().splitlines()[-15:])
        raise StepError(what, f"`{' '.join(argv)}` in {UI_DIR} exited {proc.returncode}:\n{tail}")


@contextmanager
def _locked() -> Iterator[None]:
    """One build at a time on this machine: npm ci and the bundle share ui/node_modules."""
    lock_path = paths.cache_dir() / "ui.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def bundle() -> Path:
    """The folder of the built UI (index.html, assets/), building it if its inputs changed."""
    cached = paths.cache_dir() / "ui" / sources_hash()[:16]
    if cached.is_dir():
        return cached
    with _locked():
        if cached.is_dir():
            return cached
        if not _lock_stamp().exists():
            _run(["npm", "ci", "--no-audit", "--no-fund"], "installing the UI's modules (npm ci)")
            _lock_stamp().touch()
        partial = cached.with_name(f"{cached.name}.{paths.unique_suffix()}.partial")
        _run(["node", "build.mjs", "--outdir", str(partial)], "bundling the UI (node build.mjs)")
        partial.rename(cached)
    return cached


def with_bundle(package: Package) -> Package:
    """The dcos-ui package with the built UI under usr/."""
    files, modes = read_tree(bundle(), ())
    return replace(
        package,
        files={**package.files, **{f"usr/{k}": v for k, v in files.items()}},
        modes={**package.modes, **{f"usr/{k}": v for k, v in modes.items()}},
    )
