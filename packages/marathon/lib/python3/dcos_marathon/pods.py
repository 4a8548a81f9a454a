"""Pod definitions: Marathon 1.5's reading, normalization, validation and JSON form.

A pod is kept as the RAML `Pod` type describes it, defaults filled in (the
scheduling policy, executor resources, the scaling policy), plus `version`
and `versionInfo`. PodNormalization gives endpoints of host-mode and bridge
pods a `hostPort` of 0 when they have none.
"""

from __future__ import annotations

import copy
from typing import Any

from . import apps, pathid, ramltypes
from .bodies import numbers, read
from .errors import ValidationError

DEFAULT_EXECUTOR_RESOURCES = {"cpus": 0.1, "mem": 32.0, "disk": 10.0}
DEFAULT_SCHEDULING: dict[str, Any] = {
    "backoff": {"backoff": 1.0, "backoffFactor": 1.15, "maxLaunchDelay": 3600.0},
    "upgrade": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0},
    "placement": {"constraints": [], "acceptedResourceRoles": []},
    "killSelection": "YOUNGEST_FIRST",
    "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
}

ENDPOINT_NAMES_UNIQUE = "endpoint names nust be unique across all containers"
CONTAINER_PORTS_UNIQUE = "container ports must be unique across all containers"
HOST_PORTS_UNIQUE = "host ports must be unique across all containers"
VOLUME_NAMES_UNIQUE = "volume names must be unique"
CONTAINER_NAMES_UNIQUE = "container names must be unique"


def read_pod(value: Any) -> dict[str, Any]:
    return dict(read(ramltypes.POD, value))


def normalize(raw: dict[str, Any]) -> dict[str, Any]:
    """A read Pod with its defaults and normalization, or ValidationError."""
    pod = copy.deepcopy(raw)
    pod["id"] = pathid.canonical(pod["id"])
    violations = validate(pod)
    if violations:
        raise ValidationError(violations)
    networks = [dict(n, labels=n.get("labels") or {}) for n in pod.get("networks") or []]
    container_mode = any(n["mode"] == "container" for n in networks)
    if not container_mode:
        for container in pod["containers"]:
            for endpoint in container.get("endpoints", []):
                if endpoint.get("hostPort") is None:
                    endpoint["hostPort"] = 0
    scheduling = copy.deepcopy(DEFAULT_SCHEDULING)
    for key, value in (pod.get("scheduling") or {}).items():
        if value is not None:
            scheduling[key] = value
    pod["networks"] = networks
    pod["scheduling"] = scheduling
    pod["scaling"] = pod.get("scaling") or {"kind": "fixed", "instances": 1}
    pod["executorResources"] = pod.get("executorResources") or dict(DEFAULT_EXECUTOR_RESOURCES)
    pod.pop("versionInfo", None)
    return pod


