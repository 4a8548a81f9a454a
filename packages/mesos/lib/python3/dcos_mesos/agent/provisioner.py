"""Root filesystems for tasks with an image (the UCR), and the crun bundles that use them.

Images come from an `ImageSource`: the agent's Docker registry
(`registry_images.RegistryImages`, the `--docker_registry` flag), pulled
into the agent's Docker store and kept by manifest digest. Each container gets an
overlay of the cached rootfs (its writes land on tmpfs under /run, because
the node's own root is overlayfs and cannot hold an overlay's upper layer).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Protocol

from dcos_mesos.agent.launcher import SANDBOX_IN_CONTAINER, LaunchError, run

DEFAULT_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
]
RLIMIT_NAMES = {
    "RLMT_NOFILE": "RLIMIT_NOFILE",
    "RLMT_NPROC": "RLIMIT_NPROC",
    "RLMT_CORE": "RLIMIT_CORE",
    "RLMT_STACK": "RLIMIT_STACK",
    "RLMT_AS": "RLIMIT_AS",
    "RLMT_CPU": "RLIMIT_CPU",
    "RLMT_DATA": "RLIMIT_DATA",
    "RLMT_FSIZE": "RLIMIT_FSIZE",
    "RLMT_MEMLOCK": "RLIMIT_MEMLOCK",
}
UNLIMITED = 18446744073709551615


class Image:
    def __init__(self, name: str, rootfs: Path, config: dict[str, Any]) -> None:
        self.name = name
        self.rootfs = rootfs
        self.config = config  # Entrypoint, Cmd, Env, WorkingDir (Docker's image config)


class ImageSource(Protocol):
    address: str  # the registry, as tasks' image names would name it

    async def get(self, name: str, cached: bool = True) -> Image:
        """The image's rootfs and config; `cached` False fetches the name afresh."""
        ...

    async def holds(self, name: str) -> bool | None:
        """Whether the registry has the image; None when it cannot tell."""
        ...


class Bundles:
    """An OCI bundle per container: an overlay root over the image's rootfs, and config.json."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, container_id: str) -> Path:
        return self.root / container_id

    async def create(
        self,
        container_id: str,
        image: Image,
        args: list[str],
        env: dict[str, str],
        sandbox: Path,
        mounts: list[tuple[str, str, bool]],
        rlimits: list[dict[str, Any]],
        hostname: str = "",
        netns: str = "",
    ) -> Path:
        bundle = self.path(container_id)
        for sub in ("upper", "work", "merged"):
            (bundle / sub).mkdir(parents=True, exist_ok=True)
        rc, out = await run(
            [
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                f"lowerdir={image.rootfs},upperdir={bundle / 'upper'},workdir={bundle / 'work'}",
                str(bundle / "merged"),
            ]
        )
        if rc != 0:
            raise LaunchError(f"Failed to launch container: cannot mount the image's rootfs: {out}")
        merged = bundle / "merged"
        for target in (SANDBOX_IN_CONTAINER, "/etc"):
            (merged / target.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for name in ("resolv.conf", "hosts", "hostname"):
            (merged / "etc" / name).touch(exist_ok=True)
        image_env = dict(e.split("=", 1) for e in image.config.get("Env") or [] if "=" in e)
        full_env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            **image_env,
            **env,
            "MESOS_SANDBOX": SANDBOX_IN_CONTAINER,
        }
        oci_mounts: list[dict[str, Any]] = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            {
                "destination": "/sys",
                "type": "bind",
                "source": "/sys",
                "options": ["rbind", "nosuid", "noexec", "nodev", "ro"],
            },
            {
                "destination": SANDBOX_IN_CONTAINER,
                "type": "bind",
                "source": str(sandbox),
                "options": ["rbind", "rw"],
            },
        ]
        for name in ("resolv.conf", "hosts", "hostname"):
            oci_mounts.append(
                {
                    "destination": f"/etc/{name}",
                    "type": "bind",
                    "source": f"/etc/{name}",
                    "options": ["bind", "ro"],
                }
            )
        for source, destination, read_only in mounts:
            (merged / destination.lstrip("/")).mkdir(parents=True, exist_ok=True)
            oci_mounts.append(
                {
                    "destination": destination,
                    "type": "bind",
                    "source": source,
                    "options": ["rbind", "ro" if read_only else "rw"],
                }
            )
        oci_rlimits = []
        for rlimit in rlimits:
            limit_name = RLIMIT_NAMES.get(str(rlimit.get("type")))
            if limit_name:
                oci_rlimits.append(
                    {
                        "type": limit_name,
                        "soft": int(rlimit.get("soft", UNLIMITED)),
                        "hard": int(rlimit.get("hard", UNLIMITED)),
                    }
                )
        config = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False,
                "user": {"uid": 0, "gid": 0},
                "args": args,
                "env": [f"{k}={v}" for k, v in full_env.items()],
                "cwd": SANDBOX_IN_CONTAINER,
                "capabilities": {
                    k: DEFAULT_CAPS for k in ("bounding", "effective", "permitted", "inheritable")
                },
                "rlimits": oci_rlimits,
                "noNewPrivileges": False,
            },
            "root": {"path": str(merged), "readonly": False},
            "hostname": hostname,
            "mounts": oci_mounts,
            "linux": {
                "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}]
                + ([{"type": "uts"}] if hostname else [])
                + ([{"type": "network", "path": netns}] if netns else [])
            },
        }
        (bundle / "config.json").write_text(json.dumps(config))
        return bundle

    async def destroy(self, container_id: str) -> None:
        bundle = self.path(container_id)
        if not bundle.exists():
            return
        await run(["umount", "-l", str(bundle / "merged")])
        shutil.rmtree(bundle, ignore_errors=True)


def image_args(image: Image, command: dict[str, Any]) -> list[str]:
    """The process an image task runs: its command, else the image's entrypoint and cmd."""
    entrypoint = list(image.config.get("Entrypoint") or [])
    cmd = list(image.config.get("Cmd") or [])
    if command.get("shell", True) and command.get("value"):
        return ["/bin/sh", "-c", str(command["value"])]
    if command.get("value"):
        return [str(command["value"]), *[str(a) for a in command.get("arguments", [])[1:]]]
    if command.get("arguments"):
        return entrypoint + [str(a) for a in command["arguments"]]
    return entrypoint + cmd


def crun_argv(bundle: Path, container_id: str) -> list[str]:
    return [
        "crun",
        "--cgroup-manager=disabled",
        "run",
        "--bundle",
        str(bundle),
        f"mesos-{container_id}",
    ]
