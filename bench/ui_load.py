"""The web UI's view load times in headless Chromium, on a 1/2/1 cluster.

For each view (dashboard, services, jobs, catalog, nodes, components, and the
Mesos, Marathon and Exhibitor pages) a fresh page load, timed from the
navigation to the moment the view shows its data (or its error message),
over several rounds; medians and maxima are printed beside the budget (1 s
per view) and the ratio to it, and written to bench/results/ui_load.json.
A cold first load (empty browser cache) is reported on its own.

    python bench/ui_load.py [--cluster-id ID] [--rounds N]

Without --cluster-id it creates a 1-master, 2-agent, 1-public-agent cluster
and destroys it after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import write_results
from selenium.common.exceptions import TimeoutException

from minidcos import iam
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.status import Status
from test_e2e.browser import Browser, chromium

BUDGET_S = 1.0
# A view and the element that shows it has its data (or says why it has none).
VIEWS = {
    "dashboard": ("/#/dashboard", "[data-testid=alloc-cpus-total], [data-testid=api-error]"),
    "services": ("/#/services", "[data-testid=services-table], [data-testid=api-error]"),
    "jobs": ("/#/jobs", "[data-testid=jobs-table], [data-testid=api-error]"),
    "catalog": ("/#/catalog", "[data-testid=package-grid], [data-testid=api-error]"),
    "nodes": ("/#/nodes", "[data-testid=nodes-table], [data-testid=api-error]"),
    "components": ("/#/components", "[data-testid=components-table], [data-testid=api-error]"),
    "mesos": ("/mesos/", "#leader"),
    "marathon": ("/marathon/ui/", "#apps"),
    "exhibitor": ("/exhibitor/", "#servers td"),
}


def load_time(browser: Browser, path: str, ready: str) -> float:
    browser.driver.get("about:blank")  # a full page load each time, not a hash change
    start = time.monotonic()
    try:
        browser.driver.get(browser.base + path)
    except TimeoutException as exc:
        took = time.monotonic() - start
        raise SystemExit(f"{path} did not load in {took:.1f} s: {exc.msg}") from exc
    browser.wait_for(ready, f"{path} showing its data", timeout_s=30)
    return time.monotonic() - start


def measure(cluster: Cluster, rounds: int) -> dict[str, dict[str, float]]:
    master = cluster.masters[0]
    ui = iam.web_ui(master)
    # Timed to the data shown, not to the load event: navigations return early.
    with chromium(ui.address, page_load_strategy="eager") as browser:
        browser.driver.get(ui.login_link or ui.address)
        browser.wait_for("[data-testid=view-dashboard]", "the dashboard after logging in")
        figures: dict[str, dict[str, float]] = {}
        for name, (path, ready) in VIEWS.items():
            times = [load_time(browser, path, ready) for _ in range(rounds)]
            figures[name] = {
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "ratio_to_budget": round(statistics.median(times) / BUDGET_S, 3),
            }
    with chromium(ui.address) as cold:  # a fresh profile: nothing cached
        cold.driver.get(ui.login_link or ui.address)
        start = time.monotonic()
        cold.wait_for(VIEWS["dashboard"][1], "the dashboard, cold")
        took = time.monotonic() - start
        figures["dashboard_cold_with_login"] = {
            "median_s": round(took, 3),
            "max_s": round(took, 3),
            "ratio_to_budget": round(took / BUDGET_S, 3),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cluster-id", help="an existing cluster (default: make a 1/2/1 one)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.cluster_id:
        figures = measure(Cluster(args.cluster_id), args.rounds)
    else:
        spec = ClusterSpec(1, 2, 1, cluster_id="bench-ui")
        Cluster(spec.cluster_id).provider.delete_cluster(spec.cluster_id)
        with Cluster.create(spec, install=InstallSpec(build()), status=Status()) as cluster:
            figures = measure(cluster, args.rounds)
    for name, row in figures.items():
        print(
            f"{name:26} median {row['median_s']:6.3f} s   max {row['max_s']:6.3f} s   "
            f"median / budget {row['ratio_to_budget']:.3f}"
        )
    print(f"budget: every view under {BUDGET_S:.0f} s (ratio under 1)")
    path = write_results(
        "ui_load",
        {"budget_s": BUDGET_S, "rounds": args.rounds, "views": figures},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
