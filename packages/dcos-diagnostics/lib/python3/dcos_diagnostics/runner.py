"""`dcos-diagnostics check <cluster|node-prestart|node-poststart>`: DC/OS 1.10's check runner.

The runner reads /opt/mesosphere/etc/dcos-diagnostics-runner-config.json
(genconf writes it: DC/OS's node checks, the user's custom_checks, and the
environment checks run in), runs each check of the asked kind meant for this
node's role, each under its own timeout, and prints DC/OS's JSON:

    {"status": 0, "checks": {"xz": {"output": "", "status": 0}, ...}}

The exit status is the worst check's status (0 OK, 1 warning, 2 critical,
3 unknown). A check that cannot be run at all (missing executable, timeout)
turns the answer into {"error": ..., "checks": ["name: reason", ...]}.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("/opt/mesosphere/etc/dcos-diagnostics-runner-config.json")
CHECK_TYPES = ("cluster", "node-prestart", "node-poststart")
STATUS_OK, STATUS_UNKNOWN = 0, 3
DEFAULT_TIMEOUT_S = 5.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration ("3s", "1m30s", "250ms"); None when it is not one."""
    if not text or _DURATION.sub("", text):
        return None
    return sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION.findall(text))


@dataclass
class Result:
    output: str = ""
    status: int = STATUS_OK
    error: str = ""  # set when the check could not be run


@dataclass
class Report:
    checks: dict[str, Result] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    not_found: bool = False

    @property
    def status(self) -> int:
        worst = STATUS_OK
        for result in self.checks.values():
            code = result.status
            worst = STATUS_UNKNOWN if not 0 <= code <= STATUS_UNKNOWN else max(worst, code)
        return worst

    def to_json(self) -> dict[str, Any]:
        if self.errors:
            message = (
                "One or more requested checks could not be found on this node."
                if self.not_found
                else "One or more requested checks failed to execute."
            )
            return {"error": message, "checks": self.errors}
        return {
            "status": self.status,
            "checks": {
                name: {"output": r.output, "status": r.status}
                for name, r in sorted(self.checks.items())
            },
        }


def runner_role(role: str) -> str:
    """DC/OS's runner treats public agents as agents (a check for `agent` runs on both)."""
    return "agent" if role == "agent_public" else role


DCOS_CHECKS = "dcos-checks"


def run_in_process(argv: list[str], env: dict[str, str], timeout: float) -> Result:
    """dcos-checks' own checks, run here rather than in a new process.

    DC/OS's dcos-checks is a Go binary that starts in milliseconds; a Python
    interpreter takes a good part of the checks' one-second budget just to start
    on a busy node. The check itself, its output and status are the same.
    """
    from . import checks

    outcome: list[Result] = []

    def work() -> None:
        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        try:
            os.environ.update(env)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = checks.main(argv)
                except SystemExit as exc:  # argparse's answer to bad arguments
                    status = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.environ.clear()
            os.environ.update(saved)
        outcome.append(Result(output=out.getvalue() + err.getvalue(), status=status))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return Result(status=-1, error="context deadline exceeded")
    return outcome[0]


def run_check(check: dict[str, Any], env: dict[str, str]) -> Result:
    cmd = check.get("cmd") or []
    if not cmd:
        return Result(status=-1, error="unable to execute a command with empty Cmd field")
    timeout = parse_duration(str(check.get("timeout", "")))
    if os.path.basename(str(cmd[0])) == DCOS_CHECKS:
        own_env = {k: v for k, v in env.items() if k in ("PATH", "LD_LIBRARY_PATH")}
        return run_in_process(
            [str(c) for c in cmd[1:]],
            own_env,
            timeout if timeout is not None else DEFAULT_TIMEOUT_S,
        )
    try:
        proc = subprocess.run(
            [str(c) for c in cmd],
            capture_output=True,
            env=env,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Result(status=-1, error="context deadline exceeded")
    except OSError as exc:
        return Result(status=-1, error=f"exec: {exc.strerror or exc}")
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    return Result(output=output, status=proc.returncode)


def run(
    config: dict[str, Any], check_type: str, role: str, only: list[str] | None = None
) -> Report:
    """Run the checks of `check_type` for `role` (master, agent, agent_public)."""
    role = runner_role(role)
    checks, names = _selected(config, check_type, only)
    env = {**os.environ, **{str(k): str(v) for k, v in (config.get("check_env") or {}).items()}}
    report = Report()
    for name in names:
        check = checks.get(name)
        if check is None:
            report.errors.append(f"{name}: check not found")
            report.not_found = True
            continue
        roles = check.get("roles") or []
        if roles and role not in roles:
            continue
        result = run_check(check, env)
        report.checks[name] = result
        if result.error:
            report.errors.append(f"{name}: {result.error}")
    return report


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


def _selected(
    config: dict[str, Any], check_type: str, only: list[str] | None
) -> tuple[dict[str, Any], list[str]]:
    if check_type == "cluster":
        checks = config.get("cluster_checks") or {}
        names = list(checks)
    else:
        node_checks = config.get("node_checks") or {}
        checks = node_checks.get("checks") or {}
        kind = "prestart" if check_type == "node-prestart" else "poststart"
        names = list(node_checks.get(kind) or [])
    if only:
        names = [n for n in only if n in names]
    return checks, names


def listing(
    config: dict[str, Any], check_type: str, role: str, only: list[str] | None = None
) -> dict[str, Any]:
    """`--list`: each check of the kind for this role, not run: description, cmd, timeout."""
    role = runner_role(role)
    checks, names = _selected(config, check_type, only)
    out = {}
    for name in names:
        check = checks.get(name) or {}
        if check.get("roles") and role not in check["roles"]:
            continue
        out[name] = {
            "description": check.get("description", ""),
            "cmd": check.get("cmd", []),
            "timeout": check.get("timeout", ""),
        }
    return out
