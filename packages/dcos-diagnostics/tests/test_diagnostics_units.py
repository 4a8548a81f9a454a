"""Unit discovery from a dcos.target.wants tree."""

from __future__ import annotations

from pathlib import Path

from dcos_diagnostics import units


def _layout(tmp_path: Path, files: dict[str, str], wanted: list[str]) -> tuple[Path, Path]:
    unit_dir = tmp_path / "system"
    wants = unit_dir / "dcos.target.wants"
    wants.mkdir(parents=True)
    for name, text in files.items():
        (unit_dir / name).write_text(text)
    for name in wanted:
        (wants / name).symlink_to(unit_dir / name)
    return wants, unit_dir


def test_wanted_units_and_the_services_their_triggers_start(tmp_path: Path) -> None:
    wants, unit_dir = _layout(tmp_path, {
        "dcos-diagnostics.socket": "[Socket]\nListenStream=1050\n",
        "dcos-diagnostics.service": "[Service]\nExecStart=/bin/true\n",
        "dcos-gen-resolvconf.timer": "[Timer]\nOnActiveSec=60\n",
        "dcos-exhibitor.service": "[Service]\nExecStart=/bin/true\n",
    }, ["dcos-diagnostics.socket", "dcos-gen-resolvconf.timer", "dcos-exhibitor.service"])
    assert units.discover(wants, unit_dir) == [
        "dcos-diagnostics.service", "dcos-diagnostics.socket", "dcos-exhibitor.service",
        "dcos-gen-resolvconf.service", "dcos-gen-resolvconf.timer",
    ]


def test_explicit_service_and_unit_keys_win(tmp_path: Path) -> None:
    wants, unit_dir = _layout(tmp_path, {
        "a.socket": "[Unit]\nService=ignored.service\n"
                    "[Socket]\n# Service=nope\nService = b.service\n",
        "c.timer": "[Timer]\nUnit=d.service\n",
    }, ["a.socket", "c.timer"])
    assert units.discover(wants, unit_dir) == ["a.socket", "b.service", "c.timer", "d.service"]


def test_accepting_sockets_have_no_single_service() -> None:
    assert units.triggered_unit("x.socket", "[Socket]\nAccept=yes\n") is None
    assert units.triggered_unit("x.service", "[Service]\n") is None


def test_install_units_are_left_out_and_dangling_links_kept(tmp_path: Path) -> None:
    wants, unit_dir = _layout(tmp_path, {"dcos-setup.service": "", "ok.service": ""},
                              ["dcos-setup.service", "ok.service"])
    (wants / "gone.socket").symlink_to(unit_dir / "gone.socket")
    assert units.discover(wants, unit_dir) == ["gone.socket", "ok.service"]


def test_no_wants_dir_means_no_units(tmp_path: Path) -> None:
    assert units.discover(tmp_path / "missing", tmp_path) == []
