"""ID tokens checked offline: configured JWKS, the local issuer, claims-only issuers."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from dcos_oauth import idtoken, localissuer
from dcos_oauth.settings import DEFAULT_CLIENT_ID, DEFAULT_ISSUER_URL, Settings, from_config

NOW = 1_700_000_000
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
LOCAL_PEM = localissuer.new_key_pem()


def jwk_of(key: Any, kid: str) -> dict[str, Any]:
    # PyJWT 2.6 (Debian 12's) leaves to_jwk unannotated.
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())  # type: ignore[no-untyped-call]
    jwk: dict[str, Any] = json.loads(public)
    return {**jwk, "kid": kid}


CONFIGURED = Settings(jwks={"keys": [jwk_of(RSA_KEY, "k1")]}, cluster_id="c-1")


def claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": DEFAULT_ISSUER_URL,
        "aud": DEFAULT_CLIENT_ID,
        "email": "alice@example.com",
        "email_verified": True,
        "sub": "alice",
        "exp": NOW + 60,
        "iat": NOW,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], key: Any = RSA_KEY, kid: str = "k1") -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def verify(token: str, settings: Settings = CONFIGURED) -> idtoken.Verified:
    return idtoken.verify(token, settings, localissuer.jwks(LOCAL_PEM), now=NOW)


def test_a_token_signed_by_a_configured_key_logs_in() -> None:
    verified = verify(signed(claims()))
    assert verified.uid == "alice@example.com"
    assert verified.claims["sub"] == "alice"


def test_the_local_issuer_mints_tokens_the_cluster_accepts() -> None:
    token = localissuer.mint(LOCAL_PEM, CONFIGURED, "bob@example.com", ttl_s=60, now=NOW)
    verified = verify(token)
    assert verified.uid == "bob@example.com"
    assert verified.claims["iss"] == "urn:dcos-oauth:cluster:c-1"
    assert verified.claims["exp"] == NOW + 60


def test_another_clusters_local_tokens_are_refused() -> None:
    other = Settings(cluster_id="c-2")
    token = localissuer.mint(localissuer.new_key_pem(), other, "bob@example.com", now=NOW)
    with pytest.raises(idtoken.LoginError) as info:
        verify(token)
    assert (info.value.status, info.value.description) == (401, "JWT verification failed")
    # Same issuer name, another key: the signature is what counts.
    forged = localissuer.mint(localissuer.new_key_pem(), CONFIGURED, "bob@example.com", now=NOW)
    with pytest.raises(idtoken.LoginError) as info:
        verify(forged)
    assert info.value.status == 401


@pytest.mark.parametrize(
    ("token", "status", "description"),
    [
        ("", 400, "JWT parsing failed"),
        ("not.a.jwt", 400, "JWT parsing failed"),
        (signed(claims(), key=OTHER_RSA_KEY), 401, "JWT verification failed"),
        (signed(claims(), kid="unknown"), 401, "JWT verification failed"),
        (signed(claims(iss="https://issuer.example.com/")), 401, "JWT verification failed"),
        (signed(claims(aud="another-client")), 401, "JWT verification failed"),
        (signed(claims(exp=NOW - 1)), 401, "JWT verification failed"),
        (signed(claims(exp=None)), 401, "JWT verification failed"),
        (signed(claims(email_verified=False)), 400, "email not verified"),
        (signed(claims(email=None)), 400, "invalid email claim"),
        (jwt.encode(claims(), "guess", algorithm="HS256"), 401, "JWT verification failed"),
    ],
    ids=[
        "empty",
        "garbage",
        "wrong-key",
        "unknown-kid",
        "untrusted-issuer",
        "wrong-audience",
        "expired",
        "no-exp",
        "email-unverified",
        "no-email",
        "hs256-forgery",
    ],
)
def test_refusals_are_dcos_oauths(token: str, status: int, description: str) -> None:
    with pytest.raises(idtoken.LoginError) as info:
        verify(token)
    assert (info.value.status, info.value.description) == (status, description)


def test_an_audience_list_holding_the_client_id_is_accepted() -> None:
    assert verify(signed(claims(aud=["x", DEFAULT_CLIENT_ID]))).uid == "alice@example.com"


def test_unsigned_tokens_pass_only_for_claims_only_issuers() -> None:
    unsigned = signed(claims(), key=OTHER_RSA_KEY, kid="someone-elses")
    with pytest.raises(idtoken.LoginError):
        verify(unsigned)
    claims_only = Settings(claims_only_issuers=(DEFAULT_ISSUER_URL,), cluster_id="c-1")
    assert verify(unsigned, claims_only).uid == "alice@example.com"
    # The claims are still checked.
    with pytest.raises(idtoken.LoginError) as info:
        verify(signed(claims(exp=NOW - 5), key=OTHER_RSA_KEY), claims_only)
    assert info.value.description == "JWT verification failed"


DCOS_CI_ID_TOKEN = (
    # dcos-test-utils' CI credential: an Auth0 ID token for albert@bekstil.net
    # (issuer https://dcos.auth0.com/, DC/OS's client ID, expiring in 2036).
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6Ik9UQkVOakZFTWtWQ09VRTRPRVpGTlRNMFJrWXlRa015Tnp"
    "rd1JrSkVRemRCTWpBM1FqYzVOZyJ9.eyJlbWFpbCI6ImFsYmVydEBiZWtzdGlsLm5ldCIsImVtYWlsX3ZlcmlmaWVkIj"
    "p0cnVlLCJpc3MiOiJodHRwczovL2Rjb3MuYXV0aDAuY29tLyIsInN1YiI6Imdvb2dsZS1vYXV0aDJ8MTA5OTY0NDk5M"
    "DExMTA4OTA1MDUwIiwiYXVkIjoiM3lGNVRPU3pkbEk0NVExeHNweHplb0dCZTlmTnhtOW0iLCJleHAiOjIwOTA4ODQ5"
    "NzQsImlhdCI6MTQ2MDE2NDk3NH0.OxcoJJp06L1z2_41_p65FriEGkPzwFB_0pA9ULCvwvzJ8pJXw9hLbmsx-23aY2f-"
    "ydwJ7LSibL9i5NbQSR2riJWTcW4N7tLLCCMeFXKEK4hErN2hyxz71Fl765EjQSO5KD1A-HsOPr3ZZPoGTBjE0-EFtmXk"
    "SlHb1T2zd0Z8T5Z2-q96WkFoT6PiEdbrDA-e47LKtRmqsddnPZnp0xmMQdTr2MjpVgvqG7TlRvxDcYc-62rkwQXDNSWs"
    "W61FcKfQ-TRIZSf2GS9F9esDF4b5tRtrXcBNaorYa9ql0XAWH5W_ct4ylRNl3vwkYKWa4cmPvOqT5Wlj9Tf0af4lNO40PQ"
)


def test_dcos_ci_token_logs_in_only_with_its_issuer_claims_only() -> None:
    default = from_config({}, "c-1")
    with pytest.raises(idtoken.LoginError) as info:
        idtoken.verify(DCOS_CI_ID_TOKEN, default, {"keys": []}, now=time.time())
    assert info.value.status == 401
    claims_only = from_config(
        {"oauth_claims_only_issuers": json.dumps([DEFAULT_ISSUER_URL])}, "c-1"
    )
    verified = idtoken.verify(DCOS_CI_ID_TOKEN, claims_only, {"keys": []}, now=time.time())
    assert verified.uid == "albert@bekstil.net"


def test_settings_from_the_expanded_config() -> None:
    jwks = {"keys": [jwk_of(RSA_KEY, "k1")]}
    settings = from_config(
        {
            "oauth_issuer_url": "https://issuer.example.com/",
            "oauth_client_id": "abc",
            "oauth_jwks": json.dumps(jwks),
            "oauth_claims_only_issuers": "[]",
        },
        "c-9",
    )
    assert settings == Settings("https://issuer.example.com/", "abc", jwks, (), "c-9")
    assert from_config({}, "c") == Settings(cluster_id="c")
