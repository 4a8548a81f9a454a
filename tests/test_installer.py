"""The installer contract, on the installer this project builds (no engine needed)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from minidcos.errors import ConfigError, UsageError
from minidcos.installer import build, packages
from minidcos.installer import install as run


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("installer") / "dcos_generate_config.sh")


def _workspace(tmp_path: Path, **change: object) -> Path:
    config = {**run.base_config(["172.28.0.2"], ["172.28.0.3"], []), **change}
    run.write_genconf(tmp_path, config, None)
    return tmp_path


def test_version_is_json(installer: Path, tmp_path: Path) -> None:
    proc = run.run_installer(installer, tmp_path, "--version")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["version"] == "1.10.11-minidcos"


def test_help(installer: Path, tmp_path: Path) -> None:
    proc = run.run_installer(installer, tmp_path, "--help")
    assert proc.returncode == 0 and "--genconf" in proc.stdout


def test_validate_config_prints_every_problem_and_exits_1(installer: Path, tmp_path: Path) -> None:
    _workspace(tmp_path, master_list=["172.28.0.2", "172.28.0.3"], oauth_enabled="maybe")
    proc = run.run_installer(installer, tmp_path, "--validate-config")
    assert proc.returncode == 1
    assert "master_list: Must have 1, 3, 5, 7, or 9 masters. Found 2" in proc.stderr
    assert "oauth_enabled: Must be one of 'true', 'false'. Got 'maybe'." in proc.stderr


def test_genconf_failure_is_a_config_error(installer: Path, tmp_path: Path) -> None:
    _workspace(tmp_path, resolvers=["198.51.100.2"])
    with pytest.raises(ConfigError) as info:
        run.genconf(installer, tmp_path)
    assert info.value.messages == ["resolvers: Spartan addresses found in resolvers: 198.51.100.2"]


def test_genconf_writes_the_serve_dir(installer: Path, tmp_path: Path) -> None:
    _workspace(tmp_path, unknown_key=1)
    warnings = run.genconf(installer, tmp_path)
    assert warnings == ["unknown_key: unrecognized config key; it is ignored (check its spelling)"]
    serve = tmp_path / "genconf" / "serve"
    bootstrap_id = (serve / "bootstrap.latest").read_text().strip()
    list_id = (serve / "cluster-package-list.latest").read_text().strip()
    assert (serve / "dcos_install.sh").stat().st_mode & 0o111
    assert (serve / "bootstrap" / f"{bootstrap_id}.bootstrap.tar.xz").is_file()
    assert json.loads((serve / "bootstrap" / f"{bootstrap_id}.active.json").read_text())
    package_ids = json.loads((serve / "package_lists" / f"{list_id}.package_list.json").read_text())
    info = json.loads((serve / "cluster-package-info.json").read_text())
    assert sorted(i["id"] for i in info.values()) == sorted(package_ids)
    for name in ("dcos-config", "dcos-metadata", "pkgpanda", "dcos-integration-test"):
        assert (serve / info[name]["filename"]).is_file(), name
    assert info["dcos-config"]["id"].startswith("dcos-config--setup_")
    # As DC/OS 1.10 lays them out: the config files in dcos-config, the version in
    # dcos-metadata, each package adding its variables to the node's environment.
    with tarfile.open(serve / info["dcos-config"]["filename"]) as tar:
        expanded = json.load(tar.extractfile("etc/expanded.config.json"))  # type: ignore[arg-type]
        user = yaml.safe_load(tar.extractfile("etc/user.config.yaml"))  # type: ignore[arg-type]
        full = tar.getmember("etc/expanded.config.full.json")
        config_info = json.load(tar.extractfile("buildinfo.json"))  # type: ignore[arg-type]
    assert expanded["master_quorum"] == "1" and "master_quorum" not in user
    assert full.mode == 0o600
    assert config_info["environment"]["PROVIDER"] == "onprem"
    with tarfile.open(serve / info["dcos-metadata"]["filename"]) as tar:
        version = json.load(tar.extractfile("etc/dcos-version.json"))  # type: ignore[arg-type]
        metadata_info = json.load(tar.extractfile("buildinfo.json"))  # type: ignore[arg-type]
    assert sorted(version) == ["bootstrap-id", "dcos-image-commit", "version"]
    assert version["bootstrap-id"] == bootstrap_id
    assert metadata_info["environment"]["DCOS_VERSION"] == version["version"]
    assert expanded["cluster_package_list_id"] == list_id
    assert (tmp_path / "genconf" / "cluster_packages.json").is_file()


def test_installer_is_cached_by_content(tmp_path: Path) -> None:
    first = build.build()
    assert build.build() == first


def test_dcos_install_sh_rejects_a_bad_role(installer: Path, tmp_path: Path) -> None:
    _workspace(tmp_path)
    run.genconf(installer, tmp_path)
    proc = subprocess.run(
        ["bash", str(tmp_path / "genconf/serve/dcos_install.sh"), "worker"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "ROLE is master, slave or slave_public" in proc.stderr


def test_package_name_must_match_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mesos"
    folder.mkdir()
    (folder / "buildinfo.json").write_text(json.dumps({"name": "mesos-master"}))
    with pytest.raises(packages.PackageError, match="must equal the folder name"):
        packages.load_package(folder)


def test_listed_unit_must_exist(tmp_path: Path) -> None:
    folder = tmp_path / "mesos"
    folder.mkdir()
    (folder / "buildinfo.json").write_text(
        json.dumps({"name": "mesos", "units": {"dcos-mesos-master.service": ["master"]}})
    )
    with pytest.raises(
        packages.PackageError, match=r"units/dcos-mesos-master\.service does not exist"
    ):
        packages.load_package(folder)


def test_each_declared_port_is_the_one_the_package_uses() -> None:
    """A port in buildinfo.json's "ports" appears in the package's own files (units or code),
    so readiness checks and the component cannot drift apart silently."""
    declared = 0
    for folder in packages.package_folders():
        package = packages.load_package(folder)
        for name, port in package.ports.items():
            declared += 1
            own = [data for path, data in package.files.items() if path != "buildinfo.json"]
            assert any(str(port).encode() in data for data in own), (
                f"{package.name}: port {name}={port} appears in none of its files"
            )
    assert declared >= 3


def test_package_port() -> None:
    assert packages.package_port("exhibitor") == 8181
    assert packages.package_port("exhibitor", "zookeeper") == 2181
    with pytest.raises(packages.PackageError, match="no port 'admin'"):
        packages.package_port("exhibitor", "admin")
    with pytest.raises(packages.PackageError, match="no package 'nope'"):
        packages.package_port("nope")


def test_ports_must_be_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "mesos"
    folder.mkdir()
    (folder / "buildinfo.json").write_text(json.dumps({"name": "mesos", "ports": {"http": "x"}}))
    with pytest.raises(packages.PackageError, match='"ports" must map names to port numbers'):
        packages.load_package(folder)


NEXT_VERSION = "2.2.0-minidcos.next"


def test_a_build_with_another_version_upgrades_the_first(installer: Path, tmp_path: Path) -> None:
    upgrade_to = build.build(tmp_path / "next.sh", dcos_version=NEXT_VERSION)
    version = json.loads(run.run_installer(upgrade_to, tmp_path, "--version").stdout)["version"]
    assert version == NEXT_VERSION
    workspace = _workspace(tmp_path / "ws")
    run.genconf(installer, workspace)
    serve = workspace / "genconf" / "serve"
    first_list = (serve / "cluster-package-list.latest").read_text().strip()
    installed = json.loads(run.run_installer(installer, tmp_path, "--version").stdout)["version"]

    script = run.generate_upgrade(upgrade_to, workspace, installed)
    assert script.startswith("upgrade/") and script.endswith("/dcos_node_upgrade.sh")
    text = (serve / script).read_text()
    assert f"FROM_VERSION={installed}" in text and f"TO_VERSION={NEXT_VERSION}" in text
    new_list = (serve / "cluster-package-list.latest").read_text().strip()
    assert new_list != first_list and f"PACKAGE_LIST_ID={new_list}" in text
    # The running cluster's files stay: an upgrade adds to serve/, it does not replace it.
    assert (serve / "package_lists" / f"{first_list}.package_list.json").is_file()
    # A node added from now on installs the new build.
    assert f"install DC/OS {NEXT_VERSION} on this node" in (serve / "dcos_install.sh").read_text()
    metadata = [
        p
        for p in json.loads((serve / "package_lists" / f"{new_list}.package_list.json").read_text())
        if p.startswith("dcos-metadata--")
    ]
    with tarfile.open(serve / "packages" / "dcos-metadata" / f"{metadata[0]}.tar.xz") as tar:
        member = tar.extractfile("etc/dcos-version.json")
        assert member is not None and json.load(member)["version"] == NEXT_VERSION


def test_an_upgrade_to_the_running_version_is_refused(installer: Path, tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    run.genconf(installer, workspace)
    installed = json.loads(run.run_installer(installer, tmp_path, "--version").stdout)["version"]
    with pytest.raises(ConfigError, match=f"the cluster already runs DC/OS {installed}"):
        run.generate_upgrade(installer, workspace, installed)


@pytest.mark.parametrize("bad", ["", "with space", "-dash", "x" * 65])
def test_bad_versions_are_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="--dcos-version"):
        build.build(dcos_version=bad)
