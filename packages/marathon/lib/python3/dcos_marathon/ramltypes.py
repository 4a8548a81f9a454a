"""Marathon 1.5's RAML types (apps, pods, groups) as readers (see jsonread).

Field names, defaults, bounds and patterns follow
`docs/docs/rest-api/public/api/v2/types/*.raml` of Marathon 1.5: a field
without `?` is required; array fields default to `[]` unless the RAML marks
them force-optional (then absent stays absent).
"""

from __future__ import annotations

from typing import Any

from .jsonread import (
    INVALID,
    NO_DEFAULT,
    Anything,
    Arr,
    Bool,
    Errors,
    Field,
    Int,
    Num,
    Obj,
    OneOf,
    Str,
    StrMap,
    Type,
)
from .pathid import RAML_PATTERN

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
NETWORK_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$"

PATH_ID = Str(min_length=1, pattern=RAML_PATTERN.pattern)
NAME = Str(min_length=1, max_length=63, pattern=NAME_PATTERN)
LEGACY_NAME = Str(min_length=1, pattern=NAME_PATTERN)
NETWORK_NAME = Str(min_length=1, max_length=63, pattern=NETWORK_NAME_PATTERN)
URI = Str(min_length=1, max_length=1024)
PATH = Str(min_length=1, max_length=1024)
ANY_PORT = Int(minimum=0, maximum=65535)
PORT = Int(minimum=1, maximum=65535)
PROTOCOL = Str(enum=("tcp", "udp", "udp,tcp"))
LABELS = StrMap(Str())
DATETIME = Str()


def opt(type_: Type, default: Any = NO_DEFAULT) -> Field:
    return Field(type_, required=False, default=default)


def req(type_: Type) -> Field:
    return Field(type_, required=True)


SECRET_REF = Obj({"secret": req(Str())})
ENV_VALUE = OneOf((Str(), SECRET_REF))
LEGACY_ENV = StrMap(ENV_VALUE)
ENV = StrMap(ENV_VALUE, key_pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,253}?$")
SECRETS = StrMap(Obj({"source": req(Str())}))

ARTIFACT = Obj(
    {
        "uri": req(URI),
        "extract": opt(Bool(), True),
        "executable": opt(Bool(), False),
        "cache": opt(Bool(), False),
        "destPath": opt(PATH),
    }
)

PORT_DEFINITION = Obj(
    {
        "port": opt(ANY_PORT, 0),
        "labels": opt(LABELS, {}),
        "name": opt(LEGACY_NAME),
        "protocol": opt(PROTOCOL, "tcp"),
    }
)

CONTAINER_PORT_MAPPING = Obj(
    {
        "containerPort": opt(ANY_PORT, 0),
        "hostPort": opt(ANY_PORT),
        "labels": opt(LABELS, {}),
        "name": opt(LEGACY_NAME),
        "protocol": opt(PROTOCOL, "tcp"),
        "servicePort": opt(ANY_PORT, 0),
        "networkNames": opt(Arr(NAME), []),
    }
)

DOCKER_CONTAINER = Obj(
    {
        "credential": opt(Obj({"principal": req(Str()), "secret": opt(Str())})),
        "pullConfig": opt(Obj({"secret": req(Str(min_length=1))})),
        "forcePullImage": opt(Bool(), False),
        "image": req(Str(min_length=1)),
        "network": opt(Str(enum=("BRIDGE", "HOST", "NONE", "USER"))),
        "parameters": opt(Arr(Obj({"key": req(Str(min_length=1)), "value": req(Str())})), []),
        "portMappings": opt(Arr(CONTAINER_PORT_MAPPING)),
        "privileged": opt(Bool(), False),
    }
)

APPC_CONTAINER = Obj(
    {
        "image": req(Str(min_length=1)),
        "id": opt(Str(min_length=7)),
        "labels": opt(LABELS, {}),
        "forcePullImage": opt(Bool(), False),
    }
)

READ_MODE = Str(enum=("RO", "RW"))

# An app volume is one of host (Docker) / persistent / external / secret volumes.
APP_VOLUME = Obj(
    {
        "containerPath": req(Str()),
        "hostPath": opt(Str()),
        "mode": opt(READ_MODE),
        "persistent": opt(Anything()),
        "external": opt(Anything()),
        "secret": opt(Str()),
    }
)

