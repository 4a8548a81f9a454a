"""Pulls through the cluster's image registry: Docker Engine on every node, Docker tasks
and the UCR.

Every node's Docker Engine uses the registry miniDC/OS runs beside the
cluster (`minidcos-registry:5000`, on the cluster's own network) as its
mirror for Docker Hub names and as an insecure registry, and reaches
nothing outside the machine; the Mesos agent's Docker store (UCR images)
pulls from it too (its --docker_registry). The offline image set
(minidcos/slim, minidcos/python3, minidcos/httpd) is in it from the start.
Agents are reached with Mesos tasks (mesos-execute, or a v1 framework), as
an operator would.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import test_marathon as marathon  # its client: deploy, wait, pods
import test_metronome as metronome  # its jobs client: create, run, wait, history
from mesos_scheduler import TERMINAL, Scheduler, command_task
from mesos_tasks import MESOS_EXECUTE
from test_helpers import Container

REGISTRY = "minidcos-registry:5000"
MIRROR = f"http://{REGISTRY}/"
SHIPPED = ("minidcos/slim", "minidcos/python3", "minidcos/httpd")
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.manifest.v1+json"
)
TASK_TIMEOUT_S = 180

registry = requests.Session()
registry.trust_env = False  # the registry is on the cluster's own network: never a proxy


def docker_info(host: Any) -> dict[str, Any]:
    return dict(json.loads(host.check_output("docker info --format '{{json .}}'")))


def test_docker_info_works_on_a_master(host: Any) -> None:
    info = docker_info(host)
    assert info["ServerVersion"] and not info.get("ServerErrors")
    # Its own /var/lib/docker volume: layers on overlay2, not copied whole with vfs.
    assert info["Driver"] == "overlay2"
    assert MIRROR in info["RegistryConfig"]["Mirrors"]
    assert REGISTRY in info["RegistryConfig"]["IndexConfigs"]
    assert not info["RegistryConfig"]["IndexConfigs"][REGISTRY]["Secure"]


def test_the_registry_is_on_the_clusters_own_network(master_hosts: list[str]) -> None:
    address = subprocess.run(
        ["getent", "hosts", "minidcos-registry"], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    # The last usable address of the cluster's /24, which no node takes.
    assert address.rsplit(".", 1)[0] == master_hosts[0].rsplit(".", 1)[0]
    assert address.endswith(".254")
    assert registry.get(f"http://{REGISTRY}/v2/", timeout=10).status_code == 200


@pytest.mark.parametrize("name", SHIPPED)
def test_the_offline_image_set_is_in_the_registry(name: str) -> None:
    response = registry.get(f"http://{REGISTRY}/v2/{name}/tags/list", timeout=10)
    assert response.status_code == 200 and "latest" in response.json()["tags"]


def test_docker_pull_by_docker_hub_name_on_a_master(host: Any) -> None:
    host.check_output("sudo docker pull minidcos/python3:latest")
    out = host.check_output("docker run --rm minidcos/python3 python3 -c 'print(6 * 7)'")
    assert out.strip() == "42"


def run_task(name: str, command: str, *flags: str) -> str:
    """Run a task on a private agent to its end (mesos-execute); its output."""
    proc = subprocess.run(
        [
            MESOS_EXECUTE,
            "--master=leader.mesos:5050",
            f"--name={name}",
            f"--command={command}",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=TASK_TIMEOUT_S,
    )
    return proc.stdout + proc.stderr


def test_docker_pull_by_docker_hub_name_on_an_agent(agent_hosts: list[str]) -> None:
    out = run_task(
        "registry-pull",
        "sudo docker pull minidcos/httpd:latest && docker image inspect minidcos/httpd:latest",
    )
    assert "TASK_FINISHED" in out, out


def test_an_image_the_registry_does_not_hold_fails_at_once(host: Any) -> None:
    name = f"minidcos-test/not-loaded-{uuid.uuid4().hex[:8]}:1"
    started = time.monotonic()
    result = host.run("docker pull %s", name)
    # Docker Hub is never tried: the daemon's way out of the machine is closed.
    assert result.rc != 0 and time.monotonic() - started < 30, result.stderr
    manifest = registry.get(f"http://{REGISTRY}/v2/{name.split(':')[0]}/manifests/1", timeout=10)
    assert manifest.status_code == 404
    assert manifest.json()["errors"][0]["code"] in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")


@pytest.fixture
def test_repository() -> Iterator[str]:
    """A repository of this test's own; its manifests are deleted afterwards."""
    repository = f"minidcos-test/retag-{uuid.uuid4().hex[:8]}"
    yield repository
    response = registry.head(
        f"http://{REGISTRY}/v2/{repository}/manifests/1",
        headers={"Accept": MANIFEST_TYPES},
        timeout=10,
    )
    if response.status_code == 200:
        digest = response.headers["Docker-Content-Digest"]
        registry.delete(f"http://{REGISTRY}/v2/{repository}/manifests/{digest}", timeout=10)


