"""Running a task's container as its own systemd transient unit.

Every container is a unit `mesos-<container id>.service`: its own cgroup,
with `cpus` as CPU shares and a CFS quota and `mem` as a memory limit (cgroup
v1). The unit is not a child of the agent, so tasks outlive agent restarts.
Its ExecStopPost (`mesos-container-exited`) records how it ended (exit
status, signal, and the memory cgroup's OOM-kill count) and tells the agent.
The unit writes the task's stdout and stderr to the sandbox files itself; the
agent's container logger follows them into the journal.

Three kinds of command line run in that unit:
- a plain command (the Mesos containerizer without an image),
- `crun run` of a bundle whose rootfs comes from an image (the UCR),
- `docker run` in the agent's Docker Engine (the Docker containerizer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcos_internal_utils import cgroups

from dcos_mesos.resources import Resources

log = logging.getLogger("mesos-agent.launcher")

EXITED_HELPER = "/opt/mesosphere/bin/mesos-container-exited"
SANDBOX_IN_CONTAINER = "/mnt/mesos/sandbox"

RLIMIT_PROPERTIES = {
    "RLMT_AS": "LimitAS",
    "RLMT_CORE": "LimitCORE",
    "RLMT_CPU": "LimitCPU",
    "RLMT_DATA": "LimitDATA",
    "RLMT_FSIZE": "LimitFSIZE",
    "RLMT_LOCKS": "LimitLOCKS",
    "RLMT_MEMLOCK": "LimitMEMLOCK",
    "RLMT_MSGQUEUE": "LimitMSGQUEUE",
    "RLMT_NICE": "LimitNICE",
    "RLMT_NOFILE": "LimitNOFILE",
    "RLMT_NPROC": "LimitNPROC",
    "RLMT_RSS": "LimitRSS",
    "RLMT_RTPRIO": "LimitRTPRIO",
    "RLMT_RTTIME": "LimitRTTIME",
    "RLMT_SIGPENDING": "LimitSIGPENDING",
    "RLMT_STACK": "LimitSTACK",
}


class LaunchError(Exception):
    """The container could not be started; the message goes into TASK_FAILED."""


@dataclass
class UnitSpec:
    container_id: str
    sandbox: Path
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    exit_file: Path = Path("/dev/null")
    grace_seconds: float = 3.0
    rlimits: list[dict[str, Any]] = field(default_factory=list)
    docker_name: str = ""
    user: str = ""
    description: str = ""

    @property
    def unit(self) -> str:
        return unit_name(self.container_id)


def unit_name(container_id: str) -> str:
    return f"mesos-{container_id}.service"


def cpu_properties(cpus: float) -> list[str]:
    if cpus <= 0:
        return []
    return [f"CPUShares={max(2, int(cpus * 1024))}", f"CPUQuota={max(1, int(cpus * 100))}%"]


def rlimit_properties(rlimits: list[dict[str, Any]]) -> list[str]:
    out = []
    for rlimit in rlimits:
        prop = RLIMIT_PROPERTIES.get(str(rlimit.get("type", "")))
        if prop is None:
            continue
        soft = rlimit.get("soft", "infinity") if "soft" in rlimit else "infinity"
        hard = rlimit.get("hard", "infinity") if "hard" in rlimit else "infinity"
        out.append(f"{prop}={soft}:{hard}")
    return out


def systemd_run_argv(spec: UnitSpec) -> list[str]:
    props = [
        f"WorkingDirectory={spec.sandbox}",
        f"StandardOutput=append:{spec.sandbox / 'stdout'}",
        f"StandardError=append:{spec.sandbox / 'stderr'}",
        f"TimeoutStopSec={max(1, int(spec.grace_seconds))}",
        "KillMode=control-group",
        # Per-unit cgroups in every hierarchy, for /monitor/statistics.
        "CPUAccounting=yes",
        "MemoryAccounting=yes",
        "BlockIOAccounting=yes",
        "SendSIGKILL=yes",
        # `+`: as root whatever the task's User=, for it writes into the agent's meta dir.
        "ExecStopPost=+"
        + " ".join(
            shlex.quote(a)
            for a in [
                EXITED_HELPER,
                str(spec.exit_file),
                spec.container_id,
                *([spec.docker_name] if spec.docker_name else []),
            ]
        ),
    ]
    mem = spec.resources.scalar("mem")
    if mem > 0 and not spec.docker_name:
        props.append(f"MemoryLimit={int(mem * 1024 * 1024)}")
    if not spec.docker_name:
        props += cpu_properties(spec.resources.scalar("cpus"))
    props += rlimit_properties(spec.rlimits)
    if spec.user and spec.user != "root":
        props.append(f"User={spec.user}")
    argv = [
        "systemd-run",
        f"--unit={spec.unit}",
        "--service-type=simple",
        "--collect",
        "--quiet",
        f"--description={spec.description or 'Mesos container ' + spec.container_id}",
    ]
    argv += [f"--property={p}" for p in props]
    argv += [f"--setenv={k}={v}" for k, v in sorted(spec.env.items())]
    argv += ["--", *spec.argv]
    return argv


async def run(argv: list[str], timeout: float = 30.0) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        return 124, f"{argv[0]} timed out after {timeout:.0f} s"
    return proc.returncode or 0, out.decode(errors="replace").strip()


async def start_unit(spec: UnitSpec) -> None:
    spec.sandbox.mkdir(parents=True, exist_ok=True)
    for name in ("stdout", "stderr"):
        (spec.sandbox / name).touch()
    rc, out = await run(systemd_run_argv(spec))
    if rc != 0:
        raise LaunchError(f"Failed to launch container: {out or 'systemd-run exited ' + str(rc)}")


async def stop_unit(container_id: str) -> None:
    """SIGTERM the unit's processes; systemd sends SIGKILL after its TimeoutStopSec."""
    await run(["systemctl", "stop", "--no-block", unit_name(container_id)])


