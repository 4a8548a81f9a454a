"""The test app (util/python_test_server.py): its endpoints, on a master and as a task.

First the server runs as a plain process on this master, where every
endpoint is checked, /your_ip with a second server as the reflector. Then it
runs the way suites deploy it: as a command task on each private agent (a
Metronome job, so that no other scheduler is needed), and as a Docker task
from the local image set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import acs
import pytest
import requests
import test_helpers
from polling import Poll, wait_for

SERVER = Path(__file__).resolve().parent / "util" / "python_test_server.py"
METRONOME = os.environ.get("METRONOME_URL", "http://127.0.0.1/service/metronome")
START_TIMEOUT_S = 120
# The local image set's registry, as nodes name it: the only registry a test pulls from.
LOCAL_REGISTRY = "minidcos-registry:5000"
# The Docker variant's image, from the local image set (override to try another).
DOCKER_IMAGE = os.environ.get("TEST_APP_DOCKER_IMAGE", test_helpers.DEFAULT_DOCKER_IMAGE)


# Metronome through Admin Router, with the cluster token; the test app itself needs none.
api = requests.Session()
api.headers.update(acs.auth_headers())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def wait_pong(host: str, port: int) -> None:
    def probe() -> bool:
        response = requests.get(f"http://{host}:{port}/ping", timeout=2)
        return response.status_code == 200 and response.json() == {"pong": True}

    wait_for(probe, START_TIMEOUT_S, f"the test app on {host}:{port} to answer /ping")


@pytest.fixture
def local_server() -> Iterator[Any]:
    """Start test servers on this master; each is (port, uuid)."""
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> tuple[int, str]:
        port, test_uuid = free_port(), uuid.uuid4().hex
        env = {**os.environ, "DCOS_TEST_UUID": test_uuid}
        procs.append(subprocess.Popen([sys.executable, str(SERVER), str(port)], env=env))
        wait_pong("127.0.0.1", port)
        return port, test_uuid

    yield start
    for proc in procs:
        proc.terminate()
        assert proc.wait(timeout=10) == 0  # SIGTERM is a clean exit


def test_endpoints(local_server: Any, master_hosts: list[str]) -> None:
    port, test_uuid = local_server()
    base = f"http://127.0.0.1:{port}"
    ping = requests.get(f"{base}/ping", timeout=5)
    assert ping.headers["Content-type"] == "application/json"
    assert requests.get(f"{base}/test_uuid", timeout=5).json() == {"test_uuid": test_uuid}
    assert requests.get(f"{base}/reflect", timeout=5).json() == {
        "test_uuid": test_uuid,
        "request_ip": "127.0.0.1",
    }
    assert requests.get(f"{base}/operating_environment", timeout=5).json() == {"uid": os.getuid()}
    # A name that does not resolve may take the resolver's full timeout to fail.
    dns = requests.get(f"{base}/dns_search", timeout=60).json()
    assert dns["test_uuid"] == test_uuid
    assert "error" in dns["always_miss"]
    assert set(dns) == {"search_hit_leader", "always_miss", "always_hit_leader", "test_uuid"}
    ran = requests.post(f"{base}/run_cmd", data="echo out; echo err >&2; exit 7", timeout=5)
    assert ran.json() == {"status": 7, "output": "out\nerr"}
    cached = requests.post(f"{base}/signal_test_cache", data="kept", timeout=5)
    assert cached.json() == "kept"
    assert requests.get(f"{base}/signal_test_cache", timeout=5).json() == "kept"
    assert requests.get(f"{base}/nothing", timeout=5).status_code == 404
    assert requests.post(f"{base}/nothing", timeout=5).status_code == 404


def test_your_ip_asks_a_reflector(local_server: Any, master_hosts: list[str]) -> None:
    port, test_uuid = local_server()
    reflector_port, reflector_uuid = local_server()
    me = master_hosts[0]
    answer = requests.post(
        f"http://{me}:{port}/your_ip",
        data={"reflector_ip": me, "reflector_port": reflector_port},
        timeout=5,
    )
    assert answer.json() == {"reflector_uuid": reflector_uuid, "test_uuid": test_uuid, "my_ip": me}
    missing = requests.post(f"http://{me}:{port}/your_ip", data={"reflector_ip": me}, timeout=5)
    assert missing.status_code == 400
    not_a_port = requests.post(
        f"http://{me}:{port}/your_ip", data={"reflector_ip": me, "reflector_port": "x"}, timeout=5
    )
    assert not_a_port.status_code == 400


def test_the_server_refuses_to_start_without_a_uuid() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DCOS_TEST_UUID"}
    proc = subprocess.run(
        [sys.executable, str(SERVER), str(free_port())], env=env, capture_output=True, timeout=30
    )
    assert proc.returncode == 1
    assert b"Unique test ID is missing" in proc.stderr


def wait_served(agent: str, port: int, job_id: str, run_id: str) -> None:
    """Until the run's test app answers /ping; fails at once if the run ends instead."""

    def probe() -> Poll[None]:
        run = api.get(f"{METRONOME}/v1/jobs/{job_id}/runs/{run_id}", timeout=10)
        if run.status_code == 404:
            history = api.get(
                f"{METRONOME}/v1/jobs/{job_id}", params={"embed": "history"}, timeout=10
            ).json()["history"]
            raise AssertionError(f"the run of the test app ended: {history}")
        try:
            pong = requests.get(f"http://{agent}:{port}/ping", timeout=2)
        except requests.ConnectionError as exc:
            return Poll(False, detail=f"run {run.json()['status']}; /ping: {exc}")
        return Poll(pong.status_code == 200 and pong.json() == {"pong": True}, None, pong.text)

    wait_for(probe, START_TIMEOUT_S, f"the test app on {agent}:{port} to answer /ping")


