"""Mesos resources: scalars (cpus, mem, disk, gpus) and ranges (ports), per reservation role.

Resources travel as Mesos's v1 JSON (`{"name": "cpus", "type": "SCALAR",
"scalar": {"value": 1}, "role": "*"}`); inside the master and agent they are a
`Resources` value that adds, subtracts and compares. The v0 endpoints show
them summed by name (`{"cpus": 1, "mem": 128, "ports": "[31000-32000]"}`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Range = tuple[int, int]
SCALAR_NAMES = ("cpus", "gpus", "mem", "disk")
EPSILON = 1e-6

# DC/OS's agent port ranges: every port but those its own services use.
DCOS_PORTS = "[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]"


def _merge(ranges: Iterable[Range]) -> list[Range]:
    out: list[Range] = []
    for begin, end in sorted(ranges):
        if out and begin <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((begin, end))
    return out


def _subtract(ranges: list[Range], remove: list[Range]) -> list[Range]:
    out: list[Range] = []
    for begin, end in ranges:
        pieces = [(begin, end)]
        for rb, re_ in remove:
            nxt = []
            for b, e in pieces:
                if re_ < b or rb > e:
                    nxt.append((b, e))
                    continue
                if b < rb:
                    nxt.append((b, rb - 1))
                if re_ < e:
                    nxt.append((re_ + 1, e))
            pieces = nxt
        out.extend(pieces)
    return _merge(out)


def _contains(ranges: list[Range], sub: list[Range]) -> bool:
    return not _subtract(sub, ranges)


def parse_ranges(text: str) -> list[Range]:
    """`[31000-32000, 5000-5000]` (Mesos's text form) as merged ranges."""
    text = text.strip().strip("[]")
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        begin, _, end = part.partition("-")
        out.append((int(begin), int(end or begin)))
    return _merge(out)


def format_ranges(ranges: list[Range]) -> str:
    return "[" + ", ".join(f"{b}-{e}" for b, e in ranges) + "]"


@dataclass(frozen=True)
class Key:
    name: str
    role: str = "*"


class Resources:
    """A bag of resources: scalars and port ranges, each under its reservation role."""

    def __init__(self) -> None:
        self.scalars: dict[Key, float] = {}
        self.ranges: dict[Key, list[Range]] = {}

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_v1(cls, items: Iterable[dict[str, Any]] | None) -> Resources:
        res = cls()
        for item in items or []:
            role = item.get("role") or "*"
            reservations = item.get("reservations") or []
            if reservations:
                role = reservations[-1].get("role", role)
            key = Key(item["name"], role)
            kind = item.get("type", "SCALAR")
            if kind == "SCALAR":
                res.scalars[key] = res.scalars.get(key, 0.0) + float(item["scalar"]["value"])
            elif kind == "RANGES":
                new = [(int(r["begin"]), int(r["end"])) for r in item["ranges"].get("range", [])]
                res.ranges[key] = _merge(res.ranges.get(key, []) + new)
        return res

    @classmethod
    def parse(cls, text: str, role: str = "*") -> Resources:
        """Mesos's `--resources` text: `cpus:2;mem:1024;ports:[31000-32000]`."""
        res = cls()
        for part in filter(None, (p.strip() for p in text.split(";"))):
            name, _, value = part.partition(":")
            key_role = role
            if "(" in name:
                name, _, key_role = name.partition("(")
                key_role = key_role.rstrip(")")
            if value.strip().startswith("["):
                res.ranges[Key(name, key_role)] = parse_ranges(value)
            else:
                res.scalars[Key(name, key_role)] = float(value)
        return res

    def copy(self) -> Resources:
        res = Resources()
        res.scalars = dict(self.scalars)
        res.ranges = {k: list(v) for k, v in self.ranges.items()}
        return res

    # -- arithmetic -------------------------------------------------------------

    def __add__(self, other: Resources) -> Resources:
        res = self.copy()
        for key, value in other.scalars.items():
            res.scalars[key] = res.scalars.get(key, 0.0) + value
        for key, ranges in other.ranges.items():
            res.ranges[key] = _merge(res.ranges.get(key, []) + ranges)
        return res

    def __sub__(self, other: Resources) -> Resources:
        res = self.copy()
        for key, value in other.scalars.items():
            left = res.scalars.get(key, 0.0) - value
            if left > EPSILON:
                res.scalars[key] = round(left, 6)
            else:
                res.scalars.pop(key, None)
        for key, ranges in other.ranges.items():
            left_ranges = _subtract(res.ranges.get(key, []), ranges)
            if left_ranges:
                res.ranges[key] = left_ranges
            else:
                res.ranges.pop(key, None)
        return res

    def contains(self, other: Resources) -> bool:
        for key, value in other.scalars.items():
            if self.scalars.get(key, 0.0) + EPSILON < value:
                return False
        return all(_contains(self.ranges.get(k, []), r) for k, r in other.ranges.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resources) and self.contains(other) and other.contains(self)

    def empty(self) -> bool:
        return not any(v > EPSILON for v in self.scalars.values()) and not any(self.ranges.values())

    def for_roles(self, roles: Iterable[str]) -> Resources:
        """The part usable by frameworks of these roles: unreserved plus their reservations."""
        wanted = {"*", *roles}
        res = Resources()
        res.scalars = {k: v for k, v in self.scalars.items() if k.role in wanted}
        res.ranges = {k: list(v) for k, v in self.ranges.items() if k.role in wanted}
        return res

    def of_role(self, role: str) -> Resources:
        res = Resources()
        res.scalars = {k: v for k, v in self.scalars.items() if k.role == role}
        res.ranges = {k: list(v) for k, v in self.ranges.items() if k.role == role}
        return res

    def unreserved(self) -> Resources:
        return self.of_role("*")

    def reservations(self) -> dict[str, Resources]:
        roles = {k.role for k in (*self.scalars, *self.ranges) if k.role != "*"}
        return {role: self.of_role(role) for role in sorted(roles)}

    def scalar(self, name: str) -> float:
        return sum(v for k, v in self.scalars.items() if k.name == name)

    def port_ranges(self) -> list[Range]:
        return _merge(r for k, rs in self.ranges.items() if k.name == "ports" for r in rs)

    def ports(self) -> Iterator[int]:
        for begin, end in self.port_ranges():
            yield from range(begin, end + 1)

    # -- rendering --------------------------------------------------------------

    def to_v1(self, allocation_role: str | None = None) -> list[dict[str, Any]]:
        """Mesos's v1 JSON list, with `allocation_info` when allocated to a role."""
        out: list[dict[str, Any]] = []
        for key in sorted(self.scalars, key=lambda k: (k.name, k.role)):
            out.append(
                {
                    "name": key.name,
                    "type": "SCALAR",
                    "scalar": {"value": _num(self.scalars[key])},
                    "role": key.role,
                }
            )
        for key in sorted(self.ranges, key=lambda k: (k.name, k.role)):
            out.append(
                {
                    "name": key.name,
                    "type": "RANGES",
                    "ranges": {"range": [{"begin": b, "end": e} for b, e in self.ranges[key]]},
                    "role": key.role,
                }
            )
        if allocation_role is not None:
            for item in out:
                item["allocation_info"] = {"role": allocation_role}
        return out

    def to_v0(self) -> dict[str, Any]:
        """The v0 endpoints' summary: scalars summed by name (always cpus, gpus, mem, disk)."""
        summary: dict[str, Any] = {name: 0.0 for name in SCALAR_NAMES}
        for key, value in self.scalars.items():
            summary[key.name] = _num(summary.get(key.name, 0.0) + value)
        ranges: dict[str, list[Range]] = {}
        for key, spans in self.ranges.items():
            ranges[key.name] = _merge(ranges.get(key.name, []) + spans)
        for name, merged in ranges.items():
            summary[name] = format_ranges(merged)
        return summary

    def __repr__(self) -> str:
        return f"Resources({self.to_v0()})"


def _num(value: float) -> float:
    return round(value, 6)


def subset_for_request(
    available: Resources, cpus: float, mem: float, disk: float, ports: int, role: str
) -> Resources | None:
    """Pick resources for a simple request (mesos-execute, tests): None if it does not fit."""
    pick = Resources()
    for name, amount in (("cpus", cpus), ("mem", mem), ("disk", disk)):
        if amount <= 0:
            continue
        for key, value in sorted(available.scalars.items(), key=lambda kv: kv[0].role == "*"):
            if key.name == name and key.role in ("*", role) and value + EPSILON >= amount:
                pick.scalars[key] = amount
                break
        else:
            return None
    if ports:
        chosen: list[int] = []
        for key, ranges in available.ranges.items():
            if key.name != "ports" or key.role not in ("*", role):
                continue
            for begin, end in ranges:
                for port in range(begin, end + 1):
                    chosen.append(port)
                    pick.ranges.setdefault(key, []).append((port, port))
                    if len(chosen) == ports:
                        break
                if len(chosen) == ports:
                    break
        if len(chosen) < ports:
            return None
    return pick
