"""App definitions: Marathon 1.5's normalization, validation, defaults and JSON form.

An app is kept as the dict Marathon's RAML `App` type describes, in canonical
form (deprecated fields translated, defaults filled in), plus `version` and
`versionInfo`. The steps follow Marathon's AppsResource: read the body as the
RAML type (errors -> 422 "Invalid JSON"), check the deprecated API, translate
it (AppNormalization.forDeprecated), check the canonical API (errors -> 422
"Object is not valid"), then apply the remaining normalization.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import pathid, ramltypes
from .bodies import numbers, read
from .errors import ValidationError

# Marathon's command-line configuration as DC/OS 1.10 sets it.
ENABLED_FEATURES = frozenset({"vips", "task_killing", "external_volumes", "gpu_resources"})
MESOS_BRIDGE_NAME = "mesos-bridge"

DEFAULT_PORT_DEFINITION: dict[str, Any] = {
    "port": 0,
    "labels": {},
    "name": "default",
    "protocol": "tcp",
}
DEFAULT_PORT_MAPPING: dict[str, Any] = {
    "containerPort": 0,
    "labels": {},
    "name": "default",
    "protocol": "tcp",
    "servicePort": 0,
    "networkNames": [],
}
EMPTY_PORT_MAPPING: dict[str, Any] = {
    "containerPort": 0,
    "labels": {},
    "protocol": "tcp",
    "servicePort": 0,
    "networkNames": [],
}
DEFAULT_UPGRADE_STRATEGY = {"maximumOverCapacity": 1.0, "minimumHealthCapacity": 1.0}
RESIDENT_UPGRADE_STRATEGY = {"maximumOverCapacity": 0.0, "minimumHealthCapacity": 0.5}
DEFAULT_UNREACHABLE_STRATEGY = {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
DEFAULT_HTTP_STATUS_CODES_FOR_READY = [200]
EXTRACT_SUFFIXES = (".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip")
MARATHON_HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "TCP")
MESOS_HEALTH_PROTOCOLS = ("COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
CONSTRAINT_OPERATORS = ("UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER")
LABEL_SINGLE_INSTANCE = "MARATHON_SINGLE_INSTANCE_APP"

Violations = list[tuple[str, str]]


# --- reading -----------------------------------------------------------------------------


def read_app(value: Any) -> dict[str, Any]:
    return dict(read(ramltypes.APP, value))


def read_app_update(value: Any) -> dict[str, Any]:
    return dict(read(ramltypes.APP_UPDATE, value))


# --- the whole pipeline -------------------------------------------------------------------


def normalize(raw: dict[str, Any], base: str = "/") -> dict[str, Any]:
    """A read App (RAML form, defaults filled in) in canonical form, or ValidationError."""
    app = copy.deepcopy(raw)
    app["id"] = pathid.canonical(app["id"], base)
    app["dependencies"] = [pathid.canonical(d, base) for d in app.get("dependencies", [])]
    _raise(validate_deprecated(app))
    migrated = migrate_deprecated(app)
    _raise(validate_canonical(migrated))
    return finish(migrated)


def _raise(violations: Violations) -> None:
    if violations:
        raise ValidationError(violations)


# --- the deprecated API -------------------------------------------------------------------


def validate_deprecated(app: dict[str, Any]) -> Violations:
    """AppValidation.validateOldAppAPI: fields that the canonical API replaced."""
    out: Violations = []
    container = app.get("container")
    docker = (container or {}).get("docker")
    if container and docker:
        if docker.get("credential") is not None:
            out.append(("/container/docker/credential", "must be empty"))
        if container["type"] == "MESOS":
            if docker.get("network") is not None:
                out.append(("/container/docker/network", "must be empty"))
            if docker.get("parameters"):
                out.append(("/container/docker/parameters", "must be empty"))
            if docker.get("portMappings"):
                out.append(("/container/docker/portMappings", "must be empty"))
        mappings = docker.get("portMappings") or []
        if _duplicate_names(mappings):
            out.append(("/container/docker/portMappings", "Port names must be unique."))
    ip_address = app.get("ipAddress")
    has_discovery = bool(ip_address and (ip_address.get("discovery") or {}).get("ports"))
    if has_discovery and container and container["type"] == "DOCKER":
        out.append(("/ipAddress", "ipAddress/discovery is not allowed for Docker containers"))
    if app.get("uris") and app.get("fetch"):
        out.append(("/uris", "may not be set in conjunction with fetch"))
    if docker and docker.get("network") is not None and app.get("networks"):
        out.append(("/", "must not specify both container.docker.network and networks"))
    if ip_address is not None and app.get("networks"):
        out.append(("/", "must not specify both networks and ipAddress"))
    fixed_ports = [p for p in app.get("ports") or [] if p != 0]
    if len(set(fixed_ports)) != len(fixed_ports):
        out.append(("/", "ports must be unique"))
    if ip_address is not None and (app.get("ports") or app.get("portDefinitions")):
        out.append(("/", "cannot specify both an IP address and port"))
    both = app.get("ports") is not None and app.get("portDefinitions") is not None
    if both and [d["port"] for d in app["portDefinitions"]] != app["ports"]:
        out.append(("/", "cannot specify both ports and port definitions"))
    return out


def _is_extract(uri: str) -> bool:
    return uri.endswith(EXTRACT_SUFFIXES)


def artifacts_from_uris(uris: list[str]) -> list[dict[str, Any]]:
    return [
        {"uri": u, "extract": _is_extract(u), "executable": False, "cache": False} for u in uris
    ]


def translate_networks(
    ip_address: dict[str, Any] | None,
    docker_network: str | None,
    networks: list[dict[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    """AppNormalization.NetworkTranslation: `ipAddress` and `docker.network` to `networks`."""
    if ip_address is not None and docker_network is not None and networks is None:
        labels = ip_address.get("labels") or {}
        if docker_network == "HOST":
            return [{"mode": "host", "labels": {}}]
        if docker_network == "USER":
            net: dict[str, Any] = {"mode": "container", "labels": labels}
            if ip_address.get("networkName"):
                net["name"] = ip_address["networkName"]
            return [net]
        if docker_network == "BRIDGE":
            return [{"mode": "container/bridge", "labels": labels}]
        raise ValidationError([("/", f"unsupported docker network type {docker_network}")])
    if ip_address is not None and docker_network is None and networks is None:
        labels = ip_address.get("labels") or {}
        name = ip_address.get("networkName")
        if name == MESOS_BRIDGE_NAME:
            return [{"mode": "container/bridge", "labels": labels}]
        net = {"mode": "container", "labels": labels}
        if name:
            net["name"] = name
        return [net]
    if ip_address is None and docker_network is not None and networks is None:
        mode = {"HOST": "host", "USER": "container", "BRIDGE": "container/bridge"}.get(
            docker_network
        )
        if mode is None:
            raise ValidationError([("/", f"unsupported docker network type {docker_network}")])
        return [{"mode": mode, "labels": {}}]
    if ip_address is None and docker_network is None:
        return networks
    raise ValidationError([("/", "cannot mix deprecated and canonical network APIs")])


def _is_host(networks: list[dict[str, Any]]) -> bool:
    return not networks or any(n["mode"] == "host" for n in networks)


def _migrate_container(
    container: dict[str, Any], ip_address: dict[str, Any] | None
) -> dict[str, Any]:
    """docker.portMappings -> container.portMappings; ipAddress.discovery.ports likewise."""
    c = copy.deepcopy(container)
    docker = c.get("docker")
    if docker is not None and docker.get("portMappings") is not None:
        if c.get("portMappings"):
            if docker["portMappings"]:
                raise ValidationError(
                    [("/container", "cannot specify both portMappings and docker.portMappings")]
                )
        else:
            c["portMappings"] = docker["portMappings"]
        docker.pop("portMappings", None)
    discovery_ports = ((ip_address or {}).get("discovery") or {}).get("ports") or []
    if discovery_ports:
        if c["type"] != "MESOS":
            raise ValidationError(
                [("/", f"ipAddress.discovery.ports do not apply for container type {c['type']}")]
            )
        if c.get("portMappings"):
            raise ValidationError(
                [("/", "container.portMappings and ipAddress.discovery.ports must not both be set")]
            )
        c["portMappings"] = [
            {
                "containerPort": p["number"],
                "labels": p.get("labels") or {},
                "name": p["name"],
                "protocol": p["protocol"],
                "servicePort": 0,
                "networkNames": [],
            }
            for p in discovery_ports
        ]
    if docker is not None:
        docker.pop("network", None)
    return c


def migrate_deprecated(app: dict[str, Any]) -> dict[str, Any]:
    """AppNormalization.forDeprecated: the canonical API's form of a (validated) app."""
    a = copy.deepcopy(app)
    if a.get("uris") and not a.get("fetch"):
        a["fetch"] = artifacts_from_uris(a["uris"])
    docker_network = ((a.get("container") or {}).get("docker") or {}).get("network")
    networks = translate_networks(a.get("ipAddress"), docker_network, a.get("networks") or None)
    networks = networks or []
    requested_port_definitions = a.get("portDefinitions")
    migrated_port_definitions = requested_port_definitions
    if migrated_port_definitions is None and a.get("ports") is not None:
        migrated_port_definitions = [
            {"port": p, "labels": {}, "protocol": "tcp"} for p in a["ports"]
        ]
    if any(n["mode"] != "host" for n in networks):
        port_definitions = None
    elif migrated_port_definitions is not None:
        port_definitions = migrated_port_definitions
    else:
        port_definitions = [dict(DEFAULT_PORT_DEFINITION)]

    container = a.get("container")
    if container is None and a.get("ipAddress") is not None:
        container = {"type": "MESOS", "volumes": []}
    if container is not None:
        container = _migrate_container(container, a.get("ipAddress"))
        if _is_host(networks):
            container["portMappings"] = None
        elif container.get("portMappings") is None:
            container["portMappings"] = [dict(DEFAULT_PORT_MAPPING)]
        if not _is_host(networks) and migrated_port_definitions is not None:
            missing = len(migrated_port_definitions) - len(container["portMappings"] or [])
            if missing > 0:
                container["portMappings"] = list(container["portMappings"] or []) + [
                    dict(EMPTY_PORT_MAPPING) for _ in range(missing)
                ]

    health_checks = a.get("healthChecks", [])
    if (requested_port_definitions or (container or {}).get("portMappings")) and health_checks:
        health_checks = [default_port_index(hc) for hc in health_checks]

    if a.get("residency") is None and _has_persistent_volumes(container):
        a["residency"] = {
            "relaunchEscalationTimeoutSeconds": 3600,
            "taskLostBehavior": "WAIT_FOREVER",
        }

    a.update(
        {
            "fetch": a.get("fetch", []),
            "networks": networks,
            "container": container,
            "portDefinitions": port_definitions,
            "healthChecks": health_checks,
            "readinessChecks": [default_ready_codes(rc) for rc in a.get("readinessChecks", [])],
        }
    )
    for deprecated in ("uris", "ipAddress", "ports"):
        a.pop(deprecated, None)
    return a


