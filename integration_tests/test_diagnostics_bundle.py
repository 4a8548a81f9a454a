"""Diagnostics bundles as DC/OS 1.10's test_dcos_diagnostics.py makes them, through Admin Router.

One bundle is made from every node (`{"nodes": ["all"]}`), listed, served as
a zip holding each node's folder (`<ip>_master/`, `<ip>_agent/`,
`<ip>_agent_public/`) with its health, its units' journals and the files DC/OS
collects, and deleted. The self tests answer on every master.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from mesos_tasks import session
from polling import Poll, wait_for

HEALTH = "http://127.0.0.1/system/health/v1"
STATUS_FIELDS = {
    "is_running",
    "status",
    "errors",
    "last_bundle_dir",
    "job_started",
    "job_ended",
    "job_duration",
    "diagnostics_bundle_dir",
    "diagnostics_job_timeout_min",
    "journald_logs_since_hours",
    "diagnostics_job_get_since_url_timeout_min",
    "command_exec_timeout_sec",
    "diagnostics_partition_disk_usage_percent",
    "job_progress_percentage",
}
# What DC/OS's test expects of every node's folder (the commands' indexes are
# their places in the endpoint config, as in DC/OS's).
COMMON_FILES = [
    "dcos-diagnostics-health.json",
    "opt/mesosphere/active.buildinfo.full.json.gz",
    "opt/mesosphere/etc/dcos-version.json.gz",
    "opt/mesosphere/etc/expanded.config.json.gz",
    "opt/mesosphere/etc/user.config.yaml.gz",
    "var/lib/dcos/cluster-id.gz",
    "proc/cmdline.gz",
    "proc/cpuinfo.gz",
    "proc/meminfo.gz",
    "dmesg_-T-0.output.gz",
    "ps_aux_ww-4.output.gz",
    "timedatectl-6.output.gz",
    "binsh_-c_cat etc*-release-7.output.gz",
    "systemctl_list-units_dcos*-8.output.gz",
]
MASTER_FILES = [
    "dcos-mesos-master.service.gz",
    "dcos-diagnostics.service.gz",
    "var/lib/dcos/exhibitor/conf/zoo.cfg.gz",
    "5050-master_state.json",
    "8181-exhibitor_v1_cluster_status.json",
]
AGENT_FILES = ["5051-containers.json", "5051-state.json"]


def bundle_names() -> list[str]:
    listed = session.get(f"{HEALTH}/report/diagnostics/list/all", timeout=10).json()
    return [
        entry["file_name"].rsplit("/", 1)[-1]
        for entries in listed.values()
        for entry in entries or []
    ]


@pytest.fixture(scope="module")
def bundle() -> Iterator[tuple[str, zipfile.ZipFile]]:
    """One bundle of the whole cluster, downloaded; deleted by the last test."""
    response = session.post(
        f"{HEALTH}/report/diagnostics/create", json={"version": 1, "nodes": ["all"]}, timeout=30
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["status"] == "Job has been successfully started"
    name = created["extra"]["bundle_name"]

    def done() -> Poll[dict[str, Any]]:
        statuses = session.get(f"{HEALTH}/report/diagnostics/status/all", timeout=10).json()
        running = [s for s in statuses.values() if s["is_running"]]
        progress = [s["job_progress_percentage"] for s in running]
        return Poll(not running, statuses, f"running, {progress} % done")

    wait_for(done, 300, "the diagnostics job to finish")
    wait_for(lambda: name in bundle_names(), 10, "the bundle to be listed")
    served = session.get(f"{HEALTH}/report/diagnostics/serve/{name}", timeout=60)
    assert served.status_code == 200
    assert served.headers["Content-disposition"] == f"attachment; filename={name}"
    yield name, zipfile.ZipFile(io.BytesIO(served.content))


def test_status_has_dcos_fields(bundle: tuple[str, zipfile.ZipFile]) -> None:
    statuses = session.get(f"{HEALTH}/report/diagnostics/status/all", timeout=10).json()
    assert statuses
    for status in statuses.values():
        assert set(status) == STATUS_FIELDS
    local = session.get(f"{HEALTH}/report/diagnostics/status", timeout=10).json()
    assert local["last_bundle_dir"].endswith(bundle[0])
    assert local["job_progress_percentage"] == 100


def test_the_bundle_is_listed_on_its_master(bundle: tuple[str, zipfile.ZipFile]) -> None:
    local = session.get(f"{HEALTH}/report/diagnostics/list", timeout=10).json()
    assert {
        "file_name": f"/system/health/v1/report/diagnostics/serve/{bundle[0]}",
        "file_size": len(session.get(f"{HEALTH}/report/diagnostics/serve/{bundle[0]}").content),
    } in local


def _folder_has(z: zipfile.ZipFile, folder: str, ip: str, unit: str, files: list[str]) -> None:
    names = z.namelist()
    missing = [f for f in files if folder + f not in names]
    assert not missing, f"{folder}: missing {missing}; summary: {_summary(z)}"
    health = json.loads(z.read(folder + "dcos-diagnostics-health.json"))
    assert health["ip"] == ip
    journal = gzip.decompress(z.read(folder + unit)).decode()
    assert journal.strip(), f"{folder}{unit} is empty"
    config = gzip.decompress(z.read(folder + "opt/mesosphere/etc/expanded.config.json.gz"))
    assert "master_list" in json.loads(config)


def _summary(z: zipfile.ZipFile) -> str:
    return "\n".join(
        z.read(n).decode()[-2000:]
        for n in ("summaryErrorsReport.txt", "summaryReport.txt")
        if n in z.namelist()
    )


def test_every_node_is_in_the_zip(
    bundle: tuple[str, zipfile.ZipFile],
    master_hosts: list[str],
    agent_hosts: list[str],
    public_agent_hosts: list[str],
) -> None:
    z = bundle[1]
    assert "summaryReport.txt" in z.namelist()
    for ip in master_hosts:
        _folder_has(
            z, f"{ip}_master/", ip, "dcos-mesos-master.service.gz", MASTER_FILES + COMMON_FILES
        )
    for ip in agent_hosts:
        _folder_has(
            z,
            f"{ip}_agent/",
            ip,
            "dcos-mesos-slave.service.gz",
            ["dcos-mesos-slave.service.gz", *AGENT_FILES, *COMMON_FILES],
        )
    for ip in public_agent_hosts:
        _folder_has(
            z,
            f"{ip}_agent_public/",
            ip,
            "dcos-mesos-slave-public.service.gz",
            ["dcos-mesos-slave-public.service.gz", *AGENT_FILES, *COMMON_FILES],
        )


def test_unknown_nodes_are_refused() -> None:
    response = session.post(
        f"{HEALTH}/report/diagnostics/create", json={"nodes": ["192.0.2.250"]}, timeout=30
    )
    assert response.status_code == 503
    assert response.json()["status"] == "Requested nodes: [192.0.2.250] not found"


def test_self_tests_pass_on_masters() -> None:
    results = session.get(f"{HEALTH}/selftest/info", timeout=30).json()
    assert set(results) == {
        "findAgentsInHistoryServicePastMinuteSelfTest",
        "findAgentsInHistoryServicePastHourSelfTest",
        "dummyTest",
    }
    for name, result in results.items():
        assert result["Success"], f"{name}: {result['ErrorMessage']}"


def test_delete_removes_the_bundle(bundle: tuple[str, zipfile.ZipFile]) -> None:
    name = bundle[0]
    response = session.post(f"{HEALTH}/report/diagnostics/delete/{name}", timeout=30)
    assert response.status_code == 200
    assert response.json()["status"].startswith("Deleted ")
    assert name not in bundle_names()
    again = session.post(f"{HEALTH}/report/diagnostics/delete/{name}", timeout=30)
    assert again.status_code == 404
    assert again.json()["status"] == f"Bundle not found {name}"
    assert session.get(f"{HEALTH}/report/diagnostics/serve/{name}", timeout=10).status_code == 404
