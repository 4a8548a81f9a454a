"""dcos-oauth's settings, from the cluster's expanded config.

    oauth_issuer_url           the OpenID Connect issuer whose ID tokens log users in
    oauth_client_id            the audience those ID tokens must carry
    oauth_jwks                 that issuer's signing keys (a JWKS): the cluster never
                               fetches them, so they come with the config
    oauth_claims_only_issuers  issuers whose ID tokens are taken on their claims alone,
                               signature unchecked: for throwaway test clusters only

Besides these, every cluster is an issuer itself (the local issuer), with a key
of its own, so that its users can log in with no network at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ISSUER_URL = "https://dcos.auth0.com/"
DEFAULT_CLIENT_ID = "3yF5TOSzdlI45Q1xspxzeoGBe9fNxm9m"
CLUSTER_ID_FILE = Path("/var/lib/dcos/cluster-id")
SECRET_FILE = Path("/var/lib/dcos/dcos-oauth/auth-token-secret")


def local_issuer_url(cluster_id: str) -> str:
    """The `iss` of ID tokens the cluster mints itself: one per cluster."""
    return f"urn:dcos-oauth:cluster:{cluster_id}"


@dataclass(frozen=True)
class Settings:
    issuer_url: str = DEFAULT_ISSUER_URL
    client_id: str = DEFAULT_CLIENT_ID
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    claims_only_issuers: tuple[str, ...] = ()
    cluster_id: str = ""

    @property
    def local_issuer(self) -> str:
        return local_issuer_url(self.cluster_id)


def _json_value(value: Any, default: Any) -> Any:
    if value in (None, ""):
        return default
    return json.loads(value) if isinstance(value, str) else value


def from_config(config: dict[str, Any], cluster_id: str) -> Settings:
    """Settings from an expanded config (its values are strings, lists JSON-encoded)."""
    return Settings(
        issuer_url=config.get("oauth_issuer_url") or DEFAULT_ISSUER_URL,
        client_id=config.get("oauth_client_id") or DEFAULT_CLIENT_ID,
        jwks=_json_value(config.get("oauth_jwks"), {"keys": []}),
        claims_only_issuers=tuple(_json_value(config.get("oauth_claims_only_issuers"), [])),
        cluster_id=cluster_id,
    )


def load() -> Settings:
    from dcos_internal_utils import node

    return from_config(node.expanded_config(), CLUSTER_ID_FILE.read_text().strip())