def default_port_index(check: dict[str, Any]) -> dict[str, Any]:
    """Checks that probe a port address the first port unless told otherwise."""
    probes_a_port = check.get("protocol") != "COMMAND" and check.get("port") is None
    if probes_a_port and check.get("portIndex") is None:
        return {**check, "portIndex": 0}
    return check


def default_ready_codes(check: dict[str, Any]) -> dict[str, Any]:
    if check.get("httpStatusCodesForReady"):
        return check
    return {**check, "httpStatusCodesForReady": list(DEFAULT_HTTP_STATUS_CODES_FOR_READY)}


def _has_persistent_volumes(container: dict[str, Any] | None) -> bool:
    return any(v.get("persistent") is not None for v in (container or {}).get("volumes", []))


# --- the canonical API ----------------------------------------------------------------------


def _duplicate_names(items: list[dict[str, Any]]) -> bool:
    names = [i["name"] for i in items if i.get("name")]
    return len(names) != len(set(names))


def port_indices(app: dict[str, Any]) -> range:
    mappings = (app.get("container") or {}).get("portMappings")
    if mappings:
        return range(len(mappings))
    return range(len(app.get("portDefinitions") or []))


def validate_canonical(app: dict[str, Any]) -> Violations:
    """AppValidation.validateCanonicalAppAPI on an app already translated from the old API."""
    out: Violations = []
    out += _validate_id(app)
    container = app.get("container")
    networks = app.get("networks") or []
    if container is not None:
        out += _validate_container(container, networks)
    definitions = app.get("portDefinitions")
    if definitions is not None:
        if _duplicate_names(definitions):
            out.append(("/portDefinitions", "Port names must be unique."))
        fixed = [d["port"] for d in definitions if d["port"] != 0]
        if len(fixed) != len(set(fixed)):
            out.append(("/portDefinitions", "Ports must be unique."))
    if not _has_command_or_container(app):
        out.append(
            ("/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.")
        )
    indices = port_indices(app)
    for i, check in enumerate(app.get("healthChecks", [])):
        out += _validate_health_check(check, indices, f"/healthChecks({i})")
    mesos_checks = [
        c
        for c in app.get("healthChecks", [])
        if c.get("command") is None and c["protocol"] in MESOS_HEALTH_PROTOCOLS
    ]
    if len(mesos_checks) > 1:
        out.append(("/", "AppDefinition can contain at most one Mesos health check"))
    if app.get("secrets"):
        out.append(
            ("/secrets", "Feature secrets is not enabled. Enable with --enable_features secrets)")
        )
    for name, value in (app.get("env") or {}).items():
        if isinstance(value, dict):
            out.append(
                (
                    f"/env({name})",
                    "Feature secrets is not enabled. Enable with --enable_features secrets)",
                )
            )
    roles = app.get("acceptedResourceRoles")
    if roles is not None:
        out += _validate_roles(roles, "/acceptedResourceRoles")
    if app.get("gpus", 0) > 0 and (container or {}).get("type") == "DOCKER":
        out.append(("/", "GPU resources only work with the Mesos containerizer"))
    labels = app.get("labels") or {}
    if labels.get("DCOS_MIGRATION_API_VERSION") and not (
        labels["DCOS_MIGRATION_API_VERSION"] == "v1"
        and labels.get("DCOS_PACKAGE_FRAMEWORK_NAME")
        and labels.get("DCOS_MIGRATION_API_PATH")
    ):
        out.append(
            (
                "/",
                "DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined "
                "when using DCOS_MIGRATION_API_VERSION",
            )
        )
    out += _validate_readiness(app)
    if (app.get("residency") is not None) != _has_persistent_volumes(container):
        out.append(("/", "App must contain persistent volumes and define residency"))
    if labels.get(LABEL_SINGLE_INSTANCE) == "true":
        if app["instances"] > 1:
            out.append(("/", "Single instance app may only have one instance"))
        strategy = app.get("upgradeStrategy")
        if strategy is not None:
            if strategy["minimumHealthCapacity"] != 0:
                out.append(
                    (
                        "/upgradeStrategy/minimumHealthCapacity",
                        f"got {strategy['minimumHealthCapacity']}, expected 0.0",
                    )
                )
            if strategy["maximumOverCapacity"] != 0:
                out.append(
                    (
                        "/upgradeStrategy/maximumOverCapacity",
                        f"got {strategy['maximumOverCapacity']}, expected 0.0",
                    )
                )
    docker_engine = (container or {}).get("type") == "DOCKER"
    if docker_engine and sum(1 for n in networks if n["mode"] == "container") > 1:
        out.append(
            (
                "/",
                "may only specify a single container network when using the Docker "
                "container engine",
            )
        )
    for i, constraint in enumerate(app.get("constraints", [])):
        message = constraint_violation(constraint)
        if message:
            out.append((f"/constraints({i})", message))
    out += _validate_networks(networks)
    if not _is_host(networks) and definitions:
        out.append(("/", "portDefinitions are only allowed with host-networking"))
    if any(n["mode"] == "host" for n in networks) and (container or {}).get("portMappings"):
        out.append(("/", "portMappings are not allowed with host-networking"))
    for i, volume in enumerate((container or {}).get("volumes", [])):
        if volume.get("persistent") is not None or volume.get("external") is not None:
            out.append(
                (f"/container/volumes({i})", "persistent and external volumes are not supported")
            )
    return out


