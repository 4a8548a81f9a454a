"""REX-Ray's configuration file (YAML): the keys this implementation reads.

rexray:
  loglevel: info
  service: vfs                 # the only storage service here
  modules:
    default-docker:
      disabled: false          # true: run, but do not serve Docker (DC/OS's default)
      host: unix:///run/docker/plugins/rexray.sock
vfs:
  root: /var/lib/libstorage/vfs
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_PATH = Path("/etc/rexray/config.yml")
DEFAULT_HOST = "unix:///run/docker/plugins/rexray.sock"
DEFAULT_VFS_ROOT = "/var/lib/libstorage/vfs"
DEFAULT_MOUNT_ROOT = "/var/lib/rexray/volumes"
SERVICES = ("vfs",)


class ConfigError(Exception):
    """The config asks for something this REX-Ray cannot do."""


@dataclass(frozen=True)
class Config:
    loglevel: str = "info"
    service: str = "vfs"
    docker_enabled: bool = True
    socket_path: str = DEFAULT_HOST[len("unix://") :]
    vfs_root: Path = Path(DEFAULT_VFS_ROOT)
    mount_root: Path = Path(DEFAULT_MOUNT_ROOT)


def _section(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return data if isinstance(data, dict) else {}


def parse(data: Any) -> Config:
    rexray = _section(data, "rexray")
    service = str(rexray.get("service", "vfs"))
    if service not in SERVICES:
        raise ConfigError(
            f"rexray.service {service!r} is not available here: the only storage service is "
            f"{', '.join(SERVICES)} (volumes as directories on the agent)"
        )
    docker = _section(rexray, "modules", "default-docker")
    host = str(docker.get("host", DEFAULT_HOST))
    if not host.startswith("unix://"):
        raise ConfigError(f"rexray.modules.default-docker.host {host!r}: only unix:// sockets")
    vfs = _section(data, "vfs")
    return Config(
        loglevel=str(rexray.get("loglevel", "info")),
        service=service,
        docker_enabled=not bool(docker.get("disabled", False)),
        socket_path=host[len("unix://") :],
        vfs_root=Path(str(vfs.get("root", DEFAULT_VFS_ROOT))),
    )


def load(path: Path = CONFIG_PATH) -> Config:
    if not path.exists():
        return Config()
    import yaml

    return parse(yaml.safe_load(path.read_text()) or {})
