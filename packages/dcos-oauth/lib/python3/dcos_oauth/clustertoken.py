"""Cluster tokens: what a login returns and Admin Router checks on every request.

As dcos-oauth made them: the ID token's claims with `uid` added, signed
HS256 with the cluster's secret (`/dcos/auth-token-secret`). The `exp` is
the ID token's, so a token lasts as long as the login it came from.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, cast

import jwt

SECRET_LENGTH = 64


def new_secret() -> bytes:
    """64 ASCII letters, as DC/OS's bootstrap made the secret."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(SECRET_LENGTH)).encode()


def mint(claims: dict[str, Any], uid: str, secret: bytes) -> str:
    return jwt.encode({**claims, "uid": uid}, cast(str, secret), algorithm="HS256")


def claims_at(token: str, secret: bytes, now: float) -> dict[str, Any]:
    """The claims of a cluster token valid at `now` (the check Admin Router makes)."""
    payload: dict[str, Any] = jwt.decode(
        token,
        cast(str, secret),
        algorithms=["HS256"],
        options={"verify_aud": False, "verify_exp": False},
    )
    exp = payload.get("exp")
    if exp is not None and exp <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")
    return payload


def uid_of_at(token: str, secret: bytes, now: float) -> str:
    uid = claims_at(token, secret, now).get("uid")
    if not isinstance(uid, str) or not uid:
        raise jwt.InvalidTokenError("no uid claim")
    return uid
