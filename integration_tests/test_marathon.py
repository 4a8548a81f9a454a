"""Marathon (dcos-marathon.service): apps and pods, end to end on real Mesos tasks.

Runs on a master and talks to Marathon as DC/OS's clients do: HTTP through
Admin Router at /marathon/ (dcos-test-utils' Marathon client), waiting on
`tasksRunning`/`tasksHealthy` of `/v2/apps/<id>?embed=apps.counts` and on
`/v2/pods/<id>::status`. Apps are DC/OS's test app
(`test_helpers.marathon_test_app`: util/python_test_server.py, as a command or
in the local image set's minidcos/python3), and a task is proved to be the
one deployed as DC/OS's suite proves it: its host port answers `/ping` and
`/test_uuid` with the deployment's UUID. Pods run the test server beside a
client container. Like DC/OS's suite, a module-scoped fixture force-deletes
every app and every pod, then the root group, around the tests.

Deployments are shared where a test only reads them: one app is scaled up,
down, restarted and deleted in a single test rather than deployed four times.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import requests
import test_helpers
from polling import Poll, wait_for
from test_helpers import Container, Network

MARATHON = os.environ.get("MARATHON_URL", "http://127.0.0.1/marathon")
# The logged-in session every request goes through (set by the module's fixture): Admin
# Router checks tokens when oauth_enabled, as in DC/OS.
http = requests.Session()
DEPLOY_TIMEOUT_S = 120
# Docker apps and imaged pods run the test app in this image of the local image set, which
# agents pull through the cluster's registry (override to try another image).
DOCKER_IMAGE = os.environ.get("TEST_APP_DOCKER_IMAGE", test_helpers.DEFAULT_DOCKER_IMAGE)


def url(path: str) -> str:
    return f"{MARATHON}{path}"


def unique(name: str) -> str:
    return f"/{name}-{uuid.uuid4().hex[:8]}"


def make_app(name: str, quick_checks: bool = True, **options: Any) -> tuple[dict[str, Any], str]:
    """DC/OS's test app (`marathon_test_app(**options)`) as `/<name>-<uuid>`; its UUID.

    With `quick_checks` its /ping health check runs every second rather than every 10 s
    (DC/OS's value), so that the tests see a task healthy, or not, sooner.
    """
    app, test_uuid = test_helpers.marathon_test_app(app_name_fmt=f"/{name}-{{}}", **options)
    if quick_checks:
        app["healthChecks"][0].update(intervalSeconds=1, timeoutSeconds=1)
    return app, test_uuid


def deploy(app: dict[str, Any]) -> str:
    response = http.post(url("/v2/apps"), json=app, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.headers["Marathon-Deployment-Id"])


def get_app(app_id: str) -> dict[str, Any]:
    response = http.get(
        url(f"/v2/apps{app_id}"),
        params=[("embed", "apps.lastTaskFailure"), ("embed", "apps.counts")],
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["app"])


def wait_deployment_gone(deployment_id: str) -> None:
    def probe() -> Poll[None]:
        running = [d["id"] for d in http.get(url("/v2/deployments"), timeout=10).json()]
        return Poll(deployment_id not in running, detail=f"deployments: {running}")

    wait_for(probe, DEPLOY_TIMEOUT_S, f"deployment {deployment_id} to finish")


def wait_healthy(app_id: str, count: int) -> dict[str, Any]:
    def probe() -> Poll[dict[str, Any]]:
        app = get_app(app_id)
        done = (
            app["tasksHealthy"] == count
            and app["tasksRunning"] == count
            and len(app["tasks"]) == count
        )
        detail = {
            k: app[k] for k in ("tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy")
        }
        return Poll(
            done and not app["deployments"], app, f"{detail}, deployments {app['deployments']}"
        )

    return dict(wait_for(probe, DEPLOY_TIMEOUT_S, f"{count} healthy tasks of {app_id}"))


def assert_serves(task: dict[str, Any], test_uuid: str) -> None:
    """The task's first host port is the test app of this deployment (DC/OS's check)."""
    base = f"http://{task['host']}:{task['ports'][0]}"
    assert requests.get(f"{base}/ping", timeout=5).json() == {"pong": True}
    assert requests.get(f"{base}/test_uuid", timeout=5).json() == {"test_uuid": test_uuid}


def delete_everything() -> None:
    """DC/OS's clean_marathon_state: force-delete every app, every pod, then the root group."""
    for app in http.get(url("/v2/apps"), timeout=10).json()["apps"]:
        http.delete(url(f"/v2/apps{app['id']}"), params={"force": "true"}, timeout=10)
    for pod in http.get(url("/v2/pods"), timeout=10).json():
        http.delete(url(f"/v2/pods{pod['id']}"), params={"force": "true"}, timeout=10)
    http.delete(url("/v2/groups/"), params={"force": "true"}, timeout=10)

    def empty() -> Poll[None]:
        deployments = http.get(url("/v2/deployments"), timeout=10).json()
        tasks = http.get(url("/v2/tasks"), timeout=10).json()["tasks"]
        return Poll(
            not deployments and not tasks,
            detail=f"{len(deployments)} deployments, {len(tasks)} tasks",
        )

    wait_for(empty, DEPLOY_TIMEOUT_S, "Marathon to be empty")


