"""The master endpoints as projections of the report, with DC/OS's exact field sets.

Each function returns None when the node or unit is not in the report.
"""

from __future__ import annotations

from typing import Any

Report = dict[str, Any]
JSON = dict[str, Any]


def _help(mesos_id: str) -> str:
    return (
        f"Node available at `dcos node ssh --mesos-id {mesos_id}`. "
        "Try, `journalctl -xv` to diagnose further."
    )


def _node_fields(node: JSON) -> JSON:
    return {"host_ip": node["IP"], "health": node["Health"], "role": node["Role"]}


def _unit_fields(unit: JSON) -> JSON:
    return {
        "id": unit["UnitName"],
        "name": unit["PrettyName"],
        "health": unit["Health"],
        "description": unit["Title"],
    }


def nodes(report: Report) -> JSON:
    return {"nodes": [_node_fields(n) for n in report["Nodes"].values()]}


def node(report: Report, ip: str) -> JSON | None:
    found = report["Nodes"].get(ip)
    return _node_fields(found) if found else None


def node_units(report: Report, ip: str) -> JSON | None:
    found = report["Nodes"].get(ip)
    return {"units": [_unit_fields(u) for u in found["Units"]]} if found else None


def node_unit(report: Report, ip: str, unit_id: str) -> JSON | None:
    found = report["Nodes"].get(ip)
    unit = next((u for u in found["Units"] if u["UnitName"] == unit_id), None) if found else None
    if not found or not unit:
        return None
    return {
        "id": unit["UnitName"],
        "health": unit["Health"],
        "output": found["Output"].get(unit_id, ""),
        "description": unit["Title"],
        "help": _help(found["MesosID"]),
        "name": unit["PrettyName"],
    }


def units(report: Report) -> JSON:
    return {"units": [_unit_fields(u) for _, u in sorted(report["Units"].items())]}


def unit(report: Report, unit_id: str) -> JSON | None:
    found = report["Units"].get(unit_id)
    return _unit_fields(found) if found else None


def unit_nodes(report: Report, unit_id: str) -> JSON | None:
    found = report["Units"].get(unit_id)
    return {"nodes": [_node_fields(n) for n in found["Nodes"]]} if found else None


def unit_node(report: Report, unit_id: str, ip: str) -> JSON | None:
    found = report["Units"].get(unit_id)
    entry = next((n for n in found["Nodes"] if n["IP"] == ip), None) if found else None
    if not entry:
        return None
    return {
        **_node_fields(entry),
        "output": entry["Output"].get(unit_id, ""),
        "help": _help(entry["MesosID"]),
    }
