"""What dcos_install.sh and pkgpanda leave on a node (the layout packages/README.md describes)."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

MESOSPHERE = Path("/opt/mesosphere")


def test_role_file(host: Any) -> None:
    assert host.file("/etc/mesosphere/roles/master").exists


def test_config_files(expanded_config: dict[str, Any], master_hosts: list[str]) -> None:
    user = yaml.safe_load((MESOSPHERE / "etc/user.config.yaml").read_text())
    # Calculated keys are in the expanded config only, as in DC/OS.
    assert "master_quorum" not in user
    assert expanded_config["master_quorum"] == str(len(master_hosts) // 2 + 1)
    assert sorted(json.loads(expanded_config["master_list"])) == sorted(master_hosts)
    assert expanded_config["adminrouter_grpc_proxy_port"].isdigit()


def test_version_and_cluster_id() -> None:
    version = json.loads((MESOSPHERE / "etc/dcos-version.json").read_text())
    assert version["version"] and version["bootstrap-id"]
    uuid.UUID(Path("/var/lib/dcos/cluster-id").read_text().strip())


def test_packages_are_active() -> None:
    active = {p.name: os.readlink(p) for p in (MESOSPHERE / "active").iterdir()}
    for name, target in active.items():
        assert target.startswith(f"../packages/{name}--"), (name, target)
        assert (MESOSPHERE / "active" / name / "buildinfo.json").is_file()
    for name in (
        "dcos-config",
        "dcos-metadata",
        "exhibitor",
        "spartan",
        "dcos-diagnostics",
        "pkgpanda-api",
        "dcos-integration-test",
    ):
        assert name in active, name
    buildinfo = json.loads((MESOSPHERE / "active.buildinfo.full.json").read_text())
    assert set(buildinfo) == set(active)


def test_environment() -> None:
    lines = (MESOSPHERE / "environment").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert env["PATH"].startswith("/opt/mesosphere/bin:")
    # DC/OS's python3.X/site-packages, where pkgpanda links the packages' modules.
    site = f"/opt/mesosphere/lib/python3.{sys.version_info.minor}/site-packages"
    assert env["PYTHONPATH"] == site
    export = (MESOSPHERE / "environment.export").read_text()
    assert f"export PYTHONPATH={site}" in export
    assert os.path.realpath("/etc/profile.d/dcos.sh").endswith("add_dcos_path.sh")


def test_units_are_linked_into_dcos_target(host: Any) -> None:
    wants = Path("/etc/systemd/system/dcos.target.wants")
    units = sorted(p.name for p in wants.iterdir())
    assert "dcos-exhibitor.service" in units
    for unit in units:
        assert host.file(f"/etc/systemd/system/{unit}").is_file
    assert host.service("dcos.target").is_running


def test_units_verify(host: Any) -> None:
    """`systemd-analyze verify` passes for every DC/OS unit, as DC/OS's test_units.py asks."""
    units = sorted(
        str(p)
        for p in Path("/etc/systemd/system").glob("dcos-*")
        if p.suffix in (".service", ".socket", ".timer")
    )
    result = host.run("systemd-analyze verify " + " ".join(units))
    assert result.rc == 0, result.stderr


def test_detect_ip_is_this_node(host: Any, master_hosts: list[str]) -> None:
    assert host.check_output("/opt/mesosphere/bin/detect_ip") in master_hosts
