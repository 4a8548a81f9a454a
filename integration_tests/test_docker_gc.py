"""dcos-docker-gc on agents: its timer is healthy everywhere, and a run removes a task's exited
container and its now unused image while keeping an image the exclude list ships.

The run happens on an agent inside a task (as root, like DC/OS's tests that need a node's
Docker): it makes a small image from the node's own /usr/bin/true, runs a container named as
Mesos names task containers, lists the images it must not touch in an exclude file, starts
dcos-docker-gc.service with no grace period, and checks what is left.
"""

from __future__ import annotations

import subprocess
import uuid

from mesos_tasks import MESOS_EXECUTE, session

GC_SCRIPT = r"""
set -eu
ID={id}
TASK_IMAGE=minidcos-gc-task-$ID:1
KEPT_IMAGE=minidcos-gc-kept-$ID:1
ROOTFS=$(mktemp -d)
for f in /usr/bin/true $(ldd /usr/bin/true | grep -o '/[^ ]*'); do
  mkdir -p "$ROOTFS$(dirname "$f")"; cp -L "$f" "$ROOTFS$f"
done
tar -C "$ROOTFS" -c . | docker import - "$TASK_IMAGE" >/dev/null
tar -C "$ROOTFS" -c . | docker import -c 'LABEL kept=yes' - "$KEPT_IMAGE" >/dev/null
docker run --name "mesos-gc-$ID" "$TASK_IMAGE" /usr/bin/true
echo "before: $(docker ps -a --filter name=mesos-gc-$ID --format '{{{{.Names}}}} {{{{.Status}}}}')"
# Every other image stays: the kept one by name, all others by ID (other tests use them).
EXCLUDE=/opt/mesosphere/etc/docker-gc-exclude-test-$ID
echo "$KEPT_IMAGE" > "$EXCLUDE"
TASK_ID=$(docker image inspect --format '{{{{.Id}}}}' "$TASK_IMAGE")
docker images -q --no-trunc | grep -v "$TASK_ID" >> "$EXCLUDE" || true
DROPIN=/run/systemd/system/dcos-docker-gc.service.d
mkdir -p $DROPIN
printf '[Service]\nEnvironment=GRACE_PERIOD_SECONDS=0\n' > $DROPIN/test-$ID.conf
systemctl daemon-reload
status=0
systemctl start dcos-docker-gc.service || status=$?
rm -f $DROPIN/test-$ID.conf "$EXCLUDE"
systemctl daemon-reload
journalctl -u dcos-docker-gc.service -n 5 --no-pager -o cat
[ $status = 0 ] || {{ echo "dcos-docker-gc.service failed: $status"; exit 1; }}
if [ -n "$(docker ps -aq --filter name=mesos-gc-$ID)" ]; then echo "container left"; exit 1; fi
if docker image inspect "$TASK_IMAGE" >/dev/null 2>&1; then echo "task image left"; exit 1; fi
docker image inspect "$KEPT_IMAGE" >/dev/null || {{ echo "kept image removed"; exit 1; }}
docker rmi "$KEPT_IMAGE" >/dev/null
echo GC-OK
"""


def test_timer_is_healthy_on_every_agent(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    for agent in agent_hosts + public_agent_hosts:
        health = session.get(
            f"http://127.0.0.1/system/health/v1/nodes/{agent}/units/dcos-docker-gc.timer",
            timeout=10,
        )
        assert health.status_code == 200, (agent, health.text)
        assert health.json()["health"] == 0, health.json()


def test_gc_removes_an_exited_task_container(agent_hosts: list[str]) -> None:
    run_id = uuid.uuid4().hex[:8]
    name = f"docker-gc-test-{run_id}"
    done = subprocess.run(
        [
            MESOS_EXECUTE,
            "--master=leader.mesos:5050",
            f"--name={name}",
            f"--command={GC_SCRIPT.format(id=run_id)}",
            "--resources=cpus:0.1;mem:64",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = session.get(
        f"http://127.0.0.1/system/v1/logs/v2/task/{name}/file/stdout", timeout=10
    ).text
    err = session.get(
        f"http://127.0.0.1/system/v1/logs/v2/task/{name}/file/stderr", timeout=10
    ).text
    assert done.returncode == 0, (done.stdout, out, err)
    assert "before: mesos-gc-" in out and "Exited (0)" in out, out
    assert out.rstrip().endswith("GC-OK"), (out, err)
