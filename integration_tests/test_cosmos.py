"""Cosmos as DC/OS 1.10's test_packaging.py and the DC/OS CLI use it, through Admin Router.

The cluster's own Universe (Admin Router's /universe/repo) is the default
repository. Packages are searched and described; nginx is installed, runs
healthy and serves its page, is listed and uninstalled; the greeter's options
render into its app and bad options are refused with Cosmos's
JsonSchemaMismatch; Marathon-on-Marathon registers a second Marathon
framework and is torn down on uninstall. Cosmos itself answers only on the
master's loopback.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from polling import Poll, wait_for

AR = "http://127.0.0.1"
DEPLOY_TIMEOUT_S = 180
session = requests.Session()


def media(kind: str, version: int = 1, namespace: str = "package") -> str:
    return f"application/vnd.dcos.{namespace}.{kind}+json;charset=utf-8;version=v{version}"


def rpc(name: str, body: dict[str, Any], version: int = 1) -> requests.Response:
    """POST /package/<name> with Cosmos's media types, as DC/OS's CLI sends them."""
    kind = name.replace("/", ".")
    return session.post(
        f"{AR}/package/{name}",
        json=body,
        headers={
            "Content-Type": media(f"{kind}-request"),
            "Accept": media(f"{kind}-response", version),
        },
        timeout=120,
    )


def ok(response: requests.Response, version: int = 1, kind: str = "") -> Any:
    assert response.status_code == 200, response.text
    if kind:
        assert response.headers["Content-Type"] == media(kind, version)
    return response.json()


def marathon(path: str) -> Any:
    response = session.get(f"{AR}/marathon{path}", timeout=10)
    return response.json() if response.status_code == 200 else None


def wait_app_healthy(app_id: str) -> dict[str, Any]:
    def probe() -> Poll[dict[str, Any]]:
        answer = marathon(f"/v2/apps{app_id}")
        app = (answer or {}).get("app") or {}
        healthy = app.get("tasksHealthy", 0) >= 1 and not app.get("deployments")
        detail = {k: app.get(k) for k in ("tasksStaged", "tasksRunning", "tasksHealthy")}
        return Poll(healthy, app, f"{app_id}: {detail}")

    return dict(wait_for(probe, DEPLOY_TIMEOUT_S, f"{app_id} to be healthy"))


def wait_app_gone(app_id: str) -> None:
    wait_for(
        lambda: Poll(marathon(f"/v2/apps{app_id}") is None, detail=f"{app_id} still there"),
        DEPLOY_TIMEOUT_S,
        f"{app_id} to be gone",
    )


def installed() -> list[dict[str, Any]]:
    return list(ok(rpc("list", {}), kind="list-response")["packages"])


@pytest.fixture(scope="module", autouse=True)
def logged_in(dcos_session: requests.Session) -> Iterator[None]:
    global session
    session = dcos_session
    yield
    for install in installed():  # leave no package behind, even when a test failed
        rpc(
            "uninstall",
            {
                "packageName": install["packageInformation"]["packageDefinition"]["name"],
                "appId": install["appId"],
            },
        )


def test_cosmos_answers_only_on_the_loopback(host: Any) -> None:
    """DC/OS's test_endpoints: 404 at 7070's root and 200 at 9990's, both on 127.0.0.1 only."""
    assert requests.get("http://127.0.0.1:7070/", timeout=5).status_code == 404
    assert requests.get("http://127.0.0.1:9990/", timeout=5).status_code == 200
    master_ip = host.check_output("/opt/mesosphere/bin/detect_ip")
    for port in (7070, 9990):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{master_ip}:{port}/", timeout=5)


def test_capabilities_come_from_cosmos() -> None:
    accept = "application/vnd.dcos.capabilities+json;charset=utf-8;version=v1"
    response = session.get(f"{AR}/capabilities", headers={"Accept": accept}, timeout=10)
    assert response.headers["Content-Type"] == accept
    names = {c["name"] for c in response.json()["capabilities"]}
    assert {"PACKAGE_MANAGEMENT", "LOGGING", "LOGGING_V2", "METRICS"} <= names


