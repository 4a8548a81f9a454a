"""App and pod definitions, plans, offer matching and TaskInfo: Marathon's rules, without Mesos."""

from __future__ import annotations

import random
from typing import Any

import pytest
from dcos_marathon import apps, groups, labels, matcher, plan, pods, taskinfo
from dcos_marathon.errors import MarathonError

V1, V2 = "2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z"


def app(body: dict[str, Any]) -> dict[str, Any]:
    return apps.normalize(apps.read_app(body))


def answer(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        app(body)
    except MarathonError as exc:
        return exc.status, exc.body()
    return 200, {}


@pytest.mark.parametrize(
    ("body", "path", "error"),
    [
        ({"id": "/x", "cmd": "sleep 1", "instances": -1}, "/instances", "error.min"),
        ({"id": "/x", "cmd": "sleep 1", "mem": "lots"}, "/mem", "error.expected.jsnumber"),
        ({"id": "/x", "cmd": "sleep 1", "instances": 1.5}, "/instances", "error.expected.int"),
        (
            {"id": "/x", "cmd": "sleep 1", "killSelection": "RANDOM"},
            "/killSelection",
            "error.unknown.enum.literal",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "labels": {"a": 1}},
            "/labels/a",
            "error.expected.jsstring",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "healthChecks": [{"protocol": "SMTP"}]},
            "/healthChecks(0)/protocol",
            "error.unknown.enum.literal",
        ),
        (
            {
                "id": "/x",
                "cmd": "sleep 1",
                "upgradeStrategy": {"minimumHealthCapacity": 2, "maximumOverCapacity": 0},
            },
            "/upgradeStrategy/minimumHealthCapacity",
            "error.max",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "container": {"docker": {}}},
            "/container/docker/image",
            "error.path.missing",
        ),
    ],
)
def test_bodies_that_do_not_read_get_invalid_json(
    body: dict[str, Any], path: str, error: str
) -> None:
    status, payload = answer(body)
    assert status == 422 and payload["message"] == "Invalid JSON"
    assert {"path": path, "errors": [error]} in payload["details"]


@pytest.mark.parametrize(
    ("body", "path", "error"),
    [
        (
            {"id": "/x", "cmd": "a", "args": ["b"]},
            "/",
            "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "constraints": [["hostname", "UNIQUE", "x"]]},
            "/constraints(0)",
            "UNIQUE does not accept a value",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "constraints": [["hostname", "MAX_PER"]]},
            "/constraints(0)",
            "MAX_PER requires an integer value",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "constraints": [["rack", "NEAR", "1"]]},
            "/constraints(0)",
            "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER "
            "or UNLIKE",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "acceptedResourceRoles": []},
            "/acceptedResourceRoles",
            "must not be empty",
        ),
        (
            {
                "id": "/x",
                "cmd": "sleep 1",
                "portDefinitions": [{"port": 0, "name": "a"}, {"port": 0, "name": "a"}],
            },
            "/portDefinitions",
            "Port names must be unique.",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "healthChecks": [{"protocol": "HTTP", "portIndex": 3}]},
            "/healthChecks(0)",
            "Health check port indices must address an element of the ports array "
            "or container port mappings.",
        ),
        (
            {
                "id": "/x",
                "cmd": "sleep 1",
                "healthChecks": [{"protocol": "MESOS_HTTP"}, {"protocol": "MESOS_TCP"}],
            },
            "/",
            "AppDefinition can contain at most one Mesos health check",
        ),
        (
            {"id": "/x", "cmd": "sleep 1", "secrets": {"s": {"source": "a"}}},
            "/secrets",
            "Feature secrets is not enabled. Enable with --enable_features secrets)",
        ),
    ],
)
def test_rules_broken_get_object_is_not_valid(body: dict[str, Any], path: str, error: str) -> None:
    status, payload = answer(body)
    assert status == 422 and payload["message"] == "Object is not valid", payload
    errors = {d["path"]: d["errors"] for d in payload["details"]}
    assert error in errors.get(path, []), payload