def build_and_push(
    host: Any, repository: str, marker: str, base: str = "minidcos/slim:latest"
) -> str:
    """An image made here (`base` with /marker and /srv/marker holding `marker`), pushed
    under tag 1 into the cluster's registry; its id."""
    target = f"{REGISTRY}/{repository}:1"
    dockerfile = f"FROM {base}\nRUN echo {marker} > /marker && mkdir -p /srv && cp /marker /srv/\n"
    host.check_output("printf %s | docker build -q -t %s -", dockerfile, target)
    host.check_output("docker push %s", target)
    image_id = host.check_output("docker image inspect -f '{{.Id}}' %s", target).strip()
    host.run("docker rmi %s", target)
    return str(image_id)


def test_a_re_tagged_image_is_pulled_again(host: Any, test_repository: str) -> None:
    """What forcePullImage relies on: the tag moved, and a pull gets the new image."""
    first = build_and_push(host, test_repository, "first")
    check = (
        "docker pull {name}:1 && test \"$(docker image inspect -f '{{{{.Id}}}}' {name}:1)\" = {id}"
    )
    out = run_task("registry-retag-1", check.format(name=test_repository, id=first))
    assert "TASK_FINISHED" in out, out
    second = build_and_push(host, test_repository, "second")
    assert second != first
    out = run_task("registry-retag-2", check.format(name=test_repository, id=second))
    assert "TASK_FINISHED" in out, out


# -- Mesos tasks with images -------------------------------------------------------


def test_mesos_execute_docker_image_runs_in_the_ucr() -> None:
    """`mesos-execute --docker_image`: the Mesos containerizer pulls it from the registry."""
    out = run_task(
        "registry-ucr",
        "python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'",
        "--docker_image=minidcos/python3:latest",
    )
    assert "TASK_FINISHED" in out, out


def test_a_docker_task_pulls_an_image_its_agent_lacks(host: Any, test_repository: str) -> None:
    build_and_push(host, test_repository, "fresh")  # in the registry; on no agent yet
    out = run_task(
        "registry-docker",
        "test $(cat /marker) = fresh",
        f"--docker_image={test_repository}:1",
        "--containerizer=docker",
    )
    assert "TASK_FINISHED" in out, out


def manifest_digest(repository: str, ref: str) -> str:
    response = registry.head(
        f"http://{REGISTRY}/v2/{repository}/manifests/{ref}",
        headers={"Accept": MANIFEST_TYPES},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.headers["Docker-Content-Digest"])


@pytest.mark.parametrize("containerizer", ["docker", "mesos"])
def test_a_digest_pinned_image_runs(host: Any, test_repository: str, containerizer: str) -> None:
    build_and_push(host, test_repository, "pinned")
    pinned = f"{test_repository}@{manifest_digest(test_repository, '1')}"
    out = run_task(
        f"registry-pinned-{containerizer}",
        "test $(cat /marker) = pinned",
        f"--docker_image={pinned}",
        f"--containerizer={containerizer}",
    )
    assert "TASK_FINISHED" in out, out


@pytest.mark.parametrize("containerizer", ["docker", "mesos"])
def test_a_task_whose_image_is_not_loaded_fails_and_says_how_to_load_it(
    containerizer: str,
) -> None:
    image = f"minidcos-test/never-loaded-{uuid.uuid4().hex[:8]}:1"
    out = run_task(
        f"registry-absent-{containerizer}",
        "true",
        f"--docker_image={image}",
        f"--containerizer={containerizer}",
    )
    assert "TASK_FAILED" in out, out
    assert image in out and f"minidcos docker image load {image}" in out, out


@pytest.fixture(scope="module")
def scheduler() -> Iterator[Scheduler]:
    framework = Scheduler("http://leader.mesos:5050", name="registry-test")
    yield framework
    framework.teardown()


def run_image_task(
    scheduler: Scheduler, command: str, container: dict[str, Any], agent: str = ""
) -> tuple[str, str]:
    """Run the task (on `agent`'s offer when given); its end, and the agent it ran on."""
    task = command_task(f"registry-{uuid.uuid4().hex[:6]}", command, container=container)
    offer = scheduler.offer(
        lambda o: (
            o["allocation_info"]["role"] == "*" and (not agent or o["agent_id"]["value"] == agent)
        )
    )
    scheduler.launch(offer, [task])
    status = scheduler.wait_state(task["task_id"]["value"], TERMINAL, TASK_TIMEOUT_S)
    return f"{status['state']}: {status.get('message', '')}", offer["agent_id"]["value"]


def docker_container(name: str, force: bool) -> dict[str, Any]:
    return {"type": "DOCKER", "docker": {"image": name, "force_pull_image": force}}


def ucr_container(name: str, cached: bool) -> dict[str, Any]:
    image = {"type": "DOCKER", "docker": {"name": name}, "cached": cached}
    return {"type": "MESOS", "mesos": {"image": image}}


