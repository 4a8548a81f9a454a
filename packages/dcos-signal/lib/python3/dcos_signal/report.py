"""dcos-signal: DC/OS's telemetry report, built from diagnostics, Cosmos and Mesos, kept on disk.

DC/OS's signal service sends three "tracks" (health, installed packages,
Mesos usage) to an analytics service every hour. This one builds the same
tracks from the same endpoints and writes them to the node's disk instead:
nothing ever leaves the cluster. `telemetry_enabled: false` in config.yaml
(`"enabled": "false"` in /opt/mesosphere/etc/dcos-signal-config.json) turns
it off. `dcos-signal -test` prints the tracks instead, as DC/OS's does.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("dcos-signal")

CONFIG_PATH = Path("/opt/mesosphere/etc/dcos-signal-config.json")
EXTRA_CONFIG_PATH = Path("/opt/mesosphere/etc/dcos-signal-extra.json")
CLUSTER_ID_PATH = Path("/var/lib/dcos/cluster-id")
VERSION_PATH = Path("/opt/mesosphere/etc/dcos-version.json")
REPORT_PATH = Path("/var/lib/dcos/dcos-signal/report.json")
TIMEOUT_S = 15.0

COSMOS_LIST_REQUEST = "application/vnd.dcos.package.list-request+json;charset=utf-8;version=v1"
COSMOS_LIST_RESPONSE = "application/vnd.dcos.package.list-response+json;charset=utf-8;version=v1"


@dataclass
class Config:
    cluster_id: str
    dcos_version: str
    diagnostics_urls: list[str] = field(default_factory=list)
    cosmos_urls: list[str] = field(default_factory=list)
    mesos_urls: list[str] = field(default_factory=list)
    customer_key: str = ""
    gen_platform: str = ""
    gen_provider: str = ""
    enabled: str = "true"
    variant: str = "open"

    @classmethod
    def load(
        cls,
        path: Path = CONFIG_PATH,
        extra: Path = EXTRA_CONFIG_PATH,
        cluster_id: Path = CLUSTER_ID_PATH,
        version: Path = VERSION_PATH,
    ) -> Config:
        data = json.loads(path.read_text())
        if extra.exists():
            data.update(json.loads(extra.read_text()))
        try:
            dcos_version = str(json.loads(version.read_text()).get("version", ""))
        except (OSError, ValueError):
            dcos_version = os.environ.get("DCOS_VERSION", "")
        return cls(
            cluster_id=cluster_id.read_text().strip(),
            dcos_version=os.environ.get("DCOS_VERSION", dcos_version),
            diagnostics_urls=list(data.get("diagnostics_urls", [])),
            cosmos_urls=list(data.get("cosmos_urls", [])),
            mesos_urls=list(data.get("mesos_urls", [])),
            customer_key=str(data.get("customer_key", "")),
            gen_platform=str(data.get("gen_platform", "")),
            gen_provider=str(data.get("gen_provider", "")),
            enabled=str(data.get("enabled", "true")),
        )

    def properties(self) -> dict[str, Any]:
        """What every track carries."""
        return {
            "source": "cluster",
            "customerKey": self.customer_key,
            "environmentVersion": self.dcos_version,
            "clusterId": self.cluster_id,
            "variant": self.variant,
            "platform": self.gen_platform,
            "provider": self.gen_provider,
        }


Fetch = Callable[[str, str, dict[str, str]], Any]


def fetch(url: str, method: str, headers: dict[str, str]) -> Any:
    """One report endpoint's JSON; raises on anything but a 200."""
    body = b"{}" if method == "POST" else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        if response.status != 200:
            raise urllib.error.HTTPError(url, response.status, "not 200", response.headers, None)
        return json.load(response)


def unit_key(name: str, suffix: str) -> str:
    return "health-unit-" + name.replace(".", "-") + "-" + suffix


def diagnostics_track(config: Config, report: dict[str, Any]) -> dict[str, Any]:
    """Per unit: on how many nodes it runs, and on how many it is unhealthy."""
    properties = config.properties()
    for unit in (report.get("Units") or {}).values():
        name = unit.get("UnitName", "")
        nodes = unit.get("Nodes") or []
        unhealthy = 0
        for node in nodes:
            if node.get("Health", 0) != 0:
                unhealthy += 1
                continue
            for node_unit in node.get("Units") or []:
                if node_unit.get("UnitName") == name and node_unit.get("Health", 0) != 0:
                    unhealthy += 1
        if nodes:
            properties[unit_key(name, "total")] = len(nodes)
            properties[unit_key(name, "unhealthy")] = unhealthy
    return {"event": "health", "properties": properties}