def _validate_id(app: dict[str, Any]) -> Violations:
    out: Violations = []
    app_id = app["id"]
    if pathid.is_root(app_id):
        out.append(("/", "must not be root"))
        out.append(("/id", "Path must contain at least one path element"))
    for dep in app.get("dependencies", []):
        if pathid.invalid_segments(dep):
            out.append(("/dependencies", "contains elements, which are not valid."))
    if app.get("cmd") is not None and len(app["cmd"]) <= 1:
        out.append(("/", "must not be an empty string"))
    return out


def _has_command_or_container(app: dict[str, Any]) -> bool:
    cmd = bool(app.get("cmd"))
    args = bool(app.get("args"))
    container = app.get("container")
    has_image = False
    if container:
        docker, appc = container.get("docker"), container.get("appc")
        has_image = (docker is not None and appc is None) or (
            docker is None and appc is not None and container["type"] == "MESOS"
        )
    return (cmd != args) or (not (cmd and args) and has_image)


def _validate_container(container: dict[str, Any], networks: list[dict[str, Any]]) -> Violations:
    out: Violations = []
    mappings = container.get("portMappings") or []
    if _duplicate_names(mappings):
        out.append(("/container/portMappings", "Port names must be unique."))
    container_networks = [n for n in networks if n["mode"] == "container"]
    names = [str(n["name"]) for n in networks if n.get("name")]
    for i, mapping in enumerate(mappings):
        needs_name = len(container_networks) > 1 and mapping.get("hostPort") is not None
        if needs_name and len(mapping.get("networkNames") or []) != 1:
            out.append(
                (
                    f"/container/portMappings({i})",
                    "networkNames must be a single item list when hostPort is specified "
                    "and more than 1 container network is defined",
                )
            )
        for name in mapping.get("networkNames") or []:
            if name not in names:
                out.append(
                    (
                        f"/container/portMappings({i})/networkNames",
                        f"is not one of ({','.join(names)})",
                    )
                )
    docker, appc = container.get("docker"), container.get("appc")
    if container["type"] == "DOCKER":
        if docker is None:
            out.append(("/container/docker", "not defined"))
        elif docker.get("pullConfig") is not None:
            out.append(
                (
                    "/container/docker/pullConfig",
                    "pullConfig is not supported with Docker containerizer",
                )
            )
    else:
        if docker is not None and appc is not None:
            out.append(
                ("/container", "mesos containers should specify, at most, a single image type")
            )
        if docker is not None and docker.get("pullConfig") is not None:
            out.append(("/container/docker/pullConfig", "must be empty"))
        if appc is not None and not (appc.get("id") or "sha512-").startswith("sha512-"):
            out.append(("/container/appc/id", "id must begin with 'sha512-',"))
    for i, volume in enumerate(container.get("volumes", [])):
        if (
            volume.get("persistent") is None
            and volume.get("external") is None
            and volume.get("secret") is None
        ):
            if not volume.get("hostPath"):
                out.append((f"/container/volumes({i})/hostPath", "must not be empty"))
            if volume.get("mode") is None:
                out.append((f"/container/volumes({i})/mode", "is null"))
        if volume.get("secret") is not None:
            out.append(
                (
                    f"/container/volumes({i})",
                    "Feature secrets is not enabled. Enable with --enable_features secrets)",
                )
            )
    return out


