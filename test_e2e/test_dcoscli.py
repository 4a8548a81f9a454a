"""DC/OS's old CLI (dcoscli 0.6.1, from PyPI, unmodified) against a cluster with no internet:
it logs in, reads logs and metrics, manages packages and diagnostics bundles. One cluster
(1 master, 1 agent) serves all of them.

Logging in: `dcos cluster setup` meets Admin Router's 401 (`WWW-Authenticate: oauthjwt`),
prints the /login link and asks for an OpenID Connect ID token; the token the cluster's
own issuer mints (`dcos-oauth id-token`) logs it in. Logs and metrics: `dcos node log` of
the leader, of a unit and of an agent, `dcos task log` of a task's stdout and stderr
(through dcos-log's v2 API, which the cluster's capabilities announce), and `dcos node
metrics`. Packages: `dcos package search`, `describe`, `install` (and its refusal of bad
options, in the CLI's own words for Cosmos's JsonSchemaMismatch), `list`, `uninstall` and
`repo list`, against Cosmos and the cluster's own Universe. Diagnostics bundles: `dcos node
diagnostics create`, `--list`, `download` and `delete`. The CLI imports
`collections.Mapping`, which Python 3.10 removed: a launcher restores those names from
`collections.abc` before importing it, and patches nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minidcos._util.polling import Poll, wait_for
from minidcos.cluster import Cluster

# dcoscli 0.6.1's own pins (cryptography 2.0.2, PyJWT 1.4.2) do not build on
# this Python; its login flow runs with current releases of its dependencies.
DEPENDENCIES = [
    "docopt",
    "pkginfo",
    "toml",
    "six",
    "requests",
    "sseclient==0.0.19",
    "retrying",
    "jsonschema<3",
    "pager<4",
    "prettytable<1",
    "pygments",
    "PyJWT",
    "cryptography",
    "setuptools",
]
LAUNCHER = """\
import collections, collections.abc, sys
for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
    setattr(collections, name, getattr(collections.abc, name))
from dcoscli.main import main
sys.exit(main())
"""
USER = "cli-user@example.com"
LOGS_USER = "logs-reader@example.com"
TASK = "cli-log-task"

Dcos = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def dcos_cli(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    venv = tmp_path_factory.mktemp("dcoscli")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "dcoscli==0.6.1", "dcos==0.6.1"], check=True)
    subprocess.run([*pip, *DEPENDENCIES], check=True)
    launcher = venv / "run_dcoscli.py"
    launcher.write_text(LAUNCHER)
    return [str(venv / "bin" / "python"), str(launcher)]


pytestmark = pytest.mark.minidcos_cluster(masters=1, agents=1, public_agents=0)


@pytest.fixture(scope="module")
def cluster(minidcos_cluster: Cluster) -> Cluster:
    return minidcos_cluster


def test_the_old_cli_logs_in_with_a_local_id_token(
    dcos_cli: list[str], cluster: Cluster, tmp_path: Path
) -> None:
    master = cluster.masters[0]
    added = master.run(["/opt/mesosphere/bin/dcos_add_user.py", USER]).stdout.decode()
    assert added.strip() == f"User {USER} successfully added"
    id_token = master.run(["/opt/mesosphere/bin/dcos-oauth", "id-token", USER]).stdout
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    url = f"http://{master.ip_address}"

    def dcos(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*dcos_cli, *args], input=stdin.decode(), capture_output=True, text=True, env=env
        )

    setup = dcos("cluster", "setup", url, stdin=id_token)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert f"{url}/login?redirect_uri=urn:ietf:wg:oauth:2.0:oob" in setup.stderr
    assert "Enter OpenID Connect ID Token" in setup.stderr
    listed = dcos("cluster", "list")
    assert "AVAILABLE" in listed.stdout, listed.stdout + listed.stderr
    token = dcos("config", "show", "core.dcos_acs_token").stdout.strip()
    users = master.run(
        ["curl", "-fsS", "-H", f"Authorization: token={token}", f"{url}/acs/api/v1/users"]
    )
    assert USER in users.stdout.decode()


@pytest.fixture(scope="module")
def dcos(
    dcos_cli: list[str],
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Dcos:
    master = cluster.masters[0]
    master.run(["/opt/mesosphere/bin/dcos_add_user.py", LOGS_USER])
    id_token = master.run(["/opt/mesosphere/bin/dcos-oauth", "id-token", LOGS_USER]).stdout
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


@pytest.fixture(scope="module")
def task(cluster: Cluster) -> Iterator[None]:
    master = cluster.masters[0]
    command = (
        "echo STDOUT_LOG; echo STDERR_LOG >&2; "
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"
    )
    process = master.popen(
        [
            "/opt/mesosphere/bin/mesos-execute",
            "--master=leader.mesos:5050",
            f"--name={TASK}",
            f"--command={command}",
            "--resources=cpus:0.1;mem:32",
        ]
    )
    try:
        yield
    finally:
        process.kill()


def agent_id(dcos: Dcos) -> str:
    token = dcos("config", "show", "core.dcos_acs_token").stdout.strip()
    url = dcos("config", "show", "core.dcos_url").stdout.strip() + "/mesos/master/slaves"
    request = urllib.request.Request(url, headers={"Authorization": f"token={token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["slaves"][0]["id"])


def test_node_log_of_the_leader_a_unit_and_an_agent(dcos: Dcos) -> None:
    leader = dcos("node", "log", "--leader", "--lines=5")
    assert leader.returncode == 0, leader.stderr
    assert len(leader.stdout.splitlines()) == 5, leader.stdout
    unit = dcos("node", "log", "--leader", "--component=dcos-mesos-master", "--lines=3")
    assert unit.returncode == 0 and len(unit.stdout.splitlines()) == 3, unit.stdout + unit.stderr
    agent = dcos("node", "log", f"--mesos-id={agent_id(dcos)}", "--lines=4")
    assert agent.returncode == 0 and len(agent.stdout.splitlines()) == 4, agent.stderr


def test_task_log_of_stdout_and_stderr(dcos: Dcos, task: None) -> None:
    for _ in range(60):
        out = dcos("task", "log", TASK, "--lines=2")
        if out.returncode == 0 and "tick" in out.stdout:
            break
    assert out.stdout.splitlines()[-1].startswith("tick "), out.stdout + out.stderr
    err = dcos("task", "log", TASK, "stderr")
    assert "STDERR_LOG" in err.stdout, err.stdout + err.stderr


def test_node_metrics(dcos: Dcos) -> None:
    details = dcos("node", "metrics", "details", agent_id(dcos), "--json")
    assert details.returncode == 0, details.stderr
    names = {dp["name"] for dp in json.loads(details.stdout)}
    assert {"cpu.total", "memory.total", "load.1min"} <= names
    summary = dcos("node", "metrics", "summary", agent_id(dcos))
    assert summary.returncode == 0 and "CPU" in summary.stdout, summary.stderr


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
