"""Marathon (dcos-marathon.service): apps and pods, end to end on real Mesos tasks.

Runs on a master and talks to Marathon as DC/OS's clients do: HTTP through
Admin Router at /marathon/ (dcos-test-utils' Marathon client), waiting on
`tasksRunning`/`tasksHealthy` of `/v2/apps/<id>?embed=apps.counts` and on
`/v2/pods/<id>::status`. Apps are python's http.server on `$PORT0`, so each
task answers on its host port. Like DC/OS's suite, a module-scoped fixture
force-deletes every app and every pod, then the root group, around the tests.

Deployments are shared where a test only reads them: one app is scaled up,
down, restarted and deleted in a single test rather than deployed four times.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from polling import Poll, wait_for

MARATHON = os.environ.get("MARATHON_URL", "http://127.0.0.1/marathon")
# The logged-in session every request goes through (set by the module's fixture): Admin
# Router checks tokens when oauth_enabled, as in DC/OS.
http = requests.Session()
DEPLOY_TIMEOUT_S = 120
SERVE = "python3 -m http.server $PORT0"


def url(path: str) -> str:
    return f"{MARATHON}{path}"


def unique(name: str) -> str:
    return f"/{name}-{uuid.uuid4().hex[:8]}"


def app_definition(app_id: str, **overrides: Any) -> dict[str, Any]:
    app = {
        "id": app_id,
        "cmd": SERVE,
        "cpus": 0.05,
        "mem": 32,
        "instances": 1,
        "healthChecks": [
            {
                "protocol": "HTTP",
                "path": "/",
                "intervalSeconds": 1,
                "gracePeriodSeconds": 30,
                "timeoutSeconds": 1,
            }
        ],
    }
    app.update(overrides)
    return app


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


def answers(task: dict[str, Any]) -> int:
    return requests.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=5).status_code


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
    app_id = unique("lifecycle")
    wait_deployment_gone(deploy(app_definition(app_id)))
    app = wait_healthy(app_id, 1)
    task = app["tasks"][0]
    assert task["host"] in agent_hosts and answers(task) == 200
    assert app["portDefinitions"][0]["port"] >= 10000 and task["servicePorts"] == [
        app["portDefinitions"][0]["port"]
    ]

    response = http.put(url(f"/v2/apps{app_id}"), json={"instances": 3}, timeout=10)
    assert response.status_code == 200, response.text
    tasks = wait_healthy(app_id, 3)["tasks"]
    assert all(answers(t) == 200 for t in tasks)

    response = http.patch(url(f"/v2/apps{app_id}"), json={"instances": 1}, timeout=10)
    assert response.status_code == 200, response.text
    remaining = wait_healthy(app_id, 1)["tasks"]
    assert {t["id"] for t in remaining} <= {t["id"] for t in tasks}

    response = http.post(url(f"/v2/apps{app_id}/restart"), timeout=10)
    assert response.status_code == 200 and set(response.json()) == {"version", "deploymentId"}
    wait_deployment_gone(response.json()["deploymentId"])
    restarted = wait_healthy(app_id, 1)["tasks"]
    assert restarted[0]["id"] != remaining[0]["id"] and answers(restarted[0]) == 200

    response = http.delete(url(f"/v2/apps{app_id}"), timeout=10)
    assert response.status_code == 200
    wait_deployment_gone(response.json()["deploymentId"])
    gone = http.get(url(f"/v2/apps{app_id}"), timeout=10)
    assert (gone.status_code, gone.json()) == (404, {"message": f"App '{app_id}' does not exist"})
    with pytest.raises(requests.ConnectionError):
        answers(restarted[0])


def test_failing_health_check_replaces_the_task() -> None:
    # Healthy for a few seconds, then the checked file goes away: Marathon kills and replaces it.
    app_id = unique("sickly")
    cmd = "echo ok > healthy && (sleep 6 && rm healthy) & python3 -m http.server $PORT0"
    check = {
        "protocol": "HTTP",
        "path": "/healthy",
        "intervalSeconds": 1,
        "gracePeriodSeconds": 30,
        "timeoutSeconds": 1,
        "maxConsecutiveFailures": 2,
    }
    deploy(app_definition(app_id, cmd=cmd, healthChecks=[check], backoffSeconds=0))
    first = wait_healthy(app_id, 1)["tasks"][0]

    def replaced() -> Poll[dict[str, Any]]:
        app = get_app(app_id)
        ids = [t["id"] for t in app["tasks"]]
        return Poll(
            bool(ids) and first["id"] not in ids and app["tasksHealthy"] == 1, app, f"tasks {ids}"
        )

    wait_for(replaced, DEPLOY_TIMEOUT_S, f"the unhealthy task {first['id']} to be replaced")
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


def test_accepted_resource_roles_slave_public_lands_on_the_public_agent(
    public_agent_hosts: list[str],
) -> None:
    if not public_agent_hosts:
        pytest.skip("this cluster has no public agent")
    app_id = unique("public")
    deploy(app_definition(app_id, acceptedResourceRoles=["slave_public"]))
    task = wait_healthy(app_id, 1)["tasks"][0]
    assert task["host"] in public_agent_hosts and answers(task) == 200
    http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


def test_unique_hostname_beyond_the_agents_stays_queued_with_the_reason(
    agent_hosts: list[str],
) -> None:
    app_id = unique("unique")
    app = app_definition(
        app_id, instances=len(agent_hosts) + 1, constraints=[["hostname", "UNIQUE"]]
    )
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
    app_id = unique("locked")
    # Never healthy (nothing listens on the checked port): the deployment stays open.
    app = app_definition(app_id, cmd="sleep 1000")
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


# A Docker image with python3: the offline image set's, in the cluster's registry from
# the start (override to try another; it must be in the registry).
DOCKER_IMAGE = os.environ.get("TEST_APP_DOCKER_IMAGE", "minidcos/python3")


def test_docker_app_answers_on_its_bridged_port() -> None:
    app_id = unique("docker")
    app = app_definition(
        app_id,
        cmd="python3 -m http.server 8080",
        container={
            "type": "DOCKER",
            "docker": {"image": DOCKER_IMAGE},
            "portMappings": [{"containerPort": 8080, "hostPort": 0, "name": "http"}],
        },
        networks=[{"mode": "container/bridge"}],
    )
    deploy(app)
    try:
        current = wait_healthy(app_id, 1)
        task = current["tasks"][0]
        assert current["container"]["portMappings"][0]["hostPort"] == 0
        assert current["networks"] == [{"mode": "container/bridge"}]
        assert task["ports"][0] != 8080 and answers(task) == 200
    finally:
        http.delete(url(f"/v2/apps{app_id}"), params={"force": "true"}, timeout=10)


POD_SERVER = "cd shared && exec python3 -m http.server $ENDPOINT_HTTP"
# Fetches the other container over localhost and leaves the answer in the shared volume.
POD_CLIENT = (
    'python3 -c "'
    "import os, sys, time, urllib.request\n"
    "url = 'http://127.0.0.1:%s/' % os.environ['ENDPOINT_HTTP']\n"
    "while True:\n"
    "    try:\n"
    "        status = urllib.request.urlopen(url, timeout=2).status\n"
    "        break\n"
    "    except OSError:\n"
    "        time.sleep(0.5)\n"
    "open(sys.argv[1] + '/from-client', 'w').write('client reached server: %d' % status)\n"
    'time.sleep(100000)" '
)


def pod_definition(pod_id: str, instances: int, client_image: str | None = None) -> dict[str, Any]:
    """A server and a client container; with `client_image`, the client runs in that image.

    A container without an image mounts the volume in its sandbox (a relative path);
    one with an image mounts it at an absolute path of its own root filesystem.
    """
    client_mount = "/shared" if client_image else "shared"
    client: dict[str, Any] = {
        "name": "client",
        "resources": {"cpus": 0.05, "mem": 32},
        "exec": {"command": {"shell": POD_CLIENT + client_mount}},
        "volumeMounts": [{"name": "shared", "mountPath": client_mount}],
    }
    if client_image:
        client["image"] = {"kind": "DOCKER", "id": client_image}
    return {
        "id": pod_id,
        "scaling": {"kind": "fixed", "instances": instances},
        "volumes": [{"name": "shared"}],
        "containers": [
            {
                "name": "server",
                "resources": {"cpus": 0.05, "mem": 32},
                "exec": {"command": {"shell": POD_SERVER}},
                "endpoints": [{"name": "http", "hostPort": 0, "protocol": ["tcp"]}],
                "volumeMounts": [{"name": "shared", "mountPath": "shared"}],
                "healthCheck": {
                    "http": {"endpoint": "http", "path": "/"},
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


def client_file(instance: dict[str, Any]) -> str:
    """What the client container left in the volume, read from the server container."""
    server = next(c for c in instance["containers"] if c["name"] == "server")
    port = server["endpoints"][0]["allocatedHostPort"]

    def client_wrote() -> Poll[str]:
        answer = requests.get(f"http://{instance['agentHostname']}:{port}/from-client", timeout=5)
        return Poll(answer.status_code == 200, answer.text, f"{answer.status_code}")

    return str(wait_for(client_wrote, DEPLOY_TIMEOUT_S, "the client's file in the shared volume"))


def delete_pod(pod_id: str) -> None:
    response = http.delete(url(f"/v2/pods{pod_id}"), params={"force": "true"}, timeout=10)
    assert response.status_code == 202
    wait_deployment_gone(response.headers["Marathon-Deployment-Id"])


def test_pod_containers_share_network_and_volume_then_scale_and_delete() -> None:
    pod_id = unique("pod")
    response = http.post(url("/v2/pods"), json=pod_definition(pod_id, 1), timeout=10)
    assert response.status_code == 201, response.text
    assert [p["id"] for p in http.get(url("/v2/pods"), timeout=10).json()] == [pod_id]
    instance = wait_pod_stable(pod_id, 1)["instances"][0]
    assert {c["name"] for c in instance["containers"]} == {"server", "client"}
    assert client_file(instance) == "client reached server: 200"

    response = http.put(url(f"/v2/pods{pod_id}"), json=pod_definition(pod_id, 2), timeout=10)
    assert response.status_code == 200, response.text
    assert len(wait_pod_stable(pod_id, 2)["instances"]) == 2

    delete_pod(pod_id)
    assert http.get(url("/v2/pods"), timeout=10).json() == []
    gone = http.get(url(f"/v2/pods{pod_id}::status"), timeout=10)
    assert (gone.status_code, gone.json()) == (404, {"message": f"Pod '{pod_id}' does not exist"})


def test_pod_container_with_an_image_reaches_its_sibling_and_shares_the_volume() -> None:
    pod_id = unique("imagepod")
    response = http.post(url("/v2/pods"), json=pod_definition(pod_id, 1, DOCKER_IMAGE), timeout=10)
    assert response.status_code == 201, response.text
    try:
        instance = wait_pod_stable(pod_id, 1)["instances"][0]
        assert client_file(instance) == "client reached server: 200"
    finally:
        delete_pod(pod_id)


def test_event_stream_reports_a_deployment() -> None:
    app_id = unique("events")
    seen: list[str] = []
    with http.get(
        url("/v2/events"), headers={"Accept": "text/event-stream"}, stream=True, timeout=60
    ) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        deploy(app_definition(app_id))
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