CONTAINER = Obj(
    {
        "type": opt(Str(enum=("MESOS", "DOCKER")), "DOCKER"),
        "docker": opt(DOCKER_CONTAINER),
        "appc": opt(APPC_CONTAINER),
        "volumes": opt(Arr(APP_VOLUME), []),
        "portMappings": opt(Arr(CONTAINER_PORT_MAPPING)),
    }
)

NETWORK = Obj(
    {
        "name": opt(NETWORK_NAME),
        "mode": opt(Str(enum=("container", "container/bridge", "host")), "container"),
        "labels": opt(LABELS, {}),
    }
)

IP_ADDRESS = Obj(
    {
        "discovery": opt(
            Obj(
                {
                    "ports": opt(
                        Arr(
                            Obj(
                                {
                                    "number": opt(ANY_PORT, 0),
                                    "name": req(LEGACY_NAME),
                                    "protocol": opt(PROTOCOL, "tcp"),
                                    "labels": opt(LABELS, {}),
                                }
                            )
                        ),
                        [],
                    )
                }
            )
        ),
        "groups": opt(Arr(Str()), []),
        "labels": opt(LABELS, {}),
        "networkName": opt(Str(min_length=1)),
    }
)

HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_TCP", "MESOS_HTTP", "MESOS_HTTPS")

APP_HEALTH_CHECK = Obj(
    {
        "command": opt(Obj({"value": req(Str())})),
        "gracePeriodSeconds": opt(Int(minimum=0), 300),
        "ignoreHttp1xx": opt(Bool()),
        "intervalSeconds": opt(Int(minimum=0), 60),
        "maxConsecutiveFailures": opt(Int(minimum=0), 3),
        "path": opt(Str()),
        "port": opt(ANY_PORT),
        "portIndex": opt(ANY_PORT),
        "protocol": opt(Str(enum=HEALTH_PROTOCOLS), "HTTP"),
        "timeoutSeconds": opt(Int(), 20),
        "delaySeconds": opt(Int(minimum=0), 15),
    }
)

READINESS_CHECK = Obj(
    {
        "name": opt(Str(min_length=1), "readinessCheck"),
        "protocol": opt(Str(enum=("HTTP", "HTTPS")), "HTTP"),
        "path": opt(Str(min_length=1, max_length=1024), "/"),
        "portName": opt(LEGACY_NAME, "http-api"),
        "intervalSeconds": opt(Int(minimum=0), 30),
        "timeoutSeconds": opt(Int(minimum=1), 10),
        "httpStatusCodesForReady": opt(Arr(Int(minimum=100, maximum=999), min_items=1)),
        "preserveLastResponse": opt(Bool(), False),
    }
)

UPGRADE_STRATEGY = Obj(
    {
        "maximumOverCapacity": req(Num(minimum=0.0, maximum=1.0)),
        "minimumHealthCapacity": req(Num(minimum=0.0, maximum=1.0)),
    }
)

RESIDENCY = Obj(
    {
        "relaunchEscalationTimeoutSeconds": opt(Int(minimum=0, long=True), 3600),
        "taskLostBehavior": opt(
            Str(enum=("WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT")), "WAIT_FOREVER"
        ),
    }
)

UNREACHABLE_STRATEGY = OneOf(
    (
        Obj(
            {
                "inactiveAfterSeconds": opt(Int(minimum=0, long=True), 0),
                "expungeAfterSeconds": opt(Int(minimum=0, long=True), 0),
            }
        ),
        Str(enum=("disabled",)),
    )
)

KILL_SELECTION = Str(enum=("YOUNGEST_FIRST", "OLDEST_FIRST"))

