"""Exhibitor's HTTP basic auth, on when config.yaml sets exhibitor_admin_password.

DC/OS then writes /opt/mesosphere/etc/exhibitor_realm (Jetty's realm format,
`admin: PASSWORD,admin`) and protects every Exhibitor path with role `admin`
in realm "DCOS", except /exhibitor/v1/cluster/status, which stays public
(agents and tools read the ensemble from it). Without the file Exhibitor is
open, as on DC/OS Open by default.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from pathlib import Path

from dcos_internal_utils.http import Request, Response, Router

REALM_FILE = Path("/opt/mesosphere/etc/exhibitor_realm")
REALM = "DCOS"
ROLE = "admin"
PUBLIC_PATHS = ("/exhibitor/v1/cluster/status",)


def read_realm(text: str) -> dict[str, tuple[str, set[str]]]:
    """user -> (password, roles) from `user: password,role,role` lines."""
    users = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        user, rest = line.split(":", 1)
        password, *roles = (part.strip() for part in rest.split(","))
        users[user.strip()] = (password, set(roles))
    return users


class ProtectedRouter(Router):
    """A router whose paths (but the public ones) need a user of role `admin`."""

    def __init__(self, router: Router, users: dict[str, tuple[str, set[str]]]) -> None:
        super().__init__()
        self.router = router
        self.users = users

    def allowed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        known = self.users.get(user)
        return bool(known and hmac.compare_digest(known[0], password) and ROLE in known[1])

    def dispatch(self, request: Request) -> Response:
        if request.path in PUBLIC_PATHS or self.allowed(request):
            return self.router.dispatch(request)
        response = Response.error(401, "Unauthorized")
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return response


def protect(router: Router, realm_file: Path = REALM_FILE) -> Router:
    if not realm_file.exists():
        return router
    return ProtectedRouter(router, read_realm(realm_file.read_text()))
