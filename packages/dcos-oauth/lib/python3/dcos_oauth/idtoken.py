"""Checking OpenID Connect ID tokens offline, with the answers dcos-oauth gives.

dcos-oauth fetched its issuer's keys on every login; a miniDC/OS cluster
never reaches out, so the keys come with the config (`oauth_jwks`), the
cluster's own issuer uses its own key, and issuers listed in
`oauth_claims_only_issuers` are taken on their claims alone. The claims are
checked as go-oidc checked them: a trusted `iss`, the client ID in `aud`, an
`exp` in the future, then dcos-oauth's `email_verified` and `email`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from .settings import Settings

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"]


class LoginError(Exception):
    """A login refused: the HTTP status and dcos-oauth's description."""

    def __init__(self, status: int, description: str, detail: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.detail = detail or description


@dataclass(frozen=True)
class Verified:
    uid: str
    claims: dict[str, Any]


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LoginError(400, "JWT parsing failed", str(exc)) from exc
    if not isinstance(claims, dict):
        raise LoginError(400, "JWT parsing failed", "the payload is not a JSON object")
    return header, claims


def _key_for(header: dict[str, Any], jwks: dict[str, Any]) -> Any:
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    kid = header.get("kid")
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    if not keys:
        raise LoginError(401, "JWT verification failed", f"no key in the JWKS for kid {kid!r}")
    try:
        return jwt.PyJWK(keys[0]).key  # type: ignore[no-untyped-call]
    except jwt.PyJWTError as exc:
        raise LoginError(401, "JWT verification failed", f"unusable JWK: {exc}") from exc


def _check_signature(token: str, key: Any) -> None:
    try:
        jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            options={
                "verify_exp": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise LoginError(401, "JWT verification failed", str(exc)) from exc


def _check_claims(claims: dict[str, Any], issuer: str, client_id: str, now: float) -> None:
    if claims.get("iss") != issuer:
        raise LoginError(401, "JWT verification failed", f"untrusted issuer {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise LoginError(
            401, "JWT verification failed", f"audience {audience!r} is not {client_id}"
        )
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise LoginError(401, "JWT verification failed", "missing or malformed exp claim")
    if exp <= now:
        raise LoginError(401, "JWT verification failed", "token is expired")


def verify(
    token: str, settings: Settings, local_jwks: dict[str, Any], now: float | None = None
) -> Verified:
    """The uid (the `email` claim) and claims of a valid ID token; LoginError otherwise."""
    if not isinstance(token, str) or not token:
        raise LoginError(400, "JWT parsing failed", "no token")
    now = time.time() if now is None else now
    header, claims = _unverified(token)
    issuer = claims.get("iss")
    if issuer == settings.local_issuer and settings.cluster_id:
        _check_signature(token, _key_for(header, local_jwks))
    elif issuer == settings.issuer_url:
        if issuer not in settings.claims_only_issuers:
            _check_signature(token, _key_for(header, settings.jwks))
    else:
        raise LoginError(401, "JWT verification failed", f"untrusted issuer {issuer!r}")
    _check_claims(claims, str(issuer), settings.client_id, now)
    # Auth0 marks addresses it has not verified; dcos-oauth refused those.
    if claims.get("email_verified") is False:
        raise LoginError(400, "email not verified")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise LoginError(400, "invalid email claim")
    return Verified(uid=email, claims=claims)