@pytest.mark.parametrize(
    ("container", "fetch", "keep"),
    [(docker_container, True, False), (ucr_container, False, True)],
    ids=["docker-force_pull_image", "ucr-cached-false"],
)
def test_a_forced_pull_gets_the_re_tagged_image(
    host: Any,
    scheduler: Scheduler,
    test_repository: str,
    container: Any,
    fetch: bool,
    keep: bool,
) -> None:
    """forcePullImage (Docker) and image.cached false (UCR): a moved tag is fetched again;
    without them the agent keeps the image it has."""
    name = f"{test_repository}:1"
    build_and_push(host, test_repository, "old")
    first, agent = run_image_task(scheduler, "test $(cat /marker) = old", container(name, fetch))
    assert first.startswith("TASK_FINISHED"), first
    build_and_push(host, test_repository, "new")
    # On the same agent: what it keeps is its own (another agent would pull the new one).
    kept, _ = run_image_task(scheduler, "test $(cat /marker) = old", container(name, keep), agent)
    assert kept.startswith("TASK_FINISHED"), kept
    fetched, _ = run_image_task(
        scheduler, "test $(cat /marker) = new", container(name, fetch), agent
    )
    assert fetched.startswith("TASK_FINISHED"), fetched


# -- Metronome ----------------------------------------------------------------------


@pytest.mark.parametrize("force_pull", [False, True], ids=["job", "job-forcePullImage"])
def test_a_metronome_job_with_an_image_pulls_it_from_the_registry(
    host: Any, test_repository: str, force_pull: bool
) -> None:
    build_and_push(host, test_repository, "job")  # on no agent yet
    job_id = metronome.unique("registry-job")
    docker = {"image": f"{test_repository}:1", "forcePullImage": force_pull}
    metronome.create_job(job_id, "test $(cat /marker) = job", docker=docker)
    try:
        run_id = metronome.start_run(job_id)
        metronome.wait_run_finished(job_id, run_id)
        done = metronome.history(job_id)
        assert metronome.run_ids(done["successfulFinishedRuns"]) == [run_id], done
    finally:
        metronome.delete_job(job_id)


def test_a_metronome_job_whose_image_is_not_loaded_fails() -> None:
    job_id = metronome.unique("registry-absent")
    image = f"minidcos-test/never-loaded-{uuid.uuid4().hex[:8]}:1"
    metronome.create_job(job_id, "true", docker={"image": image})
    try:
        run_id = metronome.start_run(job_id)
        metronome.wait_run_finished(job_id, run_id)
        assert metronome.run_ids(metronome.history(job_id)["failedFinishedRuns"]) == [run_id]
    finally:
        metronome.delete_job(job_id)


# -- Marathon -----------------------------------------------------------------------


@pytest.fixture
def marathon_api(dcos_session: requests.Session) -> Iterator[Any]:
    """test_marathon's client, logged in as its own module fixture logs it in."""
    marathon.http = dcos_session
    yield marathon


def marker_of(task: dict[str, Any]) -> str:
    """The image's /marker, read by the test app in the task's container (its /run_cmd)."""
    answer = requests.post(
        f"http://{task['host']}:{task['ports'][0]}/run_cmd", data="cat /marker", timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["output"]).strip()


def test_a_marathon_docker_app_pulls_and_force_pulls_a_re_tagged_image(
    host: Any, test_repository: str, marathon_api: Any
) -> None:
    """A Docker app (DC/OS's test app) of an image no agent has; then, with forcePullImage,
    a restart runs what its tag names now."""
    build_and_push(host, test_repository, "first", base="minidcos/python3:latest")
    app, test_uuid = marathon_api.make_app(
        "registry-app", container_type=Container.DOCKER, image=f"{test_repository}:1"
    )
    app["container"]["docker"]["forcePullImage"] = True
    app_id = app["id"]
    marathon_api.deploy(app)
    try:
        task = marathon_api.wait_healthy(app_id, 1)["tasks"][0]
        marathon_api.assert_serves(task, test_uuid)
        assert marker_of(task) == "first"
        build_and_push(host, test_repository, "second", base="minidcos/python3:latest")
        restart = marathon_api.http.post(marathon_api.url(f"/v2/apps{app_id}/restart"), timeout=10)
        assert restart.status_code == 200, restart.text
        marathon_api.wait_deployment_gone(restart.json()["deploymentId"])
        task = marathon_api.wait_healthy(app_id, 1)["tasks"][0]
        assert marker_of(task) == "second"
    finally:
        marathon_api.http.delete(
            marathon_api.url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10
        )


def test_a_marathon_pod_with_an_image_pulls_it_from_the_registry(
    host: Any, test_repository: str, marathon_api: Any
) -> None:
    build_and_push(host, test_repository, "pod", base="minidcos/python3:latest")  # on no agent
    pod_id, test_uuid = marathon_api.unique("registry-pod"), uuid.uuid4().hex
    definition = marathon_api.pod_definition(pod_id, 1, test_uuid, f"{test_repository}:1")
    response = marathon_api.http.post(marathon_api.url("/v2/pods"), json=definition, timeout=10)
    assert response.status_code == 201, response.text
    try:
        instance = marathon_api.wait_pod_stable(pod_id, 1)["instances"][0]
        # The client, in the pulled image, reached the server and wrote through both mounts.
        marathon_api.assert_pod_serves(instance, test_uuid, 2)
    finally:
        marathon_api.delete_pod(pod_id)
