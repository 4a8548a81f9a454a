"""DC/OS 1.10's check runner (`dcos-diagnostics check`) and dcos-checks' own checks."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from dcos_diagnostics import checks, cli, runner

CONFIG = {
    "cluster_checks": {
        "cluster_ok": {"description": "fine", "cmd": ["/bin/true"], "timeout": "1s"},
    },
    "node_checks": {
        "checks": {
            "everywhere": {
                "description": "d",
                "cmd": ["/bin/sh", "-c", "echo $CHECK_VAR"],
                "timeout": "1s",
            },
            "masters_only": {
                "description": "d",
                "cmd": ["/bin/false"],
                "timeout": "1s",
                "roles": ["master"],
            },
            "agents_warn": {
                "description": "d",
                "cmd": ["/bin/sh", "-c", "exit 1"],
                "timeout": "500ms",
                "roles": ["agent"],
            },
            "slow": {"description": "d", "cmd": ["/bin/sleep", "5"], "timeout": "100ms"},
        },
        "prestart": ["slow"],
        "poststart": ["everywhere", "masters_only", "agents_warn"],
    },
    "check_env": {"CHECK_VAR": "from check_env"},
}


def test_durations_are_go_s() -> None:
    assert runner.parse_duration("1s") == 1.0
    assert runner.parse_duration("250ms") == 0.25
    assert runner.parse_duration("1m30s") == 90.0
    assert runner.parse_duration("soon") is None and runner.parse_duration("") is None


def test_poststart_on_a_public_agent_runs_the_agent_checks() -> None:
    report = runner.run(CONFIG, "node-poststart", "agent_public")
    assert report.to_json() == {
        "status": 1,
        "checks": {
            "agents_warn": {"output": "", "status": 1},
            "everywhere": {"output": "from check_env\n", "status": 0},
        },
    }
    assert report.status == 1


def test_poststart_on_a_master() -> None:
    report = runner.run(CONFIG, "node-poststart", "master")
    assert report.to_json()["status"] == 1  # /bin/false exits 1
    assert set(report.checks) == {"everywhere", "masters_only"}


def test_a_check_that_times_out_is_an_execution_error() -> None:
    report = runner.run(CONFIG, "node-prestart", "master")
    assert report.to_json() == {
        "error": "One or more requested checks failed to execute.",
        "checks": ["slow: context deadline exceeded"],
    }
    assert report.status == 3


def test_asking_for_an_unknown_check() -> None:
    report = runner.run(CONFIG, "cluster", "master", ["cluster_ok", "nope"])
    assert set(report.checks) == {"cluster_ok"}
    report = runner.run({**CONFIG, "cluster_checks": {}}, "cluster", "master", [])
    assert report.to_json() == {"status": 0, "checks": {}}


def test_cli_prints_dcos_s_json_and_exits_with_the_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runner.json"
    path.write_text(json.dumps(CONFIG))
    rc = cli.main(["--role", "agent", "check", "node-poststart", "--check-config", str(path)])
    assert rc == 1
    assert json.loads(capsys.readouterr().out)["checks"]["everywhere"]["status"] == 0
    assert (
        cli.main(["check", "cluster", "--list", "--check-config", str(path), "--role", "master"])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "cluster_ok": {"description": "fine", "cmd": ["/bin/true"], "timeout": "1s"}
    }
    assert cli.main(["--role", "master", "check", "nodes", "--check-config", str(path)]) == 1


def test_executable_check(monkeypatch: pytest.MonkeyPatch) -> None:
    opts = checks.Options("master", "/bin/false", "")
    assert checks.executable(opts, ["tar"]) == ("", 0)
    with pytest.raises(checks.CheckError, match="valid list of executables"):
        checks.executable(opts, ["vim"])
    with pytest.raises(checks.CheckError, match="Only one executable"):
        checks.executable(opts, ["tar", "xz"])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(checks.CheckError, match="unzip not installed"):
        checks.executable(opts, ["unzip"])


def test_ip_check(tmp_path: Path) -> None:
    script = tmp_path / "detect_ip"
    script.write_text("#!/bin/sh\necho 192.0.2.7\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    opts = checks.Options("agent", str(script), "")
    assert checks.detect_ip(opts) == ("192.0.2.7 is a valid IPV4 address", 0)
    script.write_text("#!/bin/sh\necho not-an-ip\n")
    with pytest.raises(checks.CheckError, match="invalid IP address"):
        checks.detect_ip(opts)


def test_components_and_mesos_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "http://192.0.2.7:1050/system/health/v1": {
            "units": [
                {"id": "a.service", "name": "A", "health": 0},
                {"id": "b.service", "name": "B", "health": 1},
            ]
        },
        "http://192.0.2.7:5050/metrics/snapshot": {"registrar/log/recovered": 1.0},
        "http://192.0.2.7:5051/metrics/snapshot": {"slave/registered": 0.0},
    }
    monkeypatch.setattr(checks, "_get_json", lambda url: answers[url])
    master = checks.Options("master", "", "192.0.2.7")
    assert checks.components(master, 1050, "http", "/system/health/v1") == (
        "component B has health status 1",
        2,
    )
    assert checks.mesos_metrics(master) == ("", 0)
    with pytest.raises(checks.CheckError, match="Mesos replog not synchronized"):
        checks.mesos_metrics(checks.Options("agent", "", "192.0.2.7"))


def test_journald_check(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    journal.mkdir()
    os.chmod(journal, 0o750)
    import grp

    try:
        gid = grp.getgrnam("systemd-journal").gr_gid
    except KeyError:
        pytest.skip("no systemd-journal group on this machine")
    os.chown(journal, -1, gid)
    output, status = checks.journald(checks.Options("master", "", ""), str(journal))
    assert status == 0 and "systemd-journal" in output
    os.chmod(journal, 0o700)
    with pytest.raises(checks.CheckError, match="group r-- bit must be set"):
        checks.journald(checks.Options("master", "", ""), str(journal))


def test_dcos_checks_commands_run_in_process_with_the_same_answers() -> None:
    config = {
        "cluster_checks": {
            "tar": {
                "description": "",
                "cmd": ["/opt/mesosphere/bin/dcos-checks", "executable", "tar"],
                "timeout": "1s",
            },
            "vim": {
                "description": "",
                "cmd": ["/opt/mesosphere/bin/dcos-checks", "executable", "vim"],
                "timeout": "1s",
            },
            "bad": {
                "description": "",
                "cmd": ["/opt/mesosphere/bin/dcos-checks", "nope"],
                "timeout": "1s",
            },
        },
        "check_env": {"PATH": os.environ["PATH"]},
    }
    report = runner.run(config, "cluster", "master").to_json()
    assert report["checks"]["tar"] == {"output": "", "status": 0}
    assert report["checks"]["vim"]["status"] == 1
    assert "Choose from valid list of executables" in report["checks"]["vim"]["output"]
    assert report["checks"]["bad"]["status"] == 2  # argparse's usage error
    assert report["status"] == 2
