"""What the e2e suites ask of a DC/OS cluster, as its clients ask it.

`Api` talks to DC/OS through Admin Router as a logged-in client, on whichever
master answers (a paused or cut-off master is skipped). The Marathon helpers
deploy the DC/OS test server (`util/python_test_server.py`, on every node) and
wait for its tasks; the Mesos helpers read the leading master's state.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from minidcos import Cluster, iam
from minidcos._util.polling import Poll, wait_for
from minidcos.node import Node

TEST_SERVER = "/opt/mesosphere/active/dcos-integration-test/util/python_test_server.py"
TRANSIENT = (OSError, ValueError, urllib.error.URLError)
ANSWER_TIMEOUT_S = 3.0
MESOS_MASTER_PORT = 5050
MESOS_AGENT_PORT = 5051


class ApiError(Exception):
    """A non-2xx answer, with its status and body."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {url}: HTTP {status}: {body[:300]}")


class Api:
    """DC/OS's HTTP API through Admin Router, as a logged-in client."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        master = cluster.masters[0]
        self.token = iam.test_user_token(master) if iam.auth_enabled(master) else None
        self._preferred: Node | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        timeout: float = ANSWER_TIMEOUT_S,
        masters: Sequence[Node] | None = None,
    ) -> Any:
        """`method path` on the first master that answers; the JSON answer (None if empty)."""
        candidates = list(masters or self.cluster.masters)
        if self._preferred in candidates:
            candidates.remove(self._preferred)
            candidates.insert(0, self._preferred)
        last: Exception | None = None
        for master in candidates:
            url = f"http://{master.ip_address}{path}"
            request = urllib.request.Request(url, method=method)
            if self.token:
                request.add_header("Authorization", f"token={self.token}")
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, data=data, timeout=timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                if exc.code in (502, 503, 504):  # this master's upstream is down: try another
                    last = ApiError(method, url, exc.code, exc.read().decode(errors="replace"))
                    continue
                raise ApiError(method, url, exc.code, exc.read().decode(errors="replace")) from exc
            except (OSError, urllib.error.URLError) as exc:
                last = exc
                continue
            self._preferred = master
            return json.loads(raw) if raw.strip() else None
        assert last is not None
        raise last

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)


# -- Marathon ------------------------------------------------------------------------


def server_app(app_id: str, instances: int = 1, **extra: Any) -> dict[str, Any]:
    """A Marathon app of DC/OS's test server, with an HTTP health check every 2 s."""
    return {
        "id": app_id,
        "cmd": f"python3 {TEST_SERVER} $PORT0",
        "cpus": 0.05,
        "mem": 32,
        "instances": instances,
        "env": {"DCOS_TEST_UUID": app_id.strip("/").replace("/", "-"), "HOME": "/"},
        "healthChecks": [
            {
                "protocol": "HTTP",
                "path": "/ping",
                "portIndex": 0,
                "gracePeriodSeconds": 60,
                "intervalSeconds": 2,
                "timeoutSeconds": 2,
                "maxConsecutiveFailures": 3,
            }
        ],
        **extra,
    }


def app(api: Api, app_id: str) -> dict[str, Any]:
    return dict(api.get(f"/marathon/v2/apps{app_id}")["app"])


def healthy_tasks(api: Api, app_id: str) -> dict[str, dict[str, Any]]:
    """The app's running tasks whose every health check passes, by task id."""
    current = app(api, app_id)
    return {
        t["id"]: t
        for t in current.get("tasks", [])
        if t.get("state") == "TASK_RUNNING"
        and t.get("healthCheckResults")
        and all(r.get("alive") for r in t["healthCheckResults"])
    }


def wait_healthy(api: Api, app_id: str, instances: int, timeout_s: float = 180) -> dict[str, Any]:
    """Wait until the app has exactly `instances` healthy tasks and no deployment; its tasks."""

    def probe() -> Poll[dict[str, Any]]:
        current = app(api, app_id)
        healthy = healthy_tasks(api, app_id)
        done = len(healthy) == instances == len(current["tasks"]) and not current["deployments"]
        return Poll(
            done,
            healthy,
            f"{len(healthy)} healthy of {len(current['tasks'])} tasks, "
            f"{len(current['deployments'])} deployment(s)",
        )

    result: dict[str, Any] = wait_for(
        probe, timeout_s, f"{instances} healthy tasks of {app_id}", transient=TRANSIENT
    )
    return result


