"""What a DC/OS tool sees from inside a node: files, environment, units, sockets, binaries.

Run as a script it prints one JSON document of facts about the node it runs on.
The node-contract tests run it on the master directly and on agents as a Mesos
task (as root, as DC/OS's own tests reach an agent's inside), then compare
the facts with DC/OS 1.10. Standard library only: on an agent it runs on the
node's python3 before anything else is known to work.
"""

from __future__ import annotations

import glob
import grp
import json
import os
import pwd
import re
import stat
import subprocess
import sys
from typing import Any

ETC = "/opt/mesosphere/etc"
WANTS = "/etc/systemd/system/dcos.target.wants"
# A command's exit status, stdout and stderr, bounded so the JSON stays small.
LIMIT = 4000


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> dict[str, Any]:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"rc": -1, "out": "", "err": str(exc)}
    return {"rc": proc.returncode, "out": proc.stdout[-LIMIT:], "err": proc.stderr[-LIMIT:]}


def read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def file_facts(path: str) -> dict[str, Any] | None:
    """Mode, owner and kind of what `path` names (through a symlink), and the link itself."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return {
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "owner": pwd.getpwuid(info.st_uid).pw_name,
        "group": grp.getgrgid(info.st_gid).gr_name,
        "socket": stat.S_ISSOCK(info.st_mode),
        "link": os.readlink(path) if os.path.islink(path) else None,
    }


def unit_verify() -> dict[str, str]:
    """`systemd-analyze verify` of every dcos-* service and socket: the lines naming dcos-,
    as DC/OS's test_units reads them (problems of third-party units are not ours), by unit.

    One run for all of them: each run loads every unit file of the node again, which
    costs a second or more per unit inside a task's CPU share."""
    units = sorted(
        glob.glob("/etc/systemd/system/dcos-*.service")
        + glob.glob("/etc/systemd/system/dcos-*.socket")
    )
    result = run(["systemd-analyze", "verify", "--no-pager", *units])
    problems: dict[str, list[str]] = {}
    for line in (result["out"] + result["err"]).splitlines():
        if "dcos-" not in line or "Unknown lvalue 'TasksMax'" in line:
            continue
        named = re.search(r"(dcos-[\w@.-]+?\.(?:service|socket|timer))", line)
        problems.setdefault(named.group(1) if named else "(unnamed)", []).append(line)
    return {unit: "\n".join(lines) for unit, lines in problems.items()}


def socket_units() -> dict[str, dict[str, str]]:
    """SocketUser, SocketGroup, SocketMode and unix ListenStreams of every dcos-*.socket."""
    found = {}
    for path in sorted(glob.glob("/etc/systemd/system/dcos-*.socket")):
        name = os.path.basename(path)
        props_wanted = ("SocketUser", "SocketGroup", "SocketMode", "Listen")
        out = run(["systemctl", "show", "--no-pager", *(f"-p{p}" for p in props_wanted), name])[
            "out"
        ]
        props: dict[str, str] = {}
        unix = []
        for line in out.splitlines():
            key, _, value = line.partition("=")
            if key in ("SocketUser", "SocketGroup", "SocketMode"):
                props[key] = value
            if key == "Listen" and value.startswith("/"):
                unix.append(value.split(" ")[0])
        props["unix"] = ",".join(unix)
        found[name] = props
    return found


def empty_image() -> str:
    """A Docker image with no files at all: whatever runs in it brings everything itself."""
    tag = "minidcos-node-contract-empty:1"
    if run(["docker", "image", "inspect", tag])["rc"] != 0:
        subprocess.run(
            ["sh", "-c", f"tar -cf - --files-from /dev/null | docker import - {tag}"],
            capture_output=True,
            check=False,
        )
    return tag


def in_container(args: list[str]) -> dict[str, Any]:
    """`args` in an empty container that mounts /opt/mesosphere read-only, as a task's does."""
    image = empty_image()
    return run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            "/opt/mesosphere:/opt/mesosphere:ro",
            image,
            *args,
        ]
    )


def collect() -> dict[str, Any]:
    shell = "/opt/mesosphere/bin/dcos-shell"
    clean_env = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
    facts: dict[str, Any] = {
        "roles": sorted(os.listdir("/etc/mesosphere/roles")),
        "wants": sorted(os.listdir(WANTS)),
        "verify": unit_verify(),
        "socket_units": socket_units(),
        "run_dcos": {p: file_facts(p) for p in sorted(glob.glob("/run/dcos/*"))},
        "users": {
            "dcos_adminrouter_user": run(["getent", "passwd", "dcos_adminrouter"])["rc"] == 0,
            "dcos_adminrouter_group": run(["getent", "group", "dcos_adminrouter"])["rc"] == 0,
        },
        "environment": read("/opt/mesosphere/environment"),
        "environment_export": read("/opt/mesosphere/environment.export"),
        "cluster_id": read("/var/lib/dcos/cluster-id"),
        "dcos_version": read(f"{ETC}/dcos-version.json"),
        "profile": file_facts("/etc/profile.d/dcos.sh"),
        "files": {
            name: file_facts(f"{ETC}/{name}")
            for name in (
                "expanded.config.json",
                "expanded.config.full.json",
                "user.config.yaml",
                "user.config.full.yaml",
                "adminrouter.env",
                "dcos-signal-config.json",
                "dcos-diagnostics-runner-config.json",
                "dcos-diagnostics-config.json",
                "exhibitor_realm",
                "rexray.conf",
            )
        },
        "diagnostics_config": read(f"{ETC}/dcos-diagnostics-config.json"),
        "expanded_config": read(f"{ETC}/expanded.config.json"),
        # Tools as an operator runs them: from a root shell without DC/OS's environment.
        "poststart": run(
            ["/opt/mesosphere/bin/dcos-diagnostics", "check", "node-poststart"], env=clean_env
        ),
        "shell_version": run(
            [
                shell,
                "python",
                "-c",
                "import os, sys; print(os.environ['DCOS_VERSION'], sys.executable, sys.prefix)",
            ],
            env=clean_env,
        ),
        "shell_path": run(["bash", "-lc", "command -v dcos-shell"], env=clean_env),
        "curl": run(["/opt/mesosphere/bin/curl", "--version"], env=clean_env),
        "python_in_container": in_container(
            [
                "/opt/mesosphere/bin/python",
                "-c",
                "import json, sqlite3, ssl, sys; print(sys.version_info[:2], ssl.OPENSSL_VERSION)",
            ]
        ),
        "curl_in_container": in_container(["/opt/mesosphere/bin/curl", "--version"]),
        "docker_info": run(["docker", "info", "--format", "{{.ServerVersion}}"]),
    }
    return facts


if __name__ == "__main__":
    json.dump(collect(), sys.stdout)
    sys.stdout.write("\n")