def _validate_health_check(check: dict[str, Any], indices: range, path: str) -> Violations:
    out: Violations = []
    protocol = check["protocol"]
    if check.get("command") is None and protocol in MARATHON_HEALTH_PROTOCOLS:
        index = check.get("portIndex")
        if index is not None:
            ok = index in indices
        else:
            ok = check.get("port") is not None or list(indices) == [0]
        if not ok:
            out.append(
                (
                    path,
                    "Health check port indices must address an element of the ports array "
                    "or container port mappings.",
                )
            )
    if check.get("command") is not None and protocol != "COMMAND":
        out.append((path, f"illegal protocol {protocol} specified with command"))
    if protocol == "COMMAND" and check.get("command") is None:
        out.append((path, "command must be specified with protocol COMMAND"))
    return out


def _validate_roles(roles: list[str], path: str) -> Violations:
    if not roles:
        return [(path, "must not be empty")]
    out: Violations = []
    for role in roles:
        if role in ("", ".", ".."):
            out.append((path, f'A role name must not be "{role}".'))
        elif role.startswith("-"):
            out.append((path, 'A role name must not start with a "-".'))
        elif any(ch in role for ch in "\t\n\x0b\x0c\r /\x7f"):
            out.append((path, "A role name must not include a whitespace or slash character."))
    return out


