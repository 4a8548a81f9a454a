"""The cluster's own OpenID Connect issuer: ID tokens for its users with no network.

DC/OS 1.10 Open sent people to an Auth0 login page for an ID token. A
miniDC/OS cluster reaches nothing outside itself, so it mints ID tokens
itself, signed with an EC P-256 key that every master shares (kept in
ZooKeeper). Minting needs that key, so only root on a master can do it
(`dcos-oauth id-token EMAIL`); the token then logs in like any other.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .settings import Settings

# As long as dcos-oauth's cookies last.
DEFAULT_TTL_S = 388800


def new_key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the local issuer's key is not an EC key")
    return key


def public_jwk(pem: bytes) -> dict[str, Any]:
    """The public half of the key as a JWK, with a kid derived from it."""
    jwk: dict[str, Any] = json.loads(
        jwt.algorithms.ECAlgorithm.to_jwk(_private_key(pem).public_key())  # type: ignore[no-untyped-call]
    )
    thumbprint = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    jwk.update(
        kid=jwt.utils.base64url_encode(hashlib.sha256(thumbprint.encode()).digest()).decode()[:16],
        use="sig",
        alg="ES256",
    )
    return jwk


def jwks(pem: bytes) -> dict[str, Any]:
    return {"keys": [public_jwk(pem)]}


def mint(
    pem: bytes, settings: Settings, email: str, ttl_s: int = DEFAULT_TTL_S, now: float | None = None
) -> str:
    """An ID token for `email` from the cluster's issuer, for the cluster's client ID."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": settings.local_issuer,
        "sub": email,
        "aud": settings.client_id,
        "email": email,
        "email_verified": True,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    headers = {"kid": public_jwk(pem)["kid"]}
    return jwt.encode(claims, cast(str, _private_key(pem)), algorithm="ES256", headers=headers)
