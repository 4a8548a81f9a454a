"""dcos-signal: the three tracks built from the endpoints' answers, on disk, or not at all."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path
from typing import Any

import pytest
from dcos_signal import report

HEALTH = {
    "Units": {
        "dcos-mesos-master.service": {
            "UnitName": "dcos-mesos-master.service",
            "Nodes": [{"Role": "master", "IP": "192.0.2.1", "Health": 0, "Units": []}],
        },
        "dcos-docker-gc.timer": {
            "UnitName": "dcos-docker-gc.timer",
            "Nodes": [
                {
                    "Role": "agent",
                    "IP": "192.0.2.2",
                    "Health": 0,
                    "Units": [{"UnitName": "dcos-docker-gc.timer", "Health": 1}],
                },
                {"Role": "agent", "IP": "192.0.2.3", "Health": 1, "Units": []},
                {"Role": "agent", "IP": "192.0.2.4", "Health": 0, "Units": []},
            ],
        },
    },
    "Nodes": {},
}
FRAMEWORKS = {"frameworks": [{"name": "marathon"}, {"name": "metronome"}]}
SNAPSHOT = {"master/cpus_total": 4.0, "master/slaves_active": 2.0, "master/tasks_running": 3}


def answers(url: str, method: str, headers: dict[str, str]) -> Any:
    if "health" in url:
        return HEALTH
    if "package/list" in url:
        assert method == "POST"
        assert headers["content-type"] == report.COSMOS_LIST_REQUEST
        return {
            "packages": [
                {
                    "appId": "/hello",
                    "packageInformation": {
                        "packageDefinition": {"name": "hello", "version": "1.0"}
                    },
                }
            ]
        }
    if url.endswith("/frameworks"):
        return FRAMEWORKS
    if url.endswith("/metrics/snapshot"):
        return SNAPSHOT
    raise urllib.error.URLError(f"unexpected {url}")


@pytest.fixture
def config(tmp_path: Path) -> report.Config:
    (tmp_path / "signal.json").write_text(
        json.dumps(
            {
                "gen_platform": "onprem",
                "gen_provider": "onprem",
                "diagnostics_urls": ["http://leader.mesos:1050/system/health/v1/report?cache=0"],
                "cosmos_urls": ["http://127.0.0.1:7070/package/list"],
                "mesos_urls": [
                    "http://leader.mesos:5050/frameworks",
                    "http://leader.mesos:5050/metrics/snapshot",
                ],
                "enabled": "true",
            }
        )
    )
    (tmp_path / "cluster-id").write_text("c1d2-uuid\n")
    (tmp_path / "version.json").write_text(json.dumps({"version": "1.10.0"}))
    return report.Config.load(
        tmp_path / "signal.json",
        tmp_path / "none.json",
        tmp_path / "cluster-id",
        tmp_path / "version.json",
    )


def test_the_three_tracks(config: report.Config) -> None:
    tracks = report.build_report(config, answers)
    generic = {
        "source": "cluster",
        "customerKey": "",
        "environmentVersion": "1.10.0",
        "clusterId": "c1d2-uuid",
        "variant": "open",
        "platform": "onprem",
        "provider": "onprem",
    }
    assert tracks["diagnostics"] == {
        "event": "health",
        "anonymousId": "c1d2-uuid",
        "properties": {
            **generic,
            "health-unit-dcos-mesos-master-service-total": 1,
            "health-unit-dcos-mesos-master-service-unhealthy": 0,
            "health-unit-dcos-docker-gc-timer-total": 3,
            "health-unit-dcos-docker-gc-timer-unhealthy": 2,
        },
    }
    mesos = tracks["mesos"]
    assert mesos["event"] == "mesos_track"
    assert [f["name"] for f in mesos["properties"]["frameworks"]] == ["marathon", "metronome"]
    assert mesos["properties"]["cpu_total"] == 4.0 and mesos["properties"]["task_count"] == 3.0
    assert tracks["cosmos"]["properties"]["package_list"][0]["appId"] == "/hello"


def test_a_failing_endpoint_leaves_its_track_out(config: report.Config) -> None:
    def no_cosmos(url: str, method: str, headers: dict[str, str]) -> Any:
        if "7070" in url:
            raise urllib.error.URLError("connection refused")
        return answers(url, method, headers)

    tracks = report.build_report(config, no_cosmos)
    assert tracks["cosmos"] is None and tracks["mesos"] is not None


def test_written_to_disk(config: report.Config, tmp_path: Path) -> None:
    path = tmp_path / "state" / "report.json"
    report.write_report(report.build_report(config, answers), path)
    assert set(json.loads(path.read_text())) == {"diagnostics", "cosmos", "mesos"}


def test_disabled_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "signal.json").write_text(json.dumps({"enabled": "false"}))
    (tmp_path / "cluster-id").write_text("c1d2-uuid\n")

    def no_network(*args: Any) -> Any:
        raise AssertionError("telemetry is off: nothing may be fetched")

    monkeypatch.setattr(report, "fetch", no_network)
    out = tmp_path / "report.json"
    argv = [
        "-c",
        str(tmp_path / "signal.json"),
        "-report",
        str(out),
        "-cluster-id-path",
        str(tmp_path / "cluster-id"),
    ]
    assert report.main(argv) == 0
    assert not out.exists()
