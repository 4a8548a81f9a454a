"""DC/OS's old CLI (dcoscli 0.6.1, from PyPI, unmodified) logs in to a cluster with no internet.

`dcos cluster setup` meets Admin Router's 401 (`WWW-Authenticate: oauthjwt`),
prints the /login link and asks for an OpenID Connect ID token; the token the
cluster's own issuer mints (`dcos-oauth id-token`) logs it in. The CLI
imports `collections.Mapping`, which Python 3.10 removed: a launcher restores
those names from `collections.abc` before importing it, and patches nothing
else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# One cluster for both dcoscli modules (read-only use): the same marker, shared in the session.
DCOSCLI_CLUSTER = pytest.mark.minidcos_cluster(
    masters=1, agents=1, public_agents=0, share="session", name="dcoscli"
)
pytestmark = [DCOSCLI_CLUSTER, pytest.mark.xdist_group("dcoscli")]


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