def validate(pod: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if pathid.is_root(pod["id"]):
        out.append(("/id", "Path must contain at least one path element"))
    if pod.get("user") is not None and not pod["user"]:
        out.append(("/user", "must not be empty"))
    containers = pod["containers"]
    networks = pod.get("networks") or []
    host_mode = not networks or any(n["mode"] == "host" for n in networks)
    container_mode = any(n["mode"] == "container" for n in networks)
    volume_names = [v["name"] for v in pod.get("volumes", [])]
    for i, volume in enumerate(pod.get("volumes", [])):
        if volume.get("secret") is not None:
            out.append(
                (
                    f"/volumes({i})",
                    "Feature secrets is not enabled. Enable with --enable_features secrets)",
                )
            )
        if not any(
            m["name"] == volume["name"] for c in containers for m in c.get("volumeMounts", [])
        ):
            out.append((f"/volumes({i})", "volume must be referenced by at least one container"))
    if len(volume_names) != len(set(volume_names)):
        out.append(("/volumes", VOLUME_NAMES_UNIQUE))
    for i, container in enumerate(containers):
        out += _validate_container(
            container, f"/containers({i})", volume_names, host_mode, container_mode, networks
        )
    names = [c["name"] for c in containers]
    if len(names) != len(set(names)):
        out.append(("/containers", CONTAINER_NAMES_UNIQUE))
    if pod.get("secrets"):
        out.append(
            ("/secrets", "Feature secrets is not enabled. Enable with --enable_features secrets)")
        )
    out += [(path, message) for path, message in apps._validate_networks(networks)]
    placement = (pod.get("scheduling") or {}).get("placement") or {}
    for i, constraint in enumerate(placement.get("constraints", [])):
        triple = [constraint["fieldName"], constraint["operator"]]
        if constraint.get("value") is not None:
            triple.append(constraint["value"])
        message = apps.constraint_violation(triple)
        if message:
            out.append((f"/scheduling/placement/constraints({i})", message))
    if placement.get("acceptedResourceRoles"):
        out += apps._validate_roles(
            placement["acceptedResourceRoles"], "/scheduling/placement/acceptedResourceRoles"
        )
    endpoints = [e for c in containers for e in c.get("endpoints", [])]
    endpoint_names = [e["name"] for e in endpoints]
    if len(endpoint_names) != len(set(endpoint_names)):
        out.append(("/", ENDPOINT_NAMES_UNIQUE))
    container_ports = [e["containerPort"] for e in endpoints if e.get("containerPort")]
    if len(container_ports) != len(set(container_ports)):
        out.append(("/", CONTAINER_PORTS_UNIQUE))
    host_ports = [e["hostPort"] for e in endpoints if e.get("hostPort")]
    if len(host_ports) != len(set(host_ports)):
        out.append(("/", HOST_PORTS_UNIQUE))
    return out


def _validate_container(
    container: dict[str, Any],
    path: str,
    volume_names: list[str],
    host_mode: bool,
    container_mode: bool,
    networks: list[dict[str, Any]],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    container_networks = [n for n in networks if n["mode"] == "container"]
    for j, endpoint in enumerate(container.get("endpoints", [])):
        epath = f"{path}/endpoints({j})"
        if host_mode and endpoint.get("containerPort") is not None:
            out.append((f"{epath}/containerPort", "is not allowed when using host-mode networking"))
        if container_mode and endpoint.get("containerPort") is None:
            out.append(
                (f"{epath}/containerPort", "is required when using container-mode networking")
            )
        protocols = endpoint.get("protocol") or []
        if len(protocols) != len(set(protocols)):
            out.append(
                (
                    f"{epath}/protocol",
                    "Duplicate protocols within the same endpoint are not allowed",
                )
            )
        needs_name = len(container_networks) > 1 and endpoint.get("hostPort") is not None
        if needs_name and len(endpoint.get("networkNames") or []) != 1:
            out.append(
                (
                    epath,
                    "networkNames must be a single item list when hostPort is specified "
                    "and more than 1 container network is defined",
                )
            )
    endpoint_names = [e["name"] for e in container.get("endpoints", [])]
    check = container.get("healthCheck")
    if check is not None:
        kinds = [k for k in ("http", "tcp", "exec") if check.get(k) is not None]
        if len(kinds) != 1:
            out.append(
                (f"{path}/healthCheck", "Only one of http, tcp, or command may be specified")
            )
        for kind in ("http", "tcp"):
            if check.get(kind) is not None and check[kind]["endpoint"] not in endpoint_names:
                out.append(
                    (f"{path}/healthCheck/{kind}/endpoint", "contained in the container endpoints")
                )
        if not check["timeoutSeconds"] < check["intervalSeconds"]:
            out.append(
                (
                    f"{path}/healthCheck/timeoutSeconds",
                    f"got {check['timeoutSeconds']}, expected less than {check['intervalSeconds']}",
                )
            )
    image = container.get("image")
    if image is not None and image.get("pullConfig") is not None:
        if image["kind"] != "DOCKER":
            out.append(
                (f"{path}/image/pullConfig", "pullConfig is supported only with Docker images")
            )
        else:
            out.append(
                (
                    f"{path}/image/pullConfig",
                    "Feature secrets is not enabled. Enable with --enable_features secrets)",
                )
            )
    for j, mount in enumerate(container.get("volumeMounts", [])):
        if mount["name"] not in volume_names:
            out.append(
                (f"{path}/volumeMounts({j})/name", "Referenced Volume in VolumeMount should exist")
            )
    lifecycle = container.get("lifecycle")
    grace = (lifecycle or {}).get("killGracePeriodSeconds")
    if grace is not None and not grace > 0:
        out.append(
            (
                f"{path}/lifecycle/killGracePeriodSeconds",
                f"got {grace}, expected more than 0.0",
            )
        )
    for name, value in (container.get("environment") or {}).items():
        if isinstance(value, dict):
            out.append(
                (
                    f"{path}/environment({name})",
                    "Feature secrets is not enabled. Enable with --enable_features secrets)",
                )
            )
    return out


# --- the JSON form ------------------------------------------------------------------------


def _omit_empty(d: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and not (k in keys and not v)}


def render_endpoint(e: dict[str, Any]) -> dict[str, Any]:
    return _omit_empty(e, ("protocol", "labels", "networkNames"))


def render_health_check(hc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("http", "tcp", "exec"):
        if hc.get(kind) is not None:
            out[kind] = {k: v for k, v in hc[kind].items() if v is not None}
    for key in (
        "gracePeriodSeconds",
        "intervalSeconds",
        "maxConsecutiveFailures",
        "timeoutSeconds",
        "delaySeconds",
    ):
        out[key] = hc[key]
    return out


def render_container(c: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c["name"]}
    if c.get("exec") is not None:
        out["exec"] = {k: v for k, v in c["exec"].items() if v is not None}
    out["resources"] = c["resources"]
    if c.get("endpoints"):
        out["endpoints"] = [render_endpoint(e) for e in c["endpoints"]]
    if c.get("image") is not None:
        out["image"] = _omit_empty(c["image"], ("labels",))
    if c.get("environment"):
        out["environment"] = c["environment"]
    if c.get("user") is not None:
        out["user"] = c["user"]
    if c.get("healthCheck") is not None:
        out["healthCheck"] = render_health_check(c["healthCheck"])
    if c.get("volumeMounts"):
        out["volumeMounts"] = [
            {k: v for k, v in m.items() if v is not None} for m in c["volumeMounts"]
        ]
    if c.get("artifacts"):
        out["artifacts"] = [{k: v for k, v in a.items() if v is not None} for a in c["artifacts"]]
    if c.get("labels"):
        out["labels"] = c["labels"]
    if c.get("lifecycle") is not None:
        out["lifecycle"] = {k: v for k, v in c["lifecycle"].items() if v is not None}
    if c.get("tty") is not None:
        out["tty"] = c["tty"]
    return out


def render(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as Marathon 1.5 writes it (PodConversion.podRamlWriter + the RAML writer)."""
    out: dict[str, Any] = {"id": pod["id"]}
    if pod.get("labels"):
        out["labels"] = pod["labels"]
    if pod.get("version") is not None:
        out["version"] = pod["version"]
    if pod.get("user") is not None:
        out["user"] = pod["user"]
    if pod.get("environment"):
        out["environment"] = pod["environment"]
    out["containers"] = [render_container(c) for c in pod["containers"]]
    if pod.get("secrets"):
        out["secrets"] = pod["secrets"]
    if pod.get("volumes"):
        out["volumes"] = [{k: v for k, v in vol.items() if v is not None} for vol in pod["volumes"]]
    if pod.get("networks"):
        out["networks"] = [apps.render_network(n) for n in pod["networks"]]
    out["scaling"] = {"kind": "fixed", "instances": pod["scaling"]["instances"]}
    scheduling = pod["scheduling"]
    rendered_scheduling: dict[str, Any] = {
        "backoff": scheduling["backoff"],
        "upgrade": scheduling["upgrade"],
    }
    placement = _omit_empty(
        scheduling.get("placement") or {}, ("constraints", "acceptedResourceRoles")
    )
    if placement:
        rendered_scheduling["placement"] = placement
    rendered_scheduling["killSelection"] = scheduling.get("killSelection") or "YOUNGEST_FIRST"
    rendered_scheduling["unreachableStrategy"] = scheduling["unreachableStrategy"]
    out["scheduling"] = rendered_scheduling
    out["executorResources"] = pod["executorResources"]
    return dict(numbers(out))


def all_endpoints(pod: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(container name, endpoint) for every endpoint, in declaration order."""
    return [(c["name"], e) for c in pod["containers"] for e in c.get("endpoints", [])]


def host_port_requests(pod: dict[str, Any]) -> list[int | None]:
    return [e.get("hostPort") for _, e in all_endpoints(pod)]


def is_host_networking(pod: dict[str, Any]) -> bool:
    networks = pod.get("networks") or []
    return not networks or all(n["mode"] == "host" for n in networks)