def cosmos_track(config: Config, report: dict[str, Any]) -> dict[str, Any]:
    packages = [
        {
            "appId": p.get("appId", ""),
            "packageInformation": {
                "packageDefinition": {
                    "name": (p.get("packageInformation") or {})
                    .get("packageDefinition", {})
                    .get("name", ""),
                    "version": (p.get("packageInformation") or {})
                    .get("packageDefinition", {})
                    .get("version", ""),
                }
            },
        }
        for p in report.get("packages") or []
    ]
    return {
        "event": "package_list",
        "properties": {"package_list": packages, **config.properties()},
    }


MESOS_METRICS = {
    "cpu_total": "master/cpus_total",
    "cpu_used": "master/cpus_used",
    "mem_total": "master/mem_total",
    "mem_used": "master/mem_used",
    "disk_total": "master/disk_total",
    "disk_used": "master/disk_used",
    "task_count": "master/tasks_running",
    "framework_count": "master/frameworks_active",
    "agents_connected": "master/slaves_connected",
    "agents_active": "master/slaves_active",
}


def mesos_track(config: Config, report: dict[str, Any]) -> dict[str, Any]:
    properties = config.properties()
    properties["frameworks"] = [{"name": f.get("name", "")} for f in report.get("frameworks") or []]
    for key, metric in MESOS_METRICS.items():
        properties[key] = float(report.get(metric, 0) or 0)
    return {"event": "mesos_track", "properties": properties}


@dataclass(frozen=True)
class Reporter:
    name: str
    method: str
    headers: dict[str, str]
    urls: Callable[[Config], list[str]]
    track: Callable[[Config, dict[str, Any]], dict[str, Any]]


REPORTERS = (
    Reporter(
        "diagnostics",
        "GET",
        {"content-type": "application/json"},
        lambda c: c.diagnostics_urls,
        diagnostics_track,
    ),
    Reporter(
        "cosmos",
        "POST",
        {"content-type": COSMOS_LIST_REQUEST, "accept": COSMOS_LIST_RESPONSE},
        lambda c: c.cosmos_urls,
        cosmos_track,
    ),
    Reporter(
        "mesos", "GET", {"content-type": "application/json"}, lambda c: c.mesos_urls, mesos_track
    ),
)


def run_reporter(reporter: Reporter, config: Config, get: Fetch) -> dict[str, Any] | None:
    """The reporter's track, or None when an endpoint failed (its error is logged)."""
    urls = reporter.urls(config)
    if not urls:
        log.error("Reporter %s has no endpoints.", reporter.name)
        return None
    merged: dict[str, Any] = {}
    for url in urls:
        try:
            merged.update(get(url, reporter.method, reporter.headers))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.error("%s: %s: %s", reporter.name, url, exc)
            return None
    track = reporter.track(config, merged)
    track["anonymousId"] = config.cluster_id
    if config.customer_key:
        track["userId"] = config.customer_key
    return track


def build_report(config: Config, get: Fetch = fetch) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=len(REPORTERS)) as pool:
        futures = {r.name: pool.submit(run_reporter, r, config, get) for r in REPORTERS}
    return {name: future.result() for name, future in futures.items()}


def write_report(report: dict[str, Any], path: Path = REPORT_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=4, sort_keys=True) + "\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-test", "--test", action="store_true", help="print the tracks")
    parser.add_argument("-v", action="store_true", help="verbose logging")
    parser.add_argument("-c", default=str(CONFIG_PATH), help="path to dcos-signal-config.json")
    parser.add_argument(
        "-cluster-id-path", default=str(CLUSTER_ID_PATH), help="path to the cluster's ID"
    )
    parser.add_argument("-report", default=str(REPORT_PATH), help="where the report is written")
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.v else logging.ERROR if args.test else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = Config.load(Path(args.c), cluster_id=Path(args.cluster_id_path))
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 1
    if config.enabled == "false":
        log.info("telemetry is disabled (telemetry_enabled: false): no report")
        return 0
    report = build_report(config)
    if args.test:
        print(json.dumps(report, indent=4))
        return 0
    write_report(report, Path(args.report))
    made = sorted(name for name, track in report.items() if track is not None)
    log.info("report written to %s (tracks: %s)", args.report, ", ".join(made) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
