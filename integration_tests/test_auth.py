"""IAM as DC/OS 1.10 Open has it (dcos-oauth), through Admin Router, as DC/OS's clients use it.

Runs on a master. Users live in ZooKeeper under /dcos/users; ID tokens come
from the cluster's own issuer (`dcos-oauth id-token`), the way a person gets
one offline. Tests that need a cluster with no user set the users aside in
ZooKeeper and put them back afterwards, so the harness's test user
(DCOS_ACS_TOKEN) keeps working for the rest of the suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kazoo.client import KazooClient
from polling import Poll, wait_for

# Admin Router on this master: every call goes through it, as a client's would.
AR = "http://" + (os.environ.get("MASTER_HOSTS") or "127.0.0.1").split(",")[0]
USERS = "/dcos/users"
SECRET_FILE = Path("/var/lib/dcos/dcos-oauth/auth-token-secret")
# dcos-test-utils' CI credential: an Auth0 ID token for albert@bekstil.net
# (issuer https://dcos.auth0.com/, DC/OS's client ID, expiring in 2036). Its
# signature cannot be checked offline, so it logs in only on clusters that list
# its issuer in oauth_claims_only_issuers.
DCOS_CI_ID_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6Ik9UQkVOakZFTWtWQ09VRTRPRVpGTlRNMFJrWXlRa015Tnp"
    "rd1JrSkVRemRCTWpBM1FqYzVOZyJ9.eyJlbWFpbCI6ImFsYmVydEBiZWtzdGlsLm5ldCIsImVtYWlsX3ZlcmlmaWVkIj"
    "p0cnVlLCJpc3MiOiJodHRwczovL2Rjb3MuYXV0aDAuY29tLyIsInN1YiI6Imdvb2dsZS1vYXV0aDJ8MTA5OTY0NDk5M"
    "DExMTA4OTA1MDUwIiwiYXVkIjoiM3lGNVRPU3pkbEk0NVExeHNweHplb0dCZTlmTnhtOW0iLCJleHAiOjIwOTA4ODQ5"
    "NzQsImlhdCI6MTQ2MDE2NDk3NH0.OxcoJJp06L1z2_41_p65FriEGkPzwFB_0pA9ULCvwvzJ8pJXw9hLbmsx-23aY2f-"
    "ydwJ7LSibL9i5NbQSR2riJWTcW4N7tLLCCMeFXKEK4hErN2hyxz71Fl765EjQSO5KD1A-HsOPr3ZZPoGTBjE0-EFtmXk"
    "SlHb1T2zd0Z8T5Z2-q96WkFoT6PiEdbrDA-e47LKtRmqsddnPZnp0xmMQdTr2MjpVgvqG7TlRvxDcYc-62rkwQXDNSWs"
    "W61FcKfQ-TRIZSf2GS9F9esDF4b5tRtrXcBNaorYa9ql0XAWH5W_ct4ylRNl3vwkYKWa4cmPvOqT5Wlj9Tf0af4lNO40PQ"
)


def email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def id_token(uid: str, ttl_s: int | None = None) -> str:
    ttl = [f"--ttl={ttl_s}"] if ttl_s is not None else []
    return subprocess.run(
        ["/opt/mesosphere/bin/dcos-oauth", "id-token", *ttl, uid],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def login(token: str) -> requests.Response:
    return requests.post(f"{AR}/acs/api/v1/auth/login", json={"token": token}, timeout=10)


def add_user(uid: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/opt/mesosphere/bin/dcos_add_user.py", uid], capture_output=True, text=True
    )


def payload(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


@pytest.fixture(scope="module")
def zk(master_hosts: list[str]) -> Iterator[KazooClient]:
    client = KazooClient(hosts=",".join(f"{h}:2181" for h in master_hosts))
    client.start(timeout=30)
    yield client
    client.stop()
    client.close()


@pytest.fixture
def no_users(zk: KazooClient) -> Iterator[None]:
    """A cluster with no user, as before anyone logged in; the users come back afterwards."""
    saved = zk.get_children(USERS)
    for uid in saved:
        zk.delete(f"{USERS}/{uid}")
    try:
        yield
    finally:
        for uid in zk.get_children(USERS):
            zk.delete(f"{USERS}/{uid}")
        for uid in saved:
            zk.create(f"{USERS}/{uid}", uid.encode())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token={token}"}


def test_the_first_login_creates_the_first_user_and_refuses_the_next(
    no_users: None, zk: KazooClient
) -> None:
    def users() -> list[str]:
        return sorted(zk.get_children(USERS))

    assert users() == []
    first, second = email(), email()
    response = login(id_token(first))
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert payload(token)["uid"] == first
    assert users() == [first]
    listed = requests.get(f"{AR}/acs/api/v1/users", headers=auth(token), timeout=10).json()
    assert listed == {"array": [{"uid": first, "description": first}]}

    refused = login(id_token(second))
    assert refused.status_code == 401
    assert refused.json() == {"title": "Unauthorized", "description": "User unauthorized"}
    assert users() == [first]


def test_an_added_user_logs_in(no_users: None) -> None:
    assert login(id_token(email())).status_code == 200  # someone is the first user
    added = email()
    assert login(id_token(added)).status_code == 401
    result = add_user(added)
    assert (result.returncode, result.stdout.strip()) == (0, f"User {added} successfully added")
    again = add_user(added)
    assert (again.returncode, again.stderr.strip()) == (1, f"User {added} already exists")
    response = login(id_token(added))
    assert response.status_code == 200
    assert payload(response.json()["token"])["uid"] == added


def test_a_user_added_through_the_api_logs_in(no_users: None) -> None:
    first = login(id_token(email()))
    session = requests.Session()
    session.headers.update(auth(first.json()["token"]))
    uid = email()
    url = f"{AR}/acs/api/v1/users/{uid}"
    assert session.put(url, json={"description": "Someone"}, timeout=10).status_code == 201
    duplicate = session.put(url, json={}, timeout=10)
    assert (duplicate.status_code, duplicate.json()["description"]) == (409, "Already Exists")
    assert session.get(url, timeout=10).json() == {"uid": uid, "description": uid}
    response = login(id_token(uid))
    assert response.status_code == 200
    assert payload(response.json()["token"])["uid"] == uid
    assert session.delete(url, timeout=10).status_code == 204
    assert login(id_token(uid)).status_code == 401


def test_login_sets_the_auth_and_info_cookies(no_users: None) -> None:
    uid = email()
    response = login(id_token(uid))
    token = response.json()["token"]
    assert response.cookies["dcos-acs-auth-cookie"] == token
    info = response.cookies["dcos-acs-info-cookie"]
    assert json.loads(base64.urlsafe_b64decode(info)) == {"uid": uid, "description": uid}
    assert "HttpOnly" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("kind", ["expired", "forged"])
def test_expired_and_forged_id_tokens_are_refused(
    no_users: None, zk: KazooClient, kind: str
) -> None:
    if kind == "expired":
        token = id_token(email(), ttl_s=-60)
    else:
        # Someone else's email in a validly signed token's body: the signature breaks.
        header, _, signature = id_token(email()).split(".")
        body = base64.urlsafe_b64encode(json.dumps(payload(id_token(email()))).encode())
        token = ".".join([header, body.decode().rstrip("="), signature])
    response = login(token)
    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "description": "JWT verification failed"}
    assert zk.get_children(USERS) == []


def test_the_claims_only_issuer_list_is_off_by_default(
    no_users: None, zk: KazooClient, expanded_config: dict[str, Any]
) -> None:
    """DC/OS's CI ID token cannot be checked offline: refused unless its issuer is listed."""
    assert json.loads(expanded_config["oauth_claims_only_issuers"]) == []
    response = login(DCOS_CI_ID_TOKEN)
    assert response.status_code == 401
    assert response.json()["description"] == "JWT verification failed"
    assert zk.get_children(USERS) == []