# field name -> (type, required, default). Update types (AppUpdate) drop `required` and defaults.
_APP_FIELDS: dict[str, Field] = {
    "id": req(PATH_ID),
    "acceptedResourceRoles": opt(Arr(Str())),
    "args": opt(Arr(Str()), []),
    "backoffFactor": opt(Num(minimum=1.0), 1.15),
    "backoffSeconds": opt(Int(minimum=0), 1),
    "cmd": opt(Str(min_length=1)),
    "constraints": opt(Arr(Arr(Str(), min_items=2, max_items=3)), []),
    "container": opt(CONTAINER),
    "cpus": opt(Num(minimum=0.001), 1.0),
    "dependencies": opt(Arr(PATH_ID), []),
    "disk": opt(Num(minimum=0.0), 0.0),
    "env": opt(LEGACY_ENV, {}),
    "executor": opt(Str(pattern=r"^(//cmd)|(/?[^/]+(/[^/]+)*)|$"), ""),
    "fetch": opt(Arr(ARTIFACT), []),
    "healthChecks": opt(Arr(APP_HEALTH_CHECK), []),
    "instances": opt(Int(minimum=0), 1),
    "labels": opt(LABELS, {}),
    "maxLaunchDelaySeconds": opt(Int(minimum=0), 3600),
    "mem": opt(Num(minimum=0.0), 128.0),
    "gpus": opt(Int(minimum=0), 0),
    "ipAddress": opt(IP_ADDRESS),
    "networks": opt(Arr(NETWORK), []),
    "ports": opt(Arr(ANY_PORT)),
    "portDefinitions": opt(Arr(PORT_DEFINITION)),
    "readinessChecks": opt(Arr(READINESS_CHECK), []),
    "residency": opt(RESIDENCY),
    "requirePorts": opt(Bool(), False),
    "secrets": opt(SECRETS, {}),
    "taskKillGracePeriodSeconds": opt(Int(minimum=0)),
    "upgradeStrategy": opt(UPGRADE_STRATEGY),
    "uris": opt(Arr(URI)),
    "user": opt(Str()),
    "version": opt(DATETIME),
    "versionInfo": opt(Anything()),
    "killSelection": opt(KILL_SELECTION, "YOUNGEST_FIRST"),
    "unreachableStrategy": opt(UNREACHABLE_STRATEGY),
    "tty": opt(Bool()),
}

APP = Obj(_APP_FIELDS)
# AppUpdate: every field optional and without default, so absent means "unchanged".
APP_UPDATE = Obj({name: opt(spec.type) for name, spec in _APP_FIELDS.items()})


def _group_fields(update: bool) -> dict[str, Field]:
    return {
        "id": opt(PATH_ID) if update else req(PATH_ID),
        "apps": opt(Arr(Anything())),
        "pods": opt(Arr(Anything())),
        "groups": opt(Arr(Anything())),
        "dependencies": opt(Arr(PATH_ID)),
        "scaleBy": opt(Num(minimum=0.0)),
        "version": opt(DATETIME),
    }


GROUP_UPDATE = Obj(_group_fields(update=True))

# --- pods -------------------------------------------------------------------------------

SHELL_COMMAND = Obj({"shell": req(Str(min_length=1))})
ARGV_COMMAND = Obj({"argv": req(Arr(Str(), min_items=1))})


class MesosCommand(Type):
    """`{"shell": "..."}` or `{"argv": [...]}`, never both."""

    def read(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, dict) and "shell" in value and "argv" in value:
            errors.append((path, "error.invalid"))
            return INVALID
        if isinstance(value, dict) and "argv" in value:
            return ARGV_COMMAND.read(value, path, errors)
        return SHELL_COMMAND.read(value, path, errors)


MESOS_COMMAND = MesosCommand()

POD_HEALTH_CHECK = Obj(
    {
        "http": opt(
            Obj(
                {
                    "endpoint": req(NAME),
                    "path": opt(PATH),
                    "scheme": opt(Str(enum=("HTTP", "HTTPS")), "HTTP"),
                }
            )
        ),
        "tcp": opt(Obj({"endpoint": req(NAME)})),
        "exec": opt(Obj({"command": req(MESOS_COMMAND)})),
        "gracePeriodSeconds": opt(Int(minimum=0), 300),
        "intervalSeconds": opt(Int(minimum=0), 60),
        "maxConsecutiveFailures": opt(Int(minimum=0), 3),
        "timeoutSeconds": opt(Int(minimum=0), 20),
        "delaySeconds": opt(Int(minimum=0), 15),
    }
)

