"""What the REST API shows: apps with their embeds, groups, pod status, deployments, the queue."""

from __future__ import annotations

import statistics
import time
from typing import Any

from . import apps, health, pods, runspecs, timestamps
from .core import DeploymentRun, Marathon
from .groups import Group
from .instances import Instance

APP_EMBED_PREFIXES = ("group.apps.", "apps.", "app.")


def resolve_app_embeds(embed: list[str]) -> set[str]:
    """InfoEmbedResolver.resolveApp: `apps.tasks`, `app.counts`, ... as a set of kinds."""
    kinds: set[str] = set()
    for item in embed:
        bare = item
        for prefix in APP_EMBED_PREFIXES:
            if item.startswith(prefix):
                bare = item[len(prefix) :]
                break
        if bare == "tasks":
            kinds |= {"tasks", "deployments"}
        elif bare == "failures":
            kinds |= {"tasks", "lastTaskFailure", "deployments"}
        elif bare in ("deployments", "readiness", "lastTaskFailure", "counts", "taskStats"):
            kinds.add(bare)
    return kinds


def app_info(core: Marathon, app: dict[str, Any], embed: set[str]) -> dict[str, Any]:
    out = apps.render(app)
    app_id = app["id"]
    if "counts" in embed:
        out.update(core.counts(app_id))
    if "deployments" in embed:
        out["deployments"] = [{"id": r.plan.id} for r in core.deployments_of(app_id)]
    if "readiness" in embed:
        out["readinessCheckResults"] = [
            result.to_json()
            for r in core.deployments_of(app_id)
            for result in r.readiness.results.values()
        ]
    if "tasks" in embed:
        out["tasks"] = core.enriched_tasks(app_id)
    if "lastTaskFailure" in embed and app_id in core.task_failures:
        out["lastTaskFailure"] = core.task_failures[app_id]
    if "taskStats" in embed:
        out["taskStats"] = task_stats(core, app)
    return out


def _stats(core: Marathon, chosen: list[Instance]) -> dict[str, Any] | None:
    if not chosen:
        return None
    counts = {"staged": 0, "running": 0, "healthy": 0, "unhealthy": 0}
    lifetimes = []
    now = time.time()
    for instance in chosen:
        if instance.condition in ("Created", "Staging", "Starting"):
            counts["staged"] += 1
        elif instance.condition == "Running":
            counts["running"] += 1
        verdict = core.is_healthy(instance)
        if verdict is True:
            counts["healthy"] += 1
        elif verdict is False:
            counts["unhealthy"] += 1
        started = instance.started_at()
        if started:
            lifetimes.append(now - timestamps.parse(started))
    stats: dict[str, Any] = {"counts": counts}
    if lifetimes:
        stats["lifeTime"] = {
            "averageSeconds": sum(lifetimes) / len(lifetimes),
            "medianSeconds": statistics.median(lifetimes),
        }
    return {"stats": stats}


def task_stats(core: Marathon, app: dict[str, Any]) -> dict[str, Any]:
    active = core.active_instances(app["id"])
    info = app.get("versionInfo") or {}
    scaling = timestamps.parse(info["lastScalingAt"]) if info.get("lastScalingAt") else None
    config = (
        timestamps.parse(info["lastConfigChangeAt"]) if info.get("lastConfigChangeAt") else None
    )

    def version_of(i: Instance) -> float:
        return timestamps.parse(i.run_spec_version)

    groups = {"totalSummary": active}
    if scaling is not None and config is not None:
        groups["startedAfterLastScaling"] = [i for i in active if version_of(i) >= scaling]
        groups["withLatestConfig"] = [i for i in active if version_of(i) >= config]
        groups["withOutdatedConfig"] = [i for i in active if version_of(i) < config]
    out = {}
    for name, chosen in groups.items():
        stats = _stats(core, chosen)
        if stats is not None:
            out[name] = stats
    return out


# --- groups -----------------------------------------------------------------------------