def test_deprecated_fields_become_canonical() -> None:
    old = app(
        {
            "id": "relative/app",
            "cmd": "sleep 1",
            "ports": [0, 0],
            "uris": ["http://192.0.2.1/a.tgz"],
            "container": {
                "type": "DOCKER",
                "docker": {
                    "image": "nginx",
                    "network": "BRIDGE",
                    "portMappings": [{"containerPort": 80}],
                },
            },
        }
    )
    rendered = apps.render(old)
    assert rendered["id"] == "/relative/app"
    assert rendered["fetch"] == [
        {"uri": "http://192.0.2.1/a.tgz", "extract": True, "executable": False, "cache": False}
    ]
    assert rendered["networks"] == [{"mode": "container/bridge"}]
    assert "portDefinitions" not in rendered and "ports" not in rendered
    mappings = rendered["container"]["portMappings"]
    assert mappings[0] == {
        "containerPort": 80,
        "hostPort": 0,
        "labels": {},
        "protocol": "tcp",
        "servicePort": 0,
    }
    assert len(mappings) == 2  # one more, for the second of `ports`


def test_partial_update_keeps_what_it_does_not_name() -> None:
    current = {
        **app({"id": "/a", "cmd": "sleep 1", "env": {"A": "1"}, "instances": 2}),
        "version": V1,
    }
    update = apps.migrate_update(apps.read_app_update({"cmd": "sleep 2"}))
    merged = apps.normalize(apps.merge_update(current, update))
    assert merged["cmd"] == "sleep 2" and merged["env"] == {"A": "1"} and merged["instances"] == 2


def test_versions_stamp_scaling_and_config_changes() -> None:
    root = groups.empty_root(V1)
    first = groups.stamp_versions(root, root.put_app(app({"id": "/a", "cmd": "sleep 1"})), V1)
    scaled = first.put_app({**first.app("/a"), "instances": 3})  # type: ignore[dict-item]
    second = groups.stamp_versions(first, scaled, V2)
    info = second.app("/a")["versionInfo"]  # type: ignore[index]
    assert info == {"lastScalingAt": V2, "lastConfigChangeAt": V1}
    assert second.app("/a")["version"] == V2  # type: ignore[index]
    steps = plan.compute(first, second, V2).steps
    assert [[a.kind for a in s] for s in steps] == [[plan.SCALE]]


def test_plans_follow_dependencies() -> None:
    root = groups.empty_root(V1)
    target = root
    for body in (
        {"id": "/db", "cmd": "sleep 1"},
        {"id": "/api", "cmd": "sleep 1", "dependencies": ["/db"]},
        {"id": "/web", "cmd": "sleep 1", "dependencies": ["/api"]},
    ):
        target = target.put_app(app(body))
    target = groups.stamp_versions(root, target, V2)
    steps = plan.compute(root, target, V2).steps
    assert [[a.to_json() for a in s] for s in steps] == [
        [{"action": "StartApplication", "app": i} for i in ("/db", "/api", "/web")],
        [{"action": "ScaleApplication", "app": "/db"}],
        [{"action": "ScaleApplication", "app": "/api"}],
        [{"action": "ScaleApplication", "app": "/web"}],
    ]
    cyclic = target.put_app({**target.app("/db"), "dependencies": ["/web"]})  # type: ignore[dict-item]
    with pytest.raises(MarathonError):
        groups.validate_root(cyclic)


def test_service_ports_are_unique_and_kept_across_updates() -> None:
    root = groups.empty_root(V1)
    one = root.put_app(
        app({"id": "/a", "cmd": "sleep 1", "portDefinitions": [{"port": 0}, {"port": 0}]})
    )
    one = groups.assign_service_ports(root, one)
    two = groups.assign_service_ports(one, one.put_app(app({"id": "/b", "cmd": "sleep 1"})))
    ports_a = apps.service_ports(two.app("/a"))  # type: ignore[arg-type]
    ports_b = apps.service_ports(two.app("/b"))  # type: ignore[arg-type]
    assert ports_a == [10000, 10001] and ports_b == [10002]
    reposted = two.put_app(
        app({"id": "/a", "cmd": "sleep 2", "portDefinitions": [{"port": 0}, {"port": 0}]})
    )
    assert apps.service_ports(groups.assign_service_ports(two, reposted).app("/a")) == ports_a  # type: ignore[arg-type]


def offer(
    hostname: str,
    role: str = "*",
    attributes: list[dict[str, Any]] | None = None,
    ports: tuple[int, int] = (31000, 31009),
) -> dict[str, Any]:
    return {
        "id": {"value": f"o-{hostname}"},
        "agent_id": {"value": f"a-{hostname}"},
        "hostname": hostname,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}, "role": role},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024}, "role": role},
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {"range": [{"begin": ports[0], "end": ports[1]}]},
                "role": role,
            },
        ],
        "attributes": attributes or [],
    }