def test_logout_expires_both_cookies(dcos_session: Any) -> None:
    response = dcos_session.get(f"{AR}/acs/api/v1/auth/logout", timeout=10)
    assert response.status_code == 200
    header = response.headers["Set-Cookie"]
    # DC/OS's own test of logout.
    assert "dcos-acs-auth-cookie=;" in header
    assert "dcos-acs-info-cookie=;" in header
    assert "expires" in header.lower()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "description"),
    [
        ("GET", "/acs/api/v1/users/nobody@example.com", None, 404, "User Not Found"),
        ("DELETE", "/acs/api/v1/users/nobody@example.com", None, 404, "User not found"),
        ("PUT", "/acs/api/v1/users/nobody@example.com", b"[]", 400, "invalid user json"),
        ("PUT", "/acs/api/v1/users/not-an-email", b"{}", 500, "invalid email"),
        ("POST", "/acs/api/v1/auth/login", b"{", 400, "JSON decode error"),
    ],
)
def test_errors_are_dcos_oauths(
    dcos_session: Any, method: str, path: str, body: bytes | None, status: int, description: str
) -> None:
    response = dcos_session.request(method, f"{AR}{path}", data=body, timeout=10)
    assert response.status_code == status
    assert response.json()["description"] == description
    assert set(response.json()) == {"title", "description"}


