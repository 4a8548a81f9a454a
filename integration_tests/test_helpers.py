"""Definitions of the test app (util/python_test_server.py) for Marathon and Metronome.

The app is DC/OS's test server. Every node has it at TEST_SERVER (the
dcos-integration-test package is active on every node, as in DC/OS), so it
runs as a command app on the agent's python3, or in a Docker container that
mounts /opt/mesosphere read-only and runs the same file with the image's
python3 (the image is a parameter: the local image set provides one).

    app, test_uuid = test_helpers.marathon_test_app()
    job, test_uuid = test_helpers.metronome_test_job("test-app", port=10080)

Shapes follow DC/OS's own `test_helpers.marathon_test_app`.
"""

from __future__ import annotations

import copy
import enum
import uuid
from typing import Any

TEST_SERVER = "/opt/mesosphere/active/dcos-integration-test/util/python_test_server.py"
TEST_APP_NAME_FMT = "integration-test-{}"
# The image the Docker variant runs by default: python3 from the local image set (Debian's
# python3, standard library only), which nodes pull through the cluster's registry.
DEFAULT_DOCKER_IMAGE = "minidcos/python3"


class Container(enum.Enum):
    NONE = "NONE"
    MESOS = "MESOS"
    DOCKER = "DOCKER"


class Network(enum.Enum):
    HOST = "HOST"
    USER = "USER"
    BRIDGE = "BRIDGE"


class Healthcheck(enum.Enum):
    HTTP = "HTTP"
    MESOS_HTTP = "MESOS_HTTP"


def server_command(port: int | str) -> str:
    """The command that runs the test server on `port` (a number, or `$PORT0`)."""
    return f"python3 {TEST_SERVER} {port}"


def _docker_container(container_type: Container, image: str) -> dict[str, Any]:
    return {
        "type": container_type.value,
        "docker": {"image": image},
        "volumes": [
            {"containerPath": "/opt/mesosphere", "hostPath": "/opt/mesosphere", "mode": "RO"}
        ],
    }


def marathon_test_app(
    host_port: int = 0,
    container_port: int | None = None,
    container_type: Container = Container.NONE,
    network: Network = Network.HOST,
    healthcheck_protocol: Healthcheck = Healthcheck.HTTP,
    vip: str | None = None,
    host_constraint: str | None = None,
    network_name: str = "dcos",
    app_name_fmt: str = TEST_APP_NAME_FMT,
    image: str = DEFAULT_DOCKER_IMAGE,
) -> tuple[dict[str, Any], str]:
    """A Marathon app of the test server with green health checks; returns (app, its UUID).

    host_port 0 lets Marathon assign the port ($PORT0, portIndex 0). With a
    BRIDGE or USER network the server listens on `container_port` (8080 when
    not given). `image` is the Docker image for MESOS and DOCKER containers.
    """
    if network != Network.HOST and container_port is None:
        container_port = 8080
    test_uuid = uuid.uuid4().hex
    app: dict[str, Any] = copy.deepcopy(
        {
            "id": app_name_fmt.format(test_uuid),
            "cpus": 0.1,
            "mem": 32,
            "instances": 1,
            "cmd": server_command("$PORT0" if container_port is None else container_port),
            "env": {"DCOS_TEST_UUID": test_uuid, "HOME": "/"},
            "healthChecks": [
                {
                    "protocol": healthcheck_protocol.value,
                    "path": "/ping",
                    "gracePeriodSeconds": 5,
                    "intervalSeconds": 10,
                    "timeoutSeconds": 10,
                    "maxConsecutiveFailures": 120,
                }
            ],
        }
    )
    check = app["healthChecks"][0]
    # Sooner than DC/OS's helper (which waits out Marathon's defaults): a Mesos check's
    # first run comes after `delaySeconds` (15 s by default) and a failed first check is
    # retried an interval later, and this suite deploys dozens of apps one after another.
    check["intervalSeconds"] = 2
    if healthcheck_protocol.value.startswith("MESOS_"):
        check["delaySeconds"] = 1
    if container_port is not None and healthcheck_protocol == Healthcheck.MESOS_HTTP:
        check["port"] = container_port
    elif host_port == 0:
        check["portIndex"] = 0
    else:
        check["port"] = host_port
    if container_type != Container.NONE:
        app["container"] = _docker_container(container_type, image)
    else:
        app["container"] = {"type": "MESOS"}
    if host_port != 0:
        app["requirePorts"] = True
    if network == Network.HOST:
        app["portDefinitions"] = [{"protocol": "tcp", "port": host_port, "name": "test"}]
        if vip is not None:
            app["portDefinitions"][0]["labels"] = {"VIP_0": vip}
    else:
        mapping: dict[str, Any] = {
            "hostPort": host_port,
            "containerPort": container_port,
            "protocol": "tcp",
            "name": "test",
        }
        if vip is not None:
            mapping["labels"] = {"VIP_0": vip}
        app["container"]["portMappings"] = [mapping]
        if network == Network.USER:
            if host_port == 0:
                del mapping["hostPort"]
            app["networks"] = [{"mode": "container", "name": network_name}]
        else:
            app["networks"] = [{"mode": "container/bridge"}]
    if host_constraint is not None:
        app["constraints"] = [["hostname", "CLUSTER", host_constraint]]
    return app, test_uuid


def metronome_test_job(
    job_id: str,
    port: int,
    host_constraint: str | None = None,
    image: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A Metronome job whose run serves the test server on `port` until it is stopped.

    Jobs get no ports from Mesos, so the caller picks a free one. With
    `image`, the run is a Docker container (host networking, /opt/mesosphere
    mounted read-only).
    """
    test_uuid = uuid.uuid4().hex
    run: dict[str, Any] = {
        "cpus": 0.1,
        "mem": 32,
        "disk": 0,
        "cmd": server_command(port),
        "env": {"DCOS_TEST_UUID": test_uuid, "HOME": "/"},
    }
    if host_constraint is not None:
        run["placement"] = {
            "constraints": [{"attribute": "hostname", "operator": "EQ", "value": host_constraint}]
        }
    if image is not None:
        run["docker"] = {"image": image}
        run["volumes"] = [
            {"containerPath": "/opt/mesosphere", "hostPath": "/opt/mesosphere", "mode": "RO"}
        ]
    return {"id": job_id, "description": "the test app", "run": run}, test_uuid
