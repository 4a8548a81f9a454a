"""dcos-rexray: Docker containers and Marathon Docker apps keep their data in `rexray` volumes.

As a task on a private agent (as root, with the node's Docker), a container writes to a
volume of the rexray driver, is restarted and appends again, a new container reads both
lines back, and they are still there after dcos-rexray itself restarts. The image is
made on the agent from its own /bin/sh: nothing comes from outside the cluster.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from mesos_tasks import run_task, session
from polling import Poll, wait_for

SCRIPT = r"""
set -eu
ID={id}
VOLUME=rexray-test-$ID
IMAGE=minidcos-rexray-test:$ID
R=$(mktemp -d)
for f in /bin/sh $(ldd /bin/sh | grep -o '/[^ ]*'); do
  mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"
done
tar -C "$R" -c . | docker import - "$IMAGE" >/dev/null
cleanup() {{
  docker rm -f "writer-$ID" "reader-$ID" >/dev/null 2>&1 || true
  docker volume rm "$VOLUME" >/dev/null 2>&1 || true
  docker rmi "$IMAGE" >/dev/null 2>&1 || true
}}
trap cleanup EXIT
docker volume create --driver rexray "$VOLUME" >/dev/null
echo "driver: $(docker volume inspect --format '{{{{.Driver}}}}' "$VOLUME")"
docker create --name "writer-$ID" --volume-driver rexray -v "$VOLUME:/data" "$IMAGE" \
  /bin/sh -c 'echo "run $$" >> /data/runs' >/dev/null
docker start -a "writer-$ID"
docker restart "writer-$ID" >/dev/null
docker wait "writer-$ID" >/dev/null
docker rm "writer-$ID" >/dev/null
systemctl restart dcos-rexray
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /run/docker/plugins/rexray.sock ] && break; sleep 0.5; done
docker run --rm --name "reader-$ID" --volume-driver rexray -v "$VOLUME:/data" "$IMAGE" \
  /bin/sh -c 'n=0; while read line; do n=$((n+1)); done < /data/runs; echo "lines: $n"'
/opt/mesosphere/bin/rexray volume ls | grep -q "^$VOLUME " && echo "listed by rexray"
echo REXRAY-OK
"""


def test_a_container_keeps_its_data_in_a_rexray_volume_across_restarts(
    agent_hosts: list[str],
) -> None:
    assert agent_hosts, "a private agent runs dcos-rexray"
    run_id = uuid.uuid4().hex[:8]
    done = run_task(
        f"rexray-test-{run_id}",
        SCRIPT.format(id=run_id),
        ("--resources=cpus:0.1;mem:64",),
    )
    assert done.returncode == 0, (done.updates, done.stdout, done.stderr)
    out = done.stdout
    assert "driver: rexray" in out, out
    assert "lines: 2" in out, (out, done.stderr)
    assert "listed by rexray" in out and out.rstrip().endswith("REXRAY-OK"), (out, done.stderr)


def test_rexray_is_healthy_on_every_agent(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    for agent in agent_hosts + public_agent_hosts:
        health = session.get(
            f"http://127.0.0.1/system/health/v1/nodes/{agent}/units/dcos-rexray.service",
            timeout=10,
        )
        assert health.status_code == 200, (agent, health.text)
        assert health.json()["health"] == 0, health.json()


MARATHON = "http://127.0.0.1/marathon"
IMAGE_SCRIPT = r"""
set -eu
R=$(mktemp -d)
for b in /bin/sh /bin/sleep; do
  for f in $b $(ldd $b | grep -o '/[^ ]*'); do
    mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"
  done
done
tar -C "$R" -c . | docker import - {image} >/dev/null
echo made
"""
CHECK_SCRIPT = r"""
n=0; while read line; do n=$((n+1)); done < /var/lib/libstorage/vfs/vol/{volume}/data/runs
echo "runs: $n"
docker volume rm {volume} >/dev/null 2>&1 || true
docker rmi {image} >/dev/null 2>&1 || true
"""


def test_a_marathon_docker_app_keeps_its_data_across_a_restart(
    agent_hosts: list[str], dcos_session: requests.Session
) -> None:
    """The app's container mounts a rexray volume (Docker parameters `volume-driver` and
    `volume`, as Marathon passes them to Docker); each task appends a line to it; after
    a restart of the app, the volume holds both tasks' lines."""
    if len(agent_hosts) != 1:
        pytest.skip("the app's image is made on the one agent its tasks run on")
    run_id = uuid.uuid4().hex[:8]
    image, volume, app_id = (
        f"minidcos-rexray-app:{run_id}",
        f"rexray-app-{run_id}",
        (f"/rexray-app-{run_id}"),
    )
    made = run_task(
        f"rexray-image-{run_id}", IMAGE_SCRIPT.format(image=image), ("--resources=cpus:0.1;mem:64",)
    )
    assert made.returncode == 0 and "made" in made.stdout, made
    app = {
        "id": app_id,
        "instances": 1,
        "cpus": 0.1,
        "mem": 32,
        "cmd": 'echo "run $$" >> /data/runs && exec sleep 3600',
        "container": {
            "type": "DOCKER",
            "docker": {
                "image": image,
                "network": "HOST",
                "parameters": [
                    {"key": "volume-driver", "value": "rexray"},
                    {"key": "volume", "value": f"{volume}:/data"},
                ],
            },
        },
    }
    try:
        response = dcos_session.post(f"{MARATHON}/v2/apps", json=app, timeout=30)
        assert response.status_code == 201, response.text
        first = wait_for(lambda: running_task_ids(dcos_session, app_id), 180, f"{app_id} running")
        response = dcos_session.post(f"{MARATHON}/v2/apps{app_id}/restart", timeout=30)
        assert response.status_code == 200, response.text
        wait_for(
            lambda: running_task_ids(dcos_session, app_id, replacing=first),
            180,
            f"{app_id} restarted",
        )
    finally:
        dcos_session.delete(f"{MARATHON}/v2/apps{app_id}", params={"force": "true"}, timeout=30)
        wait_for(lambda: app_gone(dcos_session, app_id), 120, f"{app_id} removed")
    checked = run_task(
        f"rexray-check-{run_id}",
        CHECK_SCRIPT.format(volume=volume, image=image),
        ("--resources=cpus:0.1;mem:32",),
    )
    assert checked.returncode == 0 and "runs: 2" in checked.stdout, checked


def running_task_ids(
    session: requests.Session, app_id: str, replacing: frozenset[str] = frozenset()
) -> Poll[frozenset[str]]:
    tasks = session.get(f"{MARATHON}/v2/apps{app_id}/tasks", timeout=10).json()["tasks"]
    ids = frozenset(t["id"] for t in tasks if t.get("state") == "TASK_RUNNING")
    done = len(ids) == 1 and not ids & replacing
    return Poll(done, ids, detail=f"running: {sorted(ids)}")


def app_gone(session: requests.Session, app_id: str) -> Poll[None]:
    status = session.get(f"{MARATHON}/v2/apps{app_id}", timeout=10).status_code
    return Poll(status == 404, None, detail=f"GET /v2/apps{app_id}: {status}")
