"""Logging in to a cluster's IAM (dcos-oauth), for the harness and for people.

With `oauth_enabled: true` (DC/OS's default) Admin Router wants a token on
every protected location. The harness logs in as DC/OS's CI user (the user
dcos-test-utils logs in as) through the master's own dcos-oauth, with an ID
token from the cluster's local issuer, and passes the token to test suites as
DCOS_ACS_TOKEN.
"""

from __future__ import annotations

import json
import re

from minidcos.node import Node

# The user DC/OS's test tooling (dcos-test-utils) logs in as.
TEST_USER = "albert@bekstil.net"
DCOS_OAUTH = "/opt/mesosphere/bin/dcos-oauth"
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def test_user_token(master: Node) -> str | None:
    """A cluster token for TEST_USER (added if missing); None where the IAM cannot mint one.

    A cluster installed from DC/OS's own installer has no local issuer: then
    there is no token, and dcos-test-utils logs in by itself.
    """
    proc = master.run([DCOS_OAUTH, "login", "--add-user", TEST_USER], check=False)
    token = proc.stdout.decode().strip()
    return token if proc.returncode == 0 and JWT.match(token) else None


def auth_setting(master: Node) -> bool | None:
    """`oauth_enabled` from the cluster's expanded config; None while it cannot be read."""
    proc = master.run(["cat", "/opt/mesosphere/etc/expanded.config.json"], check=False)
    try:
        config = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        config = None
    if not isinstance(config, dict):
        return None
    return str(config.get("oauth_enabled", "false")).lower() == "true"


def auth_enabled(master: Node) -> bool:
    """Whether Admin Router checks tokens: the cluster's expanded config says (`oauth_enabled`)."""
    return auth_setting(master) is True


def login_hint(cluster_id: str, master: Node) -> str | None:
    """How a person logs in to a fresh cluster (for `create` to print); None with auth off."""
    if not auth_enabled(master):
        return None
    master_ip = master.ip_address
    run = f"minidcos docker run -c {cluster_id} -- /opt/mesosphere/bin"
    return "\n".join(
        [
            f"Log in to DC/OS at http://{master_ip}/ (auth is on: oauth_enabled). An ID token:",
            f"  {run}/dcos-oauth id-token you@example.com",
            "  then paste it where `dcos auth login` asks for it, or POST it:",
            f"  curl -X POST http://{master_ip}/acs/api/v1/auth/login "
            "-H 'Content-Type: application/json' -d '{\"token\": \"<ID token>\"}'",
            "  The first login becomes the first user; add others with",
            f"  {run}/dcos_add_user.py someone@example.com",
        ]
    )
