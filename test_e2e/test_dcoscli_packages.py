"""DC/OS's old CLI (dcoscli 0.6.1, unmodified) manages packages: `dcos package search`,
`describe`, `install` (and its refusal of bad options, in the CLI's own words for Cosmos's
JsonSchemaMismatch), `list`, `uninstall` and `repo list`, against Cosmos and the
cluster's own Universe; and diagnostics bundles: `dcos node diagnostics create`,
`--list`, `download` and `delete`.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minidcos._util.polling import Poll, wait_for
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.status import Status
from test_e2e.test_dcoscli_login import dcos_cli  # noqa: F401 (the CLI's venv, a fixture)

USER = "packager@example.com"

Dcos = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def cluster(provider: DockerProvider, installer: Path) -> Iterator[Cluster]:
    from test_e2e.conftest import RUN_PREFIX

    spec = ClusterSpec(masters=1, agents=1, public_agents=0, cluster_id=f"{RUN_PREFIX}-clipkg")
    with Cluster.create(
        spec, install=InstallSpec(installer), provider=provider, status=Status()
    ) as made:
        yield made


@pytest.fixture(scope="module")
def dcos(
    dcos_cli: list[str],  # noqa: F811
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Dcos:
    master = cluster.masters[0]
    master.run(["/opt/mesosphere/bin/dcos_add_user.py", USER])
    id_token = master.run(["/opt/mesosphere/bin/dcos-oauth", "id-token", USER]).stdout
    env = {"HOME": str(tmp_path_factory.mktemp("home")), "PATH": os.environ.get("PATH", "")}

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*dcos_cli, *args],
            input=stdin.decode(),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    setup = run("cluster", "setup", f"http://{master.ip_address}", stdin=id_token)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return run


def test_search_describe_and_repositories(dcos: Dcos) -> None:
    search = dcos("package", "search", "--json")
    assert search.returncode == 0, search.stderr
    names = {p["name"] for p in json.loads(search.stdout)["packages"]}
    assert {"nginx", "greeter", "marathon"} <= names
    versions = dcos("package", "describe", "greeter", "--package-versions")
    assert json.loads(versions.stdout) == ["0.2.0", "0.1.0"]
    repos = dcos("package", "repo", "list")
    assert repos.stdout.strip() == "Universe: http://master.mesos/universe/repo"


def test_bad_options_are_explained(dcos: Dcos, tmp_path: Path) -> None:
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"service": {"instances": "two"}}))
    install = dcos("package", "install", "greeter", f"--options={options}", "--yes")
    assert install.returncode != 0
    said = install.stdout + install.stderr
    assert "Error: Options JSON failed validation" in said
    assert "Found: string" in said and "Expected: integer" in said
    assert "Path: service.instances" in said


def test_install_list_and_uninstall(dcos: Dcos) -> None:
    install = dcos("package", "install", "nginx", "--yes")
    assert install.returncode == 0, install.stdout + install.stderr
    assert "Installing Marathon app for package [nginx] version [1.22.1]" in install.stdout

    def healthy() -> Poll[None]:
        apps = dcos("marathon", "app", "list", "--json")
        listed = json.loads(apps.stdout) if apps.returncode == 0 else []
        nginx = [a for a in listed if a["id"] == "/nginx"]
        done = bool(nginx) and nginx[0].get("tasksHealthy", 0) >= 1
        return Poll(done, detail=apps.stdout[-300:] or apps.stderr[-300:])

    wait_for(healthy, 180, "nginx to be healthy")
    listed = json.loads(dcos("package", "list", "--json").stdout)
    assert [(p["name"], p["version"], p["apps"]) for p in listed] == [
        ("nginx", "1.22.1", ["/nginx"])
    ]
    uninstall = dcos("package", "uninstall", "nginx", "--app", "--yes")
    assert uninstall.returncode == 0, uninstall.stdout + uninstall.stderr
    assert "Uninstalled package [nginx] version [1.22.1]" in uninstall.stdout + uninstall.stderr
    empty = dcos("package", "list")
    assert "There are currently no installed packages" in empty.stdout + empty.stderr


def test_diagnostics_bundle(dcos: Dcos, cluster: Cluster, tmp_path: Path) -> None:
    created = dcos("node", "diagnostics", "create", "all")
    assert "Job has been successfully started, available bundle: bundle-" in created.stdout, (
        created.stdout + created.stderr
    )
    name = created.stdout.strip().rsplit(" ", 1)[-1]

    def listed() -> Poll[None]:
        answer = dcos("node", "diagnostics", "--list")
        return Poll(name in answer.stdout, detail=answer.stdout + answer.stderr)

    wait_for(listed, 300, f"{name} to be listed")
    location = tmp_path / "bundle.zip"
    download = dcos("node", "diagnostics", "download", name, f"--location={location}")
    assert download.stdout.strip() == f"Diagnostics bundle downloaded to {location}"
    with zipfile.ZipFile(location) as bundle:
        names = bundle.namelist()
    for node, role in [(cluster.masters[0], "master"), (cluster.agents[0], "agent")]:
        assert f"{node.ip_address}_{role}/dcos-diagnostics-health.json" in names
    deleted = dcos("node", "diagnostics", "delete", name)
    assert deleted.stdout.strip().startswith("Deleted ")
    assert dcos("node", "diagnostics", "--list").stdout.strip() == "No available diagnostic bundles"