def deploy(api: Api, definition: dict[str, Any], timeout_s: float = 180) -> dict[str, Any]:
    """Create the app and wait until it is healthy; its tasks."""
    api.request("POST", "/marathon/v2/apps", definition)
    return wait_healthy(api, definition["id"], definition["instances"], timeout_s)


def marathon_framework_id(api: Api) -> str:
    return str(api.get("/marathon/v2/info")["frameworkId"])


# -- Mesos -----------------------------------------------------------------------------


def get_json(url: str, timeout: float = ANSWER_TIMEOUT_S) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def master_state(master: Node, path: str = "/state") -> Any:
    return get_json(f"http://{master.ip_address}:{MESOS_MASTER_PORT}{path}")


def active_agents(master: Node) -> set[str]:
    """Addresses of the agents registered and active with this (leading) master."""
    slaves = master_state(master, "/slaves")["slaves"]
    return {s["hostname"] for s in slaves if s.get("active")}


def mesos_tasks(master: Node, name_prefix: str = "") -> dict[str, str]:
    """Task id -> state of the leading master's tasks (those whose id starts so)."""
    tasks = master_state(master, "/tasks?limit=10000")["tasks"]
    return {t["id"]: t["state"] for t in tasks if t["id"].startswith(name_prefix)}


def agent_task_units(agent: Node) -> list[str]:
    """The task units running on an agent (each Mesos task is a unit of its own)."""
    out = agent.run(["systemctl", "list-units", "--no-legend", "--plain", "mesos-*"]).stdout
    return [line.split()[0] for line in out.decode().splitlines() if line.strip()]


def tune_for_failures(
    cluster: Cluster,
    ping_timeout: str = "2secs",
    max_missed_pings: int = 3,
    reconciliation_interval_ms: int = 5000,
) -> None:
    """Settings a DC/OS operator makes after install, in the files DC/OS keeps for them:
    Mesos's agent ping timeouts (MESOS_* lines in /var/lib/dcos/mesos-master), so a silent
    agent is unreachable in seconds rather than DC/OS's 5 minutes, and Marathon's task
    reconciliation interval (/var/lib/dcos/marathon/environment), so a task left running
    on an agent that comes back is found (and killed) in seconds rather than 10 minutes.
    The masters' services restart, and the cluster is waited for."""
    mesos = (
        f"MESOS_AGENT_PING_TIMEOUT={ping_timeout}\n"
        f"MESOS_MAX_AGENT_PING_TIMEOUTS={max_missed_pings}\n"
    )
    marathon = f"MARATHON_RECONCILIATION_INTERVAL={reconciliation_interval_ms}\n"
    for master in cluster.masters:
        master.run(
            [
                "bash",
                "-c",
                f"printf '{mesos}' > /var/lib/dcos/mesos-master && mkdir -p /var/lib/dcos/marathon"
                f" && printf '{marathon}' > /var/lib/dcos/marathon/environment",
            ]
        )
        master.run(["systemctl", "restart", "dcos-mesos-master", "dcos-marathon"])
    cluster.wait(timeout_s=300)
    api = Api(cluster)

    def applied() -> bool:
        flags = master_state(cluster.leader(), "/flags")["flags"]
        config = api.get("/marathon/v2/info")["marathon_config"]
        return bool(
            flags["agent_ping_timeout"] == ping_timeout
            and config["reconciliation_interval"] == reconciliation_interval_ms
        )

    wait_for(applied, 60, "the new Mesos and Marathon settings in force", transient=TRANSIENT)


def seconds_since(start: float) -> float:
    return time.monotonic() - start


def until(
    probe: Callable[[], Any], what: str, timeout_s: float = 120, interval_s: float = 0.2
) -> Any:
    """Wait (the one poll helper) for `probe`; its answer. Connection errors mean not yet."""
    return wait_for(
        probe, timeout_s, what, interval_s=interval_s, max_interval_s=1.0, transient=TRANSIENT
    )