def test_the_default_repository_is_the_clusters_universe() -> None:
    listed = ok(rpc("repository/list", {}), kind="repository.list-response")["repositories"]
    assert listed[0] == {"name": "Universe", "uri": "http://master.mesos/universe/repo"}


def test_search_describe_and_list_versions() -> None:
    found = ok(rpc("search", {"query": "web-server"}), kind="search-response")["packages"]
    assert {"greeter", "nginx"} <= {p["name"] for p in found}
    everything = {p["name"]: p for p in ok(rpc("search", {}))["packages"]}
    assert everything["marathon"]["framework"] is True
    described = ok(rpc("describe", {"packageName": "nginx"}, 3), 3, "describe-response")
    template = base64.b64decode(described["package"]["marathon"]["v2AppMustacheTemplate"])
    assert b"{{nginx.name}}" in template
    v2 = ok(rpc("describe", {"packageName": "greeter", "packageVersion": "0.1.0"}, 2), 2)
    assert v2["version"] == "0.1.0" and "config" in v2
    versions = ok(rpc("list-versions", {"packageName": "greeter", "includePackageVersions": True}))
    assert versions == {"results": {"0.2.0": "1", "0.1.0": "0"}}
    missing = rpc("describe", {"packageName": "no-such-package"}, 3)
    assert missing.status_code == 400
    assert missing.json()["type"] == "PackageNotFound"


def test_repositories_can_be_added_and_deleted() -> None:
    added = ok(rpc("repository/add", {"name": "extra", "uri": "http://192.0.2.7/repo"}))
    assert added["repositories"][-1] == {"name": "extra", "uri": "http://192.0.2.7/repo"}
    kept = ok(rpc("repository/delete", {"name": "extra"}))["repositories"]
    assert [r["name"] for r in kept] == ["Universe"]


def test_bad_options_are_refused() -> None:
    options = {"service": {"instances": "three", "cpu": 1}, "greeter": {"who": 7}}
    response = rpc("install", {"packageName": "greeter", "options": options}, 2)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == media("error")
    error = response.json()
    assert error["type"] == "JsonSchemaMismatch"
    assert error["message"] == "Options JSON failed validation"
    keywords = {(e["instance"]["pointer"], e["keyword"]) for e in error["data"]["errors"]}
    assert {
        ("/service/instances", "type"),
        ("/service", "additionalProperties"),
        ("/greeter/who", "type"),
    } <= keywords
    assert marathon("/v2/apps/greeter") is None


def test_install_nginx_list_and_uninstall() -> None:
    """DC/OS's test_packaging_api, with this cluster's nginx."""
    response = rpc("install", {"packageName": "nginx", "packageVersion": "1.22.1"}, 2)
    data = ok(response, 2, "install-response")
    assert data["appId"] == "/nginx"
    app = wait_app_healthy("/nginx")
    labels = app["labels"]
    assert labels["DCOS_PACKAGE_NAME"] == "nginx"
    assert labels["DCOS_PACKAGE_VERSION"] == "1.22.1"
    assert labels["DCOS_PACKAGE_SOURCE"] == "http://master.mesos/universe/repo"
    metadata = json.loads(base64.b64decode(labels["DCOS_PACKAGE_METADATA"]))
    assert metadata["name"] == "nginx"
    task = app["tasks"][0]
    page = requests.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=5)
    assert "Welcome to nginx on DC/OS!" in page.text

    packages = installed()
    assert len(packages) == 1 and packages[0]["appId"] == data["appId"]
    assert packages[0]["packageInformation"]["packageDefinition"]["version"] == "1.22.1"

    again = rpc("install", {"packageName": "nginx"}, 2)
    assert again.status_code == 409 and again.json()["type"] == "PackageAlreadyInstalled"

    removed = ok(rpc("uninstall", {"packageName": "nginx", "appId": data["appId"]}))
    assert removed["results"][0]["postUninstallNotes"] == "Nginx was uninstalled successfully."
    assert installed() == []
    wait_app_gone("/nginx")