@pytest.fixture(scope="module", autouse=True)
def clean_marathon_state(dcos_session: requests.Session) -> Iterator[None]:
    global http
    http = dcos_session
    delete_everything()
    yield
    delete_everything()


def test_info_through_both_admin_router_paths() -> None:
    for prefix in ("/marathon", "/service/marathon"):
        info = http.get(f"http://127.0.0.1{prefix}/v2/info", timeout=10).json()
        assert info["name"] == "marathon" and info["frameworkId"] and info["elected"]
        assert info["marathon_config"]["mesos_role"] == "slave_public"
    leader = http.get(url("/v2/leader"), timeout=10).json()["leader"]
    assert leader == info["leader"]
    assert http.get(url("/ping"), timeout=10).text == "pong"


def test_deploy_scale_restart_and_delete(agent_hosts: list[str]) -> None:
    definition, test_uuid = make_app("lifecycle")
    app_id = definition["id"]
    wait_deployment_gone(deploy(definition))
    app = wait_healthy(app_id, 1)
    task = app["tasks"][0]
    assert task["host"] in agent_hosts
    assert_serves(task, test_uuid)
    assert app["portDefinitions"][0]["port"] >= 10000 and task["servicePorts"] == [
        app["portDefinitions"][0]["port"]
    ]

    response = http.put(url(f"/v2/apps{app_id}"), json={"instances": 3}, timeout=10)
    assert response.status_code == 200, response.text
    tasks = wait_healthy(app_id, 3)["tasks"]
    for task in tasks:
        assert_serves(task, test_uuid)

    response = http.patch(url(f"/v2/apps{app_id}"), json={"instances": 1}, timeout=10)
    assert response.status_code == 200, response.text
    remaining = wait_healthy(app_id, 1)["tasks"]
    assert {t["id"] for t in remaining} <= {t["id"] for t in tasks}

    response = http.post(url(f"/v2/apps{app_id}/restart"), timeout=10)
    assert response.status_code == 200 and set(response.json()) == {"version", "deploymentId"}
    wait_deployment_gone(response.json()["deploymentId"])
    restarted = wait_healthy(app_id, 1)["tasks"]
    assert restarted[0]["id"] != remaining[0]["id"]
    assert_serves(restarted[0], test_uuid)

    response = http.delete(url(f"/v2/apps{app_id}"), timeout=10)
    assert response.status_code == 200
    wait_deployment_gone(response.json()["deploymentId"])
    gone = http.get(url(f"/v2/apps{app_id}"), timeout=10)
    assert (gone.status_code, gone.json()) == (404, {"message": f"App '{app_id}' does not exist"})
    with pytest.raises(requests.ConnectionError):
        assert_serves(restarted[0], test_uuid)


