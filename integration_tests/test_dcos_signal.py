"""dcos-signal on masters: the hourly timer, and a run that writes DC/OS's telemetry tracks to
the node's disk (DC/OS's test_signal_service runs it once the same way).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from systemd_units import show

REPORT = Path("/var/lib/dcos/dcos-signal/report.json")
CONFIG = Path("/opt/mesosphere/etc/dcos-signal-config.json")


@pytest.fixture(scope="module")
def enabled() -> None:
    if json.loads(CONFIG.read_text()).get("enabled", "false") == "false":
        pytest.skip("telemetry_enabled is false on this cluster")


def test_timer_is_armed() -> None:
    state = show("dcos-signal.timer", "ActiveState", "TimersCalendar")
    assert state["ActiveState"] == "active", state
    assert (
        "OnCalendar=hourly" in state["TimersCalendar"]
        or "*-*-* *:00:00" in (state["TimersCalendar"])
    ), state


def test_a_run_writes_the_report(enabled: None) -> None:
    started = time.time()
    subprocess.run(["systemctl", "start", "dcos-signal.service"], check=True)
    # Type=simple: wait for this run to end.
    deadline = time.monotonic() + 60
    while show("dcos-signal.service", "ActiveState")["ActiveState"] in ("active", "activating"):
        assert time.monotonic() < deadline, "dcos-signal did not finish"
        time.sleep(0.2)
    state = show("dcos-signal.service", "Result", "ExecMainStatus")
    assert state == {"Result": "success", "ExecMainStatus": "0"}, state
    assert REPORT.stat().st_mtime >= started - 1
    assert REPORT.stat().st_uid != 0  # written by dcos_signal, not root
    report = json.loads(REPORT.read_text())
    cluster_id = Path("/var/lib/dcos/cluster-id").read_text().strip()
    health = report["diagnostics"]
    assert health["event"] == "health" and health["anonymousId"] == cluster_id
    properties = health["properties"]
    assert properties["clusterId"] == cluster_id and properties["variant"] == "open"
    assert properties["health-unit-dcos-mesos-master-service-total"] >= 1
    assert properties["health-unit-dcos-mesos-master-service-unhealthy"] == 0
    assert properties["health-unit-dcos-signal-timer-total"] >= 1
    mesos = report["mesos"]
    assert mesos["event"] == "mesos_track"
    assert mesos["properties"]["agents_active"] >= 1
    assert isinstance(mesos["properties"]["frameworks"], list)
    assert set(report) == {"diagnostics", "cosmos", "mesos"}


def test_test_flag_prints_the_tracks(enabled: None) -> None:
    out = subprocess.run(
        ["/opt/mesosphere/bin/dcos-signal", "-test"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ},
    ).stdout
    tracks: dict[str, Any] = json.loads(out)
    assert tracks["diagnostics"]["event"] == "health"
    assert tracks["mesos"]["event"] == "mesos_track"