RACK = [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}]


@pytest.mark.parametrize(
    ("constraint", "placed", "expected"),
    [
        (["hostname", "UNIQUE"], [], True),
        (["hostname", "UNIQUE"], [matcher.Placed("h1", {})], False),
        (["hostname", "CLUSTER", "h1"], [], True),
        (["hostname", "CLUSTER", "h2"], [], False),
        (["hostname", "LIKE", "h[0-9]"], [], True),
        (["hostname", "UNLIKE", "h[0-9]"], [], False),
        (["hostname", "MAX_PER", "2"], [matcher.Placed("h1", {})], True),
        (["hostname", "MAX_PER", "1"], [matcher.Placed("h1", {})], False),
        (
            ["hostname", "GROUP_BY"],
            [matcher.Placed("h1", {}), matcher.Placed("h2", {}), matcher.Placed("h2", {})],
            True,
        ),
        (
            ["hostname", "GROUP_BY"],
            [matcher.Placed("h1", {}), matcher.Placed("h1", {}), matcher.Placed("h2", {})],
            False,
        ),
        (["rack", "CLUSTER", "r1"], [], True),
        (["zone", "LIKE", "z1"], [], False),  # the offer lacks the attribute
        (["zone", "UNLIKE", "z1"], [], True),
    ],
)
def test_constraints(constraint: list[str], placed: list[matcher.Placed], expected: bool) -> None:
    assert matcher.meets_constraint(constraint, "h1", {"rack": "r1"}, placed) is expected


def test_matching_says_why_an_offer_does_not_fit() -> None:
    public_only = app(
        {"id": "/p", "cmd": "x1", "cpus": 0.5, "mem": 32, "acceptedResourceRoles": ["slave_public"]}
    )
    miss = matcher.match(public_only, offer("h1"), matcher.Pool.of(offer("h1")), [])
    assert isinstance(miss, matcher.Miss) and miss.funnel_reason == "UnfulfilledRole"
    big = app({"id": "/b", "cmd": "x1", "cpus": 3, "mem": 2048})
    miss = matcher.match(big, offer("h1"), matcher.Pool.of(offer("h1")), [])
    assert isinstance(miss, matcher.Miss) and miss.reasons == [
        "InsufficientCpus",
        "InsufficientMemory",
    ]
    fixed = app(
        {
            "id": "/f",
            "cmd": "x1",
            "cpus": 0.1,
            "mem": 16,
            "requirePorts": True,
            "portDefinitions": [{"port": 80}],
        }
    )
    miss = matcher.match(fixed, offer("h1"), matcher.Pool.of(offer("h1")), [])
    assert isinstance(miss, matcher.Miss) and miss.reasons == ["InsufficientPorts"]


def test_a_match_takes_resources_and_ports_from_the_offer() -> None:
    spec = app(
        {
            "id": "/a",
            "cmd": "x1",
            "cpus": 0.5,
            "mem": 100,
            "portDefinitions": [{"port": 0}, {"port": 0}],
        }
    )
    made = offer("h1", role="slave_public", ports=(31000, 31002))
    pool = matcher.Pool.of(made)
    spec_public = {**spec, "acceptedResourceRoles": ["slave_public"]}
    first = matcher.match(spec_public, made, pool, [], random.Random(1))
    assert isinstance(first, matcher.Match)
    assert len(set(first.host_ports)) == 2 and all(
        31000 <= p <= 31002 for p in first.host_ports if p
    )
    assert {r["name"] for r in first.resources} == {"cpus", "mem", "ports"}
    assert all(r["role"] == "slave_public" for r in first.resources)
    second = matcher.match(spec_public, made, pool, [])
    assert isinstance(second, matcher.Miss) and second.reasons == ["InsufficientPorts"]