def test_failing_health_check_replaces_the_task() -> None:
    # Healthy for a few seconds, then the server hangs (stopped, its port still open, no
    # answers): its /ping checks time out, and Marathon kills and replaces the task.
    app, test_uuid = make_app("sickly")
    app_id = app["id"]
    app["cmd"] = f"{app['cmd']} & sleep 10 && kill -STOP $! && wait"
    app["healthChecks"][0]["maxConsecutiveFailures"] = 2
    app["backoffSeconds"] = 0
    deploy(app)
    first = wait_healthy(app_id, 1)["tasks"][0]

    def replaced() -> Poll[dict[str, Any]]:
        app = get_app(app_id)
        ids = [t["id"] for t in app["tasks"]]
        return Poll(
            bool(ids) and first["id"] not in ids and app["tasksHealthy"] == 1, app, f"tasks {ids}"
        )

    app = wait_for(replaced, DEPLOY_TIMEOUT_S, f"the unhealthy task {first['id']} to be replaced")
    assert_serves(app["tasks"][0], test_uuid)
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


def test_accepted_resource_roles_slave_public_lands_on_the_public_agent(
    public_agent_hosts: list[str],
) -> None:
    if not public_agent_hosts:
        pytest.skip("this cluster has no public agent")
    # DC/OS's test app exactly as its helper makes it (its health checks every 10 s).
    app, test_uuid = make_app("public", quick_checks=False)
    app["acceptedResourceRoles"] = ["slave_public"]
    app_id = app["id"]
    deploy(app)
    task = wait_healthy(app_id, 1)["tasks"][0]
    assert task["host"] in public_agent_hosts
    assert_serves(task, test_uuid)
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


def test_unique_hostname_beyond_the_agents_stays_queued_with_the_reason(
    agent_hosts: list[str],
) -> None:
    app, _ = make_app("unique")
    app_id = app["id"]
    app.update(instances=len(agent_hosts) + 1, constraints=[["hostname", "UNIQUE"]])
    deploy(app)

    def partly_queued() -> Poll[dict[str, Any]]:
        queue = http.get(url("/v2/queue"), timeout=10).json()["queue"]
        mine = [q for q in queue if q.get("app", {}).get("id") == app_id]
        running = get_app(app_id)["tasksRunning"]
        done = bool(mine) and mine[0]["count"] == 1 and running == len(agent_hosts)
        summary = mine[0]["processedOffersSummary"] if mine else {}
        declined = {
            s["reason"]: s["declined"] for s in summary.get("rejectSummaryLaunchAttempt", [])
        }
        return Poll(
            done and declined.get("UnfulfilledConstraint", 0) >= 1,
            mine[0] if mine else None,
            f"running {running}, queue {mine}",
        )

    item = wait_for(partly_queued, DEPLOY_TIMEOUT_S, "one instance queued for want of an agent")
    assert item["processedOffersSummary"]["unusedOffersCount"] >= 1
    hosts = [t["host"] for t in get_app(app_id)["tasks"]]
    assert sorted(hosts) == sorted(agent_hosts)
    response = http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)
    assert response.status_code == 200


def test_invalid_definitions_get_marathons_errors() -> None:
    response = http.post(url("/v2/apps"), json={"id": "/no-command"}, timeout=10)
    assert response.status_code == 422
    assert response.json() == {
        "message": "Object is not valid",
        "details": [
            {
                "path": "/",
                "errors": [
                    "AppDefinition must either contain one of 'cmd' or 'args', "
                    "and/or a 'container'."
                ],
            }
        ],
    }
    response = http.post(
        url("/v2/apps"), json={"id": "/Not_Valid", "cmd": "sleep 1", "mem": -1}, timeout=10
    )
    assert response.status_code == 422
    details = {d["path"]: d["errors"] for d in response.json()["details"]}
    assert response.json()["message"] == "Invalid JSON"
    assert details == {"/id": ["error.pattern"], "/mem": ["error.min"]}
    response = http.get(url("/v2/apps/does-not-exist"), timeout=10)
    assert (response.status_code, response.json()) == (
        404,
        {"message": "App '/does-not-exist' does not exist"},
    )


