"""Unit discovery from a dcos.target.wants tree."""

from __future__ import annotations

from pathlib import Path

from dcos_diagnostics import units


def _wants(tmp_path: Path, wanted: list[str]) -> Path:
    unit_dir = tmp_path / "system"
    wants = unit_dir / "dcos.target.wants"
    wants.mkdir(parents=True)
    for name in wanted:
        (unit_dir / name).write_text("[Unit]\n")
        (wants / name).symlink_to(unit_dir / name)
    return wants


def test_exactly_the_wanted_units(tmp_path: Path) -> None:
    """As DC/OS's diagnostics: a timer's service that is not wanted is not reported."""
    wants = _wants(
        tmp_path,
        [
            "dcos-signal.timer",
            "dcos-log-agent.socket",
            "dcos-log-agent.service",
            "dcos-exhibitor.service",
        ],
    )
    (tmp_path / "system/dcos-signal.service").write_text("[Service]\n")
    assert units.discover(wants) == [
        "dcos-exhibitor.service",
        "dcos-log-agent.service",
        "dcos-log-agent.socket",
        "dcos-signal.timer",
    ]


def test_install_units_are_left_out_and_dangling_links_kept(tmp_path: Path) -> None:
    wants = _wants(tmp_path, ["dcos-setup.service", "ok.service"])
    (wants / "gone.socket").symlink_to(tmp_path / "system/gone.socket")
    assert units.discover(wants) == ["gone.socket", "ok.service"]


def test_no_wants_dir_means_no_units(tmp_path: Path) -> None:
    assert units.discover(tmp_path / "missing") == []