def render_group_raml(group: Group) -> dict[str, Any]:
    """The RAML `Group`: apps and pods as definitions (deployment events, group versions)."""
    return {
        "id": group.id,
        "apps": [apps.render(a) for a in group.apps.values()],
        "pods": [pods.render(p) for p in group.pods.values()],
        "groups": [render_group_raml(g) for g in group.groups.values()],
        "dependencies": group.dependencies,
        "version": group.version,
    }


def group_info(
    core: Marathon, group: Group, app_embed: set[str], group_embed: set[str]
) -> dict[str, Any]:
    """GroupInfo: apps (with their embeds), pods as their status, and child groups."""
    out: dict[str, Any] = {
        "id": group.id,
        "dependencies": group.dependencies,
        "version": group.version,
    }
    if "apps" in group_embed:
        out["apps"] = [app_info(core, a, app_embed) for a in group.apps.values()]
    if "groups" in group_embed:
        out["groups"] = [group_info(core, g, app_embed, group_embed) for g in group.groups.values()]
    if "pods" in group_embed:
        out["pods"] = [pod_status(core, p) for p in group.pods.values()]
    return out


# --- pods -------------------------------------------------------------------------------


def _container_status(
    core: Marathon, pod: dict[str, Any], instance: Instance, task: Any
) -> dict[str, Any]:
    since = task.started_at or task.staged_at
    spec = next((c for c in pod["containers"] if c["name"] == task.container_name), None)
    endpoints: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    active = task.condition in (
        "Created",
        "Staging",
        "Starting",
        "Running",
        "Killing",
        "Unreachable",
    )
    if spec is not None and active:
        with_host = [e for e in spec.get("endpoints", []) if e.get("hostPort") is not None]
        endpoints = [
            {"name": e["name"], "allocatedHostPort": p}
            for e, p in zip(with_host, task.host_ports, strict=False)
        ]
        endpoints += [
            {"name": e["name"]} for e in spec.get("endpoints", []) if e.get("hostPort") is None
        ]
        check = spec.get("healthCheck")
        if check is not None:
            endpoint = (check.get("http") or check.get("tcp") or {}).get("endpoint")
            for e in endpoints:
                if e["name"] == endpoint and task.healthy is not None:
                    e["healthy"] = task.healthy
    if (
        spec is not None
        and spec.get("healthCheck") is not None
        and task.condition not in ("Created", "Staging", "Starting")
    ):
        conditions.append(
            {
                "name": "healthy",
                "lastChanged": since,
                "lastUpdated": since,
                "value": "true" if task.healthy else "false",
                "reason": "health-reported-by-mesos"
                if task.healthy is not None
                else "health-unreported-by-mesos",
            }
        )
    out: dict[str, Any] = {
        "name": task.container_name or task.task_id,
        "status": "TASK_STAGING" if task.condition == "Created" else task.state,
        "statusSince": since,
        "conditions": conditions,
        "containerId": task.task_id,
        "endpoints": endpoints,
        "lastUpdated": since,
        "lastChanged": since,
    }
    if spec is not None and active:
        out["resources"] = spec["resources"]
    return out


def pod_instance_status(core: Marathon, pod: dict[str, Any], instance: Instance) -> dict[str, Any]:
    spec = core.spec_of(instance) or pod
    containers = [_container_status(core, spec, instance, t) for t in instance.tasks.values()]
    condition = instance.condition
    message = None
    if condition in ("Created",):
        state = "PENDING"
    elif condition in ("Staging", "Starting"):
        state = "STAGING"
    elif condition in ("Unreachable", "UnreachableInactive"):
        state, message = "DEGRADED", "pod instance has become unreachable"
    elif condition == "Running":
        unhealthy = any(
            c["name"] == "healthy" and c["value"] == "false"
            for s in containers
            for c in s["conditions"]
        )
        state, message = (
            ("DEGRADED", "at least one container is not healthy") if unhealthy else ("STABLE", None)
        )
    else:
        state = "TERMINAL"
    resources = dict(spec["executorResources"])
    resources.setdefault("gpus", 0)
    for status in containers:
        for key, value in (status.get("resources") or {}).items():
            resources[key] = resources.get(key, 0) + value
    networks: dict[str | None, list[str]] = {}
    for task in instance.tasks.values():
        for ip in task.ip_addresses:
            addresses = networks.setdefault(None, [])
            if ip["ipAddress"] not in addresses:
                addresses.append(ip["ipAddress"])
    out: dict[str, Any] = {
        "id": instance.instance_id,
        "status": state,
        "statusSince": instance.since,
        "conditions": [],
        "agentHostname": instance.host,
        "agentId": instance.agent_id,
        "resources": resources,
        "networks": [
            {"addresses": a} if n is None else {"name": n, "addresses": a}
            for n, a in networks.items()
        ],
        "containers": containers,
        "specReference": f"/v2/pods{pod['id']}::versions/{instance.run_spec_version}",
        "lastUpdated": instance.since,
        "lastChanged": instance.since,
    }
    if message:
        out["message"] = message
    return out


