"""Packages assembled on the node from the node's own software, made self-contained.

DC/OS ships its own builds of Python, curl and their libraries under
/opt/mesosphere, so they run in any task's container that mounts
/opt/mesosphere read-only, whatever that container's image holds. This
distribution takes them from the node's Debian packages instead, once, when a
package is fetched: a buildinfo's `assemble` section names what to take:

    "assemble": {
      "executables": {"bin/curl": "/usr/bin/curl"},
      "trees": {"lib/python3.11": {"from": "/usr/lib/python3.11", "exclude": ["test"]}}
    }

Every executable and every shared object of a copied tree is made to use the
package's own copies of its libraries and of the dynamic loader (glibc
included): the ELF interpreter is set to the package's loader and the
search path (DT_RPATH, which outranks LD_LIBRARY_PATH) to the package's
`lib/`. The result needs nothing from the filesystem it runs on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

LIB = "lib"  # the package's private library folder (pkgpanda links only lib/python3)
# ldd's lines: "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" and the loader's.
LDD_LINE = re.compile(r"^\s*(?:(\S+)\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)")


class AssembleError(Exception):
    """A package cannot be assembled on this node; the message says what is missing."""


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _run(args: list[str]) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise AssembleError(f"{args[0]} is needed to assemble packages on the node") from exc
    if proc.returncode != 0:
        raise AssembleError(f"{' '.join(args)} failed: {proc.stderr.strip() or proc.stdout}")
    return proc.stdout


def dependencies(paths: list[Path]) -> dict[str, Path]:
    """The shared objects `paths` load (soname -> file), the loader included, as ldd resolves
    them on this node (one ldd for all: a process per file would cost seconds)."""
    found: dict[str, Path] = {}
    if not paths:
        return found
    for line in _run(["ldd", *map(str, paths)]).splitlines():
        if "not found" in line:
            raise AssembleError(f"ldd: {line.strip()}")
        match = LDD_LINE.match(line)
        if match:
            target = Path(match.group(2))
            found[match.group(1) or target.name] = target
    return found


def interpreter(path: Path) -> str:
    return _run(["patchelf", "--print-interpreter", str(path)]).strip()


def _set_rpath(path: Path, rpath: str) -> None:
    _run(["patchelf", "--force-rpath", "--set-rpath", rpath, str(path)])


def assemble(spec: dict[str, Any], work: Path, final: Path) -> None:
    """Fill `work` (the package folder being unpacked) as `spec` says, for a package that
    will live at `final`."""
    lib = work / LIB
    lib.mkdir(parents=True, exist_ok=True)
    elves: list[tuple[Path, bool]] = []  # (file, is an executable)

    for rel, source in sorted(spec.get("trees", {}).items()):
        src = Path(source["from"])
        if not src.is_dir():
            raise AssembleError(f"{src} does not exist on this node")
        excluded = set(source.get("exclude", []))

        def ignore(
            folder: str, names: list[str], src: Path = src, excluded: set[str] = excluded
        ) -> list[str]:
            rel_folder = os.path.relpath(folder, src)
            return [
                n
                for n in names
                if os.path.normpath(os.path.join(rel_folder, n)) in excluded or n in excluded
            ]

        shutil.copytree(src, work / rel, symlinks=True, ignore=ignore)
        elves += [(p, False) for p in sorted((work / rel).rglob("*.so")) if is_elf(p)]

    for rel, source in sorted(spec.get("executables", {}).items()):
        src = Path(source)
        if not src.is_file():
            raise AssembleError(f"{src} does not exist on this node")
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        elves.append((dest, True))

    libraries = dependencies([path for path, _ in elves])
    loader = ""
    for soname, src in sorted(libraries.items()):
        shutil.copy2(src.resolve(), lib / soname)
        if src.name.startswith("ld-linux"):
            loader = soname
    if any(executable for _, executable in elves) and not loader:
        raise AssembleError("no dynamic loader found among the executables' dependencies")

    # The executable's DT_RPATH is searched for every object the process loads (its
    # libraries, and the extension modules it dlopens, none of which has a RUNPATH
    # of its own), so only the executables are patched.
    for path, executable in elves:
        if executable:
            depth = len(path.parent.relative_to(work).parts)
            _set_rpath(path, "$ORIGIN/" + "/".join([".."] * depth + [LIB]))
            _run(["patchelf", "--set-interpreter", str(final / LIB / loader), str(path)])

    for rel, target in sorted(spec.get("links", {}).items()):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).symlink_to(target)
    for rel, lines in sorted(spec.get("files", {}).items()):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text("".join(f"{line}\n" for line in lines))