def test_conflicting_deployments_and_duplicate_ids() -> None:
    app, _ = make_app("locked")
    app_id = app["id"]
    # Never healthy (nothing listens on the checked port): the deployment stays open.
    app["cmd"] = "sleep 1000"
    deployment_id = deploy(app)
    duplicate = http.post(url("/v2/apps"), json=app, timeout=10)
    assert (duplicate.status_code, duplicate.json()) == (
        409,
        {"message": f"An app with id [{app_id}] already exists."},
    )
    locked = http.put(url(f"/v2/apps{app_id}"), json={"instances": 2}, timeout=10)
    assert locked.status_code == 409
    assert locked.json()["deployments"] == [{"id": deployment_id}]
    forced = http.put(
        url(f"/v2/apps{app_id}"), params={"force": "true"}, json={"instances": 0}, timeout=10
    )
    assert forced.status_code == 200
    wait_deployment_gone(forced.json()["deploymentId"])
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


def test_docker_app_answers_on_its_bridged_port() -> None:
    """The test app in minidcos/python3, pulled through the cluster's registry."""
    app, test_uuid = make_app(
        "docker", container_type=Container.DOCKER, network=Network.BRIDGE, image=DOCKER_IMAGE
    )
    app_id = app["id"]
    deploy(app)
    try:
        current = wait_healthy(app_id, 1)
        task = current["tasks"][0]
        assert current["container"]["docker"]["image"] == DOCKER_IMAGE
        assert current["container"]["portMappings"][0]["containerPort"] == 8080
        assert current["container"]["portMappings"][0]["hostPort"] == 0
        assert current["networks"] == [{"mode": "container/bridge"}]
        assert task["ports"][0] != 8080
        assert_serves(task, test_uuid)
    finally:
        http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


# Fetches the server's /test_uuid over localhost (the pod's shared network) and writes the
# answer, through each mount path it is given, into the pod's shared volume.
POD_CLIENT = (
    'python3 -c "'
    "import os, sys, time, urllib.request\n"
    "url = 'http://127.0.0.1:%s/test_uuid' % os.environ['ENDPOINT_HTTP']\n"
    "while True:\n"
    "    try:\n"
    "        answer = urllib.request.urlopen(url, timeout=2).read().decode()\n"
    "        break\n"
    "    except OSError:\n"
    "        time.sleep(0.5)\n"
    "for n, path in enumerate(sys.argv[1:]):\n"
    "    open('%s/from-client-%d' % (path, n), 'w').write(answer)\n"
    'time.sleep(100000)" '
)


def pod_definition(
    pod_id: str, instances: int, test_uuid: str, client_image: str | None = None
) -> dict[str, Any]:
    """The test server and a client container sharing the `shared` volume, both mounting it
    at a path relative to their sandbox; with `client_image` the client runs in that image
    and also mounts the volume at an absolute path of its own root filesystem."""
    client_mounts = ["shared"] + (["/shared"] if client_image else [])
    client: dict[str, Any] = {
        "name": "client",
        "resources": {"cpus": 0.05, "mem": 32},
        "exec": {"command": {"shell": POD_CLIENT + " ".join(client_mounts)}},
        "volumeMounts": [{"name": "shared", "mountPath": path} for path in client_mounts],
    }
    if client_image:
        client["image"] = {"kind": "DOCKER", "id": client_image}
    return {
        "id": pod_id,
        "scaling": {"kind": "fixed", "instances": instances},
        "environment": {"DCOS_TEST_UUID": test_uuid, "HOME": "/"},
        "volumes": [{"name": "shared"}],
        "containers": [
            {
                "name": "server",
                "resources": {"cpus": 0.05, "mem": 32},
                "exec": {"command": {"shell": test_helpers.server_command("$ENDPOINT_HTTP")}},
                "endpoints": [{"name": "http", "hostPort": 0, "protocol": ["tcp"]}],
                "volumeMounts": [{"name": "shared", "mountPath": "shared"}],
                "healthCheck": {
                    "http": {"endpoint": "http", "path": "/ping"},
                    "intervalSeconds": 2,
                    "gracePeriodSeconds": 30,
                    "timeoutSeconds": 1,
                    "delaySeconds": 0,
                },
            },
            client,
        ],
    }