def pod_status(core: Marathon, pod: dict[str, Any]) -> dict[str, Any]:
    now = timestamps.now()
    statuses = [pod_instance_status(core, pod, i) for i in core.instances_of(pod["id"])]
    terminating = any(pod["id"] in r.plan.deleted_ids for r in core.deployments.values())
    if terminating:
        state = "TERMINAL"
    elif sum(1 for s in statuses if s["status"] == "STABLE") >= runspecs.instances(pod):
        state = "STABLE"
    else:
        state = "DEGRADED"
    since = max((s["statusSince"] for s in statuses), default=now)
    return {
        "id": pod["id"],
        "spec": pods.render(pod),
        "status": state,
        "statusSince": since,
        "instances": statuses,
        "lastUpdated": now,
        "lastChanged": since,
    }


# --- deployments and the queue ----------------------------------------------------------


def deployment_info(run: DeploymentRun) -> dict[str, Any]:
    p = run.plan
    index = max(1, run.step_index)
    step = p.steps[index - 1] if p.steps else []
    readiness = [r.to_json() for r in run.readiness.results.values()]
    return {
        "id": p.id,
        "version": p.version,
        "affectedApps": p.affected_apps,
        "affectedPods": p.affected_pods,
        "steps": p.steps_json(),
        "currentActions": [
            {
                **a.to_json(),
                "readinessCheckResults": [
                    r
                    for r in readiness
                    if r["taskId"].startswith(a.spec_id.strip("/").replace("/", "_") + ".")
                ],
            }
            for a in step
        ],
        "currentStep": index,
        "totalSteps": len(p.steps),
    }


def queue_info(core: Marathon, embed_last_unused: bool) -> dict[str, Any]:
    items = []
    for entry in core.queue.entries.values():
        if entry.to_launch <= 0:
            continue
        left = core.queue.delay_left(entry.spec)
        item: dict[str, Any] = {
            "count": entry.to_launch,
            "delay": {"timeLeftSeconds": max(0, int(left)), "overdue": left < 0},
            "since": entry.since,
            "processedOffersSummary": entry.stats.summary(),
        }
        if embed_last_unused:
            item["lastUnusedOffers"] = [
                {
                    "offer": _offer_json(offer),
                    "reason": reasons,
                    "timestamp": stamp,
                }
                for offer, reasons, stamp in entry.stats.last_by_agent.values()
            ]
        if runspecs.is_pod(entry.spec):
            item["pod"] = pods.render(entry.spec)
        else:
            item["app"] = apps.render(entry.spec)
        items.append(item)
    return {"queue": items}


def _offer_json(offer: dict[str, Any]) -> dict[str, Any]:
    def resource(r: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": r["name"], "role": r.get("role", "*")}
        if "scalar" in r:
            out["scalar"] = r["scalar"]["value"]
        if "ranges" in r:
            out["ranges"] = r["ranges"].get("range", [])
        if "set" in r:
            out["set"] = r["set"].get("item", [])
        return out

    return {
        "id": offer["id"]["value"],
        "hostname": offer.get("hostname", ""),
        "agentId": offer["agent_id"]["value"],
        "resources": [resource(r) for r in offer.get("resources", [])],
        "attributes": [{"name": a["name"]} for a in offer.get("attributes", [])],
    }


def has_health(spec: dict[str, Any]) -> bool:
    return health.has_health_checks(spec)
