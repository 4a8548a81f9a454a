"""Mesos TaskInfo and task groups, built as Marathon 1.5 builds them.

Apps (TaskBuilder): name `<app id segments reversed, dot-joined>`, task id
`<app_safe_id>.<uuid>`, the app's labels, `discovery` (visibility FRAMEWORK,
the app's name, one port per host port and protocol with the port's name and
labels - where DC/OS's `VIP_<n>` labels travel), a command with the task's
environment (MESOS_TASK_ID, MARATHON_APP_ID, MARATHON_APP_VERSION, ...,
HOST, PORT0.., PORT_<NAME>, PORT, PORTS, MARATHON_APP_LABEL_*, then the app's
`env`), a container for DOCKER and MESOS containers and for non-host
networking, a kill policy, and the first COMMAND/MESOS_HTTP/MESOS_HTTPS/
MESOS_TCP health check for Mesos to run.

Pods (TaskGroupBuilder): a LAUNCH_GROUP with a DEFAULT executor holding the
pod's networks, ephemeral volumes and host ports, and one task per container.
"""

from __future__ import annotations

import random
from typing import Any

from . import apps, pathid, pods

MESOS_HEALTH = {"COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"}


def wrap(value: str) -> dict[str, str]:
    """A Mesos id message in JSON (TaskID, ExecutorID, FrameworkID, ...)."""
    return {"value": value}


def labels_proto(labels: dict[str, str]) -> dict[str, Any]:
    return {"labels": [{"key": k, "value": v} for k, v in labels.items()]}


def environment(variables: dict[str, str]) -> dict[str, Any]:
    return {"variables": [{"name": k, "value": v} for k, v in variables.items()]}


def _fmt(value: float) -> str:
    """Scala's Double.toString for resources in the environment (`0.1`, `128.0`)."""
    return repr(float(value))


def labels_env(labels: dict[str, str]) -> dict[str, str]:
    """EnvironmentHelper.labelsToEnvVars."""
    import re

    valid = {
        re.sub(r"[^a-zA-Z0-9_]+", "_", k).upper(): v
        for k, v in labels.items()
        if len(k) < 512 - len("MARATHON_APP_LABEL_") and len(v) < 512
    }
    env = {"MARATHON_APP_LABELS": " ".join(valid)}
    env.update({f"MARATHON_APP_LABEL_{k}": v for k, v in valid.items()})
    return env


def ports_env(
    declared: list[tuple[str | None, int]], effective: list[int | None], rng: random.Random
) -> dict[str, str]:
    """EnvironmentHelper.portsEnv: PORT<i>, PORT_<port>, PORT_<NAME>, PORT and PORTS."""
    if not effective:
        return {}
    env: dict[str, str] = {}
    generated: dict[int, int] = {}
    consumed = {p for _, p in declared} | {p for p in effective if p}
    for index, port in enumerate(effective):
        if port is not None:
            env[f"PORT{index}"] = str(port)
            continue
        if index >= len(declared):
            continue
        container_port = declared[index][1]
        if container_port == 0:
            chosen = next(
                p for p in iter(lambda: rng.randint(1025, 65535), None) if p not in consumed
            )
            consumed.add(chosen)
            generated[index] = chosen
            env[f"PORT{index}"] = str(chosen)
        else:
            env[f"PORT{index}"] = str(container_port)
    for index, ((_, requested), port) in enumerate(zip(declared, effective, strict=False)):
        if port is not None:
            env[f"PORT_{requested if requested else port}"] = str(port)
        elif requested:
            env[f"PORT_{requested}"] = str(requested)
        else:
            env[f"PORT_{generated[index]}"] = str(generated[index])
    for index, ((name, requested), port) in enumerate(zip(declared, effective, strict=False)):
        if not name:
            continue
        if port is not None:
            env[f"PORT_{name.upper()}"] = str(port)
        else:
            env[f"PORT_{name.upper()}"] = str(requested if requested else generated[index])
    assigned = [p for p in effective if p is not None] + list(generated.values())
    if assigned:
        env["PORT"] = str(assigned[0])
    env["PORTS"] = ",".join(str(p) for p in assigned)
    return env


# --- apps ------------------------------------------------------------------------------