def _validate_readiness(app: dict[str, Any]) -> Violations:
    out: Violations = []
    checks = app.get("readinessChecks", [])
    if len(checks) > 1:
        out.append(("/readinessChecks", f"got {len(checks)}, expected 1 or less"))
    mappings = (app.get("container") or {}).get("portMappings")
    if mappings is not None:
        names = {m["name"] for m in mappings if m.get("name")}
    else:
        names = {d["name"] for d in app.get("portDefinitions") or [] if d.get("name")}
    for i, check in enumerate(checks):
        if check["portName"] not in names:
            out.append(
                (
                    f"/readinessChecks({i})/portName",
                    f"No port definition reference for portName {check['portName']}",
                )
            )
        if not check["timeoutSeconds"] < check["intervalSeconds"]:
            out.append(
                (
                    f"/readinessChecks({i})/timeoutSeconds",
                    f"got {check['timeoutSeconds']}, expected less than {check['intervalSeconds']}",
                )
            )
    return out


def constraint_violation(constraint: list[str]) -> str | None:
    """SchedulingValidation.complyWithAppConstraintRules: the message, or None if fine."""
    if len(constraint) < 2 or len(constraint) > 3:
        return "Each constraint must have either 2 or 3 fields"
    field, operator = constraint[0], constraint[1]
    value = constraint[2] if len(constraint) == 3 else None
    if not field:
        return "illegal constraint specification"
    op = operator.upper()
    if op not in CONSTRAINT_OPERATORS:
        return (
            "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER "
            "or UNLIKE"
        )
    if op == "UNIQUE" and value is not None:
        return "UNIQUE does not accept a value"
    if op == "GROUP_BY" and value is not None and not _is_int(value):
        return "GROUP BY must define an integer value or else no value at all"
    if op == "MAX_PER" and (value is None or not _is_int(value)):
        return "MAX_PER requires an integer value"
    if op in ("LIKE", "UNLIKE"):
        if not value:
            return "LIKE and UNLIKE require a non-empty, regular expression value"
        try:
            re.compile(value)
        except re.error:
            return "is not a valid regular expression"
    return None


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _validate_networks(networks: list[dict[str, Any]]) -> Violations:
    out: Violations = []
    for n in networks:
        if n["mode"] == "host" and (n.get("name") or n.get("labels")):
            out.append(("/networks", "Host networks may not have names or labels"))
            break
    if any(n["mode"] == "container/bridge" and n.get("name") for n in networks):
        out.append(("/networks", "Bridge networks may not have names"))
    unnamed = sum(1 for n in networks if n["mode"] == "container" and not n.get("name"))
    names = [n["name"] for n in networks if n.get("name")]
    if unnamed > 1 or len(names) != len(set(names)):
        out.append(("/networks", "Duplicate networks are not allowed"))
    hosts = sum(1 for n in networks if n["mode"] == "host")
    bridges = sum(1 for n in networks if n["mode"] == "container/bridge")
    containers = sum(1 for n in networks if n["mode"] == "container")
    if not (
        (hosts <= 1 and bridges == 0 and containers == 0)
        or (hosts == 0 and bridges <= 1 and containers == 0)
        or (hosts == 0 and bridges == 0 and containers > 0)
    ):
        out.append(
            (
                "/networks",
                "May specify a single host network, single bridge network, or else 1-to-n "
                "container networks",
            )
        )
    if unnamed:
        out.append(
            ("/networks", "Network name must be specified when container network is selected.")
        )
    return out


