"""`telemetry_enabled: false`: dcos-signal still runs on its timer, and writes no report."""

from __future__ import annotations

import json

import pytest

from minidcos.cluster import Cluster

REPORT = "/var/lib/dcos/dcos-signal/report.json"


pytestmark = pytest.mark.minidcos_cluster(
    masters=1, agents=0, public_agents=0, extra_config={"telemetry_enabled": False}
)


@pytest.fixture(scope="module")
def quiet_cluster(minidcos_cluster: Cluster) -> Cluster:
    return minidcos_cluster


def test_the_config_says_disabled(quiet_cluster: Cluster) -> None:
    master = quiet_cluster.masters[0]
    config = json.loads(master.run(["cat", "/opt/mesosphere/etc/dcos-signal-config.json"]).stdout)
    assert config["enabled"] == "false"
    ui = json.loads(master.run(["cat", "/opt/mesosphere/etc/ui-config.json"]).stdout)
    assert ui["uiConfiguration"]["plugins"]["tracking"]["enabled"] is False


def test_a_run_succeeds_and_leaves_no_report(quiet_cluster: Cluster) -> None:
    master = quiet_cluster.masters[0]
    assert master.run(["systemctl", "is-active", "dcos-signal.timer"]).stdout.strip() == b"active"
    master.run(["systemctl", "start", "dcos-signal.service"])  # oneshot: returns when done
    result = master.run(
        ["systemctl", "show", "--property=Result,ExecMainStatus", "dcos-signal.service"]
    ).stdout.decode()
    assert "Result=success" in result and "ExecMainStatus=0" in result, result
    assert master.run(["test", "-e", REPORT], check=False).returncode == 1
    # The tracks are not even gathered: nothing is asked of Mesos or diagnostics.
    log = master.run(
        ["journalctl", "-u", "dcos-signal.service", "--no-pager", "-o", "cat"]
    ).stdout.decode()
    assert "telemetry is disabled" in log