async def unit_active(container_ids: list[str]) -> dict[str, bool]:
    if not container_ids:
        return {}
    units = [unit_name(c) for c in container_ids]
    _rc, out = await run(["systemctl", "show", "--property=Id,ActiveState", "--", *units])
    active: dict[str, bool] = {}
    for block in out.split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit = props.get("Id", "")
        if unit.startswith("mesos-") and unit.endswith(".service"):
            cid = unit[len("mesos-") : -len(".service")]
            active[cid] = props.get("ActiveState") in ("active", "activating", "deactivating")
    return active


async def main_pids(container_ids: list[str]) -> dict[str, int]:
    """Each running container's main process (its executor, as Mesos would say)."""
    if not container_ids:
        return {}
    units = [unit_name(c) for c in container_ids]
    _rc, out = await run(["systemctl", "show", "--property=Id,MainPID", "--", *units])
    pids: dict[str, int] = {}
    for block in out.split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit, pid = props.get("Id", ""), props.get("MainPID", "0")
        if unit.startswith("mesos-") and unit.endswith(".service") and pid.isdigit() and pid != "0":
            pids[unit[len("mesos-") : -len(".service")]] = int(pid)
    return pids


def unit_pids(container_id: str) -> list[int]:
    """The processes in a container's unit, from its cgroup in systemd's own hierarchy.

    A task's unit is a transient service of system.slice, beside the agent's own
    unit, so its cgroup is found from the agent's without asking systemd.
    """
    found = cgroups.mounts()
    own = cgroups.process_cgroups(os.getpid())
    for hierarchy in ("name=systemd", cgroups.V2):
        if hierarchy not in found or hierarchy not in own:
            continue
        slice_path = own[hierarchy].rsplit("/", 1)[0]
        procs = cgroups.directory(found[hierarchy], f"{slice_path}/{unit_name(container_id)}")
        try:
            return [int(pid) for pid in (procs / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            continue
    return []


def read_exit(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


# -- command lines -------------------------------------------------------------


def command_argv(command: dict[str, Any]) -> list[str]:
    """A CommandInfo as a command line: `sh -c value` for shell commands, else value + arguments."""
    if command.get("shell", True):
        return ["/bin/sh", "-c", str(command.get("value", ""))]
    args = [str(a) for a in command.get("arguments", [])]
    value = command.get("value")
    if value:
        return [str(value), *args[1:]] if args else [str(value)]
    return args


def command_env(command: dict[str, Any]) -> dict[str, str]:
    out = {}
    for var in (command.get("environment") or {}).get("variables", []):
        if var.get("type", "VALUE") == "VALUE":
            out[str(var["name"])] = str(var.get("value", ""))
    return out


def docker_argv(
    name: str,
    task: dict[str, Any],
    container: dict[str, Any],
    sandbox: Path,
    env: dict[str, str],
    resources: Resources,
) -> list[str]:
    docker = container.get("docker") or {}
    argv = ["docker", "run", "--name", name, "--sig-proxy=true"]
    cpus = resources.scalar("cpus")
    if cpus > 0:
        argv += ["--cpu-shares", str(max(2, int(cpus * 1024)))]
    mem = resources.scalar("mem")
    if mem > 0:
        argv += ["--memory", f"{int(mem)}m"]
    network = docker.get("network", "HOST")
    argv += ["--network", {"HOST": "host", "BRIDGE": "bridge", "NONE": "none"}.get(network, "host")]
    for mapping in docker.get("port_mappings") or []:
        proto = mapping.get("protocol", "tcp")
        argv += ["-p", f"{mapping['host_port']}:{mapping['container_port']}/{proto}"]
    if docker.get("privileged"):
        argv.append("--privileged")
    for param in docker.get("parameters") or []:
        argv.append(f"--{param['key']}={param['value']}")
    if container.get("hostname"):
        argv += ["--hostname", container["hostname"]]
    argv += ["-v", f"{sandbox}:{SANDBOX_IN_CONTAINER}"]
    for volume in container.get("volumes") or []:
        if "host_path" in volume:
            mode = "ro" if volume.get("mode") == "RO" else "rw"
            argv += ["-v", f"{volume['host_path']}:{volume['container_path']}:{mode}"]
    for key, value in sorted({**env, "MESOS_SANDBOX": SANDBOX_IN_CONTAINER}.items()):
        argv += ["-e", f"{key}={value}"]
    command = task.get("command") or {}
    if command.get("shell", True) and command.get("value"):
        argv += ["--entrypoint", "/bin/sh", docker["image"], "-c", str(command["value"])]
    else:
        argv.append(docker["image"])
        if command.get("value"):
            argv.append(str(command["value"]))
        argv += [str(a) for a in command.get("arguments", [])]
    return argv


async def docker_image_present(image: str) -> tuple[bool, str]:
    rc, out = await run(["docker", "image", "inspect", "--format", "{{.Id}}", image], 15.0)
    return rc == 0, out


async def docker_container_ip(name: str, attempts: int = 40) -> str:
    """The container's address on Docker's bridge, once it runs ('' for host networking)."""
    for _ in range(attempts):
        rc, out = await run(
            [
                "docker",
                "inspect",
                "-f",
                "{{.State.Running}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                name,
            ],
            5.0,
        )
        if rc == 0:
            running, *ips = out.split()
            if running == "true":
                return ips[0] if ips else ""
        await asyncio.sleep(0.05)
    return ""


def environment(base: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.update(extra)
    env.setdefault(
        "PATH",
        os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    )
    return env