def app_environment(
    app: dict[str, Any], task_id: str, host: str, host_ports: list[int | None]
) -> dict[str, str]:
    mappings = apps.port_mappings(app)
    if mappings:
        declared = [(m.get("name"), int(m.get("containerPort", 0))) for m in mappings]
    else:
        declared = [(d.get("name"), int(d["port"])) for d in app.get("portDefinitions") or []]
    env = {
        "MESOS_TASK_ID": task_id,
        "MARATHON_APP_ID": app["id"],
        "MARATHON_APP_VERSION": app["version"],
    }
    docker = (app.get("container") or {}).get("docker")
    if docker is not None:
        env["MARATHON_APP_DOCKER_IMAGE"] = docker["image"]
    env.update(
        {
            "MARATHON_APP_RESOURCE_CPUS": _fmt(app["cpus"]),
            "MARATHON_APP_RESOURCE_MEM": _fmt(app["mem"]),
            "MARATHON_APP_RESOURCE_DISK": _fmt(app["disk"]),
            "MARATHON_APP_RESOURCE_GPUS": str(int(app["gpus"])),
        }
    )
    env.update(labels_env(app.get("labels") or {}))
    env.update(ports_env(declared, host_ports, random.Random()))
    env["HOST"] = host
    env.update({k: v for k, v in (app.get("env") or {}).items() if isinstance(v, str)})
    return env


