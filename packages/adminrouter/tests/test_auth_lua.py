"""Admin Router's token check (lib/auth.lua) and DC/OS 1.10 Open's open and protected sets.

Runs Debian's nginx in a node container, as test_nginx.py does, but set up as
a master with auth on: a token secret on disk, adminrouter.env saying true,
and a recorded dcos-oauth that knows one user. Skipped without the Docker
engine and a node image.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from test_nginx import AGENT_ID, PACKAGE, Node, node_image

SECRET = "s" * 32 + "S" * 32
USER = "alice@example.com"

# DC/OS 1.10 Open's Admin Router Master: what needs a token, and what does not.
PROTECTED = [
    "/acs/api/v1/users",
    "/acs/api/v1/groups",
    "/mesos/",
    "/mesos/master/state",
    "/marathon/v2/apps",
    "/service/marathon/v2/info",
    "/mesos_dns/v1/config",
    "/net/v1/vips",
    "/exhibitor/",
    "/pkgpanda/",
    "/pkgpanda/active.buildinfo.full.json",
    "/system/health/v1",
    "/dcos-metadata/expanded.config.json",
    "/metadata",
    f"/agent/{AGENT_ID}/state",
    f"/slave/{AGENT_ID}/state",
]
OPEN = [
    "/",
    "/dcos-metadata/dcos-version.json",
    "/dcos-metadata/ui-config.json",
    "/acs/api/v1/auth/login",
    "/acs/api/v1/auth/logout",
    "/login",
    "/exhibitor/exhibitor/v1/cluster/status",
    "/cache/master/state",
    "/mesos",
    "/marathon",
]


def token(claims: dict[str, Any], key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def valid(uid: str = USER) -> str:
    return token({"uid": uid, "exp": int(time.time()) + 600})


@pytest.fixture(scope="module")
def master() -> Iterator[Node]:
    image = node_image()
    if image is None:
        pytest.skip("needs the Docker engine and a minidcos/node image")
    name = f"minidcos-artest-auth-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--name",
            name,
            "--entrypoint",
            "sleep",
            "-v",
            f"{PACKAGE}:/opt/mesosphere/active/adminrouter:ro",
            "-v",
            f"{PACKAGE / 'tests'}:/tests:ro",
            image,
            "600",
        ],
        check=True,
        capture_output=True,
    )
    node = Node(name)
    try:
        node.sh(
            "mkdir -p /opt/mesosphere/active/dcos-metadata/etc /opt/mesosphere/etc "
            "/etc/mesosphere/roles /var/lib/dcos/dcos-oauth /run/dcos/adminrouter/tmp "
            "/run/dcos/adminrouter/cache "
            "&& touch /etc/mesosphere/roles/master "
            f"&& printf '{SECRET}\\n' > /var/lib/dcos/dcos-oauth/auth-token-secret "
            "&& chmod 600 /var/lib/dcos/dcos-oauth/auth-token-secret "
            "&& echo ADMINROUTER_ACTIVATE_AUTH_MODULE=true > /opt/mesosphere/etc/adminrouter.env "
            "&& echo 2f1c0a58-0000-4000-8000-000000000001 > /var/lib/dcos/cluster-id "
            '&& echo \'{"version": "1.10-test"}\' '
            "> /opt/mesosphere/active/dcos-metadata/etc/dcos-version.json "
            "&& echo '{\"mesos\": {}}' > /opt/mesosphere/active.buildinfo.full.json "
            "&& U=/opt/mesosphere/active/dcos-ui/usr && mkdir -p $U/assets "
            "&& echo '<!DOCTYPE html><title>DC/OS</title>' > $U/index.html "
            "&& echo 'console.log(\"the UI\");' > $U/assets/index.t.js "
            "&& gzip -k $U/assets/index.t.js "
            "&& printf 'upstream mesos_local { server 127.0.0.1:5050; }\\n' "
            "> /run/dcos/adminrouter/node.conf "
            "&& (python3 /tests/upstreams.py > /tmp/upstreams.log 2>&1 &)"
        )
        deadline = time.monotonic() + 20
        while "upstreams ready" not in node.sh("cat /tmp/upstreams.log", check=False):
            assert time.monotonic() < deadline, node.sh("cat /tmp/upstreams.log")
            time.sleep(0.2)
        node.sh(
            "(UPSTREAM_MESOS=http://127.0.0.1:5050 nginx"
            " -p /opt/mesosphere/active/adminrouter/nginx/ -c conf/nginx.master.conf"
            " -g 'pid /run/dcos/adminrouter/master.pid;'"
            " > /tmp/nginx-master.log 2>&1 &)"
        )
        while node.sh("curl -s -o /dev/null -w '%{http_code}' 127.0.0.1/", check=False) != "200":
            assert time.monotonic() < deadline, node.sh("cat /tmp/nginx-master.log")
            time.sleep(0.1)
        yield node
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def status_of(node: Node, path: str, *options: str) -> int:
    return node.curl(path, *options)[0]


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_locations_want_a_token(master: Node, path: str) -> None:
    status, headers, body = master.curl(path)
    assert status == 401
    assert headers["www-authenticate"] == "oauthjwt"
    # DC/OS's own test: the UI's error page, with its JavaScript.
    assert "<html>" in body and "</html>" in body and "window.location" in body
    assert status_of(master, path, f"-H 'Authorization: token={valid()}'") != 401


@pytest.mark.parametrize("path", OPEN)
def test_open_locations_need_none(master: Node, path: str) -> None:
    assert status_of(master, path) not in (401, 403, 500, 502)


def test_the_cookie_logs_in_and_never_reaches_the_upstream(master: Node) -> None:
    answer = master.json(
        "/service/marathon/x", f"-H 'Cookie: a=1; dcos-acs-auth-cookie={valid()}; b=2'"
    )
    assert answer["cookie"] == "a=1; b=2"


@pytest.mark.parametrize(
    "bad",
    [
        token({"uid": USER, "exp": int(time.time()) + 600}, key="another secret" * 4),
        token({"uid": USER, "exp": int(time.time()) - 1}),
        token({"exp": int(time.time()) + 600}),
        token({"uid": "mallory@example.com", "exp": int(time.time()) + 600}),
        token({"uid": USER, "exp": int(time.time()) + 600}, alg="HS512"),
        valid()[:-3] + "AAA",
        "not-a-token",
    ],
    ids=["other-key", "expired", "no-uid", "unknown-user", "hs512", "bad-signature", "garbage"],
)
def test_bad_tokens_are_refused(master: Node, bad: str) -> None:
    status, headers, _ = master.curl("/mesos/", f"-H 'Authorization: token={bad}'")
    assert (status, headers["www-authenticate"]) == (401, "oauthjwt")


def test_a_token_without_exp_passes_as_in_dcos(master: Node) -> None:
    assert status_of(master, "/mesos/", f"-H 'Authorization: token={token({'uid': USER})}'") == 200


def test_the_header_wins_over_the_cookie(master: Node) -> None:
    options = ("-H 'Authorization: token=bad'", f"-H 'Cookie: dcos-acs-auth-cookie={valid()}'")
    assert status_of(master, "/mesos/", *options) == 401


def test_metadata_names_the_cluster(master: Node) -> None:
    answer = master.json("/metadata", f"-H 'Authorization: token={valid()}'")
    assert answer["CLUSTER_ID"] == "2f1c0a58-0000-4000-8000-000000000001"
