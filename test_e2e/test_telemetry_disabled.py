"""`telemetry_enabled: false`: dcos-signal still runs on its timer, and writes no report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.status import Status

REPORT = "/var/lib/dcos/dcos-signal/report.json"


@pytest.fixture(scope="module")
def quiet_cluster(provider: DockerProvider, installer: Path) -> Iterator[Cluster]:
    from test_e2e.conftest import RUN_PREFIX

    spec = ClusterSpec(masters=1, agents=0, public_agents=0, cluster_id=f"{RUN_PREFIX}-notelem")
    install = InstallSpec(installer, extra_config={"telemetry_enabled": False})
    with Cluster.create(spec, install=install, provider=provider, status=Status()) as cluster:
        yield cluster


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
