"""Cosmos's RPCs end to end through its HTTP layer, over the fixture Universe.

Marathon, Mesos and ZooKeeper are in-memory stand-ins (conftest.py); the
repository is the one the installer builds, fetched over HTTP.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from dcos_cosmos.api import make_router
from dcos_cosmos.handlers import Cosmos
from dcos_internal_utils.http import Request, Response

ERROR = "application/vnd.dcos.package.error+json;charset=utf-8;version=v1"
TOKEN = "token=eyJhbGciOiJIUzI1NiJ9.e30.x"


def media(kind: str, version: int = 1, ns: str = "package") -> str:
    return f"application/vnd.dcos.{ns}.{kind}+json;charset=utf-8;version=v{version}"


def call(
    cosmos: Cosmos,
    path: str,
    body: Any = None,
    *,
    content_type: str | None = "default",
    accept: str | None = "default",
    raw: bytes | None = None,
    version: int = 1,
) -> Response:
    rpc = path.rsplit("/package/", 1)[-1].replace("/", ".") if "/package/" in path else ""
    headers: dict[str, str] = {"authorization": TOKEN}
    if path == "/service/describe":
        rpc, ns = "describe", "service"
    else:
        ns = "package"
    if content_type == "default":
        headers["content-type"] = media(f"{rpc}-request", 1, ns)
    elif content_type is not None:
        headers["content-type"] = content_type
    if accept == "default":
        headers["accept"] = media(f"{rpc}-response", version, ns)
    elif accept is not None:
        headers["accept"] = accept
    data = raw if raw is not None else json.dumps(body).encode()
    request = Request("POST", path, {}, headers, data)
    return make_router(cosmos).dispatch(request)


def ok(response: Response) -> Any:
    assert response.status == 200, response.body
    return json.loads(response.body)


def error(response: Response, status: int = 400) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.content_type == ERROR
    return dict(json.loads(response.body))


def test_capabilities(cosmos: Cosmos) -> None:
    accept = "application/vnd.dcos.capabilities+json;charset=utf-8;version=v1"
    request = Request("GET", "/capabilities", {}, {"accept": accept}, b"")
    response = make_router(cosmos).dispatch(request)
    assert response.content_type == accept
    names = [c["name"] for c in json.loads(response.body)["capabilities"]]
    assert {"PACKAGE_MANAGEMENT", "LOGGING", "LOGGING_V2", "METRICS"} <= set(names)


def test_search_lists_each_package_once_selected_first(cosmos: Cosmos) -> None:
    response = call(cosmos, "/package/search", {})
    assert response.content_type == media("search-response")
    packages = ok(response)["packages"]
    assert [p["name"] for p in packages] == ["greeter", "marathon", "nginx"]
    greeter = packages[0]
    assert greeter["currentVersion"] == "0.2.0"
    assert greeter["versions"] == {"0.2.0": 1, "0.1.0": 0}
    assert greeter["selected"] is True and greeter["framework"] is False


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("NGI", ["nginx"]),
        ("proxy", ["nginx"]),
        ("gree*", ["greeter"]),
        ("*q", []),
        ("*x", ["nginx"]),
        ("zzz", []),
    ],
)
def test_search_query(cosmos: Cosmos, query: str, names: list[str]) -> None:
    assert [
        p["name"] for p in ok(call(cosmos, "/package/search", {"query": query}))["packages"]
    ] == names


def test_describe_v3_and_v2(cosmos: Cosmos) -> None:
    v3 = ok(call(cosmos, "/package/describe", {"packageName": "greeter"}, version=3))
    assert v3["package"]["version"] == "0.2.0" and v3["package"]["releaseVersion"] == 1
    template = base64.b64decode(v3["package"]["marathon"]["v2AppMustacheTemplate"]).decode()
    assert "{{service.name}}" in template
    old = ok(
        call(
            cosmos,
            "/package/describe",
            {"packageName": "greeter", "packageVersion": "0.1.0"},
            version=2,
        )
    )
    assert old["packagingVersion"] == "3.0" and "releaseVersion" not in old
    assert old["config"]["properties"]["greeter"]["properties"]["who"]["default"] == "DC/OS"


def test_marathon_on_marathon_renders_its_own_framework_name_and_zk_path(cosmos: Cosmos) -> None:
    app = ok(call(cosmos, "/package/render", {"packageName": "marathon"}))["marathonJson"]
    assert app["id"] == "/marathon-user"
    assert app["env"] == {
        "MARATHON_FRAMEWORK_NAME": "marathon-user",
        "MARATHON_ZK": "zk://master.mesos:2181/universe/marathon-user",
    }
    assert app["labels"]["DCOS_PACKAGE_FRAMEWORK_NAME"] == "marathon-user"
    options = {"service": {"name": "mom"}, "marathon": {"framework-name": "second"}}
    app = ok(call(cosmos, "/package/render", {"packageName": "marathon", "options": options}))[
        "marathonJson"
    ]
    assert (app["id"], app["env"]["MARATHON_FRAMEWORK_NAME"]) == ("/mom", "second")
    assert app["env"]["MARATHON_ZK"].endswith("/universe/mom")


def test_describe_v2_refuses_a_v4_package_with_upgrades(cosmos: Cosmos) -> None:
    body = error(call(cosmos, "/package/describe", {"packageName": "greeter"}, version=2))
    assert body["type"] == "ConversionFromPackageToV2DescribeResponse"


def test_describe_unknown_package_and_version(cosmos: Cosmos) -> None:
    body = error(call(cosmos, "/package/describe", {"packageName": "nope"}, version=3))
    assert body == {
        "type": "PackageNotFound",
        "message": "Package [nope] not found",
        "data": {"packageName": "nope"},
    }
    body = error(
        call(
            cosmos, "/package/describe", {"packageName": "nginx", "packageVersion": "9"}, version=3
        )
    )
    assert body["type"] == "VersionNotFound"
    assert body["message"] == "Version [9] of package [nginx] not found"


def test_list_versions(cosmos: Cosmos) -> None:
    body = ok(
        call(
            cosmos,
            "/package/list-versions",
            {"packageName": "greeter", "includePackageVersions": True},
        )
    )
    assert body == {"results": {"0.2.0": "1", "0.1.0": "0"}}


def test_render_with_options(cosmos: Cosmos) -> None:
    options = {
        "service": {"name": "hi", "instances": 2},
        "greeter": {
            "who": 'the "world"',
            "health-checks": False,
            "labels": [{"key": "A", "value": "b"}],
        },
    }
    app = ok(call(cosmos, "/package/render", {"packageName": "greeter", "options": options}))[
        "marathonJson"
    ]
    assert app["id"] == "/hi" and app["instances"] == 2 and app["mem"] == 32
    assert app["env"] == {"GREETING": "Hello", "WHO": 'the "world"'}
    assert app["healthChecks"] == [] and app["labels"]["A"] == "b"
    assert app["labels"]["DCOS_PACKAGE_NAME"] == "greeter"
    assert json.loads(base64.b64decode(app["labels"]["DCOS_PACKAGE_OPTIONS"])) == options


def test_bad_options_are_refused_with_the_validators_reports(cosmos: Cosmos) -> None:
    options = {"service": {"instances": "two", "extra": 1}, "greeter": {"who": 3}}
    body = error(
        call(cosmos, "/package/install", {"packageName": "greeter", "options": options}, version=2)
    )
    assert body["type"] == "JsonSchemaMismatch"
    assert body["message"] == "Options JSON failed validation"
    by_pointer = {(e["instance"]["pointer"], e["keyword"]): e for e in body["data"]["errors"]}
    assert by_pointer[("/service/instances", "type")]["found"] == "string"
    assert by_pointer[("/service/instances", "type")]["expected"] == ["integer"]
    assert by_pointer[("/service", "additionalProperties")]["unwanted"] == ["extra"]
    assert by_pointer[("/greeter/who", "type")]["message"] == (
        'instance type (integer) does not match any allowed primitive type (allowed: ["string"])'
    )
    assert cosmos.marathon.apps == {}  # type: ignore[attr-defined]


def test_install_list_uninstall(cosmos: Cosmos) -> None:
    marathon: Any = cosmos.marathon
    response = call(cosmos, "/package/install", {"packageName": "nginx"}, version=2)
    assert response.content_type == media("install-response", 2)
    installed = ok(response)
    assert installed == {
        "packageName": "nginx",
        "packageVersion": "1.22.1",
        "appId": "/nginx",
        "postInstallNotes": "Nginx has been installed.",
    }
    labels = marathon.apps["/nginx"]["labels"]
    assert labels["DCOS_PACKAGE_SOURCE"].endswith("/universe/repo")
    envelope = json.loads(base64.b64decode(labels["DCOS_PACKAGE_DEFINITION"]))
    assert envelope["metadata"]["Content-Type"].endswith(
        "universe.package+json;charset=utf-8;version=v4"
    )
    assert json.loads(gzip.decompress(base64.b64decode(envelope["data"])))["name"] == "nginx"
    assert marathon.authorizations == [TOKEN]  # the caller's token goes to Marathon

    again = error(call(cosmos, "/package/install", {"packageName": "nginx"}, version=2), 409)
    assert again == {"type": "PackageAlreadyInstalled", "message": "Package is already installed"}

    v1 = ok(call(cosmos, "/package/install", {"packageName": "nginx", "appId": "web2"}, version=1))
    assert v1 == {"packageName": "nginx", "packageVersion": "1.22.1", "appId": "/web2"}

    listed = ok(call(cosmos, "/package/list", {}))["packages"]
    assert [p["appId"] for p in listed] == ["/nginx", "/web2"]
    details = listed[0]["packageInformation"]["packageDefinition"]
    assert (details["name"], details["version"], details["packagingVersion"]) == (
        "nginx",
        "1.22.1",
        "4.0",
    )
    assert ok(call(cosmos, "/package/list", {"appId": "/web2"}))["packages"][0]["appId"] == "/web2"

    ambiguous = error(call(cosmos, "/package/uninstall", {"packageName": "nginx"}))
    assert ambiguous["type"] == "AmbiguousAppId"
    assert ambiguous["message"] == "Multiple apps named [nginx] are installed: [/nginx, /web2]"

    one = ok(call(cosmos, "/package/uninstall", {"packageName": "nginx", "appId": "/web2"}))
    assert one == {
        "results": [
            {
                "packageName": "nginx",
                "appId": "/web2",
                "packageVersion": "1.22.1",
                "postUninstallNotes": "Nginx was uninstalled successfully.",
            }
        ]
    }
    ok(call(cosmos, "/package/uninstall", {"packageName": "nginx", "all": True}))
    assert ok(call(cosmos, "/package/list", {}))["packages"] == []
    gone = error(call(cosmos, "/package/uninstall", {"packageName": "nginx"}))
    assert gone == {
        "type": "PackageNotInstalled",
        "message": "Package [nginx] is not installed",
        "data": {"packageName": "nginx"},
    }


def test_uninstall_tears_down_the_packages_framework(cosmos: Cosmos) -> None:
    marathon: Any = cosmos.marathon
    mesos: Any = cosmos.mesos
    ok(call(cosmos, "/package/install", {"packageName": "greeter"}, version=2))
    marathon.apps["/greeter"]["labels"]["DCOS_PACKAGE_FRAMEWORK_NAME"] = "greeter"
    mesos.frameworks = {"fw-1": "greeter", "fw-2": "marathon"}
    ok(call(cosmos, "/package/uninstall", {"packageName": "greeter"}))
    assert mesos.torn_down == ["fw-1"]


def test_service_describe(cosmos: Cosmos) -> None:
    ok(
        call(
            cosmos,
            "/package/install",
            {"packageName": "greeter", "packageVersion": "0.1.0"},
            version=2,
        )
    )
    described = ok(call(cosmos, "/service/describe", {"appId": "greeter"}))
    assert described["package"]["version"] == "0.1.0"
    assert described["upgradesTo"] == ["0.2.0"] and described["downgradesTo"] == []
    missing = error(call(cosmos, "/service/describe", {"appId": "/nope"}))
    assert missing["type"] == "MarathonAppNotFound"


def test_repositories(cosmos: Cosmos) -> None:
    listed = ok(call(cosmos, "/package/repository/list", {}))["repositories"]
    assert [r["name"] for r in listed] == ["Universe"]
    added = ok(
        call(
            cosmos,
            "/package/repository/add",
            {"name": "other", "uri": "http://192.0.2.1/repo", "index": 0},
        )
    )["repositories"]
    assert [r["name"] for r in added] == ["other", "Universe"]
    dup = error(
        call(cosmos, "/package/repository/add", {"name": "other", "uri": "http://192.0.2.2/r"})
    )
    assert dup["message"] == "Repository name [other] is already present in the list"
    bad = error(call(cosmos, "/package/repository/add", {"name": "x", "uri": "ftp://192.0.2.3/r"}))
    assert bad["type"] == "UnsupportedRepositoryUri"
    far = error(
        call(
            cosmos,
            "/package/repository/add",
            {"name": "y", "uri": "http://192.0.2.4/r", "index": 5},
        )
    )
    assert far == {
        "type": "RepositoryAddIndexOutOfBounds",
        "message": "Index out of range: 5",
        "data": {"attempted": 5, "max": 1},
    }
    kept = ok(call(cosmos, "/package/repository/delete", {"name": "other"}))["repositories"]
    assert [r["name"] for r in kept] == ["Universe"]
    absent = error(call(cosmos, "/package/repository/delete", {"uri": "http://192.0.2.9/r"}))
    assert absent["message"] == "Repository URI [http://192.0.2.9/r] is not present in the list"
    neither = error(call(cosmos, "/package/repository/delete", {}))
    assert neither["type"] == "RepoNameOrUriMissing"


def test_unreachable_repository(cosmos: Cosmos) -> None:
    ok(
        call(
            cosmos,
            "/package/repository/add",
            {"name": "dead", "uri": "http://127.0.0.1:9/r", "index": 0},
        )
    )
    body = error(call(cosmos, "/package/search", {}))
    assert body["type"] == "RepositoryUriConnection"
    assert (
        body["message"]
        == "Could not access data at URI for repository [dead]: http://127.0.0.1:9/r"
    )


def test_package_add_is_not_configured(cosmos: Cosmos) -> None:
    body = error(call(cosmos, "/package/add", {"packageName": "nginx"}), 501)
    assert body["type"] == "NotImplemented"


def test_request_errors_are_reported_together(cosmos: Cosmos) -> None:
    accept = media("describe-response", 1) + ";q=0.1," + media("describe-response", 2) + ";q=0.9"
    body = error(
        call(
            cosmos,
            "/package/install",
            {"name": "bad"},
            content_type=media("describe-request"),
            accept=accept,
        )
    )
    assert body["type"] == "multiple_errors"
    assert body["message"] == "Multiple errors while processing request"
    accept_error, content_type_error, body_error = body["data"]["errors"]
    assert accept_error == {
        "type": "not_valid",
        "message": "Item header 'Accept' deemed invalid by rule: Media type was ["
        + media("describe-response", 1)
        + ";q=0.1, "
        + media("describe-response", 2)
        + ";q=0.9] but should be one of ["
        + media("install-response", 2)
        + ", "
        + media("install-response", 1)
        + "]",
    }
    assert content_type_error == {
        "type": "not_valid",
        "message": "Item header 'Content-Type' deemed invalid by rule: should match on of "
        + media("install-request"),
    }
    assert body_error["type"] == "not_parsed"
    assert body_error["message"].startswith("Item 'body' unable to be parsed: ")


def test_missing_headers_and_body(cosmos: Cosmos) -> None:
    body = error(call(cosmos, "/package/install", raw=b"", content_type=None, accept=None))
    messages = [e["message"] for e in body["data"]["errors"]]
    assert messages == [
        "Item header 'Accept' not present but required",
        "Item header 'Content-Type' not present but required",
        "Item 'body' unable to be parsed: exhausted input",
    ]


def test_a_single_error_is_reported_alone(cosmos: Cosmos) -> None:
    body = error(call(cosmos, "/package/search", {}, accept="*/*"))
    assert body["type"] == "not_valid"
    assert "Media type was [*/*]" in body["message"]


def test_unknown_path_is_404(cosmos: Cosmos) -> None:
    assert make_router(cosmos).dispatch(Request("GET", "/", {}, {}, b"")).status == 404