def wait_pod_stable(pod_id: str, instances: int) -> dict[str, Any]:
    def probe() -> Poll[dict[str, Any]]:
        response = http.get(url(f"/v2/pods{pod_id}::status"), timeout=10)
        if response.status_code != 200:
            return Poll(False, detail=f"{response.status_code} {response.text[:200]}")
        status = response.json()
        done = status["status"] == "STABLE" and len(status["instances"]) == instances
        states = [i["status"] for i in status["instances"]]
        return Poll(done, status, f"{status['status']}, instances {states}")

    return dict(
        wait_for(probe, DEPLOY_TIMEOUT_S, f"pod {pod_id} STABLE with {instances} instances")
    )


def server_of(instance: dict[str, Any]) -> str:
    server = next(c for c in instance["containers"] if c["name"] == "server")
    return f"http://{instance['agentHostname']}:{server['endpoints'][0]['allocatedHostPort']}"


def client_files(instance: dict[str, Any], count: int) -> list[str]:
    """What the client left in the volume, read by the server container (its /run_cmd)."""

    def client_wrote(name: str) -> Poll[str]:
        ran = requests.post(f"{server_of(instance)}/run_cmd", data=f"cat {name}", timeout=10)
        ran.raise_for_status()
        answer = ran.json()
        return Poll(answer["status"] == 0, answer["output"], answer["output"])

    files = []
    for n in range(count):
        name = f"shared/from-client-{n}"
        files.append(str(wait_for(partial(client_wrote, name), DEPLOY_TIMEOUT_S, name)))
    return files


def assert_pod_serves(instance: dict[str, Any], test_uuid: str, client_mounts: int) -> None:
    """The server answers as this pod's test app, and the client reached it over localhost
    and left its answer in the volume they share, through every path it mounts it at."""
    assert requests.get(f"{server_of(instance)}/ping", timeout=5).json() == {"pong": True}
    answer = {"test_uuid": test_uuid}
    assert requests.get(f"{server_of(instance)}/test_uuid", timeout=5).json() == answer
    files = client_files(instance, client_mounts)
    assert [json.loads(f) for f in files] == [answer] * client_mounts


def delete_pod(pod_id: str) -> None:
    response = http.delete(url(f"/v2/pods{pod_id}"), params={"force": "true"}, timeout=10)
    assert response.status_code == 202
    wait_deployment_gone(response.headers["Marathon-Deployment-Id"])


def test_pod_containers_share_network_and_volume_then_scale_and_delete() -> None:
    pod_id, test_uuid = unique("pod"), uuid.uuid4().hex
    response = http.post(url("/v2/pods"), json=pod_definition(pod_id, 1, test_uuid), timeout=10)
    assert response.status_code == 201, response.text
    assert [p["id"] for p in http.get(url("/v2/pods"), timeout=10).json()] == [pod_id]
    instance = wait_pod_stable(pod_id, 1)["instances"][0]
    assert {c["name"] for c in instance["containers"]} == {"server", "client"}
    assert_pod_serves(instance, test_uuid, 1)

    definition = pod_definition(pod_id, 2, test_uuid)
    response = http.put(url(f"/v2/pods{pod_id}"), json=definition, timeout=10)
    assert response.status_code == 200, response.text
    instances = wait_pod_stable(pod_id, 2)["instances"]
    assert len(instances) == 2
    for each in instances:
        assert_pod_serves(each, test_uuid, 1)

    delete_pod(pod_id)
    assert http.get(url("/v2/pods"), timeout=10).json() == []
    gone = http.get(url(f"/v2/pods{pod_id}::status"), timeout=10)
    assert (gone.status_code, gone.json()) == (404, {"message": f"Pod '{pod_id}' does not exist"})


