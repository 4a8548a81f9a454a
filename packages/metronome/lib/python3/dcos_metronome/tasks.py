"""From a queued run and an offer to a Mesos TaskInfo, as Metronome (on Marathon 1.3) builds it.

A run is launched as one task of a Marathon-style app whose id is the run's
path (`/prod/backup/20171201120000aB3dE`): task id `prod_backup_<run>.<uuid>`,
task name `<run>.backup.prod`, the command executor (`cmd` through
`/bin/sh -c`, or `args` without a shell), a Docker container with host
networking when `run.docker` is set, the run's `env` with Marathon's task
variables, `artifacts` as fetcher URIs, `labels`, `user`, and a kill grace
period from `taskKillGracePeriodSeconds`.

Placement constraints: `EQ` (Marathon's CLUSTER), `LIKE` and `UNLIKE`
(regular expressions matching the whole value) on `hostname` or an agent
attribute.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from dcos_metronome import model
from dcos_metronome.runs import task_id_prefix

# Marathon's AppDefinition.VersionInfo.NoVersion, which Metronome's runs carry.
APP_VERSION = "1970-01-01T00:00:00.000Z"
SCALARS = ("cpus", "mem", "disk")


@dataclass
class OfferSpace:
    """What is left of one offer while tasks are placed on it."""

    offer: dict[str, Any]
    free: dict[str, float]
    task_infos: list[dict[str, Any]]

    @classmethod
    def of(cls, offer: dict[str, Any]) -> OfferSpace:
        free = dict.fromkeys(SCALARS, 0.0)
        for resource in offer.get("resources", []):
            if resource.get("name") in free and resource.get("type", "SCALAR") == "SCALAR":
                free[resource["name"]] += float(resource.get("scalar", {}).get("value", 0.0))
        return cls(offer, free, [])

    def fits(self, run: model.JobRun) -> bool:
        spec = run.job.run
        return all(self.free[name] + 1e-9 >= float(spec[name]) for name in SCALARS) and (
            placement_allows(spec["placement"]["constraints"], self.offer)
        )

    def take(self, run: model.JobRun) -> dict[str, Any]:
        """Place `run`'s task on this offer; returns its TaskInfo."""
        resources = []
        for name in SCALARS:
            wanted = float(run.job.run[name])
            if wanted > 0:
                resources += self._take_scalar(name, wanted)
        info = task_info(run, self.offer, resources)
        self.task_infos.append(info)
        return info

    def _take_scalar(self, name: str, wanted: float) -> list[dict[str, Any]]:
        """`wanted` of a scalar from the offer's resources of that name, in offer order."""
        taken = []
        for resource in self.offer.get("resources", []):
            if wanted <= 1e-9:
                break
            if resource.get("name") != name:
                continue
            available = float(resource.get("scalar", {}).get("value", 0.0))
            used = sum(
                float(r["scalar"]["value"])
                for info in self.task_infos
                for r in info["resources"]
                if r["name"] == name and _same_pool(r, resource)
            )
            amount = min(wanted, available - used)
            if amount <= 1e-9:
                continue
            piece = {k: v for k, v in resource.items() if k not in ("scalar", "ranges", "set")}
            piece["scalar"] = {"value": round(amount, 6)}
            taken.append(piece)
            wanted -= amount
        self.free[name] -= sum(p["scalar"]["value"] for p in taken)
        return taken


