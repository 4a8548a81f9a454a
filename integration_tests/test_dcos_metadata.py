"""What DC/OS's test_endpoints.py reads about the cluster through Admin Router: the
capabilities, the UI's configuration, the version, the active packages; and the platform
services' locations, protected as DC/OS 1.10 Open protects them.
"""

from __future__ import annotations

import requests
from mesos_tasks import session

AR = "http://127.0.0.1"
CAPABILITIES = "application/vnd.dcos.capabilities+json;charset=utf-8;version=v1"

# Each answers 200 with the cluster token and 401 without (when auth is on).
PLATFORM_LOCATIONS = [
    "/system/v1/logs/v1/range/?limit=1",
    "/system/v1/metrics/v0/ping",
    "/dcos-history-service/ping",
    "/capabilities",
]


def test_capabilities() -> None:
    response = session.get(f"{AR}/capabilities", headers={"Accept": CAPABILITIES}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CAPABILITIES
    capabilities = response.json()["capabilities"]
    for name in ("PACKAGE_MANAGEMENT", "LOGGING", "METRICS"):
        assert {"name": name} in capabilities


def test_ui_config_says_task_logs_are_in_the_journal() -> None:
    ui = requests.get(f"{AR}/dcos-metadata/ui-config.json", timeout=10).json()
    plugins = ui["uiConfiguration"]["plugins"]
    assert plugins["mesos"]["logging-strategy"] == "journald"
    assert isinstance(plugins["tracking"]["enabled"], bool)


def test_version_and_active_packages() -> None:
    assert requests.get(f"{AR}/dcos-metadata/dcos-version.json", timeout=10).json()["version"]
    buildinfo = session.get(f"{AR}/pkgpanda/active.buildinfo.full.json", timeout=10).json()
    assert {"mesos", "dcos-log", "dcos-metrics", "dcos-history", "dcos-signal"} <= set(buildinfo)
    assert len(buildinfo) > 5


def test_platform_locations_need_a_token(expanded_config: dict[str, str]) -> None:
    for path in PLATFORM_LOCATIONS:
        # Cosmos answers /capabilities only in the media type it is asked for.
        headers = {"Accept": CAPABILITIES} if path == "/capabilities" else {}
        assert session.get(AR + path, headers=headers, timeout=10).status_code == 200, path
        bare = requests.get(AR + path, headers=headers, timeout=10)
        if expanded_config["oauth_enabled"] == "true":
            assert bare.status_code == 401, path
            assert bare.headers["WWW-Authenticate"] == "oauthjwt"
        else:
            assert bare.status_code == 200, path
