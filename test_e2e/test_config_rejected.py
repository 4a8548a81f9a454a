"""A bad config.yaml is rejected, with DC/OS's messages, before any container is made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from minidcos.backends.docker.provider import DockerProvider
from minidcos.pytest_plugin import ClusterFactory


def create_with_extra_config(
    cluster_id: str, extra: Path, text: str
) -> subprocess.CompletedProcess[str]:
    """`minidcos docker create --extra-config` with `text` as the extra config."""
    extra.write_text(text)
    minidcos = Path(sys.executable).parent / "minidcos"
    return subprocess.run(
        [str(minidcos), "docker", "create", "-c", cluster_id, "--extra-config", str(extra)],
        capture_output=True,
        text=True,
    )


def test_bad_extra_config_makes_nothing(cluster_factory: ClusterFactory, tmp_path: Path) -> None:
    cluster_id = cluster_factory.new_cluster_id("rejected")
    provider = cluster_factory.provider
    assert isinstance(provider, DockerProvider)
    proc = create_with_extra_config(
        cluster_id,
        tmp_path / "extra.yaml",
        "dns_search: a.example,b.example\noauth_enabled: maybe\nresolvers: [198.51.100.1]\n",
    )
    assert proc.returncode == 1
    assert "dns_search: Must not contain commas; separate domains with spaces" in proc.stderr
    assert "oauth_enabled: Must be one of 'true', 'false'. Got 'maybe'." in proc.stderr
    assert "resolvers: Spartan addresses found in resolvers: 198.51.100.1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Ensuring the node image" not in proc.stderr  # checked before anything was made
    assert cluster_id not in provider.list_clusters()
    api = provider.client.api
    assert api.networks(filters={"label": f"minidcos.cluster={cluster_id}"}) == []


def test_unparsable_extra_config(cluster_factory: ClusterFactory, tmp_path: Path) -> None:
    cluster_id = cluster_factory.new_cluster_id("unparsable")
    extra = tmp_path / "extra.yaml"
    proc = create_with_extra_config(cluster_id, extra, "master_list: [unclosed\n")
    assert proc.returncode == 1
    assert f"Error: {extra} is invalid" in proc.stderr