def _same_pool(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("role", "reservation", "reservations", "allocation_info", "disk")
    return all(a.get(k) == b.get(k) for k in keys)


def attribute_value(offer: dict[str, Any], name: str) -> str | None:
    """An offer's attribute (or `hostname`) as constraints compare it."""
    if name == "hostname":
        return str(offer.get("hostname", ""))
    for attribute in offer.get("attributes", []):
        if attribute.get("name") != name:
            continue
        kind = attribute.get("type")
        if kind == "TEXT":
            return str(attribute["text"]["value"])
        if kind == "SCALAR":
            value = float(attribute["scalar"]["value"])
            return str(int(value)) if value.is_integer() else str(value)
        if kind == "RANGES":
            return ",".join(
                f"[{r['begin']}-{r['end']}]" for r in attribute["ranges"].get("range", [])
            )
        if kind == "SET":
            return "{" + ",".join(attribute["set"].get("item", [])) + "}"
    return None


def placement_allows(constraints: list[dict[str, Any]], offer: dict[str, Any]) -> bool:
    for constraint in constraints:
        actual = attribute_value(offer, constraint["attribute"])
        operator = constraint["operator"]
        expected = constraint.get("value", "")
        if operator == "EQ":
            ok = actual is not None and actual == expected
        elif operator == "LIKE":
            ok = actual is not None and re.fullmatch(expected, actual) is not None
        else:  # UNLIKE
            ok = actual is None or re.fullmatch(expected, actual) is None
        if not ok:
            return False
    return True


def app_path(run: model.JobRun) -> str:
    return "/" + "/".join([*run.job_id.split("."), run.id])


def task_name(run: model.JobRun) -> str:
    """Marathon's `PathId.toHostname`: the path's names reversed, joined by dots."""
    return ".".join(reversed([*run.job_id.split("."), run.id]))


def task_info(
    run: model.JobRun, offer: dict[str, Any], resources: list[dict[str, Any]]
) -> dict[str, Any]:
    spec = run.job.run
    task_id = f"{task_id_prefix(run)}.{uuid.uuid4()}"
    info: dict[str, Any] = {
        "name": task_name(run),
        "task_id": {"value": task_id},
        "agent_id": offer["agent_id"],
        "resources": resources,
        "command": _command(run, offer, task_id),
    }
    if "docker" in spec:
        info["container"] = {
            "type": "DOCKER",
            "docker": {
                "image": spec["docker"]["image"],
                "network": "HOST",
                "force_pull_image": spec["docker"]["forcePullImage"],
            },
            "volumes": [
                {
                    "container_path": v["containerPath"],
                    "host_path": v["hostPath"],
                    "mode": v["mode"],
                }
                for v in spec["volumes"]
            ],
        }
    if run.job.labels:
        info["labels"] = {
            "labels": [{"key": k, "value": v} for k, v in sorted(run.job.labels.items())]
        }
    grace = spec.get("taskKillGracePeriodSeconds")
    if grace is not None:
        info["kill_policy"] = {"grace_period": {"nanoseconds": int(grace) * 1_000_000_000}}
    return info


def _command(run: model.JobRun, offer: dict[str, Any], task_id: str) -> dict[str, Any]:
    spec = run.job.run
    command: dict[str, Any] = {}
    if "cmd" in spec:
        command["shell"] = True
        command["value"] = spec["cmd"]
    elif "args" in spec:
        command["shell"] = False
        command["arguments"] = list(spec["args"])
        if "docker" not in spec and spec["args"]:
            command["value"] = spec["args"][0]
    else:
        command["shell"] = False  # the image's entrypoint
    variables = {**task_environment(run, offer, task_id), **spec["env"]}
    command["environment"] = {
        "variables": [{"name": k, "value": str(v)} for k, v in variables.items()]
    }
    if spec["artifacts"]:
        command["uris"] = [
            {
                "value": a["uri"],
                "executable": a["executable"],
                "extract": a["extract"],
                "cache": a["cache"],
            }
            for a in spec["artifacts"]
        ]
    if "user" in spec:
        command["user"] = spec["user"]
    return command


def task_environment(run: model.JobRun, offer: dict[str, Any], task_id: str) -> dict[str, str]:
    """The variables Marathon gives every task (Metronome's tasks get them too)."""
    spec = run.job.run
    env = {
        "MESOS_TASK_ID": task_id,
        "MARATHON_APP_ID": app_path(run),
        "MARATHON_APP_VERSION": APP_VERSION,
        "MARATHON_APP_RESOURCE_CPUS": str(spec["cpus"]),
        "MARATHON_APP_RESOURCE_MEM": str(spec["mem"]),
        "MARATHON_APP_RESOURCE_DISK": str(spec["disk"]),
        "MARATHON_APP_RESOURCE_GPUS": "0",
        "MARATHON_APP_LABELS": " ".join(sorted(run.job.labels)),
        "HOST": str(offer.get("hostname", "")),
    }
    if "docker" in spec:
        env["MARATHON_APP_DOCKER_IMAGE"] = spec["docker"]["image"]
    for key, value in run.job.labels.items():
        name = re.sub(r"[^A-Za-z0-9_]", "_", key).upper()
        env[f"MARATHON_APP_LABEL_{name}"] = value
    return env
