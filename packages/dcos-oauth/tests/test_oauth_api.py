"""dcos-oauth's API: users, login, logout, in dcos-oauth's words and codes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from dcos_internal_utils.http import Request, Response
from dcos_oauth import api as oauth_api
from dcos_oauth import clustertoken, localissuer
from dcos_oauth.settings import Settings
from dcos_oauth.store import Store
from oauth_fakes import FakeZooKeeper

NOW = 1_700_000_000.0
SECRET = b"s" * 64
KEY = localissuer.new_key_pem()
SETTINGS = Settings(cluster_id="c-1")


@pytest.fixture
def zk() -> FakeZooKeeper:
    return FakeZooKeeper()


@pytest.fixture
def api(zk: FakeZooKeeper) -> oauth_api.Api:
    return oauth_api.Api(
        Store(zk), SETTINGS, lambda: SECRET, lambda: localissuer.jwks(KEY), clock=lambda: NOW
    )


def call(api: oauth_api.Api, method: str, path: str, body: Any = None) -> Response:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    request = Request(method=method, path=path, query={}, headers={}, body=raw)
    return api.router().dispatch(request)


def body(response: Response) -> Any:
    return json.loads(response.body)


def id_token(email: str, ttl_s: int = 600) -> str:
    return localissuer.mint(KEY, SETTINGS, email, ttl_s=ttl_s, now=NOW)


def login(api: oauth_api.Api, email: str) -> Response:
    return call(api, "POST", "/acs/api/v1/auth/login", {"token": id_token(email)})


def test_the_first_login_creates_the_first_user_and_only_it(api: oauth_api.Api) -> None:
    assert body(call(api, "GET", "/acs/api/v1/users")) == {"array": None}
    first = login(api, "first@example.com")
    assert first.status == 200
    token = body(first)["token"]
    assert clustertoken.uid_of_at(token, SECRET, NOW) == "first@example.com"
    assert body(call(api, "GET", "/acs/api/v1/users")) == {
        "array": [{"uid": "first@example.com", "description": "first@example.com"}]
    }
    second = login(api, "second@example.com")
    assert (second.status, body(second)) == (
        401,
        {"title": "Unauthorized", "description": "User unauthorized"},
    )
    assert second.content_type == "application/json; charset=utf-8"
    assert call(api, "PUT", "/acs/api/v1/users/second@example.com", {}).status == 201
    assert login(api, "second@example.com").status == 200


def test_login_sets_dcos_oauths_cookies(api: oauth_api.Api) -> None:
    response = login(api, "first@example.com")
    token = body(response)["token"]
    cookies = [v for k, v in response.header_list if k == "Set-Cookie"]
    assert cookies[0] == (
        f"dcos-acs-auth-cookie={token}; Path=/; Expires=Sun, 19 Nov 2023 10:13:20 GMT; "
        "Max-Age=388800; HttpOnly"
    )
    name, _, rest = cookies[1].partition("=")
    value = rest.split(";")[0]
    assert name == "dcos-acs-info-cookie"
    assert json.loads(base64.urlsafe_b64decode(value)) == {
        "uid": "first@example.com",
        "description": "first@example.com",
    }
    assert "HttpOnly" not in cookies[1]


def test_the_cluster_token_carries_the_id_tokens_claims_and_uid(api: oauth_api.Api) -> None:
    token = body(login(api, "first@example.com"))["token"]
    claims = clustertoken.claims_at(token, SECRET, NOW)
    assert claims["uid"] == claims["email"] == "first@example.com"
    assert claims["exp"] == NOW + 600


@pytest.mark.parametrize(
    ("payload", "status", "description"),
    [
        (b"{", 400, "JSON decode error"),
        ({}, 400, "JWT parsing failed"),
        ({"token": "x.y.z"}, 400, "JWT parsing failed"),
    ],
)
def test_bad_logins(api: oauth_api.Api, payload: Any, status: int, description: str) -> None:
    response = call(api, "POST", "/acs/api/v1/auth/login", payload)
    assert (response.status, body(response)["description"]) == (status, description)
    assert body(call(api, "GET", "/acs/api/v1/users")) == {"array": None}


def test_an_expired_id_token_is_refused(api: oauth_api.Api) -> None:
    expired = localissuer.mint(KEY, SETTINGS, "a@example.com", ttl_s=10, now=NOW - 60)
    response = call(api, "POST", "/acs/api/v1/auth/login", {"token": expired})
    assert (response.status, body(response)["description"]) == (401, "JWT verification failed")


def test_logout_expires_both_cookies(api: oauth_api.Api) -> None:
    response = call(api, "GET", "/acs/api/v1/auth/logout")
    assert response.status == 200
    assert [v for k, v in response.header_list if k == "Set-Cookie"] == [
        f"{name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly"
        for name in ("dcos-acs-auth-cookie", "dcos-acs-info-cookie")
    ]


def test_users_api(api: oauth_api.Api) -> None:
    path = "/acs/api/v1/users/bob%40example.com"
    assert (call(api, "GET", path).status, body(call(api, "GET", path))) == (
        404,
        {"title": "Not Found", "description": "User Not Found"},
    )
    assert call(api, "PUT", path, {"description": "Bob"}).status == 201
    assert body(call(api, "GET", path)) == {
        "uid": "bob@example.com",
        "description": "bob@example.com",
    }
    again = call(api, "PUT", path, {})
    assert (again.status, body(again)) == (
        409,
        {"title": "Conflict", "description": "Already Exists"},
    )
    assert call(api, "DELETE", path).status == 204
    gone = call(api, "DELETE", path)
    assert (gone.status, body(gone)["description"]) == (404, "User not found")


@pytest.mark.parametrize("payload", [b"", b"[]", b"{", b'{"description": 5}', b'"x"'])
def test_put_with_a_bad_body(api: oauth_api.Api, payload: bytes) -> None:
    response = call(api, "PUT", "/acs/api/v1/users/bob@example.com", payload)
    assert (response.status, body(response)) == (
        400,
        {"title": "Bad Request", "description": "invalid user json"},
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_uid_that_is_no_email(api: oauth_api.Api, method: str) -> None:
    response = call(api, method, "/acs/api/v1/users/bob", {})
    assert (response.status, body(response)) == (
        500,
        {"title": "Internal Server Error", "description": "invalid email"},
    )


def test_groups_and_jwks(api: oauth_api.Api) -> None:
    assert body(call(api, "GET", "/acs/api/v1/groups")) == {"array": None}
    keys = body(call(api, "GET", "/acs/api/v1/auth/jwks"))["keys"]
    assert [k["kid"] for k in keys] == [localissuer.public_jwk(KEY)["kid"]]
    assert "d" not in keys[0]  # no private part


def test_ui_config_adds_the_cluster_configuration(
    api: oauth_api.Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_config = tmp_path / "ui-config.json"
    monkeypatch.setattr(oauth_api, "UI_CONFIG", ui_config)
    assert call(api, "GET", "/dcos-metadata/ui-config.json").status == 500
    ui_config.write_text('{"uiConfiguration": {}}')
    assert body(call(api, "GET", "/dcos-metadata/ui-config.json")) == {
        "uiConfiguration": {},
        "clusterConfiguration": {"firstUser": True, "id": "c-1"},
    }


def test_login_page_says_how_to_get_an_id_token(api: oauth_api.Api) -> None:
    response = call(api, "GET", "/login")
    assert response.content_type.startswith("text/html")
    assert b"dcos-oauth id-token" in response.body


def test_only_one_of_two_simultaneous_first_logins_wins(zk: FakeZooKeeper) -> None:
    store = Store(zk)
    zk.ensure_path("/dcos/users")
    _, stat = zk.get_children("/dcos/users", include_data=True)
    # Another master's first login lands between this one's read and its write.
    real_get_children = zk.get_children

    def racing_get_children(path: str, include_data: bool = False) -> Any:
        result = real_get_children(path, include_data)
        if include_data:
            zk.set_data("/dcos/users", b"", version=stat.version)
            zk.create("/dcos/users/other@example.com", b"other@example.com")
        return result

    zk.get_children = racing_get_children  # type: ignore[method-assign]
    assert store.add_first_user("me@example.com") is False
    zk.get_children = real_get_children  # type: ignore[method-assign]
    assert store.users() == ["other@example.com"]
