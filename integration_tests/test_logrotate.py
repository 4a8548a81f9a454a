"""dcos-logrotate-master on this master: timer armed, runs succeed, big logs rotate."""

from __future__ import annotations

import gzip
import os
import subprocess
import uuid
from pathlib import Path

from systemd_units import show

MASTER_LOG_DIR = Path("/var/lib/dcos/mesos/log")
CONFIG_DIR = Path("/opt/mesosphere/active/logrotate/etc")
ROTATE_ABOVE = 100 * 1024 * 1024  # the configs' `size 100M`


def run(unit: str) -> dict[str, str]:
    subprocess.run(["systemctl", "start", unit], check=True)
    return show(unit, "Result", "ExecMainStatus", "ActiveState")


def test_master_timer_is_active() -> None:
    state = show("dcos-logrotate-master.timer", "ActiveState", "Description")
    assert state["ActiveState"] == "active", state


def test_agent_timer_is_not_active_on_a_master() -> None:
    assert show("dcos-logrotate-agent.timer", "ActiveState")["ActiveState"] != "active"


def test_master_service_runs_successfully() -> None:
    state = run("dcos-logrotate-master.service")
    assert state["Result"] == "success", state
    assert state["ExecMainStatus"] == "0", state


def test_both_shipped_configs_parse(tmp_path: Path) -> None:
    for config in sorted(CONFIG_DIR.glob("logrotate_*.conf")):
        out = subprocess.run(
            ["logrotate", "--debug", "--state", str(tmp_path / "state"), str(config)],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, (config, out.stderr)
        # logrotate exits 0 even when it ignores a config (wrong owner or
        # mode), so its complaints are the only sign.
        assert "error:" not in out.stderr, (config, out.stderr)
    assert {p.name for p in CONFIG_DIR.glob("logrotate_*.conf")} == {
        "logrotate_master.conf",
        "logrotate_agent.conf",
    }


def test_a_log_over_the_size_limit_is_rotated() -> None:
    made_dir = not MASTER_LOG_DIR.exists()
    MASTER_LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = MASTER_LOG_DIR / f"minidcos-logrotate-test-{uuid.uuid4().hex[:8]}.log"
    archived = MASTER_LOG_DIR / "archive" / f"{log.name}.1.gz"
    marker = b"first line, before rotation\n"
    try:
        with open(log, "wb") as f:
            f.write(marker)
            f.truncate(ROTATE_ABOVE + 1024 * 1024)  # sparse: no real disk use
        state = run("dcos-logrotate-master.service")
        assert state["Result"] == "success", state
        # copytruncate: the writer's file stays, emptied; the copy is archived.
        assert log.exists() and log.stat().st_size == 0
        assert archived.exists(), sorted(os.listdir(archived.parent))
        with gzip.open(archived, "rb") as f:
            assert f.read(len(marker)) == marker
    finally:
        for path in (log, archived):
            path.unlink(missing_ok=True)
        if made_dir:
            subprocess.run(["rm", "-rf", str(MASTER_LOG_DIR)], check=False)
