"""Install DC/OS on a cluster's nodes through the installer contract.

The same code path serves the real `dcos_generate_config.sh` and ours:
write genconf/config.yaml and genconf/ip-detect, run `--validate-config`
(before any container exists) and `--genconf` on the host, then
`dcos_install.sh <role>` on every node from the shared serve dir, which
every node sees read-only at SERVE_MOUNT.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from minidcos.errors import CommandError, ConfigError, StepError, UsageError
from minidcos.node import Node, Role
from minidcos.status import Status

SERVE_MOUNT = "/opt/dcos_install_tmp"  # where every node sees genconf/serve, read-only

# ip-detect for nodes on the cluster's bridge: the address of eth0.
IP_DETECT = """#!/usr/bin/env bash
# Print this node's private IPv4 address: the one on eth0, the cluster's network.
set -o nounset -o errexit
ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -n 1
"""


def base_config(
    masters: Sequence[str], agents: Sequence[str], public_agents: Sequence[str]
) -> dict[str, Any]:
    """The config every cluster starts from; --extra-config is merged over it."""
    return {
        "cluster_name": "minidcos",
        "bootstrap_url": f"file://{SERVE_MOUNT}",
        "master_discovery": "static",
        "exhibitor_storage_backend": "static",
        "master_list": list(masters),
        "agent_list": list(agents),
        "public_agent_list": list(public_agents),
        # Docker's embedded DNS: the node's own resolver (never a public one).
        "resolvers": ["127.0.0.11"],
        "check_time": False,
        "process_timeout": 10000,
    }


def write_genconf(workspace: Path, config: dict[str, Any], genconf_source: Path | None) -> Path:
    """Lay out workspace/genconf/ (config.yaml, ip-detect, the user's extra files)."""
    genconf = workspace / "genconf"
    genconf.mkdir(parents=True, exist_ok=True)
    if genconf_source is not None:
        shutil.copytree(genconf_source, genconf, dirs_exist_ok=True)
    (genconf / "config.yaml").write_text(yaml.safe_dump(config, default_flow_style=False))
    if not (genconf / "ip-detect").exists():
        (genconf / "ip-detect").write_text(IP_DETECT)
    (genconf / "serve").mkdir(exist_ok=True)
    return genconf


def installer_env() -> dict[str, str]:
    # Our installer's genconf needs PyYAML; the harness's own python has it.
    return {**os.environ, "DCOS_INSTALLER_PYTHON": sys.executable}


def run_installer(installer: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(installer), *args],
        cwd=workspace,
        env=installer_env(),
        capture_output=True,
        text=True,
    )


def check_installer(installer: Path) -> Path:
    """`installer` if it looks like a dcos_generate_config.sh; UsageError saying why not."""
    expected = "a DC/OS installer (dcos_generate_config.sh: a shell script that starts with '#!')"
    if not installer.exists():
        raise UsageError(f"installer {installer} does not exist; expected {expected}")
    if not installer.is_file():
        raise UsageError(f"installer {installer} is not a file; expected {expected}")
    try:
        with installer.open("rb") as f:
            start = f.read(512)
    except OSError as exc:
        raise UsageError(f"installer {installer} cannot be read: {exc.strerror or exc}") from exc
    if not start.startswith(b"#!"):
        found = "an empty file" if not start else "a file that does not start with '#!'"
        raise UsageError(f"installer {installer} is {found}; expected {expected}")
    return installer.resolve()


def _outcome(
    installer: Path, workspace: Path, option: str, source: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    proc = run_installer(installer, workspace, option)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    if proc.returncode != 0:
        problems = [line for line in lines if not line.startswith("====>")]
        if proc.returncode in (126, 127) or not problems:
            problems = [
                f"{installer.name} {option} exited {proc.returncode}: is it a DC/OS installer?",
                *problems[-10:],
            ]
        raise ConfigError(problems, source=source)
    return proc, [line.removeprefix("WARNING: ") for line in lines if line.startswith("WARNING")]


def validate_config(
    installer: Path, config: dict[str, Any], genconf_source: Path | None, scratch: Path, source: str
) -> list[str]:
    """Run `--validate-config` on `config` in `scratch`; its warnings, or ConfigError."""
    write_genconf(scratch, config, genconf_source)
    return _outcome(installer, scratch, "--validate-config", source)[1]


def genconf(installer: Path, workspace: Path, source: str = "config.yaml") -> list[str]:
    """Run `--genconf`; returns its warnings, raises ConfigError with every problem."""
    return _outcome(installer, workspace, "--genconf", source)[1]


def generate_upgrade(installer: Path, workspace: Path, from_version: str) -> str:
    """Run `--generate-node-upgrade-script FROM_VERSION` in the cluster's workspace (whose
    genconf/ the cluster was installed from); the upgrade script's path inside serve/.

    DC/OS's installer and ours both print `Node upgrade script URL: <bootstrap_url>/<path>`.
    """
    option = "--generate-node-upgrade-script"
    proc = run_installer(installer, workspace, option, from_version)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        lines = [line for line in output.splitlines() if line.strip()]
        raise ConfigError(
            lines[-10:] or [f"exited {proc.returncode}"], source=f"{installer.name} {option}"
        )
    bootstrap_url = f"file://{SERVE_MOUNT}"
    for line in output.splitlines():
        if line.startswith("Node upgrade script URL:"):
            url = line.split(":", 1)[1].strip()
            if url.startswith(bootstrap_url + "/"):
                return url[len(bootstrap_url) + 1 :]
            raise StepError(
                "generating the node upgrade script",
                f"the script is at {url}, outside the serve folder the nodes see ({bootstrap_url})",
            )
    raise StepError(
        "generating the node upgrade script",
        f"{installer.name} {option} printed no 'Node upgrade script URL:' line",
    )


def install(nodes: Sequence[Node], status: Status) -> None:
    """`dcos_install.sh <role>` on every node at once."""
    with status.step(f"Installing DC/OS on {len(nodes)} nodes") as step:

        def one(node: Node) -> None:
            try:
                node.run(
                    [
                        "bash",
                        f"{SERVE_MOUNT}/dcos_install.sh",
                        "--no-block-dcos-setup",
                        node.role.dcos_role,
                    ]
                )
            except CommandError as exc:
                raise StepError("installing DC/OS", f"dcos_install.sh failed on {node}") from exc
            step.update(f"{node.reference}: installed as {node.role.dcos_role}")

        with ThreadPoolExecutor(max_workers=max(1, min(16, len(nodes)))) as pool:
            for future in [pool.submit(one, n) for n in nodes]:
                future.result()


def role_lists(nodes: Sequence[tuple[Role, str]]) -> tuple[list[str], list[str], list[str]]:
    by_role: dict[Role, list[str]] = {r: [] for r in Role}
    for role, ip in nodes:
        by_role[role].append(ip)
    return by_role[Role.MASTER], by_role[Role.AGENT], by_role[Role.PUBLIC_AGENT]
