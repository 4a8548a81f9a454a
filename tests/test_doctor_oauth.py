"""doctor warns about clusters that log in ID tokens on their claims alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from minidcos.backends.docker import doctor


class Workspaces:
    def __init__(self, configs: dict[str, str], root: Path) -> None:
        self.paths = {}
        for cluster_id, text in configs.items():
            (root / cluster_id / "genconf").mkdir(parents=True)
            (root / cluster_id / "genconf" / "config.yaml").write_text(text)
            self.paths[cluster_id] = [root / cluster_id]

    def list_clusters(self) -> list[str]:
        return sorted(self.paths)

    def workspaces(self, cluster_id: str) -> list[Path]:
        return self.paths[cluster_id]


def test_only_claims_only_clusters_are_named(tmp_path: Path) -> None:
    provider = Workspaces(
        {
            "plain": "oauth_enabled: true\n",
            "ci": "oauth_claims_only_issuers: ['https://dcos.auth0.com/']\n",
        },
        tmp_path,
    )
    findings = doctor._claims_only_logins(cast(Any, provider))
    assert [(f.level, f.name) for f in findings] == [("warn", "cluster ci")]
    assert "https://dcos.auth0.com/" in findings[0].detail
