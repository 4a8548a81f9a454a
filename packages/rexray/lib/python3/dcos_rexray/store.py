"""Volumes as directories (REX-Ray's vfs driver), and where Docker sees them mounted.

A volume NAME is the directory <vfs root>/vol/NAME, with its creation options
in <vfs root>/vol/NAME.json. While a container uses it, it is bind-mounted
on <mount root>/NAME, and Docker gets <mount root>/NAME/data, as REX-Ray
hands out its volumes. The data stays in the volume's directory whether it is
mounted or not, so a container that is removed and started again finds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Docker volume names: what REX-Ray accepts for vfs volumes.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


class VolumeError(Exception):
    """A volume operation failed; the message is what Docker shows the user."""


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise VolumeError(f"{' '.join(args)}: {proc.stderr.strip() or proc.returncode}")


class Mounts:
    """Bind mounts in this node's mount namespace (where dockerd runs too)."""

    def is_mounted(self, path: Path) -> bool:
        target = str(path)
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == target for line in f)

    def bind(self, source: Path, target: Path) -> None:
        _run(["mount", "--bind", str(source), str(target)])

    def unbind(self, target: Path) -> None:
        _run(["umount", str(target)])


@dataclass
class Store:
    vfs_root: Path
    mount_root: Path
    mounts: Mounts = field(default_factory=Mounts)
    mount_ids: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def volumes(self) -> Path:
        return self.vfs_root / "vol"

    def _dir(self, name: str) -> Path:
        if not NAME.match(name or ""):
            raise VolumeError(f"invalid volume name {name!r}")
        return self.volumes / name

    def mountpoint(self, name: str) -> Path:
        return self.mount_root / name / "data"

    def exists(self, name: str) -> bool:
        return self._dir(name).is_dir()

    def create(self, name: str, opts: dict[str, Any] | None = None) -> None:
        path = self._dir(name)
        with self.lock:
            if path.is_dir():
                return  # Docker creates a volume it already knows again: fine
            self.volumes.mkdir(parents=True, exist_ok=True)
            path.mkdir()
            path.with_suffix(".json").write_text(json.dumps({"name": name, "opts": opts or {}}))

    def remove(self, name: str) -> None:
        path = self._dir(name)
        with self.lock:
            if not path.is_dir():
                raise VolumeError(f"volume {name} does not exist")
            if self.mount_ids.get(name) or self.mounts.is_mounted(self.mount_root / name):
                raise VolumeError(f"volume {name} is in use")
            shutil.rmtree(path)
            path.with_suffix(".json").unlink(missing_ok=True)
            if (self.mount_root / name).is_dir():
                (self.mount_root / name).rmdir()

    def names(self) -> list[str]:
        if not self.volumes.is_dir():
            return []
        return sorted(p.name for p in self.volumes.iterdir() if p.is_dir())

    def info(self, name: str) -> dict[str, Any]:
        path = self._dir(name)
        if not path.is_dir():
            raise VolumeError(f"volume {name} does not exist")
        entry: dict[str, Any] = {"Name": name}
        if self.mounts.is_mounted(self.mount_root / name):
            entry["Mountpoint"] = str(self.mountpoint(name))
        entry["Status"] = {}
        return entry

    def mount(self, name: str, mount_id: str) -> Path:
        path = self._dir(name)
        with self.lock:
            if not path.is_dir():
                raise VolumeError(f"volume {name} does not exist")
            target = self.mount_root / name
            if not self.mounts.is_mounted(target):
                target.mkdir(parents=True, exist_ok=True)
                self.mounts.bind(path, target)
            (target / "data").mkdir(exist_ok=True)
            self.mount_ids.setdefault(name, set()).add(mount_id or "")
            return target / "data"

    def unmount(self, name: str, mount_id: str) -> None:
        self._dir(name)
        with self.lock:
            ids = self.mount_ids.setdefault(name, set())
            ids.discard(mount_id or "")
            target = self.mount_root / name
            if not ids and self.mounts.is_mounted(target):
                self.mounts.unbind(target)
            if not ids:
                self.mount_ids.pop(name, None)

    def usage(self, name: str) -> int:
        """Bytes the volume holds."""
        total = 0
        for root, _, files in os.walk(self._dir(name)):
            for f in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, f)).st_size
        return total
