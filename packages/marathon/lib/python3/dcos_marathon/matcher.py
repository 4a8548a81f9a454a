"""Matching run specs against Mesos offers: roles, constraints, resources and host ports.

A match reserves what a run spec needs from what is left of an offer and says
which host ports it got; a miss says why, with Marathon's NoOfferMatchReason
names, which `/v2/queue` reports in `processedOffersSummary`.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from typing import Any

from . import apps, pods, runspecs

# NoOfferMatchReason.reasonFunnel: when an offer fails for several reasons, the first counts.
REASON_FUNNEL = (
    "UnfulfilledRole",
    "UnfulfilledConstraint",
    "NoCorrespondingReservationFound",
    "InsufficientCpus",
    "InsufficientMemory",
    "InsufficientDisk",
    "InsufficientGpus",
    "InsufficientPorts",
)
SCALAR_REASONS = {
    "cpus": "InsufficientCpus",
    "mem": "InsufficientMemory",
    "disk": "InsufficientDisk",
    "gpus": "InsufficientGpus",
}
# --default_accepted_resource_roles as DC/OS sets it.
DEFAULT_ACCEPTED_ROLES = ("*",)


def resource_role(resource: dict[str, Any]) -> str:
    reservations = resource.get("reservations") or []
    if reservations:
        return str(reservations[-1].get("role", "*"))
    return str(resource.get("role") or "*")


@dataclass
class Placed:
    """Where an instance runs, for constraints."""

    hostname: str
    attributes: dict[str, str]


def attribute_value(attribute: dict[str, Any]) -> str:
    """Marathon's string form of a Mesos attribute (Constraints.getValueString)."""
    kind = attribute.get("type")
    if kind == "SCALAR":
        number = float(attribute["scalar"]["value"])
        return str(int(number)) if number.is_integer() else f"{number:g}"
    if kind == "RANGES":
        ranges = sorted(attribute.get("ranges", {}).get("range", []), key=lambda r: r["begin"])
        return "[" + ",".join(f"{r['begin']}-{r['end']}" for r in ranges) + "]"
    if kind == "SET":
        return "{" + ",".join(sorted(attribute.get("set", {}).get("item", []))) + "}"
    return str((attribute.get("text") or {}).get("value", ""))


def offer_attributes(offer: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: attribute_value(a) for a in offer.get("attributes", [])}


