"""Marathon apps of the test server for the networking tests, and the proxy probe.

DC/OS's networking tests reach a VIP or a container from a *proxy* task by
POSTing a command to its `/run_cmd` (`curl -s -f -m 5 http://<vip>/test_uuid`):
the proxy's network namespace and node are where the connection starts.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import acs
import requests
import test_helpers
from polling import Poll, wait_for

MARATHON = os.environ.get("MARATHON_URL", "http://127.0.0.1/marathon")
NAVSTAR = "http://127.0.0.1:62080"
DEPLOY_TIMEOUT_S = 240
ROUTE_TIMEOUT_S = 60
CURL = "curl -s -f -m 5"

http = requests.Session()
http.trust_env = False
http.headers.update(acs.auth_headers())

TRANSIENT = (OSError, ValueError, requests.RequestException)


def short_id() -> str:
    return uuid.uuid4().hex[:10]


def app(
    network: test_helpers.Network = test_helpers.Network.HOST,
    vip: str | None = None,
    host: str | None = None,
    container: test_helpers.Container = test_helpers.Container.NONE,
    name: str = "",
    **kwargs: Any,
) -> tuple[dict[str, Any], str]:
    """The test app; it may land on public agents too (the CI cluster has one private agent)."""
    definition, test_uuid = test_helpers.marathon_test_app(
        network=network,
        vip=vip,
        host_constraint=host,
        container_type=container,
        healthcheck_protocol=test_helpers.Healthcheck.MESOS_HTTP,
        app_name_fmt=f"/networking/{name or 'app'}-{{}}",
        **kwargs,
    )
    definition["acceptedResourceRoles"] = ["*", "slave_public"]
    return definition, test_uuid


def deploy(definition: dict[str, Any]) -> None:
    response = http.post(f"{MARATHON}/v2/apps", json=definition, timeout=10)
    assert response.status_code == 201, response.text


def delete(app_id: str) -> None:
    http.delete(f"{MARATHON}/v2/apps{app_id}", params={"force": "true"}, timeout=10)


def delete_all() -> None:
    for item in http.get(f"{MARATHON}/v2/apps", timeout=10).json()["apps"]:
        if item["id"].startswith("/networking/"):
            delete(item["id"])


def get_app(app_id: str) -> dict[str, Any]:
    response = http.get(f"{MARATHON}/v2/apps{app_id}", params={"embed": "apps.tasks"}, timeout=10)
    response.raise_for_status()
    return dict(response.json()["app"])


def wait_healthy(app_id: str, count: int) -> dict[str, Any]:
    def probe() -> Poll[dict[str, Any]]:
        current = get_app(app_id)
        done = current["tasksHealthy"] == count and len(current["tasks"]) == count
        return Poll(done and not current["deployments"], current, str(current["tasksHealthy"]))

    found = wait_for(
        probe, DEPLOY_TIMEOUT_S, f"{count} healthy tasks of {app_id}", transient=TRANSIENT
    )
    return dict(found)


_image_check: dict[str, str] = {}


def docker_image_missing(image: str = test_helpers.DEFAULT_DOCKER_IMAGE) -> str:
    """Why a Docker app of `image` cannot run on the agents ("" if it can), asked once."""
    if "answer" not in _image_check:
        app_id = f"/networking/image-check-{short_id()}"
        deploy(
            {
                "id": app_id,
                "cmd": "sleep 1000",
                "cpus": 0.05,
                "mem": 16,
                "acceptedResourceRoles": ["*", "slave_public"],
                "container": {"type": "DOCKER", "docker": {"image": image}},
            }
        )

        def started_or_failed() -> Poll[str]:
            current = get_app(app_id)
            failure = (current.get("lastTaskFailure") or {}).get("message", "")
            if "no registry" in failure or "not on this agent" in failure:
                return Poll(True, failure)
            return Poll(current["tasksRunning"] == 1, "", failure)

        try:
            _image_check["answer"] = str(
                wait_for(
                    started_or_failed, DEPLOY_TIMEOUT_S, "the image check", transient=TRANSIENT
                )
            )
        finally:
            delete(app_id)
    return _image_check["answer"]


def endpoint(task: dict[str, Any]) -> tuple[str, int]:
    """Where the task's server answers: its agent and host port, or its own address.

    An overlay task without a host port is reached at its container address
    (masters route to the overlay too); `containerPort` is stored on the task dict
    by `tasks_of`.
    """
    if task.get("ports"):
        return str(task["host"]), int(task["ports"][0])
    return str(task["ipAddresses"][0]["ipAddress"]), int(task["containerPort"])


def tasks_of(current: dict[str, Any]) -> list[dict[str, Any]]:
    mappings = (current.get("container") or {}).get("portMappings") or [{}]
    port = mappings[0].get("containerPort")
    return [{**t, "containerPort": port} for t in current["tasks"]]


def run_cmd(proxy: dict[str, Any], command: str) -> dict[str, Any]:
    host, port = endpoint(proxy)
    response = requests.post(f"http://{host}:{port}/run_cmd", data=command, timeout=15)
    response.raise_for_status()
    return dict(response.json())


def fetch_through(proxy: dict[str, Any] | None, url: str) -> dict[str, Any]:
    """GET `url` from the proxy task's namespace (or from this master when proxy is None)."""
    if proxy is None:
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return dict(response.json())
    result = run_cmd(proxy, f"{CURL} {url}")
    if result["status"] != 0:
        raise OSError(f"curl {url} from {endpoint(proxy)}: {result}")
    return dict(json.loads(result["output"]))


def wait_uuid(proxy: dict[str, Any] | None, url: str, expected: str) -> None:
    def probe() -> Poll[None]:
        answer = fetch_through(proxy, url)
        return Poll(answer.get("test_uuid") == expected, None, str(answer))

    where = "this master" if proxy is None else f"task on {proxy['host']}"
    wait_for(probe, ROUTE_TIMEOUT_S, f"{url} from {where}", transient=TRANSIENT)


def vips(base: str = NAVSTAR) -> list[dict[str, Any]]:
    response = http.get(f"{base}/v1/vips", timeout=5)
    response.raise_for_status()
    return list(response.json())


def backends_of(name: str, base: str = NAVSTAR) -> list[tuple[str, int]] | None:
    for vip in vips(base):
        if vip["vip"] == name and vip["protocol"] == "tcp":
            return sorted((b["ip"], int(b["port"])) for b in vip["backend"])
    return None