def run_as_job(agent: str, image: str | None) -> None:
    """Serve the test app from a Metronome run on `agent`; check it; stop the run."""
    port = 20000 + uuid.uuid4().int % 10000
    job_id = f"test-app-{uuid.uuid4().hex[:8]}"
    job, test_uuid = test_helpers.metronome_test_job(job_id, port, agent, image)
    created = api.post(f"{METRONOME}/v1/jobs", json=job, timeout=10)
    assert created.status_code == 201, created.text
    try:
        run = api.post(f"{METRONOME}/v1/jobs/{job_id}/runs", timeout=10).json()
        wait_served(agent, port, job_id, run["id"])
        base = f"http://{agent}:{port}"
        assert requests.get(f"{base}/test_uuid", timeout=5).json() == {"test_uuid": test_uuid}
        assert requests.get(f"{base}/operating_environment", timeout=5).json() == {"uid": 0}
        dns = requests.get(f"{base}/dns_search", timeout=60).json()
        assert "error" not in str(dns["always_hit_leader"]), dns
        ran = requests.post(f"{base}/run_cmd", data="echo $DCOS_TEST_UUID", timeout=5).json()
        assert ran == {"status": 0, "output": test_uuid}
        stopped = api.post(
            f"{METRONOME}/v1/jobs/{job_id}/runs/{run['id']}/actions/stop", timeout=10
        )
        assert stopped.status_code == 200
    finally:
        api.delete(
            f"{METRONOME}/v1/jobs/{job_id}", params={"stopCurrentJobRuns": "true"}, timeout=10
        )


def names_a_registry(image: str) -> bool:
    """`host:port/name` or `host.domain/name`, as Docker tells a registry from a Hub name."""
    first, slash, _ = image.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def image_available(agent: str, image: str) -> bool:
    """Whether the agent's Docker has `image` or can pull it (asked by a one-off job there)."""
    job_id = f"image-check-{uuid.uuid4().hex[:8]}"
    cmd = f"docker image inspect {image} >/dev/null 2>&1"
    if image.startswith(f"{LOCAL_REGISTRY}/"):
        cmd += f" || timeout 60 docker pull {image}"
    elif not names_a_registry(image):
        # A Docker Hub name is pulled only through the node's registry mirror (the local
        # image set): never from Docker Hub itself.
        mirrors = "docker info --format '{{range .RegistryConfig.Mirrors}}{{.}}{{end}}'"
        cmd += f' || {{ test -n "$({mirrors})" && timeout 60 docker pull {image}; }}'
    job, _ = test_helpers.metronome_test_job(job_id, 0, agent)
    job["run"]["cmd"] = cmd
    assert api.post(f"{METRONOME}/v1/jobs", json=job, timeout=10).status_code == 201
    try:
        run_id = api.post(f"{METRONOME}/v1/jobs/{job_id}/runs", timeout=10).json()["id"]

        def finished() -> bool:
            status = api.get(f"{METRONOME}/v1/jobs/{job_id}/runs/{run_id}", timeout=10)
            return status.status_code == 404

        wait_for(finished, 120, f"the image check on {agent} to finish")
        history = api.get(
            f"{METRONOME}/v1/jobs/{job_id}", params={"embed": "history"}, timeout=10
        ).json()["history"]
        return bool(history["successfulFinishedRuns"])
    finally:
        api.delete(f"{METRONOME}/v1/jobs/{job_id}", timeout=10)


def test_as_a_command_task_on_every_agent(agent_hosts: list[str]) -> None:
    assert agent_hosts, "the cluster has no private agent"
    for agent in agent_hosts:
        run_as_job(agent, image=None)


def test_as_a_docker_task(agent_hosts: list[str]) -> None:
    if not image_available(agent_hosts[0], DOCKER_IMAGE):
        pytest.skip(f"the Docker image {DOCKER_IMAGE!r} is not in the local image set")
    run_as_job(agent_hosts[0], image=DOCKER_IMAGE)
