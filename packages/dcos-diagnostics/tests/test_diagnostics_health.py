"""Shaping a node's /system/health/v1 entries from systemd state."""

from __future__ import annotations

from pathlib import Path

from dcos_diagnostics import health
from dcos_internal_utils.systemd import UnitState

UNIT_FIELDS = {"id", "health", "output", "description", "help", "name"}


def _state(**kw: str) -> UnitState:
    base = dict(
        id="dcos-epmd.service",
        description="DC/OS EPMD: Erlang port mapper",
        documentation="",
        load_state="loaded",
        active_state="active",
        sub_state="running",
        result="success",
        type="simple",
        triggered_by="",
    )
    base.update(kw)
    return UnitState(**base)


def test_healthy_unit() -> None:
    entry = health.unit_entry(_state())
    assert set(entry) == UNIT_FIELDS
    assert entry == {
        "id": "dcos-epmd.service",
        "health": 0,
        "output": "",
        "description": "Erlang port mapper",
        "help": "",
        "name": "DC/OS EPMD",
    }


def test_unhealthy_unit_explains_itself() -> None:
    entry = health.unit_entry(
        _state(active_state="failed", sub_state="failed", result="exit-code"), journal="boom"
    )
    assert entry["health"] == 1
    assert "failed" in entry["output"] and entry["output"].endswith("boom")


def test_stopped_service_is_unhealthy_but_idle_socket_service_is_not() -> None:
    assert health.unit_entry(_state(active_state="inactive", sub_state="dead"))["health"] == 1
    idle = _state(active_state="inactive", sub_state="dead", triggered_by="x.socket")
    assert health.unit_entry(idle)["health"] == 0


def test_description_split() -> None:
    assert health.split_description("Pkgpanda API: serves packages", "u") == (
        "Pkgpanda API",
        "serves packages",
    )
    # No single ": " separator: the unit ID names it, so `name` is never empty.
    assert health.split_description("a: b: c", "u.service") == ("u.service", "a: b: c")
    assert health.split_description("", "u.service") == ("u.service", "u.service")


def test_reported_version_is_the_package_version() -> None:
    import json

    from dcos_diagnostics import __version__

    buildinfo = json.loads((Path(__file__).parents[1] / "buildinfo.json").read_text())
    assert __version__ == buildinfo["version"]
