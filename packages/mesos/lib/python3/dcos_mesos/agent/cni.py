"""Container networks for the Mesos containerizer (Mesos's `network/cni` isolator).

A task whose ContainerInfo names a network (`network_infos[].name`) gets its
own network namespace, `/var/run/netns/mesos-<container id>`, joined to that
network by the CNI plugin its config names (configs in
`--network_cni_config_dir`, plugins in `--network_cni_plugins_dir`); its
address comes back in the task's status (`container_status.network_infos`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from dcos_mesos.agent.launcher import LaunchError, run

log = logging.getLogger("mesos-agent.cni")

NETNS_DIR = Path("/var/run/netns")
IFNAME = "eth0"


def netns_name(container_id: str) -> str:
    return f"mesos-{container_id}"


def netns_path(container_id: str) -> str:
    return str(NETNS_DIR / netns_name(container_id))


def find_config(config_dir: Path, name: str) -> dict[str, Any] | None:
    for path in sorted(config_dir.glob("*.conf")) + sorted(config_dir.glob("*.cni")):
        try:
            config = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if config.get("name") == name:
            return dict(config)
    return None


async def _plugin(
    command: str, config: dict[str, Any], container_id: str, plugins_dir: str
) -> dict[str, Any]:
    plugin = Path(plugins_dir) / str(config.get("type", ""))
    env = {
        **os.environ,
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": container_id,
        "CNI_NETNS": netns_path(container_id),
        "CNI_IFNAME": IFNAME,
        "CNI_PATH": plugins_dir,
    }
    proc = await asyncio.create_subprocess_exec(
        str(plugin),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(json.dumps(config).encode()), 30)
    if proc.returncode != 0:
        raise LaunchError(
            f"Failed to launch container: the CNI plugin '{plugin.name}' failed to {command} "
            f"network '{config.get('name')}': {(out or err).decode(errors='replace').strip()}"
        )
    return dict(json.loads(out)) if out.strip() else {}


async def attach(container_id: str, name: str, config_dir: Path, plugins_dir: str) -> str:
    """Join a new network namespace to network `name`; the container's IPv4 address."""
    config = find_config(config_dir, name)
    if config is None:
        raise LaunchError(f"Failed to launch container: Unknown CNI network '{name}'")
    rc, out = await run(["ip", "netns", "add", netns_name(container_id)])
    if rc != 0 and "exists" not in out:
        raise LaunchError(f"Failed to launch container: cannot make a network namespace: {out}")
    await run(["ip", "-n", netns_name(container_id), "link", "set", "lo", "up"])
    result = await _plugin("ADD", config, container_id, plugins_dir)
    for ip in result.get("ips", []):
        address = str(ip.get("address", ""))
        if address and ":" not in address:
            return address.split("/")[0]
    raise LaunchError(f"Failed to launch container: network '{name}' gave no IPv4 address")


async def detach(container_id: str, name: str, config_dir: Path, plugins_dir: str) -> None:
    config = find_config(config_dir, name)
    if config is not None and Path(netns_path(container_id)).exists():
        try:
            await _plugin("DEL", config, container_id, plugins_dir)
        except (TimeoutError, LaunchError, OSError) as exc:
            log.warning("CNI DEL for %s: %s", container_id, exc)
    await run(["ip", "netns", "del", netns_name(container_id)])


async def address_in(container_id: str) -> str:
    """The address a recovered container's namespace holds ("" if it has none)."""
    rc, out = await run(["ip", "-n", netns_name(container_id), "-j", "-4", "addr", "show", IFNAME])
    if rc != 0:
        return ""
    for link in json.loads(out or "[]"):
        for info in link.get("addr_info", []):
            return str(info.get("local", ""))
    return ""