# --- the last normalization ---------------------------------------------------------------


def finish(app: dict[str, Any]) -> dict[str, Any]:
    """AppNormalization.apply: default networks, bridge host ports, unreachable strategy."""
    a = copy.deepcopy(app)
    networks = [dict(n, labels=n.get("labels") or {}) for n in a.get("networks") or []]
    if not networks:
        networks = [{"mode": "host", "labels": {}}]
    container = a.get("container")
    if container is None and any(n["mode"] != "host" for n in networks):
        container = {"type": "MESOS", "volumes": [], "portMappings": [dict(DEFAULT_PORT_MAPPING)]}
    bridged = any(n["mode"] == "container/bridge" for n in networks)
    if container is not None and bridged and container.get("portMappings"):
        container["portMappings"] = [
            m if m.get("hostPort") is not None else {**m, "hostPort": 0}
            for m in container["portMappings"]
        ]
    resident = a.get("residency") is not None
    if a.get("unreachableStrategy") is None:
        a["unreachableStrategy"] = "disabled" if resident else dict(DEFAULT_UNREACHABLE_STRATEGY)
    if a.get("upgradeStrategy") is None:
        has_external = any(
            v.get("external") is not None for v in (container or {}).get("volumes", [])
        )
        a["upgradeStrategy"] = dict(
            RESIDENT_UPGRADE_STRATEGY if resident or has_external else DEFAULT_UPGRADE_STRATEGY
        )
    if any(n["mode"] != "host" for n in networks):
        a["requirePorts"] = False
    a["networks"] = networks
    a["container"] = container
    a.pop("versionInfo", None)
    return a


# --- updates ------------------------------------------------------------------------------


def migrate_update(update: dict[str, Any]) -> dict[str, Any]:
    """AppNormalization.forDeprecatedUpdates: the old fields of an update in canonical form."""
    u = copy.deepcopy(update)
    if u.get("uris") and not u.get("fetch"):
        u["fetch"] = artifacts_from_uris(u["uris"])
    docker_network = ((u.get("container") or {}).get("docker") or {}).get("network")
    if u.get("ipAddress") is not None or docker_network is not None:
        u["networks"] = translate_networks(u.get("ipAddress"), docker_network, u.get("networks"))
    if u.get("container") is None and u.get("ipAddress") is not None:
        u["container"] = {"type": "MESOS", "volumes": []}
    if u.get("container") is not None:
        u["container"] = _migrate_container(u["container"], u.get("ipAddress"))
    if u.get("portDefinitions") is None and u.get("ports") is not None:
        u["portDefinitions"] = [{"port": p, "labels": {}, "protocol": "tcp"} for p in u["ports"]]
    if u.get("healthChecks") is not None:
        u["healthChecks"] = [default_port_index(hc) for hc in u["healthChecks"]]
    if u.get("readinessChecks") is not None:
        u["readinessChecks"] = [default_ready_codes(rc) for rc in u["readinessChecks"]]
    for deprecated in ("uris", "ipAddress", "ports"):
        u.pop(deprecated, None)
    return u