RESOURCES = Obj(
    {
        "cpus": opt(Num(minimum=0.001), 1.0),
        "mem": opt(Num(minimum=0.001), 128.0),
        "disk": opt(Num(minimum=0.0), 0.0),
        "gpus": opt(Int(minimum=0), 0),
    }
)

EXECUTOR_RESOURCES = Obj(
    {
        "cpus": opt(Num(minimum=0.1), 0.1),
        "mem": opt(Num(minimum=32.0), 32.0),
        "disk": opt(Num(minimum=10.0), 10.0),
    }
)

ENDPOINT = Obj(
    {
        "name": req(Str(min_length=1, max_length=63, pattern=NAME_PATTERN)),
        "containerPort": opt(PORT),
        "hostPort": opt(ANY_PORT),
        "protocol": opt(Arr(NAME, min_items=1), []),
        "labels": opt(LABELS, {}),
        "networkNames": opt(Arr(NAME), []),
    }
)

IMAGE = Obj(
    {
        "kind": req(Str(enum=("DOCKER", "APPC"))),
        "id": req(PATH),
        "pullConfig": opt(Obj({"secret": req(Str(min_length=1))})),
        "forcePull": opt(Bool()),
        "labels": opt(LABELS, {}),
    }
)

POD_CONTAINER = Obj(
    {
        "name": req(NAME),
        "exec": opt(Obj({"command": req(MESOS_COMMAND), "overrideEntrypoint": opt(Bool())})),
        "resources": req(RESOURCES),
        "endpoints": opt(Arr(ENDPOINT), []),
        "image": opt(IMAGE),
        "environment": opt(ENV, {}),
        "user": opt(Str()),
        "healthCheck": opt(POD_HEALTH_CHECK),
        "volumeMounts": opt(
            Arr(Obj({"name": req(NAME), "mountPath": req(PATH), "readOnly": opt(Bool())})), []
        ),
        "artifacts": opt(Arr(ARTIFACT), []),
        "labels": opt(LABELS, {}),
        "lifecycle": opt(Obj({"killGracePeriodSeconds": opt(Num(minimum=0.0))})),
        "tty": opt(Bool()),
    }
)

POD_VOLUME = Obj({"name": req(NAME), "host": opt(Str()), "secret": opt(Str())})

CONSTRAINT = Obj(
    {
        "fieldName": req(Str()),
        "operator": req(Str(enum=("UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER"))),
        "value": opt(Str()),
    }
)

POD_SCHEDULING = Obj(
    {
        "backoff": opt(
            Obj(
                {
                    "backoff": opt(Num(minimum=0.0), 1.0),
                    "backoffFactor": opt(Num(minimum=0.0), 1.15),
                    "maxLaunchDelay": opt(Num(minimum=0.0), 3600.0),
                }
            )
        ),
        "upgrade": opt(
            Obj(
                {
                    "minimumHealthCapacity": opt(Num(minimum=0.0, maximum=1.0), 1.0),
                    "maximumOverCapacity": opt(Num(minimum=0.0, maximum=1.0), 1.0),
                }
            )
        ),
        "placement": opt(
            Obj(
                {
                    "constraints": opt(Arr(CONSTRAINT), []),
                    "acceptedResourceRoles": opt(Arr(Str()), []),
                }
            )
        ),
        "killSelection": opt(KILL_SELECTION),
        "unreachableStrategy": opt(UNREACHABLE_STRATEGY),
    }
)

POD = Obj(
    {
        "id": req(PATH_ID),
        "labels": opt(LABELS, {}),
        "version": opt(DATETIME),
        "user": opt(Str()),
        "environment": opt(ENV, {}),
        "containers": req(Arr(POD_CONTAINER, min_items=1)),
        "secrets": opt(SECRETS, {}),
        "volumes": opt(Arr(POD_VOLUME), []),
        "networks": opt(Arr(NETWORK), []),
        "scaling": opt(
            Obj({"kind": req(Str(enum=("fixed",))), "instances": opt(Int(minimum=0), 1)})
        ),
        "scheduling": opt(POD_SCHEDULING),
        "executorResources": opt(EXECUTOR_RESOURCES),
    }
)
