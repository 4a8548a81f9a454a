"""Diagnostics bundles: the names a node gives its files, and a job over two real nodes.

The nodes are the diagnostics log routes (api.add_log_routes) served on
127.0.0.1 ports; the job on the "master" fetches from both into a zip on
disk, as it does from a cluster's nodes. Only the unit journals are canned
(no journald on the host).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dcos_diagnostics import api, bundle, sources
from dcos_diagnostics.cluster import ClusterNode
from dcos_internal_utils.http import Request, Response, Router, _handler_class, _Server, tcp_socket

CONFIG = {
    "HTTPEndpoints": [
        {"Port": 5050, "Uri": "/master/state", "Role": ["master"]},
        {"Port": 5051, "Uri": "/containers", "Role": ["agent", "agent_public"]},
        {"Port": 5050, "Uri": "/registrar(1)/registry", "Role": ["master"]},
    ],
    "LocalFiles": [
        {"Location": "/var/lib/dcos/cluster-id"},
        {"Location": "/var/lib/dcos/exhibitor/conf/zoo.cfg", "Role": ["master"]},
    ],
    "LocalCommands": [
        {"Command": ["dmesg", "-T"]},
        {"Command": ["ps", "aux", "ww"], "Role": ["agent"]},
        {"Command": ["/opt/mesosphere/bin/curl", "-s", "-S", "http://localhost:62080/v1/vips"]},
        {"Command": ["/bin/sh", "-c", "cat /etc/*-release"]},
    ],
}


def test_file_names_are_dcos_names(tmp_path: Path) -> None:
    config = tmp_path / "endpoints.json"
    config.write_text(json.dumps(CONFIG))
    master = sources.Sources.load("master", 1050, config, ["dcos-mesos-master.service"])
    assert master.endpoints() == {
        "dcos-mesos-master.service": ":1050/system/health/v1/logs/units/dcos-mesos-master.service",
        "dcos-diagnostics-health.json": ":1050/system/health/v1",
        "5050-master_state.json": ":5050/master/state",
        "5050-registrar_1__registry.json": ":5050/registrar(1)/registry",
        "/var/lib/dcos/cluster-id": ":1050/system/health/v1/logs/files/var_lib_dcos_cluster-id",
        "/var/lib/dcos/exhibitor/conf/zoo.cfg": (
            ":1050/system/health/v1/logs/files/var_lib_dcos_exhibitor_conf_zoo.cfg"
        ),
        "dmesg_-T-0.output": ":1050/system/health/v1/logs/cmds/dmesg_-T-0.output",
        "optmesospherebincurl_-s_-S_http:localhost:62080v1vips-2.output": (
            ":1050/system/health/v1/logs/cmds/"
            "optmesospherebincurl_-s_-S_http:localhost:62080v1vips-2.output"
        ),
        "binsh_-c_cat etc*-release-3.output": (
            ":1050/system/health/v1/logs/cmds/binsh_-c_cat etc*-release-3.output"
        ),
    }
    agent = sources.Sources.load("agent", 61001, config, ["dcos-mesos-slave.service"])
    assert "5051-containers.json" in agent.endpoints()
    assert "ps_aux_ww-1.output" in agent.endpoints()
    assert "5050-master_state.json" not in agent.endpoints()


def test_a_command_that_cannot_start_fails_at_once() -> None:
    with pytest.raises(OSError):
        sources.run_command(["/nonexistent/binary"])
    assert b"".join(sources.run_command(["echo", "hi"])) == b"hi\n"


@dataclass(frozen=True)
class LocalNode(ClusterNode):
    """A node whose diagnostics answers on a port of 127.0.0.1 chosen by the test."""

    local_port: int = 0

    @property
    def port(self) -> int:
        return self.local_port


def serve(router: Router) -> tuple[_Server, int]:
    server = _Server(tcp_socket("127.0.0.1", 0), _handler_class(router))
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server, server.socket.getsockname()[1]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LocalNode]]:
    """A master and an agent: the log routes, their own health and one Mesos endpoint each."""
    (tmp_path / "cluster-id").write_text("0e0b1f5c-6c8e-4d5a-9a58-6f3b7c1e2d4a\n")

    def canned_journal(unit: str, since: str = "24h") -> Iterator[bytes]:
        return iter([f"{i}: {unit} line\n".encode() for i in range(150)])

    monkeypatch.setattr(sources, "journal", canned_journal)
    servers, nodes = [], []
    for role, unit in (
        ("master", "dcos-mesos-master.service"),
        ("agent", "dcos-mesos-slave.service"),
    ):
        router = Router()
        holder: dict[str, int] = {}

        @router.get("/system/health/v1")
        def health(request: Request, role: str = role) -> Response:
            return Response.json({"ip": "127.0.0.1", "node_role": role, "units": []})

        @router.get("/mesos/state")
        def state(request: Request) -> Response:
            return Response.json({"id": "state"})

        config = {
            "HTTPEndpoints": [{"Port": 0, "Uri": "/mesos/state", "FileName": "mesos-state.json"}],
            "LocalFiles": [{"Location": str(tmp_path / "cluster-id")}],
            "LocalCommands": [{"Command": ["echo", role]}],
        }

        def node_sources(
            role: str = role, unit: str = unit, config: Any = config, holder: Any = holder
        ) -> sources.Sources:
            port = holder["port"]
            config["HTTPEndpoints"][0]["Port"] = port
            path = tmp_path / f"{role}.json"
            path.write_text(json.dumps(config))
            return sources.Sources.load(role, port, path, [unit])

        api.add_log_routes(router, node_sources)
        server, port = serve(router)
        holder["port"] = port
        servers.append(server)
        nodes.append(LocalNode("127.0.0.1", role, port))
    yield nodes
    for server in servers:
        server.shutdown()


def wait_until_done(job: bundle.Job) -> None:
    deadline = time.monotonic() + 20
    while job.running:
        assert time.monotonic() < deadline, job.status_json()
        time.sleep(0.05)


def test_a_bundle_holds_every_nodes_files(cluster: list[LocalNode], tmp_path: Path) -> None:
    job = bundle.Job(tmp_path / "bundles")
    bundles = bundle.Bundles(job, "127.0.0.1", lambda: ["127.0.0.1"], lambda: list(cluster))
    assert job.status_json()["job_progress_percentage"] == -1
    assert bundles.local_bundles() is None

    status, created = bundles.create(b'{"version": 1, "nodes": ["all"]}')
    assert status == 200 and created["status"] == "Job has been successfully started"
    name = created["extra"]["bundle_name"]
    assert name.startswith("bundle-") and name.endswith(".zip")
    wait_until_done(job)

    report = job.status_json()
    assert report["status"] == "Diagnostics job successfully finished", report
    assert report["job_progress_percentage"] == 100 and report["errors"] is None
    assert len(report) == 14
    assert bundles.local_bundles() == [
        {
            "file_name": f"/system/health/v1/report/diagnostics/serve/{name}",
            "file_size": (tmp_path / "bundles" / name).stat().st_size,
        }
    ]
    with zipfile.ZipFile(tmp_path / "bundles" / name) as z:
        names = set(z.namelist())
        cluster_id = str(tmp_path / "cluster-id").lstrip("/") + ".gz"
        for folder, unit in (
            ("127.0.0.1_master/", "dcos-mesos-master.service"),
            ("127.0.0.1_agent/", "dcos-mesos-slave.service"),
        ):
            expected = {
                f"{folder}{unit}.gz",
                f"{folder}dcos-diagnostics-health.json",
                f"{folder}mesos-state.json",
                f"{folder}{cluster_id}",
                f"{folder}echo_{folder.split('_')[1].rstrip('/')}-0.output.gz",
            }
            assert expected <= names, names
            journal = gzip.decompress(z.read(f"{folder}{unit}.gz")).decode()
            assert len(journal.splitlines()) == 150
        assert (
            json.loads(z.read("127.0.0.1_agent/dcos-diagnostics-health.json"))["node_role"]
            == "agent"
        )
        assert gzip.decompress(z.read("127.0.0.1_master/echo_master-0.output.gz")) == b"master\n"
        assert "summaryReport.txt" in names and "summaryErrorsReport.txt" not in names

    assert bundles.delete("nope.zip") == (
        503,
        bundle.report_response(503, "format allowed  bundle-*.zip"),
    )
    assert bundles.delete(name)[0] == 200
    assert bundles.local_bundles() is None
    missing = bundles.delete(name)
    assert missing == (404, bundle.report_response(404, f"Bundle not found {name}"))


def test_a_node_that_fails_is_reported_in_the_bundle(
    cluster: list[LocalNode], tmp_path: Path
) -> None:
    dead = LocalNode("127.0.0.1", "agent_public", 9)
    job = bundle.Job(tmp_path / "bundles")
    bundles = bundle.Bundles(job, "127.0.0.1", lambda: ["127.0.0.1"], lambda: [*cluster, dead])
    status, created = bundles.create(b'{"nodes": ["all"]}')
    assert status == 200
    wait_until_done(job)
    report = job.status_json()
    assert report["status"] == "Diagnostics job failed"
    assert report["errors"] == [
        "could not get a list of logs, url: http://127.0.0.1:9/system/health/v1/logs"
    ]
    with zipfile.ZipFile(tmp_path / "bundles" / created["extra"]["bundle_name"]) as z:
        assert "127.0.0.1:9" in z.read("summaryErrorsReport.txt").decode()


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (["masters"], ["192.0.2.1"]),
        (["agents"], ["192.0.2.2", "192.0.2.3"]),
        (["192.0.2.3"], ["192.0.2.3"]),
        (["all"], ["192.0.2.1", "192.0.2.2", "192.0.2.3"]),
        (["192.0.2.9"], "Requested nodes: [192.0.2.9] not found"),
        ([], "Cannot match requested nodes to clusterNodes"),
    ],
)
def test_requested_nodes(requested: list[str], expected: list[str] | str) -> None:
    cluster = [
        ClusterNode("192.0.2.1", "master"),
        ClusterNode("192.0.2.2", "agent"),
        ClusterNode("192.0.2.3", "agent_public"),
    ]
    matched = bundle.match_nodes(requested, cluster)
    assert (matched if isinstance(matched, str) else [n.ip for n in matched]) == expected


def test_bad_create_requests(tmp_path: Path) -> None:
    bundles = bundle.Bundles(bundle.Job(tmp_path), "192.0.2.1", lambda: ["192.0.2.1"], list)
    assert bundles.create(b"")[0] == 400
    status, body = bundles.create(b'{"nodes": ["all"]}')
    assert (status, body["status"]) == (503, "Cannot match requested nodes to clusterNodes")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.25, "250ms"), (1.5, "1.5s"), (123.25, "2m3.25s"), (3605, "1h0m5s")],
)
def test_durations_read_as_go_prints_them(seconds: float, text: str) -> None:
    assert bundle.go_duration(seconds) == text


def test_selftest_passes_with_history_and_fails_without(tmp_path: Path) -> None:
    from dcos_diagnostics import selftest

    router = Router()

    @router.get("/history/minute")
    def minute(request: Request) -> Response:
        return Response.json([{"slaves": [{"hostname": "192.0.2.2"}]}, {}])

    @router.get("/history/hour")
    def hour(request: Request) -> Response:
        return Response.json([])

    server, port = serve(router)
    try:
        results = selftest.run(f"http://127.0.0.1:{port}/history")
    finally:
        server.shutdown()
    assert set(results) == {
        "findAgentsInHistoryServicePastMinuteSelfTest",
        "findAgentsInHistoryServicePastHourSelfTest",
        "dummyTest",
    }
    assert all(r == {"Success": True, "ErrorMessage": ""} for r in results.values())
    failed = selftest.run("http://127.0.0.1:9/history")
    assert failed["findAgentsInHistoryServicePastMinuteSelfTest"]["Success"] is False
    assert failed["dummyTest"]["Success"] is True