def validate_update(update: dict[str, Any]) -> Violations:
    """The update-only rules of validateCanonicalAppUpdateAPI (the merged app is checked later)."""
    out: Violations = []
    if update.get("id") is not None and pathid.is_root(update["id"]):
        out.append(("/", "must not be root"))
    if update.get("cmd") is not None and len(update["cmd"]) <= 1:
        out.append(("/", "must not be an empty string"))
    if update.get("version") is not None:
        others = [k for k, v in update.items() if v is not None and k not in ("id", "version")]
        if others:
            out.append(("/", "The 'version' field may only be combined with the 'id' field."))
    return out


def merge_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """AppConversion.appUpdateRamlReader: the update's fields over the current app (RAML form)."""
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if key in ("id", "version", "versionInfo") or value is None:
            continue
        merged[key] = copy.deepcopy(value)
    return merged


# --- ports ------------------------------------------------------------------------------------


def is_host_networking(app: dict[str, Any]) -> bool:
    return all(n["mode"] == "host" for n in app.get("networks") or [{"mode": "host"}])


def port_mappings(app: dict[str, Any]) -> list[dict[str, Any]]:
    if is_host_networking(app):
        return []
    return list((app.get("container") or {}).get("portMappings") or [])


def service_ports(app: dict[str, Any]) -> list[int]:
    mappings = port_mappings(app)
    if mappings:
        return [int(m.get("servicePort", 0)) for m in mappings]
    return [int(d["port"]) for d in app.get("portDefinitions") or []]


def host_port_requests(app: dict[str, Any]) -> list[int | None]:
    """One entry per port: the host port to reserve (0 = any), or None for none."""
    if is_host_networking(app):
        require = bool(app.get("requirePorts"))
        return [int(d["port"]) if require else 0 for d in app.get("portDefinitions") or []]
    return [m.get("hostPort") for m in port_mappings(app)]


def with_service_ports(app: dict[str, Any], ports: list[int]) -> dict[str, Any]:
    a = copy.deepcopy(app)
    mappings = port_mappings(a)
    if mappings:
        a["container"]["portMappings"] = [
            {**m, "servicePort": p} for m, p in zip(mappings, ports, strict=False)
        ]
    elif a.get("portDefinitions"):
        a["portDefinitions"] = [
            {**d, "port": p} for d, p in zip(a["portDefinitions"], ports, strict=False)
        ]
    return a


# --- the JSON form ----------------------------------------------------------------------------


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def render_port_definition(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"port": d["port"]}
    if d.get("labels"):
        out["labels"] = d["labels"]
    if d.get("name") is not None:
        out["name"] = d["name"]
    out["protocol"] = d.get("protocol", "tcp")
    return out


def render_port_mapping(m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"containerPort": m.get("containerPort", 0)}
    if m.get("hostPort") is not None:
        out["hostPort"] = m["hostPort"]
    out["labels"] = m.get("labels") or {}
    if m.get("name") is not None:
        out["name"] = m["name"]
    out["protocol"] = m.get("protocol", "tcp")
    out["servicePort"] = m.get("servicePort", 0)
    if m.get("networkNames"):
        out["networkNames"] = m["networkNames"]
    return out


