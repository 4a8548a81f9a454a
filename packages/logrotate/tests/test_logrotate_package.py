"""The package's units and configs agree, and logrotate accepts the configs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
ACTIVE = "/opt/mesosphere/active/logrotate/"


def buildinfo() -> dict[str, Any]:
    info: dict[str, Any] = json.loads((PACKAGE / "buildinfo.json").read_text())
    return info


def test_every_listed_unit_exists() -> None:
    for unit in buildinfo()["units"]:
        assert (PACKAGE / "units" / unit).is_file(), unit


def test_roles_get_their_own_service_and_timer() -> None:
    units = buildinfo()["units"]
    assert units["dcos-logrotate-master.service"] == ["master"]
    assert units["dcos-logrotate-master.timer"] == ["master"]
    assert units["dcos-logrotate-agent.service"] == ["slave", "slave_public"]
    assert units["dcos-logrotate-agent.timer"] == ["slave", "slave_public"]


@pytest.mark.parametrize("role", ["master", "agent"])
def test_service_runs_the_shipped_config_with_state_under_var_lib_dcos(role: str) -> None:
    unit = (PACKAGE / "units" / f"dcos-logrotate-{role}.service").read_text()
    assert "Type=oneshot" in unit
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    args = exec_start.split()
    assert args[0] == "/usr/sbin/logrotate"
    config = args[-1]
    assert config.startswith(ACTIVE)
    assert (PACKAGE / config.removeprefix(ACTIVE)).is_file()
    state = args[args.index("--state") + 1]
    assert state.startswith("/var/lib/dcos/")


@pytest.mark.parametrize("role", ["master", "agent"])
def test_timer_fires_every_two_minutes(role: str) -> None:
    timer = (PACKAGE / "units" / f"dcos-logrotate-{role}.timer").read_text()
    assert "OnUnitActiveSec=2min" in timer


@pytest.mark.parametrize("role", ["master", "agent"])
def test_config_rotates_mesos_logs_by_size(role: str) -> None:
    text = (PACKAGE / "etc" / f"logrotate_{role}.conf").read_text()
    assert "/var/log/mesos/*.log" in text
    for directive in ("copytruncate", "compress", "missingok", "size 100M", "rotate 5"):
        assert directive in text


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate is not installed here")
@pytest.mark.parametrize("role", ["master", "agent"])
def test_logrotate_accepts_config(role: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [
            "logrotate",
            "--debug",
            "--state",
            str(tmp_path / "state"),
            str(PACKAGE / "etc" / f"logrotate_{role}.conf"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "error" not in out.stderr.lower(), out.stderr