def test_groups_answer_as_dcos_oauths_do(dcos_session: Any) -> None:
    assert dcos_session.get(f"{AR}/acs/api/v1/groups", timeout=10).json() == {"array": None}


def test_the_token_secret_is_agreed_in_zookeeper_and_root_only(zk: KazooClient) -> None:
    secret, _ = zk.get("/dcos/auth-token-secret")
    assert len(secret) == 64
    assert SECRET_FILE.read_bytes().strip() == secret
    assert SECRET_FILE.stat().st_mode & 0o777 == 0o600
    assert SECRET_FILE.stat().st_uid == 0


# -- Admin Router's check of cluster tokens (lib/auth.lua) ----------------------

# Protected in DC/OS 1.10 Open, and here: each answers 200 with a token.
PROTECTED = [
    "/acs/api/v1/users",
    "/exhibitor/exhibitor/v1/cluster/list",
    "/system/health/v1",
    "/pkgpanda/active.buildinfo.full.json",
    # (/dcos-metadata/ is protected too, but in DC/OS 1.10 its folder holds only the
    # public dcos-version.json: expanded.config.json is dcos-config's, not served.)
    "/metadata",
]


def auth_enabled() -> bool:
    """As DC/OS's own test finds out: adminrouter.env's ADMINROUTER_ACTIVATE_AUTH_MODULE."""
    out = (
        subprocess.check_output(
            [
                "bash",
                "-c",
                ". /opt/mesosphere/etc/adminrouter.env && echo $ADMINROUTER_ACTIVATE_AUTH_MODULE",
            ]
        )
        .decode()
        .strip()
    )
    assert out in ("true", "false")
    return out == "true"


def hs256(claims: dict[str, Any], key: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def test_auth_is_on_by_default(expanded_config: dict[str, Any]) -> None:
    assert expanded_config["oauth_enabled"] == "true"
    assert auth_enabled()


def test_adminrouter_access_control_enforcement(acs_token: str) -> None:
    """DC/OS's test: 401 with oauthjwt and the UI's page without a token, 200 with one."""
    response = requests.get(f"{AR}/acs/api/v1", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "oauthjwt"
    assert "<html>" in response.text and "</html>" in response.text
    assert "window.location" in response.text
    for path in PROTECTED:
        assert requests.get(f"{AR}{path}", timeout=10).status_code == 401, path
        with_token = requests.get(f"{AR}{path}", headers=auth(acs_token), timeout=10)
        assert with_token.status_code == 200, (path, with_token.text)
    by_cookie = requests.get(
        f"{AR}/acs/api/v1/users", cookies={"dcos-acs-auth-cookie": acs_token}, timeout=10
    )
    assert by_cookie.status_code == 200


def test_forged_expired_and_unknown_tokens_are_refused(acs_token: str) -> None:
    secret = SECRET_FILE.read_bytes().strip()
    uid = payload(acs_token)["uid"]
    header, body, signature = acs_token.split(".")
    refused = {
        "forged signature": f"{header}.{body}.{signature[::-1]}",
        "forged key": hs256({"uid": uid, "exp": int(time.time()) + 60}, b"not the secret"),
        "expired": hs256({"uid": uid, "exp": int(time.time()) - 5}, secret),
        "unknown user": hs256({"uid": "ghost@example.com", "exp": int(time.time()) + 60}, secret),
    }
    for what, token in refused.items():
        response = requests.get(f"{AR}/acs/api/v1/users", headers=auth(token), timeout=10)
        assert (response.status_code, response.headers.get("WWW-Authenticate")) == (
            401,
            "oauthjwt",
        ), what


def test_a_deleted_users_token_stops_working(zk: KazooClient) -> None:
    uid = email()
    assert add_user(uid).returncode == 0
    token = login(id_token(uid)).json()["token"]
    url = f"{AR}/acs/api/v1/groups"
    assert requests.get(url, headers=auth(token), timeout=10).status_code == 200
    zk.delete(f"{USERS}/{uid}")

    def refused() -> Poll[None]:
        status = requests.get(url, headers=auth(token), timeout=10).status_code
        return Poll(status == 401, detail=f"status {status}")

    # Admin Router asks dcos-oauth about a user at most every 5 s.
    wait_for(refused, timeout_s=15, what="the deleted user's token refused")


def test_login_and_the_ui_config_are_open() -> None:
    page = requests.get(f"{AR}/login?redirect_uri=urn:ietf:wg:oauth:2.0:oob", timeout=10)
    assert page.status_code == 200 and "dcos-oauth id-token" in page.text
    ui = requests.get(f"{AR}/dcos-metadata/ui-config.json", timeout=10)
    assert ui.status_code == 200
    assert ui.json()["clusterConfiguration"]["firstUser"] is False
