"""IAM as DC/OS 1.10 Open has it (dcos-oauth), used as DC/OS's clients use it.

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
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kazoo.client import KazooClient

IAM = "http://127.0.0.1:8101"
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
    return requests.post(f"{IAM}/acs/api/v1/auth/login", json={"token": token}, timeout=10)


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


def users() -> list[str]:
    listed = requests.get(f"{IAM}/acs/api/v1/users", timeout=10).json()["array"] or []
    return sorted(u["uid"] for u in listed)


def test_the_first_login_creates_the_first_user_and_refuses_the_next(no_users: None) -> None:
    assert users() == []
    first, second = email(), email()
    response = login(id_token(first))
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert payload(token)["uid"] == first
    assert users() == [first]

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
    assert login(id_token(email())).status_code == 200
    uid = email()
    assert requests.put(f"{IAM}/acs/api/v1/users/{uid}", json={}, timeout=10).status_code == 201
    duplicate = requests.put(f"{IAM}/acs/api/v1/users/{uid}", json={}, timeout=10)
    assert (duplicate.status_code, duplicate.json()["description"]) == (409, "Already Exists")
    assert login(id_token(uid)).status_code == 200
    assert requests.delete(f"{IAM}/acs/api/v1/users/{uid}", timeout=10).status_code == 204
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
def test_expired_and_forged_id_tokens_are_refused(no_users: None, kind: str) -> None:
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
    assert users() == []


def test_the_claims_only_issuer_list_is_off_by_default(
    no_users: None, expanded_config: dict[str, Any]
) -> None:
    """DC/OS's CI ID token cannot be checked offline: refused unless its issuer is listed."""
    assert json.loads(expanded_config["oauth_claims_only_issuers"]) == []
    response = login(DCOS_CI_ID_TOKEN)
    assert response.status_code == 401
    assert response.json()["description"] == "JWT verification failed"
    assert users() == []


def test_logout_expires_both_cookies() -> None:
    response = requests.get(f"{IAM}/acs/api/v1/auth/logout", timeout=10)
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
    method: str, path: str, body: bytes | None, status: int, description: str
) -> None:
    response = requests.request(method, f"{IAM}{path}", data=body, timeout=10)
    assert response.status_code == status
    assert response.json()["description"] == description
    assert set(response.json()) == {"title", "description"}


def test_groups_answer_as_dcos_oauths_do() -> None:
    assert requests.get(f"{IAM}/acs/api/v1/groups", timeout=10).json() == {"array": None}


def test_the_token_secret_is_agreed_in_zookeeper_and_root_only(zk: KazooClient) -> None:
    secret, _ = zk.get("/dcos/auth-token-secret")
    assert len(secret) == 64
    assert SECRET_FILE.read_bytes().strip() == secret
    assert SECRET_FILE.stat().st_mode & 0o777 == 0o600
    assert SECRET_FILE.stat().st_uid == 0


# -- Admin Router's check (the dcos-oauth package's auth.lua) -------------------

AUTH_LUA_DIR = "/opt/mesosphere/active/dcos-oauth/adminrouter"
NGINX_CONF = """
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
env ADMINROUTER_ACTIVATE_AUTH_MODULE;
error_log {dir}/error.log notice;
pid {dir}/nginx.pid;
user nobody nogroup;
events {{}}
http {{
    access_log off;
    lua_package_path '{lua}/?.lua;;';
    init_by_lua_block {{ auth = require "auth"; auth.init() }}
    server {{
        listen 127.0.0.1:{port};
        location /protected {{
            access_by_lua_block {{ auth.protect() }}
            content_by_lua_block {{
                ngx.say(ngx.var.http_authorization or "", "|", ngx.var.http_cookie or "")
            }}
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def lua_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a throwaway nginx with the auth module: `start(auth_on)` returns its URL."""
    started: list[Path] = []

    def start(auth_on: bool) -> str:
        workdir = tmp_path_factory.mktemp("nginx")
        port = free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=workdir, lua=AUTH_LUA_DIR, port=port))
        env = {
            "ADMINROUTER_ACTIVATE_AUTH_MODULE": "true" if auth_on else "false",
            "PATH": "/usr/sbin:/usr/bin",
        }
        subprocess.run(["nginx", "-p", str(workdir), "-c", str(conf)], check=True, env=env)
        started.append(workdir)
        url = f"http://127.0.0.1:{port}/protected"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(url, timeout=1)
                return url
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    yield start
    for workdir in started:
        pid = (workdir / "nginx.pid").read_text().strip()
        subprocess.run(["kill", "-QUIT", pid], check=False)


