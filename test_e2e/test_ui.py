"""The web UI in a real headless Chromium, against a real cluster (1 master, 1 + 1 agents).

One cluster and one browser serve the module; the tests run in order, as a
person would: log in, compare the dashboard with the APIs, deploy an app
from the form (and see Marathon's 422 at its field), scale it, read its
task's log, run a job, see the Components view mark a stopped unit
unhealthy, look at the Mesos, Marathon and Exhibitor pages, and delete the
app. Each test saves a screenshot (`MINIDCOS_UI_SCREENSHOTS`, default
ui-screenshots/; the README shows those in docs/screenshots/).
`MINIDCOS_UI_CLUSTER=<id>` runs the module against an existing cluster
instead of making one (it leaves its own app and job there only if a test fails).
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from minidcos import iam
from minidcos._util.polling import wait_for
from minidcos.cluster import Cluster
from minidcos.pytest_plugin import ClusterFactory
from test_e2e.browser import Browser, chromium, require_chromium

APP = "/ui-e2e/web"
MARKER = f"hello-from-the-ui-{uuid.uuid4().hex[:8]}"
JOB = "ui-e2e.hello"


@pytest.fixture(scope="module")
def cluster(cluster_factory: ClusterFactory) -> Iterator[Cluster]:
    require_chromium()  # before making a cluster that could not be used
    existing = os.environ.get("MINIDCOS_UI_CLUSTER")
    if existing:
        yield Cluster(existing)
        return
    with cluster_factory(masters=1, agents=1, public_agents=1, name="ui") as made:
        yield made


@pytest.fixture(scope="module")
def master_url(cluster: Cluster) -> str:
    return f"http://{cluster.masters[0].ip_address}"


@pytest.fixture(scope="module")
def token(cluster: Cluster) -> str | None:
    """A cluster token for checking the UI against the APIs (None with auth off)."""
    master = cluster.masters[0]
    return iam.test_user_token(master) if iam.auth_enabled(master) else None


@pytest.fixture(scope="module")
def browser(master_url: str) -> Iterator[Browser]:
    with chromium(master_url) as opened:
        yield opened


def api(master_url: str, token: str | None, path: str) -> Any:
    headers = {"Authorization": f"token={token}"} if token else {}
    request = urllib.request.Request(master_url + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_login_with_the_clusters_id_token(browser: Browser, cluster: Cluster) -> None:
    browser.open("/")
    browser.wait_for("[data-testid=login-page]", "the login page (the APIs answer 401)")
    browser.screenshot("login")
    link = iam.web_ui(cluster.masters[0]).login_link  # adds you@example.com, mints an ID token
    assert link is not None
    id_token = link.split("id_token=", 1)[1]
    browser.type_into("#id-token", id_token)
    browser.click("button[type=submit]", "the Log in button")
    browser.wait_for("[data-testid=view-dashboard]", "the dashboard after logging in")


def test_dashboard_counts_match_the_apis(
    browser: Browser, master_url: str, token: str | None
) -> None:
    browser.open("/#/dashboard")
    summary = api(master_url, token, "/mesos/master/state-summary")
    agents = str(len(summary["slaves"]))
    cpus = sum(a["resources"]["cpus"] for a in summary["slaves"])
    browser.wait_text("[data-testid=nodes-agents] .count", lambda t: t == agents, "agents")
    browser.wait_text("[data-testid=alloc-cpus-total]", lambda t: float(t or -1) == cpus, "CPUs")
    report = api(master_url, token, "/system/health/v1/report")
    browser.wait_text(
        "[data-testid=components-total] .count",
        lambda t: t == str(len(report["Units"])),
        "the number of components",
    )
    version = api(master_url, "", "/dcos-metadata/dcos-version.json")["version"]
    browser.wait_text("[data-testid=cluster-version]", lambda t: version in t, "the version")
    browser.screenshot("dashboard-idle")


def test_a_422_is_shown_at_its_field(browser: Browser) -> None:
    browser.open("/#/services/create")
    browser.type_into("#field-id", "/ui-e2e/bad")
    browser.type_into("#field-cmd", "sleep 1000")
    browser.type_into("#field-cpus", "-1")
    browser.click("[data-testid=submit-service]", "Review & Run")
    text = browser.wait_text("[data-testid=error-cpus]", bool, "Marathon's error at the CPUs field")
    assert "minimum" in text  # Marathon: {"path": "/cpus", "errors": ["error.min"]}
    assert not browser.text_of("[data-testid=error-id]")
    browser.screenshot("service-create-422")


def test_deploy_an_app_from_the_form_and_see_it_running(browser: Browser) -> None:
    browser.open("/#/services/create")
    browser.type_into("#field-id", APP)
    browser.type_into("#field-cmd", f"echo {MARKER}; exec python3 -m http.server $PORT0")
    browser.type_into("#field-cpus", "0.1")
    browser.type_into("#field-mem", "32")
    browser.type_into("#field-instances", "1")
    browser.click("[data-testid=submit-service]", "Review & Run")
    browser.wait_for("[data-testid=service-detail]", "the new service's page")
    browser.wait_text("[data-testid=status]", lambda t: t.startswith("Running"), "Running", 90)
    browser.open("/#/services/overview/%2Fui-e2e")
    browser.wait_text("[data-testid=services-table]", lambda t: "Running" in t, "the group's list")
    browser.screenshot("services")
    browser.open("/#/services")
    browser.wait_text("[data-testid=services-table]", lambda t: "ui-e2e" in t, "the group row")


def test_scale_the_app(browser: Browser, master_url: str, token: str | None) -> None:
    browser.open("/#/services/detail/%2Fui-e2e%2Fweb")
    browser.click("[data-testid=action-scale]", "Scale")
    browser.type_into("#scale-instances", "2")
    browser.click("[data-testid=confirm]", "the Scale button of the dialog")
    browser.wait_text("[data-testid=detail-instances]", lambda t: t == "2/2", "2 of 2 running", 90)
    app = api(master_url, token, f"/service/marathon/v2/apps{APP}")["app"]
    assert app["instances"] == 2 and app["tasksRunning"] == 2
    browser.wait_text("[data-testid=tasks-table]", lambda t: t.count("TASK_RUNNING") == 2, "tasks")
    browser.screenshot("service-detail")
    # The dashboard follows: two running tasks, and their CPUs allocated.
    browser.open("/#/dashboard")
    browser.wait_text("[data-testid=tasks-TASK_RUNNING] .count", lambda t: t == "2", "2 tasks")
    browser.wait_text("[data-testid=alloc-cpus-used]", lambda t: float(t or 0) >= 0.2, "0.2 CPUs")
    browser.wait_text("[data-testid=services-Running] .count", lambda t: t == "1", "1 service")
    browser.wait_text("[data-testid=components-total] .count", bool, "the components")
    browser.screenshot("dashboard")


def test_read_the_tasks_log(browser: Browser) -> None:
    browser.open("/#/services/detail/%2Fui-e2e%2Fweb")
    browser.click("[data-testid=task-link]", "a task of the app")
    browser.wait_text("[data-testid=log-stdout]", lambda t: MARKER in t, "the task's stdout", 60)
    browser.screenshot("task-logs")


def test_a_jobs_run_succeeds(browser: Browser) -> None:
    browser.open("/#/jobs/create")
    browser.type_into("#job-id", JOB)
    browser.type_into("#job-cmd", "echo job ran; exit 0")
    browser.click("[data-testid=submit-job]", "Create Job")
    browser.wait_for("[data-testid=job-detail]", "the job's page")
    browser.click("[data-testid=run-now]", "Run Now")
    browser.wait_text("[data-testid=history-result]", lambda t: "Success" in t, "a run", 120)
    browser.screenshot("job-detail")
    browser.open("/#/jobs")
    browser.wait_text("[data-testid=job-status]", lambda t: "Success" in t, "the job list")
    browser.screenshot("jobs")


def test_nodes_show_public_and_private_agents(browser: Browser, cluster: Cluster) -> None:
    browser.open("/#/nodes")
    text = browser.wait_text(
        "[data-testid=nodes-table]",
        lambda t: "Public" in t and "Private" in t and "Healthy" in t,
        "both agents, healthy",
    )
    for node in (*cluster.agents, *cluster.public_agents):
        assert node.ip_address in text
    browser.screenshot("nodes")


def test_components_mark_a_stopped_unit_unhealthy(browser: Browser, cluster: Cluster) -> None:
    agent = cluster.agents[0]
    unit = "dcos-docker-gc.timer"
    browser.open("/#/components")
    browser.wait_text("[data-testid=components-summary]", lambda t: "All" in t, "all healthy")
    agent.run(["systemctl", "stop", unit])
    try:
        browser.wait_text(
            "[data-testid=components-summary]",
            lambda t: f"{unit} on {agent.ip_address}" in t,
            f"{unit} on {agent.ip_address} marked unhealthy",
            60,
        )
        browser.screenshot("components")
    finally:
        agent.run(["systemctl", "start", unit])
    browser.wait_text("[data-testid=components-summary]", lambda t: "All" in t, "healthy again", 60)


def test_the_mesos_page(browser: Browser, cluster: Cluster) -> None:
    browser.open("/mesos")
    assert browser.title() == "Mesos"
    browser.wait_text("#leader", lambda t: cluster.masters[0].ip_address in t, "the leader")
    browser.wait_text("table", lambda t: "ui-e2e_web" in t and "TASK_RUNNING" in t, "app tasks")
    browser.screenshot("mesos")
    browser.open("/mesos/#/agents")
    text = browser.wait_text("#agents", lambda t: t.count("true") >= 2, "both agents active")
    assert cluster.agents[0].ip_address in text
    # A task's sandbox, through Admin Router's /agent/<id>/ proxy.
    browser.open("/mesos/#/tasks")
    browser.click("#tasks a", "a task's sandbox link")
    browser.wait_text("#sandbox", lambda t: "stdout" in t, "the sandbox listing", 30)


@pytest.mark.parametrize("path", ["/marathon/ui/", "/service/marathon/ui/"])
def test_the_marathon_pages(browser: Browser, path: str) -> None:
    browser.open(path)
    assert browser.title() == "Marathon"
    browser.wait_text("#apps", lambda t: APP in t and "2 of 2" in t, "the app, running")
    browser.open(path + "#/deployments")
    browser.wait_for("#deployments", "the deployments table")
    if path == "/marathon/ui/":
        browser.open(path)
        browser.wait_text("#apps", lambda t: APP in t, "the app")
        browser.screenshot("marathon")


def test_the_exhibitor_page(browser: Browser, cluster: Cluster) -> None:
    browser.open("/exhibitor/")
    assert browser.title() == "Exhibitor for ZooKeeper"
    browser.wait_text("#servers", lambda t: cluster.masters[0].ip_address in t, "the server")
    browser.wait_text("#updated", lambda t: "updated" in t, "a live refresh")
    browser.screenshot("exhibitor")


def test_catalog_installs_and_uninstalls_a_package(
    browser: Browser, cluster: Cluster, master_url: str, token: str | None
) -> None:
    cosmos = cluster.masters[0].run(["systemctl", "cat", "dcos-cosmos.service"], check=False)
    if cosmos.returncode != 0:
        browser.open("/#/catalog")
        browser.wait_text("[data-testid=api-error]", lambda t: "Cosmos" in t, "Cosmos's absence")
        pytest.skip("Cosmos (dcos-cosmos) is not part of this distribution yet")
    browser.open("/#/catalog")
    names = browser.wait_text("[data-testid=package-grid]", bool, "the Universe's packages")
    browser.screenshot("catalog")
    name = "greeter" if "greeter" in names.split() else names.split()[0]
    browser.open(f"/#/catalog/packages/{name}")
    browser.wait_for("[data-testid=package-options]", f"{name}'s options")
    greeting = f"Hallo-{MARKER}"
    if name == "greeter":  # an option of its config schema, typed into its field
        browser.type_into("[id='option-greeter.greeting']", greeting)
    browser.screenshot("catalog-package")
    browser.click("[data-testid=install]", "Install")
    browser.wait_for("[data-testid=install-result]", f"{name} installed", 60)
    if name == "greeter":
        app_id = browser.text_of("[data-testid=installed-app]")
        app = api(master_url, token, f"/service/marathon/v2/apps{app_id}")["app"]
        assert greeting in json.dumps(app), app
    browser.open("/#/catalog/installed")
    browser.wait_text("[data-testid=installed-table]", lambda t: name in t, "the installed list")
    browser.click("[data-testid=uninstall]", "Uninstall")
    browser.click("[data-testid=confirm]", "the Uninstall button of the dialog")
    browser.wait_text(
        "[data-testid=installed-table]", lambda t: name not in t, f"{name} uninstalled", 60
    )


def test_an_api_failure_is_a_message_not_a_blank_page(browser: Browser) -> None:
    browser.open("/#/services/detail/%2Fno-such-service")
    text = browser.wait_text("[data-testid=api-error]", bool, "an error message")
    assert "no-such-service" in text


def test_delete_the_app_with_confirmation(
    browser: Browser, master_url: str, token: str | None
) -> None:
    browser.open("/#/services/detail/%2Fui-e2e%2Fweb")
    browser.click("[data-testid=action-delete]", "Delete")
    browser.wait_for("[data-testid=modal-delete]", "the confirmation")
    browser.click("[data-testid=confirm]", "the Delete button of the dialog")
    browser.wait_for("[data-testid=view-services]", "the services list")

    def gone() -> bool:
        apps = api(master_url, token, "/service/marathon/v2/apps")["apps"]
        return all(a["id"] != APP for a in apps)

    wait_for(gone, 60, f"{APP} deleted")