def _full_match(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


def meets_constraint(
    constraint: list[str], hostname: str, attributes: dict[str, str], placed: list[Placed]
) -> bool:
    """Constraints.meetsConstraint for one app-style constraint triple."""
    field_name, operator = constraint[0], constraint[1].upper()
    value = constraint[2] if len(constraint) > 2 else ""
    if field_name == "hostname":
        offer_value: str | None = hostname

        def group(p: Placed) -> str | None:
            return p.hostname
    else:
        offer_value = attributes.get(field_name)

        def group(p: Placed) -> str | None:
            return p.attributes.get(field_name)

        if offer_value is None:
            return operator == "UNLIKE"
    assert offer_value is not None
    if operator == "LIKE":
        return bool(value) and _full_match(value, offer_value)
    if operator == "UNLIKE":
        return bool(value) and not _full_match(value, offer_value)
    if operator == "UNIQUE":
        return all(group(p) != offer_value for p in placed)
    if operator == "CLUSTER":
        return (not value or value == offer_value) and all(group(p) == offer_value for p in placed)
    counts: dict[str | None, int] = {}
    for p in placed:
        counts[group(p)] = counts.get(group(p), 0) + 1
    if operator == "GROUP_BY":
        minimum = max(0, _int_or(value, 0))
        if offer_value not in counts:
            return True
        return len(counts) >= minimum and counts[offer_value] == min(counts.values())
    if operator == "MAX_PER":
        return counts.get(offer_value, 0) < _int_or(value, 0)
    return False


def _int_or(text: str, default: int) -> int:
    if text == "inf":
        return 2**31 - 1
    try:
        return int(text)
    except ValueError:
        return default


@dataclass
class Pool:
    """What is left of one offer, resource by resource (copies of the offer's entries)."""

    resources: list[dict[str, Any]]

    @classmethod
    def of(cls, offer: dict[str, Any]) -> Pool:
        # Reserved resources first, as Marathon prefers them.
        entries = sorted(
            copy.deepcopy(offer.get("resources", [])), key=lambda r: resource_role(r) == "*"
        )
        return cls(entries)

    def has_role(self, roles: tuple[str, ...]) -> bool:
        return any(resource_role(r) in roles for r in self.resources)

    def scalar(self, name: str, roles: tuple[str, ...]) -> float:
        return sum(
            float(r["scalar"]["value"])
            for r in self.resources
            if r["name"] == name
            and r.get("type", "SCALAR") == "SCALAR"
            and resource_role(r) in roles
        )

    def take_scalar(self, name: str, amount: float, roles: tuple[str, ...]) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        left = round(amount, 6)
        for r in self.resources:
            if left <= 1e-9:
                break
            if r["name"] != name or resource_role(r) not in roles or "scalar" not in r:
                continue
            have = float(r["scalar"]["value"])
            use = min(have, left)
            if use <= 1e-9:
                continue
            piece = copy.deepcopy(r)
            piece["scalar"] = {"value": round(use, 6)}
            taken.append(piece)
            r["scalar"]["value"] = round(have - use, 6)
            left = round(left - use, 6)
        return taken

    def free_ports(self, roles: tuple[str, ...]) -> list[tuple[int, str]]:
        out = []
        for r in self.resources:
            if r["name"] == "ports" and resource_role(r) in roles:
                for span in (r.get("ranges") or {}).get("range", []):
                    out += [
                        (p, resource_role(r))
                        for p in range(int(span["begin"]), int(span["end"]) + 1)
                    ]
        return out

    def take_ports(self, ports: list[int], roles: tuple[str, ...]) -> list[dict[str, Any]]:
        """Remove `ports` from the pool; the Mesos resources that hold them."""
        taken: list[dict[str, Any]] = []
        for port in ports:
            for r in self.resources:
                if r["name"] != "ports" or resource_role(r) not in roles:
                    continue
                spans = (r.get("ranges") or {}).get("range", [])
                for i, span in enumerate(spans):
                    if int(span["begin"]) <= port <= int(span["end"]):
                        rest = []
                        if port > int(span["begin"]):
                            rest.append({"begin": int(span["begin"]), "end": port - 1})
                        if port < int(span["end"]):
                            rest.append({"begin": port + 1, "end": int(span["end"])})
                        spans[i : i + 1] = rest
                        piece = copy.deepcopy(r)
                        piece["ranges"] = {"range": [{"begin": port, "end": port}]}
                        taken.append(piece)
                        break
                else:
                    continue
                break
        return _merge_port_resources(taken)


def _merge_port_resources(pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_role: dict[str, dict[str, Any]] = {}
    for piece in pieces:
        role = resource_role(piece)
        if role in by_role:
            by_role[role]["ranges"]["range"] += piece["ranges"]["range"]
        else:
            by_role[role] = piece
    return list(by_role.values())


@dataclass
class Match:
    resources: list[dict[str, Any]]  # an app task's; for a pod, the executor's
    host_ports: list[int | None]  # one per port request; None where none was asked for
    container_resources: list[list[dict[str, Any]]] = field(default_factory=list)  # pods


@dataclass
class Miss:
    reasons: list[str]

    @property
    def funnel_reason(self) -> str:
        return min(self.reasons, key=REASON_FUNNEL.index)


def requirements(spec: dict[str, Any]) -> dict[str, float]:
    if runspecs.is_pod(spec):
        total = {"cpus": 0.0, "mem": 0.0, "disk": 0.0, "gpus": 0.0}
        for c in spec["containers"]:
            for name in total:
                total[name] += float(c["resources"].get(name, 0))
        for name, amount in spec["executorResources"].items():
            total[name] = total.get(name, 0.0) + float(amount)
        return total
    return {
        "cpus": spec["cpus"],
        "mem": spec["mem"],
        "disk": spec["disk"],
        "gpus": float(spec["gpus"]),
    }


def port_requests(spec: dict[str, Any]) -> list[int | None]:
    if runspecs.is_pod(spec):
        return pods.host_port_requests(spec)
    return apps.host_port_requests(spec)


def match(
    spec: dict[str, Any],
    offer: dict[str, Any],
    pool: Pool,
    placed: list[Placed],
    rng: random.Random | None = None,
) -> Match | Miss:
    """Reserve what `spec` needs from `pool` (only on success), or say why it cannot."""
    roles = tuple(runspecs.accepted_roles(spec) or DEFAULT_ACCEPTED_ROLES)
    reasons: list[str] = []
    if not pool.has_role(roles):
        reasons.append("UnfulfilledRole")
    attributes = offer_attributes(offer)
    hostname = str(offer.get("hostname", ""))
    if not all(
        meets_constraint(c, hostname, attributes, placed) for c in runspecs.constraints(spec)
    ):
        reasons.append("UnfulfilledConstraint")
    needed = requirements(spec)
    for name, amount in needed.items():
        if amount > 0 and pool.scalar(name, roles) + 1e-9 < amount:
            reasons.append(SCALAR_REASONS.get(name, "InsufficientCpus"))
    requests = port_requests(spec)
    chosen = _choose_ports(requests, pool.free_ports(roles), rng or random.Random())
    if chosen is None:
        reasons.append("InsufficientPorts")
    if reasons:
        return Miss(reasons)
    assert chosen is not None
    taken: list[dict[str, Any]] = []
    if runspecs.is_pod(spec):
        for name, amount in spec["executorResources"].items():
            if amount > 0:
                taken += pool.take_scalar(name, float(amount), roles)
        taken += pool.take_ports([p for p in chosen if p is not None], roles)
        per_container = []
        for container in spec["containers"]:
            mine: list[dict[str, Any]] = []
            for name in ("cpus", "mem", "disk", "gpus"):
                amount = float(container["resources"].get(name, 0))
                if amount > 0:
                    mine += pool.take_scalar(name, amount, roles)
            per_container.append(mine)
        return Match(taken, chosen, per_container)
    for name, amount in needed.items():
        if amount > 0:
            taken += pool.take_scalar(name, amount, roles)
    taken += pool.take_ports([p for p in chosen if p is not None], roles)
    return Match(taken, chosen)


def _choose_ports(
    requests: list[int | None], free: list[tuple[int, str]], rng: random.Random
) -> list[int | None] | None:
    available = {p for p, _ in free}
    fixed = [r for r in requests if r]
    if any(p not in available for p in fixed) or len(set(fixed)) != len(fixed):
        return None
    dynamic = sorted(available - set(fixed))
    wanted = sum(1 for r in requests if r == 0)
    if wanted > len(dynamic):
        return None
    picks = iter(rng.sample(dynamic, wanted))
    return [None if r is None else (r if r else next(picks)) for r in requests]