def app_command(app: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    command: dict[str, Any] = {"environment": environment(env)}
    if app.get("cmd"):
        command["value"] = app["cmd"]
    else:
        command["shell"] = False
    if app.get("args"):
        command["shell"] = False
        command["arguments"] = list(app["args"])
        if app.get("container") is None:
            command["value"] = app["args"][0]
    if app.get("fetch"):
        command["uris"] = [uri_proto(a) for a in app["fetch"]]
    if app.get("user") is not None:
        command["user"] = app["user"]
    return command


def uri_proto(artifact: dict[str, Any]) -> dict[str, Any]:
    uri: dict[str, Any] = {
        "value": artifact["uri"],
        "extract": artifact.get("extract", True),
        "executable": artifact.get("executable", False),
        "cache": artifact.get("cache", False),
    }
    if artifact.get("destPath"):
        uri["output_file"] = artifact["destPath"]
    return uri


def _port_proto(
    number: int, protocol: str, name: str | None, labels: dict[str, str]
) -> dict[str, Any]:
    port: dict[str, Any] = {"number": number, "protocol": protocol}
    if name:
        port["name"] = name
    if labels:
        port["labels"] = labels_proto(labels)
    return port


def container_network_names(networks: list[dict[str, Any]]) -> list[str]:
    return [n["name"] for n in networks if n["mode"] == "container" and n.get("name")]


def app_discovery(app: dict[str, Any], host_ports: list[int | None]) -> dict[str, Any]:
    ports: list[dict[str, Any]] = []
    if apps.is_host_networking(app):
        for definition, port in zip(app.get("portDefinitions") or [], host_ports, strict=False):
            if port is None:
                continue
            for protocol in definition.get("protocol", "tcp").split(","):
                ports.append(
                    _port_proto(
                        port, protocol, definition.get("name"), definition.get("labels") or {}
                    )
                )
    else:
        networks = container_network_names(app["networks"])
        for mapping, port in zip(apps.port_mappings(app), host_ports, strict=False):
            labels = mapping.get("labels") or {}
            for protocol in mapping.get("protocol", "tcp").split(","):
                if port is not None:
                    ports.append(
                        _port_proto(
                            port, protocol, mapping.get("name"), {**labels, "network-scope": "host"}
                        )
                    )
                else:
                    for network in mapping.get("networkNames") or networks:
                        scope = {"network-scope": "container", "network-name": network}
                        ports.append(
                            _port_proto(
                                int(mapping.get("containerPort", 0)),
                                protocol,
                                mapping.get("name"),
                                {**labels, **scope},
                            )
                        )
    return {
        "visibility": "FRAMEWORK",
        "name": pathid.to_hostname(app["id"]),
        "ports": {"ports": ports},
    }


def _bound_mappings(
    app: dict[str, Any], host_ports: list[int | None]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(port mapping, Mesos port mapping) for mappings with a host port.

    A container port of 0 takes the host port's number.
    """
    bound = []
    for mapping, port in zip(apps.port_mappings(app), host_ports, strict=False):
        if port is None:
            continue
        container_port = int(mapping.get("containerPort", 0)) or port
        proto = {
            "host_port": port,
            "container_port": container_port,
            "protocol": mapping.get("protocol", "tcp"),
        }
        bound.append((mapping, proto))
    return bound


def volume_proto(volume: dict[str, Any]) -> dict[str, Any]:
    return {
        "container_path": volume["containerPath"],
        "host_path": volume["hostPath"],
        "mode": volume["mode"],
    }


def app_container(
    app: dict[str, Any], host_ports: list[int | None], task_id: str
) -> dict[str, Any] | None:
    container = app.get("container")
    networks = app["networks"]
    non_host = not apps.is_host_networking(app)
    if container is None and not non_host:
        return None
    info: dict[str, Any] = {}
    bound = _bound_mappings(app, host_ports)
    docker = (container or {}).get("docker")
    if container is not None and container["type"] == "DOCKER" and docker is not None:
        network = "HOST"
        if any(n["mode"] == "container" for n in networks):
            network = "USER"
        elif any(n["mode"] == "container/bridge" for n in networks):
            network = "BRIDGE"
        port_mappings = []
        for _, m in bound:
            for protocol in m["protocol"].split(","):
                port_mappings.append({**m, "protocol": protocol})
        info = {
            "type": "DOCKER",
            "docker": {
                "image": docker["image"],
                "network": network,
                "port_mappings": port_mappings,
                "privileged": docker.get("privileged", False),
                "parameters": [
                    {"key": p["key"], "value": p["value"]} for p in docker.get("parameters", [])
                ]
                + [{"key": "label", "value": f"MESOS_TASK_ID={task_id}"}],
                "force_pull_image": docker.get("forcePullImage", False),
            },
        }
        names = container_network_names(networks)
        if names:
            info["network_infos"] = [{"name": names[0]}]
    else:
        info = {"type": "MESOS", "mesos": {}}
        if docker is not None:
            info["mesos"] = {
                "image": {
                    "type": "DOCKER",
                    "docker": {"name": docker["image"]},
                    "cached": not docker.get("forcePullImage", False),
                }
            }
        if non_host:
            infos: list[dict[str, Any]] = []
            for network in networks:
                if network["mode"] == "host":
                    continue
                name = (
                    network.get("name")
                    if network["mode"] == "container"
                    else apps.MESOS_BRIDGE_NAME
                )
                mine = [
                    proto
                    for mapping, proto in bound
                    if network["mode"] != "container"
                    or not mapping.get("networkNames")
                    or name in mapping["networkNames"]
                ]
                infos.append(
                    {
                        "name": name,
                        "labels": labels_proto(network.get("labels") or {}),
                        "ip_addresses": [{}],
                        "port_mappings": mine,
                    }
                )
            info["network_infos"] = infos
    volumes = [volume_proto(v) for v in (container or {}).get("volumes", []) if v.get("hostPath")]
    if volumes:
        info["volumes"] = volumes
    if app.get("tty"):
        info["tty_info"] = {}
    return info


def health_check_proto(check: dict[str, Any], port: int | None) -> dict[str, Any] | None:
    """MesosHealthCheck.toMesos: a health check Mesos runs (None if its port is unknown)."""
    proto: dict[str, Any] = {
        "delay_seconds": float(check.get("delaySeconds", 15)),
        "interval_seconds": float(check["intervalSeconds"]),
        "timeout_seconds": float(check["timeoutSeconds"]),
        "consecutive_failures": int(check["maxConsecutiveFailures"]),
        "grace_period_seconds": float(check["gracePeriodSeconds"]),
    }
    protocol = check["protocol"]
    if protocol == "COMMAND":
        proto["type"] = "COMMAND"
        proto["command"] = {"value": check["command"]["value"]}
        return proto
    if port is None:
        return None
    if protocol in ("MESOS_HTTP", "MESOS_HTTPS"):
        proto["type"] = "HTTP"
        http: dict[str, Any] = {
            "scheme": "https" if protocol == "MESOS_HTTPS" else "http",
            "port": port,
        }
        if check.get("path"):
            http["path"] = check["path"]
        proto["http"] = http
    else:
        proto["type"] = "TCP"
        proto["tcp"] = {"port": port}
    return proto


def app_health_port(
    app: dict[str, Any], check: dict[str, Any], host_ports: list[int | None]
) -> int | None:
    """The port a health check probes: its `port`, or the port at `portIndex` (0 by default)."""
    if check.get("port") is not None:
        return int(check["port"])
    index = check.get("portIndex") or 0
    if apps.is_host_networking(app):
        return host_ports[index] if index < len(host_ports) else None
    mappings = apps.port_mappings(app)
    if index >= len(mappings):
        return None
    container_port = int(mappings[index].get("containerPort", 0))
    return container_port or (host_ports[index] if index < len(host_ports) else None)


def app_task_info(
    app: dict[str, Any],
    task_id: str,
    offer: dict[str, Any],
    resources: list[dict[str, Any]],
    host_ports: list[int | None],
) -> dict[str, Any]:
    host = str(offer.get("hostname", ""))
    info: dict[str, Any] = {
        "name": pathid.to_hostname(app["id"]),
        "task_id": wrap(task_id),
        "agent_id": offer["agent_id"],
        "resources": resources,
        "discovery": app_discovery(app, host_ports),
    }
    if app.get("labels"):
        info["labels"] = labels_proto(app["labels"])
    container = app_container(app, host_ports, task_id)
    if container is not None:
        info["container"] = container
    info["command"] = app_command(app, app_environment(app, task_id, host, host_ports))
    if app.get("taskKillGracePeriodSeconds") is not None:
        info["kill_policy"] = {
            "grace_period": {"nanoseconds": int(app["taskKillGracePeriodSeconds"] * 1e9)}
        }
    for check in app.get("healthChecks", []):
        if check["protocol"] in MESOS_HEALTH:
            proto = health_check_proto(check, app_health_port(app, check, host_ports))
            if proto is not None:
                info["health_check"] = proto
            break
    return info


# --- pods ------------------------------------------------------------------------------


def _escape_upper(name: str) -> str:
    import re

    return re.sub(r"[^A-Z0-9_]+", "_", name.upper())


def endpoint_env(pod: dict[str, Any], host_ports: list[int | None]) -> dict[str, str]:
    env: dict[str, str] = {}
    host_mode = pods.is_host_networking(pod)
    for (_, endpoint), host_port in zip(pods.all_endpoints(pod), host_ports, strict=False):
        name = _escape_upper(endpoint["name"])
        port = host_port if host_mode else endpoint.get("containerPort")
        if port is not None:
            env[f"ENDPOINT_{name}"] = str(port)
        if host_port is not None:
            env[f"EP_HOST_{name}"] = str(host_port)
        if endpoint.get("containerPort") is not None:
            env[f"EP_CONTAINER_{name}"] = str(endpoint["containerPort"])
    return env


def _pod_command(
    pod: dict[str, Any], container: dict[str, Any], env: dict[str, str]
) -> dict[str, Any]:
    command: dict[str, Any] = {"shell": False}
    exec_ = container.get("exec")
    if exec_ is not None:
        cmd = exec_["command"]
        if "shell" in cmd:
            command = {"shell": True, "value": cmd["shell"]}
        else:
            command = {"shell": False, "arguments": list(cmd["argv"])}
            if exec_.get("overrideEntrypoint"):
                command["value"] = cmd["argv"][0]
    user = container.get("user") or pod.get("user")
    if user is not None:
        command["user"] = user
    if container.get("artifacts"):
        command["uris"] = [uri_proto(a) for a in container["artifacts"]]
    command["environment"] = environment(env)
    return command


def _pod_container(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Any] | None:
    info: dict[str, Any] = {"type": "MESOS"}
    volumes_by_name = {v["name"]: v for v in pod.get("volumes", [])}
    volumes = []
    for mount in container.get("volumeMounts", []):
        mode = "RO" if mount.get("readOnly") else "RW"
        volume = volumes_by_name.get(mount["name"], {})
        if volume.get("host") is not None:
            volumes.append(
                {"mode": mode, "container_path": mount["mountPath"], "host_path": volume["host"]}
            )
        else:
            volumes.append(
                {
                    "mode": mode,
                    "container_path": mount["mountPath"],
                    "source": {
                        "type": "SANDBOX_PATH",
                        "sandbox_path": {"type": "PARENT", "path": f"volumes/{mount['name']}"},
                    },
                }
            )
    if volumes:
        info["volumes"] = volumes
    image = container.get("image")
    if image is not None:
        proto: dict[str, Any] = {}
        if image.get("forcePull") is not None:
            proto["cached"] = not image["forcePull"]
        if image["kind"] == "DOCKER":
            proto.update({"type": "DOCKER", "docker": {"name": image["id"]}})
        else:
            labels = {"os": "linux", "arch": "amd64", **(image.get("labels") or {})}
            proto.update(
                {"type": "APPC", "appc": {"name": image["id"], "labels": labels_proto(labels)}}
            )
        info["mesos"] = {"image": proto}
    if container.get("tty"):
        info["tty_info"] = {}
    return info if len(info) > 1 else None


def _pod_network_infos(pod: dict[str, Any], host_ports: list[int | None]) -> list[dict[str, Any]]:
    mappings: list[tuple[list[str], dict[str, Any]]] = []
    for (_, endpoint), host_port in zip(pods.all_endpoints(pod), host_ports, strict=False):
        if host_port is None:
            continue
        base = {
            "host_port": host_port,
            "container_port": endpoint.get("containerPort") or host_port,
        }
        for protocol in endpoint.get("protocol") or [None]:
            mapping = dict(base) if protocol is None else {**base, "protocol": protocol}
            mappings.append((endpoint.get("networkNames") or [], mapping))
    infos = []
    for network in pod.get("networks") or []:
        if network["mode"] == "host":
            continue
        name = network.get("name") if network["mode"] == "container" else apps.MESOS_BRIDGE_NAME
        info: dict[str, Any] = {"name": name, "labels": labels_proto(network.get("labels") or {})}
        mine = [
            m
            for names, m in mappings
            if network["mode"] != "container" or not names or name in names
        ]
        if mine:
            info["port_mappings"] = mine
        infos.append(info)
    return infos


def _pod_discovery(
    pod: dict[str, Any], container: dict[str, Any], host_ports: list[int | None]
) -> dict[str, Any]:
    ports: list[dict[str, Any]] = []
    host_mode = pods.is_host_networking(pod)
    networks = container_network_names(pod.get("networks") or [])
    for (owner, endpoint), host_port in zip(pods.all_endpoints(pod), host_ports, strict=False):
        if owner != container["name"]:
            continue
        labels = endpoint.get("labels") or {}
        for protocol in endpoint.get("protocol") or []:
            if host_mode:
                if host_port is not None:
                    ports.append(_port_proto(host_port, protocol, endpoint["name"], labels))
            elif host_port is not None:
                ports.append(
                    _port_proto(
                        host_port, protocol, endpoint["name"], {**labels, "network-scope": "host"}
                    )
                )
            else:
                for network in endpoint.get("networkNames") or networks:
                    scope = {"network-scope": "container", "network-name": network}
                    ports.append(
                        _port_proto(
                            int(endpoint["containerPort"]),
                            protocol,
                            endpoint["name"],
                            {**labels, **scope},
                        )
                    )
    return {
        "visibility": "FRAMEWORK",
        "name": pathid.to_hostname(pod["id"]),
        "ports": {"ports": ports},
    }


def _pod_health_port(
    pod: dict[str, Any], endpoint_name: str, host_ports: list[int | None]
) -> int | None:
    host_mode = pods.is_host_networking(pod)
    for (_, endpoint), host_port in zip(pods.all_endpoints(pod), host_ports, strict=False):
        if endpoint["name"] == endpoint_name:
            return host_port if host_mode else endpoint.get("containerPort")
    return None


def _pod_health_check(
    pod: dict[str, Any], check: dict[str, Any], host_ports: list[int | None]
) -> dict[str, Any] | None:
    as_app = {
        "delaySeconds": check["delaySeconds"],
        "intervalSeconds": check["intervalSeconds"],
        "timeoutSeconds": check["timeoutSeconds"],
        "maxConsecutiveFailures": check["maxConsecutiveFailures"],
        "gracePeriodSeconds": check["gracePeriodSeconds"],
    }
    if check.get("exec") is not None:
        command = check["exec"]["command"]
        proto = health_check_proto(
            {**as_app, "protocol": "COMMAND", "command": {"value": command.get("shell", "")}}, None
        )
        if proto is not None and "argv" in command:
            proto["command"] = {
                "shell": False,
                "value": command["argv"][0],
                "arguments": command["argv"],
            }
        return proto
    if check.get("http") is not None:
        http = check["http"]
        protocol = "MESOS_HTTPS" if http.get("scheme") == "HTTPS" else "MESOS_HTTP"
        port = _pod_health_port(pod, http["endpoint"], host_ports)
        return health_check_proto({**as_app, "protocol": protocol, "path": http.get("path")}, port)
    if check.get("tcp") is not None:
        port = _pod_health_port(pod, check["tcp"]["endpoint"], host_ports)
        return health_check_proto({**as_app, "protocol": "MESOS_TCP"}, port)
    return None


def pod_launch_group(
    pod: dict[str, Any],
    instance_id: str,
    executor_id: str,
    framework_id: str,
    offer: dict[str, Any],
    executor_resources: list[dict[str, Any]],
    container_resources: list[list[dict[str, Any]]],
    host_ports: list[int | None],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The LAUNCH_GROUP operation for one pod instance, and its task ids by container name."""
    executor: dict[str, Any] = {
        "type": "DEFAULT",
        "executor_id": wrap(executor_id),
        "framework_id": wrap(framework_id),
        "resources": executor_resources,
        "labels": labels_proto(pod.get("labels") or {}),
    }
    networks = _pod_network_infos(pod, host_ports)
    sandbox_volumes = [
        v for v in pod.get("volumes", []) if v.get("host") is None and v.get("secret") is None
    ]
    if pod.get("networks") or sandbox_volumes:
        container: dict[str, Any] = {"type": "MESOS"}
        if networks:
            container["network_infos"] = networks
        if sandbox_volumes:
            container["volumes"] = [
                {
                    "mode": "RW",
                    "container_path": f"volumes/{v['name']}",
                    "source": {
                        "type": "SANDBOX_PATH",
                        "sandbox_path": {"type": "SELF", "path": f"volumes/{v['name']}"},
                    },
                }
                for v in sandbox_volumes
            ]
        executor["container"] = container
    host = str(offer.get("hostname", ""))
    endpoints = endpoint_env(pod, host_ports)
    tasks = []
    task_ids: dict[str, str] = {}
    for container_spec, resources in zip(pod["containers"], container_resources, strict=False):
        from .instances import pod_task_id

        task_id = pod_task_id(instance_id, container_spec["name"])
        task_ids[container_spec["name"]] = task_id
        labels = {**(pod.get("labels") or {}), **(container_spec.get("labels") or {})}
        env: dict[str, str] = {
            k: v for k, v in (pod.get("environment") or {}).items() if isinstance(v, str)
        }
        env.update(
            {
                k: v
                for k, v in (container_spec.get("environment") or {}).items()
                if isinstance(v, str)
            }
        )
        env["HOST"] = host
        env.update(
            {
                "MESOS_TASK_ID": task_id,
                "MESOS_EXECUTOR_ID": executor_id,
                "MARATHON_APP_ID": pod["id"],
                "MARATHON_APP_VERSION": pod["version"],
                "MARATHON_CONTAINER_ID": container_spec["name"],
                "MARATHON_CONTAINER_RESOURCE_CPUS": _fmt(container_spec["resources"]["cpus"]),
                "MARATHON_CONTAINER_RESOURCE_MEM": _fmt(container_spec["resources"]["mem"]),
                "MARATHON_CONTAINER_RESOURCE_DISK": _fmt(
                    container_spec["resources"].get("disk", 0)
                ),
                "MARATHON_CONTAINER_RESOURCE_GPUS": str(
                    int(container_spec["resources"].get("gpus", 0))
                ),
            }
        )
        env.update(labels_env(labels))
        env.update(endpoints)
        task: dict[str, Any] = {
            "name": container_spec["name"],
            "task_id": wrap(task_id),
            "agent_id": offer["agent_id"],
            "resources": resources,
            "command": _pod_command(pod, container_spec, env),
            "discovery": _pod_discovery(pod, container_spec, host_ports),
        }
        if container_spec.get("labels"):
            task["labels"] = labels_proto(container_spec["labels"])
        container_info = _pod_container(pod, container_spec)
        if container_info is not None:
            task["container"] = container_info
        if container_spec.get("healthCheck") is not None:
            check = _pod_health_check(pod, container_spec["healthCheck"], host_ports)
            if check is not None:
                task["health_check"] = check
        grace = (container_spec.get("lifecycle") or {}).get("killGracePeriodSeconds")
        if grace is not None:
            task["kill_policy"] = {"grace_period": {"nanoseconds": int(grace * 1e9)}}
        tasks.append(task)
    operation = {
        "type": "LAUNCH_GROUP",
        "launch_group": {"executor": executor, "task_group": {"tasks": tasks}},
    }
    return operation, task_ids
