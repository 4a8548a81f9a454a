"""dcos-oauth's HTTP API (127.0.0.1:8101; Admin Router serves it at /acs/api/v1/).

Paths, status codes and error bodies are dcos-oauth's: errors are
`{"title": <HTTP reason>, "description": <what went wrong>}`.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dcos_internal_utils.http import Request, Response, Router

from . import clustertoken, idtoken
from .settings import Settings
from .store import Store, UserExistsError, UserNotFoundError

log = logging.getLogger(__name__)

AUTH_COOKIE = "dcos-acs-auth-cookie"
INFO_COOKIE = "dcos-acs-info-cookie"
COOKIE_MAX_AGE_S = 388800
UI_CONFIG = Path("/opt/mesosphere/etc/ui-config.json")

# dcos-oauth's test of a uid: an email address.
EMAIL = re.compile(r"^[A-Za-z0-9\u201c\u201d._%+-]+@(?:[A-Za-z0-9\[-]+\.)+[A-Za-z0-9\]-]{2,}$")
# The fields dcos-oauth's user JSON has, and their JSON types.
USER_FIELDS: dict[str, type] = {
    "uid": str,
    "description": str,
    "url": str,
    "is_remote": bool,
    "creator_uid": str,
    "cluster_url": str,
}


def error(status: int, description: str) -> Response:
    body = json.dumps({"title": HTTPStatus(status).phrase, "description": description})
    return Response(
        status=status,
        body=body.encode() + b"\n",
        content_type="application/json; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def ok_json(value: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(value).encode() + b"\n")


def cookie(name: str, value: str, max_age: int, http_only: bool, now: float) -> str:
    """A Set-Cookie value in the form dcos-oauth (Go's net/http) wrote it."""
    expires = formatdate(now + max_age if max_age > 0 else 1, usegmt=True)
    parts = [f"{name}={value}", "Path=/", f"Expires={expires}", f"Max-Age={max(max_age, 0)}"]
    if http_only:
        parts.append("HttpOnly")
    return "; ".join(parts)


def user_json(uid: str) -> dict[str, Any]:
    # dcos-oauth keeps no description: it is the uid.
    return {"uid": uid, "description": uid}


def valid_user_body(body: bytes) -> bool:
    """Whether dcos-oauth would decode `body` as its user JSON."""
    try:
        value = json.loads(body)
    except ValueError:
        return False
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    return all(_field_ok(value[k], t) for k, t in USER_FIELDS.items() if k in value)


def _field_ok(value: Any, expected: type) -> bool:
    if value is None:
        return True
    # JSON true is no string, and a string is no bool: Go's decoder refuses both.
    return isinstance(value, expected) and (expected is bool) == isinstance(value, bool)


class Api:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        secret: Callable[[], bytes],
        local_jwks: Callable[[], dict[str, Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.secret = secret
        self.local_jwks = local_jwks
        self.clock = clock

    def router(self) -> Router:
        router = Router()
        router.route("POST", "/acs/api/v1/auth/login")(self.login)
        router.get("/acs/api/v1/auth/logout")(self.logout)
        router.get("/acs/api/v1/auth/jwks")(self.jwks)
        router.get("/acs/api/v1/users")(self.list_users)
        router.get("/acs/api/v1/users/{uid}")(self.get_user)
        router.route("PUT", "/acs/api/v1/users/{uid}")(self.put_user)
        router.route("DELETE", "/acs/api/v1/users/{uid}")(self.delete_user)
        router.get("/acs/api/v1/groups")(self.groups)
        router.get("/dcos-metadata/ui-config.json")(self.ui_config)
        router.get("/login")(self.login_page)
        return router

    # -- login and logout -------------------------------------------------------

    def login(self, request: Request) -> Response:
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "JSON decode error")
        if not isinstance(body, dict):
            return error(400, "JSON decode error")
        try:
            verified = idtoken.verify(
                body.get("token") or "", self.settings, self.local_jwks(), now=self.clock()
            )
        except idtoken.LoginError as exc:
            log.info("login refused: %s (%s)", exc.description, exc.detail)
            return error(exc.status, exc.description)
        uid = verified.uid
        self.store.add_first_user(uid)
        if not self.store.user_exists(uid):
            log.info("login refused: %s is not a user", uid)
            return error(401, "User unauthorized")
        token = clustertoken.mint(verified.claims, uid, self.secret())
        now = self.clock()
        info = base64.urlsafe_b64encode(
            json.dumps(user_json(uid), separators=(",", ":")).encode()
        ).decode()
        response = ok_json({"token": token})
        response.header_list += [
            ("Set-Cookie", cookie(AUTH_COOKIE, token, COOKIE_MAX_AGE_S, True, now)),
            ("Set-Cookie", cookie(INFO_COOKIE, info, COOKIE_MAX_AGE_S, False, now)),
        ]
        log.info("%s logged in", uid)
        return response

    def logout(self, request: Request) -> Response:
        response = Response(status=200, body=b"", content_type="text/plain; charset=utf-8")
        response.header_list += [
            ("Set-Cookie", cookie(name, "", -1, True, self.clock()))
            for name in (AUTH_COOKIE, INFO_COOKIE)
        ]
        return response

    def jwks(self, request: Request) -> Response:
        """The keys whose ID tokens log in here: the cluster's own and the configured ones."""
        keys = self.local_jwks().get("keys", []) + self.settings.jwks.get("keys", [])
        return ok_json({"keys": keys})

    # -- users ----------------------------------------------------------------

    def list_users(self, request: Request) -> Response:
        users = self.store.users()
        # dcos-oauth (Go) wrote an empty list as null.
        return ok_json({"array": [user_json(u) for u in users] or None})

    def get_user(self, request: Request) -> Response:
        uid = unquote(request.params["uid"])
        if not EMAIL.match(uid):
            return error(500, "invalid email")
        if not self.store.user_exists(uid):
            return error(404, "User Not Found")
        return ok_json(user_json(uid))

    def put_user(self, request: Request) -> Response:
        uid = unquote(request.params["uid"])
        if not EMAIL.match(uid):
            return error(500, "invalid email")
        if self.store.user_exists(uid):
            return error(409, "Already Exists")
        if not valid_user_body(request.body):
            return error(400, "invalid user json")
        try:
            self.store.add_user(uid)
        except UserExistsError:
            return error(409, "Already Exists")
        log.info("user %s created", uid)
        return Response(status=201, body=b"", content_type="text/plain; charset=utf-8")

    def delete_user(self, request: Request) -> Response:
        uid = unquote(request.params["uid"])
        if not EMAIL.match(uid):
            return error(500, "invalid email")
        try:
            self.store.delete_user(uid)
        except UserNotFoundError:
            return error(404, "User not found")
        log.info("user %s deleted", uid)
        return Response(status=204, body=b"", content_type="text/plain; charset=utf-8")

    def groups(self, request: Request) -> Response:
        # Open DC/OS has no groups; systemd's and Admin Router's checks call this.
        return ok_json({"array": None})

    # -- the UI's config and the login page ----------------------------------------

    def ui_config(self, request: Request) -> Response:
        try:
            config = json.loads(UI_CONFIG.read_text())
        except (OSError, ValueError):
            return error(500, "ui-config.json read failed")
        config["clusterConfiguration"] = {
            "firstUser": not self.store.users(),
            "id": self.settings.cluster_id,
        }
        return ok_json(config)

    def login_page(self, request: Request) -> Response:
        """Where DC/OS's CLI (`dcos auth login`) sends people for an ID token."""
        page = LOGIN_PAGE.format(
            issuer=html.escape(self.settings.local_issuer),
            claims_only=html.escape(", ".join(self.settings.claims_only_issuers) or "none"),
        )
        return Response(status=200, body=page.encode(), content_type="text/html; charset=utf-8")


LOGIN_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Log in to DC/OS</title></head>
<body>
<h1>Log in to DC/OS</h1>
<p>This cluster issues OpenID Connect ID tokens itself (issuer <code>{issuer}</code>);
it reaches no login service outside itself. To get an ID token for a user, run on a
master:</p>
<pre>/opt/mesosphere/bin/dcos-oauth id-token you@example.com</pre>
<p>or, on the machine that runs the cluster,
<code>minidcos docker run -- /opt/mesosphere/bin/dcos-oauth id-token you@example.com</code>.
The first user to log in becomes the cluster's first user; later users must be added
first (<code>dcos_add_user.py you@example.com</code>, or
<code>PUT /acs/api/v1/users/&lt;email&gt;</code>).</p>
<p>If DC/OS's CLI asked for an "OpenID Connect ID Token", paste it there.
Or log in here:</p>
<form id="login">
<textarea name="token" rows="6" cols="80" placeholder="ID token"></textarea><br>
<button type="submit">Log in</button> <span id="result"></span>
</form>
<p>Issuers accepted on their claims alone: {claims_only}.</p>
<script>
document.getElementById("login").addEventListener("submit", function (event) {{
  event.preventDefault();
  var token = event.target.token.value.trim();
  fetch("/acs/api/v1/auth/login", {{
    method: "POST",
    headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{token: token}})
  }}).then(function (response) {{
    if (response.ok) {{ window.location.href = "/"; return; }}
    return response.json().then(function (body) {{
      document.getElementById("result").textContent = body.title + ": " + body.description;
    }});
  }});
}});
</script>
</body>
</html>
"""
