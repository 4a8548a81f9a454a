"""dcos-rexray: Docker containers on an agent keep their data in a `rexray` volume.

As a task on a private agent (as root, with the node's Docker), a container writes to a
volume of the rexray driver, is restarted and appends again, a new container reads both
lines back, and they are still there after dcos-rexray itself restarts. The image is
made on the agent from its own /bin/sh: nothing comes from outside the cluster.
"""

from __future__ import annotations

import uuid

from mesos_tasks import run_task, session

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
