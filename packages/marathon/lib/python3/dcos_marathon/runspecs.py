"""What apps and pods share: instances, versions, and when a change needs a restart."""

from __future__ import annotations

import copy
from typing import Any


def is_pod(spec: dict[str, Any]) -> bool:
    return "containers" in spec


def instances(spec: dict[str, Any]) -> int:
    if is_pod(spec):
        return int((spec.get("scaling") or {}).get("instances", 1))
    return int(spec["instances"])


def with_instances(spec: dict[str, Any], count: int) -> dict[str, Any]:
    result = copy.deepcopy(spec)
    if is_pod(result):
        result["scaling"] = {"kind": "fixed", "instances": count}
    else:
        result["instances"] = count
    return result


def config_of(spec: dict[str, Any]) -> dict[str, Any]:
    """Everything that shapes the tasks (not the count, nor the version stamps)."""
    config = {k: v for k, v in spec.items() if k not in ("instances", "version", "versionInfo")}
    if is_pod(spec):
        config.pop("scaling", None)
    return config


def is_upgrade(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return config_of(old) != config_of(new)


def is_only_scale_change(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return not is_upgrade(old, new) and instances(old) != instances(new)


def needs_restart(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return old.get("versionInfo") != new.get("versionInfo") or is_upgrade(old, new)


def upgrade_strategy(spec: dict[str, Any]) -> dict[str, float]:
    if is_pod(spec):
        upgrade = (spec.get("scheduling") or {}).get("upgrade") or {}
        return {
            "minimumHealthCapacity": upgrade.get("minimumHealthCapacity", 1.0),
            "maximumOverCapacity": upgrade.get("maximumOverCapacity", 1.0),
        }
    return dict(spec["upgradeStrategy"])


def backoff(spec: dict[str, Any]) -> tuple[float, float, float]:
    """(initial seconds, factor, maximum seconds)."""
    if is_pod(spec):
        b = (spec.get("scheduling") or {}).get("backoff") or {}
        return (
            b.get("backoff", 1.0),
            b.get("backoffFactor", 1.15),
            b.get("maxLaunchDelay", 3600.0),
        )
    return (spec["backoffSeconds"], spec["backoffFactor"], spec["maxLaunchDelaySeconds"])


def kill_selection(spec: dict[str, Any]) -> str:
    if is_pod(spec):
        return str((spec.get("scheduling") or {}).get("killSelection") or "YOUNGEST_FIRST")
    return str(spec.get("killSelection", "YOUNGEST_FIRST"))


def unreachable_strategy(spec: dict[str, Any]) -> Any:
    if is_pod(spec):
        return (spec.get("scheduling") or {}).get("unreachableStrategy") or {
            "inactiveAfterSeconds": 0,
            "expungeAfterSeconds": 0,
        }
    return spec.get("unreachableStrategy")


def constraints(spec: dict[str, Any]) -> list[list[str]]:
    """Constraints as app-style triples (pods declare `{fieldName, operator, value}`)."""
    if is_pod(spec):
        placement = (spec.get("scheduling") or {}).get("placement") or {}
        return [
            [c["fieldName"], c["operator"]] + ([c["value"]] if c.get("value") is not None else [])
            for c in placement.get("constraints", [])
        ]
    return list(spec.get("constraints", []))


def accepted_roles(spec: dict[str, Any]) -> list[str] | None:
    if is_pod(spec):
        placement = (spec.get("scheduling") or {}).get("placement") or {}
        return list(placement.get("acceptedResourceRoles") or []) or None
    return spec.get("acceptedResourceRoles")
