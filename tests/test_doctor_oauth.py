"""doctor warns about clusters that log in ID tokens on their claims alone."""

from __future__ import annotations

from minidcos import doctor
from minidcos.cluster import Cluster, ClusterSpec
from tests.fake_provider import FakeProvider

USER_CONFIG = "/opt/mesosphere/etc/user.config.yaml"


def test_only_claims_only_clusters_are_named() -> None:
    provider = FakeProvider()
    configs = {
        "plain": b"oauth_enabled: true\n",
        "ci": b"oauth_claims_only_issuers: ['https://dcos.auth0.com/']\n",
        "bare": None,  # no DC/OS on it: nothing to read, nothing to say
    }
    for cluster_id, text in configs.items():
        Cluster.create(ClusterSpec(1, 0, 0, cluster_id), provider=provider)
        if text is not None:
            provider.cluster_nodes[cluster_id][0].files[USER_CONFIG] = (text, 0o644)
    findings = doctor._claims_only_logins(provider)
    assert [(f.level, f.name) for f in findings] == [("warn", "cluster ci")]
    assert "https://dcos.auth0.com/" in findings[0].detail
