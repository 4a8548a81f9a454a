"""`oauth_enabled: false`: Admin Router checks no token, and the IAM still answers.

The same cluster sets `exhibitor_admin_password` (one cluster for two config keys
that do not meet): Exhibitor on 8181 then asks for user admin, as DC/OS's does.
"""

from __future__ import annotations

import json

import pytest

from minidcos import iam
from minidcos.cluster import Cluster
from minidcos.node import Node

# Locations DC/OS 1.10 protects (auth.protect()) that exist in this distribution.
PROTECTED = ["/acs/api/v1/users", "/acs/api/v1/groups", "/system/health/v1", "/pkgpanda/active/"]
EXHIBITOR_PASSWORD = "e2e-s3cret"


pytestmark = pytest.mark.minidcos_cluster(
    masters=1,
    agents=0,
    public_agents=0,
    extra_config={"oauth_enabled": False, "exhibitor_admin_password": EXHIBITOR_PASSWORD},
)


@pytest.fixture(scope="module")
def open_cluster(minidcos_cluster: Cluster) -> Cluster:
    return minidcos_cluster


def get_status(node: Node, path: str) -> int:
    proc = node.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"http://{node.ip_address}{path}"]
    )
    return int(proc.stdout.decode())


def test_admin_router_is_told_auth_is_off(open_cluster: Cluster) -> None:
    master = open_cluster.masters[0]
    env = master.run(["cat", "/opt/mesosphere/etc/adminrouter.env"]).stdout.decode()
    assert "ADMINROUTER_ACTIVATE_AUTH_MODULE=false" in env.splitlines()
    expanded = json.loads(master.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
    assert expanded["oauth_enabled"] == "false"


def test_protected_routes_are_open(open_cluster: Cluster) -> None:
    master = open_cluster.masters[0]
    if master.run(["systemctl", "cat", "dcos-adminrouter.service"], check=False).returncode:
        pytest.skip("this distribution has no Admin Router (dcos-adminrouter) yet")
    assert {path: get_status(master, path) for path in PROTECTED} == {p: 200 for p in PROTECTED}


def test_users_still_log_in(open_cluster: Cluster) -> None:
    # The IAM does not depend on Admin Router's setting: tokens are still issued.
    assert iam.test_user_token(open_cluster.masters[0])


def test_exhibitor_password_protects_8181_but_cluster_status(open_cluster: Cluster) -> None:
    """DC/OS's exhibitor_realm and web.xml: every path needs user admin but cluster/status."""
    master = open_cluster.masters[0]
    realm = master.run(["cat", "/opt/mesosphere/etc/exhibitor_realm"]).stdout.decode()
    assert realm == f"admin: {EXHIBITOR_PASSWORD},admin\n"
    expanded = json.loads(master.run(["cat", "/opt/mesosphere/etc/expanded.config.json"]).stdout)
    assert expanded["exhibitor_admin_password_enabled"] == "true"
    assert "exhibitor_admin_password" not in expanded  # a secret: only in the .full file
    user = master.run(["cat", "/opt/mesosphere/etc/user.config.yaml"]).stdout.decode()
    assert EXHIBITOR_PASSWORD not in user and "**HIDDEN**" in user

    def status(path: str, auth: str = "") -> str:
        args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"]
        args += ["-u", auth] if auth else []
        return master.run([*args, f"http://{master.ip_address}:8181{path}"]).stdout.decode()

    assert status("/exhibitor/v1/cluster/status") == "200"
    assert status("/exhibitor/v1/cluster/list") == "401"
    assert status("/exhibitor/v1/cluster/list", "admin:wrong") == "401"
    assert status("/exhibitor/v1/cluster/list", f"admin:{EXHIBITOR_PASSWORD}") == "200"