def test_options_render_into_the_app() -> None:
    options = {
        "service": {"name": "hello", "instances": 1},
        "greeter": {
            "greeting": "Howdy",
            "who": "miniDC/OS",
            "labels": [{"key": "TEAM", "value": "x"}],
        },
    }
    rendered = ok(rpc("render", {"packageName": "greeter", "options": options}))["marathonJson"]
    assert rendered["env"] == {"GREETING": "Howdy", "WHO": "miniDC/OS"}
    data = ok(rpc("install", {"packageName": "greeter", "options": options}, 2), 2)
    assert data["appId"] == "/hello"
    app = wait_app_healthy("/hello")
    assert app["labels"]["TEAM"] == "x"
    assert json.loads(base64.b64decode(app["labels"]["DCOS_PACKAGE_OPTIONS"])) == options
    task = app["tasks"][0]
    greeting = requests.get(f"http://{task['host']}:{task['ports'][0]}/", timeout=5).text
    assert greeting.strip() == "Howdy, miniDC/OS!"
    described = ok(
        session.post(
            f"{AR}/cosmos/service/describe",
            json={"appId": "/hello"},
            headers={
                "Content-Type": media("describe-request", 1, "service"),
                "Accept": media("describe-response", 1, "service"),
            },
            timeout=30,
        )
    )
    assert described["package"]["version"] == "0.2.0"
    assert described["downgradesTo"] == ["0.1.0"]
    ok(rpc("uninstall", {"packageName": "greeter"}))
    wait_app_gone("/hello")


def test_marathon_on_marathon_is_a_second_framework_torn_down_on_uninstall() -> None:
    # A name of its own: a torn-down framework's state stays in ZooKeeper (as in
    # DC/OS), and Mesos refuses a removed framework that comes back with its ID.
    name = f"mom-{uuid.uuid4().hex[:8]}"
    data = ok(
        rpc("install", {"packageName": "marathon", "options": {"service": {"name": name}}}, 2), 2
    )
    assert data["appId"] == f"/{name}"
    wait_app_healthy(f"/{name}")

    def registered() -> Poll[dict[str, Any]]:
        info = session.get(f"{AR}/service/{name}/v2/info", timeout=10)
        body = info.json() if info.status_code == 200 else {}
        return Poll(
            bool(body.get("frameworkId")), body, f"/service/{name}/v2/info: {info.status_code}"
        )

    info = wait_for(registered, DEPLOY_TIMEOUT_S, "the second Marathon to register")
    assert info["marathon_config"]["framework_name"] == name
    assert info["zookeeper_config"]["zk"] == f"zk://master.mesos:2181/universe/{name}"
    frameworks = session.get(f"{AR}/mesos/frameworks", timeout=10).json()["frameworks"]
    assert {"marathon", name} <= {f["name"] for f in frameworks if f.get("active")}

    ok(rpc("uninstall", {"packageName": "marathon", "appId": f"/{name}"}))
    wait_app_gone(f"/{name}")

    def torn_down() -> Poll[None]:
        frameworks = session.get(f"{AR}/mesos/frameworks", timeout=10).json()["frameworks"]
        left = [f["id"] for f in frameworks if f["name"] == name]
        return Poll(not left, detail=f"frameworks named {name}: {left}")

    wait_for(torn_down, 60, f"the {name} framework to be torn down")
    remove_znode(f"/universe/{name}")


def remove_znode(path: str) -> None:
    from kazoo.client import KazooClient

    masters = os.environ["MASTER_HOSTS"].split(",")
    zk = KazooClient(hosts=",".join(f"{m}:2181" for m in masters))
    zk.start(timeout=30)
    try:
        zk.delete(path, recursive=True)
    finally:
        zk.stop()