def test_task_info_carries_discovery_labels_and_environment() -> None:
    spec = app(
        {
            "id": "/group/web",
            "cmd": "serve",
            "labels": {"DCOS_SERVICE_NAME": "web"},
            "env": {"EXTRA": "1"},
            "portDefinitions": [
                {"port": 0, "name": "http", "labels": {"VIP_0": "/web:80"}, "protocol": "udp,tcp"}
            ],
            "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0, "delaySeconds": 0}],
        }
    )
    spec = {
        **spec,
        "version": V1,
        "portDefinitions": [{**spec["portDefinitions"][0], "port": 10000}],
    }
    made = offer("h1")
    info = taskinfo.app_task_info(spec, "group_web.1", made, [], [31005])
    assert info["name"] == "web.group"
    assert (
        info["discovery"]["name"] == "web.group" and info["discovery"]["visibility"] == "FRAMEWORK"
    )
    ports = info["discovery"]["ports"]["ports"]
    assert [(p["number"], p["protocol"], p["name"]) for p in ports] == [
        (31005, "udp", "http"),
        (31005, "tcp", "http"),
    ]
    assert ports[0]["labels"] == {"labels": [{"key": "VIP_0", "value": "/web:80"}]}
    assert info["labels"] == {"labels": [{"key": "DCOS_SERVICE_NAME", "value": "web"}]}
    env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
    assert env["PORT0"] == env["PORT"] == env["PORT_HTTP"] == env["PORT_10000"] == "31005"
    assert env["EXTRA"] == "1" and env["MARATHON_APP_ID"] == "/group/web" and env["HOST"] == "h1"
    assert env["MARATHON_APP_LABEL_DCOS_SERVICE_NAME"] == "web"
    assert info["health_check"]["type"] == "TCP" and info["health_check"]["tcp"] == {"port": 31005}


def test_docker_bridge_task_maps_its_host_port() -> None:
    spec = app(
        {
            "id": "/nginx",
            "container": {
                "type": "DOCKER",
                "docker": {"image": "nginx"},
                "portMappings": [{"containerPort": 80, "name": "http"}],
            },
            "networks": [{"mode": "container/bridge"}],
        }
    )
    info = taskinfo.app_task_info({**spec, "version": V1}, "nginx.1", offer("h1"), [], [31002])
    docker = info["container"]["docker"]
    assert info["container"]["type"] == "DOCKER" and docker["network"] == "BRIDGE"
    assert docker["port_mappings"] == [
        {"host_port": 31002, "container_port": 80, "protocol": "tcp"}
    ]
    assert {"key": "label", "value": "MESOS_TASK_ID=nginx.1"} in docker["parameters"]
    port = info["discovery"]["ports"]["ports"][0]
    assert (
        port["number"] == 31002
        and {"key": "network-scope", "value": "host"} in port["labels"]["labels"]
    )
    assert "value" not in info["command"] or info["command"].get("shell") is not False


def test_pods_take_their_defaults_and_validate_endpoints() -> None:
    pod = pods.normalize(
        pods.read_pod(
            {
                "id": "/p",
                "containers": [
                    {
                        "name": "c",
                        "resources": {"cpus": 0.1, "mem": 16},
                        "endpoints": [{"name": "e"}],
                    }
                ],
            }
        )
    )
    rendered = pods.render(pod)
    assert rendered["containers"][0]["endpoints"] == [{"name": "e", "hostPort": 0}]
    assert rendered["scheduling"]["upgrade"] == {
        "minimumHealthCapacity": 1,
        "maximumOverCapacity": 1,
    }
    with pytest.raises(MarathonError) as raised:
        pods.normalize(
            pods.read_pod(
                {
                    "id": "/p",
                    "containers": [
                        {"name": "c", "resources": {"cpus": 0.1, "mem": 16}},
                        {"name": "c", "resources": {"cpus": 0.1, "mem": 16}},
                    ],
                }
            )
        )
    assert {
        "path": "/containers",
        "errors": ["container names must be unique"],
    } in raised.value.body()["details"]


@pytest.mark.parametrize(
    ("query", "matching"),
    [
        ("tier", {"a", "b"}),
        ("tier==web", {"a"}),
        ("tier!=web", {"b"}),
        ("tier in (web, db)", {"a", "b"}),
        ("tier notin (web)", {"b"}),
        ("tier==web, env==prod", {"a"}),
        ("missing", set()),
    ],
)
def test_label_selectors(query: str, matching: set[str]) -> None:
    apps_labels = {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "db"}, "c": {}}
    selector = labels.parse(query)
    assert {name for name, found in apps_labels.items() if selector(found)} == matching