def render_container(c: dict[str, Any], host_networking: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": c["type"]}
    docker = c.get("docker")
    if docker is not None:
        d: dict[str, Any] = {}
        if docker.get("credential") is not None:
            d["credential"] = docker["credential"]
        if docker.get("pullConfig") is not None:
            d["pullConfig"] = docker["pullConfig"]
        d["forcePullImage"] = docker.get("forcePullImage", False)
        d["image"] = docker["image"]
        d["parameters"] = docker.get("parameters", []) if c["type"] == "DOCKER" else []
        d["privileged"] = docker.get("privileged", False) if c["type"] == "DOCKER" else False
        out["docker"] = d
    if c.get("appc") is not None:
        out["appc"] = _drop_none(c["appc"])
    out["volumes"] = [_drop_none(v) for v in c.get("volumes", [])]
    if not host_networking and c.get("portMappings") is not None:
        out["portMappings"] = [render_port_mapping(m) for m in c["portMappings"]]
    return out


def render_health_check(hc: dict[str, Any]) -> dict[str, Any]:
    protocol = hc["protocol"]
    out: dict[str, Any] = {"gracePeriodSeconds": hc["gracePeriodSeconds"]}
    if protocol == "COMMAND":
        out["command"] = hc["command"]
    if protocol in ("HTTP", "HTTPS"):
        out["ignoreHttp1xx"] = bool(hc.get("ignoreHttp1xx"))
    out["intervalSeconds"] = hc["intervalSeconds"]
    out["maxConsecutiveFailures"] = hc["maxConsecutiveFailures"]
    if protocol not in ("COMMAND", "TCP", "MESOS_TCP") and hc.get("path") is not None:
        out["path"] = hc["path"]
    if protocol != "COMMAND":
        if hc.get("port") is not None:
            out["port"] = hc["port"]
        if hc.get("portIndex") is not None:
            out["portIndex"] = hc["portIndex"]
    out["protocol"] = protocol
    out["timeoutSeconds"] = hc["timeoutSeconds"]
    out["delaySeconds"] = hc["delaySeconds"] if protocol in MESOS_HEALTH_PROTOCOLS else 15
    return out


def render_network(n: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if n.get("name"):
        out["name"] = n["name"]
    out["mode"] = n["mode"]
    if n.get("labels"):
        out["labels"] = n["labels"]
    return out


def render(app: dict[str, Any]) -> dict[str, Any]:
    """The app as Marathon 1.5 writes it (AppConversion.appWriter + the RAML writer)."""
    host = is_host_networking(app)
    out: dict[str, Any] = {"id": app["id"]}
    if app.get("acceptedResourceRoles"):
        out["acceptedResourceRoles"] = app["acceptedResourceRoles"]
    if app.get("args"):
        out["args"] = app["args"]
    out["backoffFactor"] = app["backoffFactor"]
    out["backoffSeconds"] = app["backoffSeconds"]
    if app.get("cmd") is not None:
        out["cmd"] = app["cmd"]
    if app.get("constraints"):
        out["constraints"] = app["constraints"]
    if app.get("container") is not None:
        out["container"] = render_container(app["container"], host)
    out["cpus"] = app["cpus"]
    if app.get("dependencies"):
        out["dependencies"] = app["dependencies"]
    out["disk"] = app["disk"]
    if app.get("env"):
        out["env"] = app["env"]
    out["executor"] = app["executor"]
    if app.get("fetch"):
        out["fetch"] = [_drop_none(f) for f in app["fetch"]]
    if app.get("healthChecks"):
        out["healthChecks"] = [render_health_check(h) for h in app["healthChecks"]]
    out["instances"] = app["instances"]
    out["labels"] = app.get("labels") or {}
    out["maxLaunchDelaySeconds"] = app["maxLaunchDelaySeconds"]
    out["mem"] = app["mem"]
    out["gpus"] = app["gpus"]
    out["networks"] = [render_network(n) for n in app["networks"]]
    if host:
        out["portDefinitions"] = [
            render_port_definition(d) for d in app.get("portDefinitions") or []
        ]
    if app.get("readinessChecks"):
        out["readinessChecks"] = [_drop_none(r) for r in app["readinessChecks"]]
    if app.get("residency") is not None:
        out["residency"] = app["residency"]
    out["requirePorts"] = bool(app.get("requirePorts"))
    if app.get("secrets"):
        out["secrets"] = app["secrets"]
    if app.get("taskKillGracePeriodSeconds") is not None:
        out["taskKillGracePeriodSeconds"] = app["taskKillGracePeriodSeconds"]
    out["upgradeStrategy"] = {
        "maximumOverCapacity": app["upgradeStrategy"]["maximumOverCapacity"],
        "minimumHealthCapacity": app["upgradeStrategy"]["minimumHealthCapacity"],
    }
    if app.get("user") is not None:
        out["user"] = app["user"]
    if app.get("version") is not None:
        out["version"] = app["version"]
    if app.get("versionInfo") is not None:
        out["versionInfo"] = app["versionInfo"]
    out["killSelection"] = app["killSelection"]
    out["unreachableStrategy"] = app["unreachableStrategy"]
    if app.get("tty") is not None:
        out["tty"] = app["tty"]
    return dict(numbers(out))