def test_pod_container_with_an_image_reaches_its_sibling_and_shares_the_volume() -> None:
    """The client runs in minidcos/python3 (pulled through the registry by the UCR) and
    mounts the volume at a relative path (in its sandbox) and at an absolute one."""
    pod_id, test_uuid = unique("imagepod"), uuid.uuid4().hex
    definition = pod_definition(pod_id, 1, test_uuid, DOCKER_IMAGE)
    response = http.post(url("/v2/pods"), json=definition, timeout=10)
    assert response.status_code == 201, response.text
    try:
        instance = wait_pod_stable(pod_id, 1)["instances"][0]
        assert_pod_serves(instance, test_uuid, 2)
    finally:
        delete_pod(pod_id)


def marathon_tasks_in_mesos(prefix: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Live and completed tasks whose ids start with `prefix`, from Mesos's operator API
    (GET_TASKS: v1 Tasks, with every status and its message)."""
    response = http.post(
        "http://127.0.0.1/mesos/api/v1",
        json={"type": "GET_TASKS"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    response.raise_for_status()
    tasks = response.json()["get_tasks"]

    def mine(kind: str) -> list[dict[str, Any]]:
        return [t for t in tasks.get(kind, []) if t["task_id"]["value"].startswith(prefix)]

    return mine("tasks"), mine("completed_tasks")


def test_a_pod_whose_image_is_missing_fails_whole_and_deletes() -> None:
    """Mesos fails the whole task group when one of its containers cannot start (here its
    image is in no registry), the server that did start included: no task stays staging,
    and deleting the pod finishes."""
    pod_id, test_uuid = unique("noimage"), uuid.uuid4().hex
    missing = f"minidcos-test/not-loaded-{uuid.uuid4().hex[:8]}:1"
    response = http.post(
        url("/v2/pods"), json=pod_definition(pod_id, 1, test_uuid, missing), timeout=10
    )
    assert response.status_code == 201, response.text
    prefix = f"{pod_id.lstrip('/')}.instance-"

    def a_group_failed() -> Poll[list[dict[str, Any]]]:
        _, done = marathon_tasks_in_mesos(prefix)
        by_executor: dict[str, list[dict[str, Any]]] = {}
        for task in done:
            by_executor.setdefault(task["executor_id"]["value"], []).append(task)
        whole = [g for g in by_executor.values() if len(g) == 2]
        return Poll(bool(whole), whole[0] if whole else [], f"completed {done}")

    try:
        group = wait_for(a_group_failed, DEPLOY_TIMEOUT_S, "an instance's two tasks to end")
        assert sorted(t["name"] for t in group) == ["client", "server"]
        for task in group:
            assert task["state"] == "TASK_FAILED", task
            message = task["statuses"][-1]["message"]
            assert "failed to launch task" in message and missing in message, message
    finally:
        delete_pod(pod_id)

    def none_left() -> Poll[None]:
        live, _ = marathon_tasks_in_mesos(prefix)
        return Poll(not live, detail=f"live {[(t['task_id'], t['state']) for t in live]}")

    wait_for(none_left, DEPLOY_TIMEOUT_S, "no task of the pod left in Mesos")
    assert http.get(url(f"/v2/pods{pod_id}::status"), timeout=10).status_code == 404


def test_event_stream_reports_a_deployment() -> None:
    app, _ = make_app("events")
    app_id = app["id"]
    seen: list[str] = []
    with http.get(
        url("/v2/events"), headers={"Accept": "text/event-stream"}, stream=True, timeout=60
    ) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        deploy(app)
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("event: "):
                seen.append(line[len("event: ") :])
            if "deployment_success" in seen:
                break
    for expected in (
        "deployment_info",
        "status_update_event",
        "health_status_changed_event",
        "deployment_success",
    ):
        assert expected in seen, seen
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)
