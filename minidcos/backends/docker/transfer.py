"""Files to and from a node, through the node's own view of its filesystem.

The engine's archive API writes beneath the node's tmpfs mounts (/tmp,
/run): a copy there reports success and never appears. So a copy is a tar
stream into (or out of) `tar` running inside the node through `docker exec`,
and every regular file is then checked by sha256 on both ends. Missing
parents are made; modes are kept; a copy that cannot be made, or that
arrives different, raises TransferError.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from minidcos.backends.base import Transfer
from minidcos.errors import TransferError, UsageError

# argv of `docker exec` for one node: (command, interactive) -> argv
ExecArgv = Callable[[list[str], bool], list[str]]

# Unpack the stream from stdin to exactly "$1", then list what is there.
# `sha256sum --zero` ends records with NUL and does not escape names.
RECEIVE = r"""
set -eu
dest=$1 kind=$2
parent=$(dirname -- "$dest")
if [ -e "$dest" ] || [ -L "$dest" ]; then
  if [ "$kind" = file ] && [ -d "$dest" ]; then
    echo "$dest is a folder; give the file's own path" >&2; exit 3
  fi
  if [ "$kind" = folder ] && [ ! -d "$dest" ]; then
    echo "$dest exists and is not a folder" >&2; exit 3
  fi
fi
ancestor=$parent
while [ ! -e "$ancestor" ]; do ancestor=$(dirname -- "$ancestor"); done
if [ ! -d "$ancestor" ]; then
  echo "cannot copy to $dest: $ancestor is a file, not a folder" >&2; exit 3
fi
mkdir -p -- "$parent"
tar -x -p -f - -C "$parent"
find "$dest" -type f -print0 | xargs -0 -r sha256sum --zero --
"""

# List what is at "$1" (nothing if it is not there), for a download.
LIST = r"""
set -eu
if [ ! -e "$1" ]; then echo "$1 does not exist" >&2; exit 3; fi
if [ -d "$1" ]; then echo folder; else echo file; fi
find "$1" -type f -print0 | xargs -0 -r sha256sum --zero --
"""

SEND = r"""
set -eu
cd -- "$(dirname -- "$1")"
exec tar -c -f - -- "$(basename -- "$1")"
"""


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def local_manifest(root: Path) -> dict[str, tuple[int, str]]:
    """Every regular file under `root` (or `root` itself): relative path -> (size, sha256)."""
    if root.is_file():
        return {"": (root.stat().st_size, _digest(root))}
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = (path.stat().st_size, _digest(path))
    return found


def parse_sums(text: bytes, root: str) -> dict[str, str]:
    """`sha256sum --zero` output under `root`: relative path -> sha256."""
    sums = {}
    for record in text.split(b"\0"):
        if not record.strip():
            continue
        digest, _, name = record.decode(errors="surrogateescape").lstrip("\n").partition("  ")
        rel = "" if name == root else PurePosixPath(name).relative_to(root).as_posix()
        sums[rel] = digest
    return sums


def _verify(sent: dict[str, tuple[int, str]], arrived: dict[str, str], what: str) -> Transfer:
    missing = sorted(p or "." for p in sent if p not in arrived)
    differ = sorted(p or "." for p, (_, digest) in sent.items() if arrived.get(p, digest) != digest)
    if missing or differ:
        raise TransferError(
            f"{what}: the copy did not arrive intact"
            + (f"; missing: {', '.join(missing[:10])}" if missing else "")
            + (f"; different sha256: {', '.join(differ[:10])}" if differ else "")
        )
    return Transfer(len(sent), sum(size for size, _ in sent.values()), sha256_verified=True)


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def send(exec_argv: ExecArgv, where: str, local: Path, remote: Path) -> Transfer:
    what = f"copying {local} to {where}:{remote}"
    if not remote.name:
        raise UsageError(f"{remote} cannot be replaced; give the path the copy should get")
    if not local.exists():
        raise UsageError(f"{local} does not exist on this machine: pass a file or folder that does")
    kind = "folder" if local.is_dir() else "file"
    manifest = local_manifest(local)
    with tempfile.TemporaryFile() as stream:
        with tarfile.open(fileobj=stream, mode="w") as tar:
            tar.add(str(local), arcname=remote.name, filter=_owned_by_root)
        stream.seek(0)
        argv = exec_argv(["sh", "-c", RECEIVE, "minidcos-receive", str(remote), kind], True)
        proc = subprocess.run(argv, stdin=stream, capture_output=True)
    if proc.returncode != 0:
        raise TransferError(f"{what} failed: {_last_words(proc.stderr)}")
    return _verify(manifest, parse_sums(proc.stdout, str(remote)), what)


def receive(exec_argv: ExecArgv, where: str, remote: Path, local: Path) -> Transfer:
    what = f"copying {where}:{remote} to {local}"
    listing = subprocess.run(
        exec_argv(["sh", "-c", LIST, "minidcos-list", str(remote)], False), capture_output=True
    )
    if listing.returncode != 0:
        raise TransferError(f"{what} failed: {_last_words(listing.stderr)}")
    kind, _, sums = listing.stdout.partition(b"\n")
    remote_sums = parse_sums(sums, str(remote))
    if kind == b"file" and local.is_dir():
        raise UsageError(f"{local} is a folder; give the file's own path on this machine")
    if kind == b"folder" and local.exists() and not local.is_dir():
        raise UsageError(f"{local} exists and is not a folder")
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TransferError(f"{what} failed: {exc}") from exc
    with tempfile.TemporaryDirectory(dir=local.parent, prefix=".minidcos-get-") as tmp:
        with tempfile.TemporaryFile() as stream:
            proc = subprocess.run(
                exec_argv(["sh", "-c", SEND, "minidcos-send", str(remote)], False),
                stdout=stream,
                stderr=subprocess.PIPE,
            )
            if proc.returncode != 0:
                raise TransferError(f"{what} failed: {_last_words(proc.stderr)}")
            stream.seek(0)
            with tarfile.open(fileobj=stream, mode="r") as tar:
                tar.extractall(tmp, filter="tar")
        unpacked = Path(tmp) / remote.name
        if kind == b"folder" and local.is_dir():
            shutil.copytree(unpacked, local, symlinks=True, dirs_exist_ok=True)
        else:
            os.replace(unpacked, local)
    arrived = {rel: digest for rel, (_, digest) in local_manifest(local).items()}
    sizes = {rel: (0, digest) for rel, digest in remote_sums.items()}
    transfer = _verify(sizes, arrived, what)
    total = sum((local / rel).stat().st_size if rel else local.stat().st_size for rel in sizes)
    return Transfer(transfer.files, total, sha256_verified=True)


def _last_words(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return "; ".join(lines[-3:]) or "no message"