def hs256(claims: dict[str, Any], key: bytes, alg: str = "HS256") -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = (
        b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        + "."
        + b64(json.dumps(claims).encode())
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


@pytest.fixture(scope="module")
def user_token() -> str:
    """A cluster token of an existing user, from the real login."""
    uid = email()
    assert add_user(uid).returncode == 0
    response = login(id_token(uid))
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def test_the_check_refuses_a_request_without_token_as_dcos_does(lua_nginx: Any) -> None:
    response = requests.get(lua_nginx(True), timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "oauthjwt"
    # DC/OS's own test of the 401 page: the UI's error page, with its JavaScript.
    assert "<html>" in response.text and "</html>" in response.text
    assert "window.location" in response.text


def test_the_check_takes_the_header_or_the_cookie(lua_nginx: Any, user_token: str) -> None:
    url = lua_nginx(True)
    by_header = requests.get(url, headers={"Authorization": f"token={user_token}"}, timeout=5)
    assert (by_header.status_code, by_header.text.strip()) == (200, f"token={user_token}|")
    by_cookie = requests.get(
        url,
        headers={"Cookie": f"a=1; dcos-acs-auth-cookie={user_token}; dcos-acs-info-cookie=x"},
        timeout=5,
    )
    # The upstream sees the token as a header, and none of DC/OS's cookies.
    assert (by_cookie.status_code, by_cookie.text.strip()) == (200, f"token={user_token}|a=1")


def test_the_check_refuses_forged_expired_and_unknown_tokens(
    lua_nginx: Any, user_token: str
) -> None:
    url = lua_nginx(True)
    secret = SECRET_FILE.read_bytes().strip()
    uid = payload(user_token)["uid"]
    header, body, signature = user_token.split(".")
    refused = {
        "forged signature": f"{header}.{body}.{signature[::-1]}",
        "forged key": hs256({"uid": uid, "exp": time.time() + 60}, b"not the secret"),
        "expired": hs256({"uid": uid, "exp": int(time.time()) - 5}, secret),
        "no uid": hs256({"exp": int(time.time()) + 60}, secret),
        "unknown user": hs256({"uid": "ghost@example.com", "exp": time.time() + 60}, secret),
        "other algorithm": hs256({"uid": uid, "exp": time.time() + 60}, secret, alg="HS512"),
        "garbage": "token",
    }
    for what, token in refused.items():
        response = requests.get(url, headers={"Authorization": f"token={token}"}, timeout=5)
        assert response.status_code == 401, what
        assert response.headers["WWW-Authenticate"] == "oauthjwt", what
    valid = hs256({"uid": uid, "exp": int(time.time()) + 60}, secret)
    assert requests.get(url, headers={"Authorization": f"token={valid}"}, timeout=5).ok


def test_the_check_is_off_when_auth_is_off(lua_nginx: Any) -> None:
    assert requests.get(lua_nginx(False), timeout=5).status_code == 200


def test_adminrouter_env_follows_oauth_enabled(expanded_config: dict[str, Any]) -> None:
    env = Path("/opt/mesosphere/etc/adminrouter.env").read_text()
    assert f"ADMINROUTER_ACTIVATE_AUTH_MODULE={expanded_config['oauth_enabled']}" in env
