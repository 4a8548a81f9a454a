"""Exhibitor's REST API (the parts DC/OS and its clients use), answered from ZooKeeper itself.

Real Exhibitor asks every other Exhibitor for its instance state; here each
Exhibitor asks every ZooKeeper directly with srvr, which gives the same
answer without a hop and lets every master report the same view.
"""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dcos_internal_utils.http import Request, Response, Router

from . import fourletter
from .ensemble import (
    API_PORT,
    CLIENT_PORT,
    CONNECT_PORT,
    ELECTION_PORT,
    SNAPSHOT_DIR,
    TRANSACTIONS_DIR,
    ZK_INSTALL_DIR,
    Ensemble,
)
from .fourletter import InstanceState

PREFIX = "/exhibitor/v1"
UI_PAGE = f"{PREFIX}/ui/index.html"
FORM = "application/x-www-form-urlencoded"


def package_version() -> str:
    """The exhibitor package's version, from its buildinfo.json."""
    # lib/python3/dcos_exhibitor/api.py -> the package root, through pkgpanda's symlinks.
    buildinfo = Path(__file__).resolve().parents[3] / "buildinfo.json"
    try:
        return str(json.loads(buildinfo.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def local_state(ensemble: Ensemble, zk_port: int = CLIENT_PORT) -> InstanceState:
    return fourletter.probe(ensemble.my_ip, port=zk_port).state


def zk_running(ensemble: Ensemble, zk_port: int = CLIENT_PORT) -> bool:
    try:
        return fourletter.four_letter_word(ensemble.my_ip, "ruok", port=zk_port) == "imok"
    except OSError:
        return False


def state_document(ensemble: Ensemble, version: str, running: bool) -> dict[str, Any]:
    """Exhibitor's get-state document for this node."""
    return {
        "version": version,
        "running": running,
        "backupActive": False,
        # One server: ZooKeeper runs standalone, not as a quorum.
        "standaloneMode": ensemble.standalone,
        "extraHeadingText": None,
        # The Explorer's modify API is not offered.
        "nodeMutationsAllowed": False,
        "config": {
            "rollInProgress": False,
            "rollStatus": "n/a",
            "rollPercentDone": 0,
            "hostname": ensemble.my_ip,
            "serverId": ensemble.my_id,
            "logIndexDirectory": "",
            "zookeeperInstallDirectory": str(ZK_INSTALL_DIR),
            "zookeeperDataDirectory": str(SNAPSHOT_DIR),
            "zookeeperLogDirectory": str(TRANSACTIONS_DIR),
            "serversSpec": ensemble.servers_spec,
            "backupExtra": "",
            "zooCfgExtra": dict(ensemble.tuning),
            "javaEnvironment": "",
            "log4jProperties": "",
            "clientPort": CLIENT_PORT,
            "connectPort": CONNECT_PORT,
            "electionPort": ELECTION_PORT,
            "checkMs": 30000,
            "cleanupPeriodMs": 0,
            "cleanupMaxFiles": 0,
            "backupMaxStoreMs": 0,
            "backupPeriodMs": 0,
            # The ensemble is the static master list: no automatic management.
            "autoManageInstances": 0,
            "autoManageInstancesSettlingPeriodMs": 0,
            "observerThreshold": 0,
            "autoManageInstancesFixedEnsembleSize": 0,
            "autoManageInstancesApplyAllAtOnce": 1,
        },
    }


def instance_state_document(state: InstanceState) -> dict[str, Any]:
    """Exhibitor's cluster/state document: control-panel switches and instance state."""
    return {
        # Restarts are systemd's (Restart=always); ZooKeeper's autopurge cleans up.
        "switches": {
            "restarts": True,
            "cleanup": True,
            "backups": False,
            "unlistedRestarts": False,
        },
        "state": int(state),
        "description": state.description,
    }


def remote_result(response: Any, error: str = "") -> dict[str, Any]:
    """Exhibitor's wrapper for an answer relayed from another instance."""
    return {"response": response, "errorMessage": error, "success": not error}


def list_document(ensemble: Ensemble) -> dict[str, Any]:
    return {"servers": list(ensemble.servers), "port": CLIENT_PORT}


def list_form(ensemble: Ensemble) -> str:
    """cluster/list in the form encoding Curator's ExhibitorEnsembleProvider asks for."""
    parts = [f"count={len(ensemble.servers)}"]
    parts += [f"server{i}={ip}" for i, ip in enumerate(ensemble.servers)]
    parts.append(f"port={CLIENT_PORT}")
    return "&".join(parts)


def ui_page(statuses: list[dict[str, Any]], version: str) -> str:
    """Exhibitor's UI, reduced to what it shows first: the ensemble and each server's state.

    The rows come rendered with the page and follow ../cluster/status every 2 s.
    """
    rows = "\n".join(
        f"<tr><td>{html.escape(str(s.get('hostname')))}</td>"
        f"<td>{html.escape(str(s.get('serverId', '')))}</td>"
        f"<td>{html.escape(str(s.get('description')))}</td>"
        f"<td>{'leader' if s.get('isLeader') else ''}</td></tr>"
        for s in statuses
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        "<title>Exhibitor for ZooKeeper</title>"
        f"<style>{UI_STYLE}</style></head><body>\n"
        f"<h1>Exhibitor for ZooKeeper</h1>\n<p>Exhibitor {html.escape(version)}"
        ' <span id="updated"></span></p>\n<p id="error" hidden></p>\n'
        '<table id="servers">\n<tr><th>Server</th><th>ID</th><th>State</th><th></th></tr>\n'
        f"{rows}\n</table>\n<script>{UI_SCRIPT}</script>\n</body></html>\n"
    )


UI_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.3em .8em;"
    "text-align:left}th{background:#f3f5f7}#updated{color:#777}#error{color:#a12}"
)
# Relative to the page (/exhibitor/v1/ui/index.html), so that it works on 8181
# and behind Admin Router at /exhibitor/.
UI_SCRIPT = """
function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
async function refresh() {
  const error = document.getElementById("error");
  try {
    const response = await fetch("../cluster/status", {credentials: "same-origin"});
    if (!response.ok) throw new Error("cluster/status answered " + response.status);
    const table = document.getElementById("servers");
    while (table.rows.length > 1) table.deleteRow(1);
    for (const s of await response.json()) {
      const tr = table.insertRow();
      for (const text of [s.hostname, s.serverId, s.description, s.isLeader ? "leader" : ""]) {
        tr.appendChild(cell(String(text)));
      }
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    error.hidden = true;
  } catch (err) {
    error.hidden = false;
    error.textContent = "Cannot read the ensemble's status: " + err.message + ". Trying again.";
  }
}
setInterval(refresh, 2000);
"""


def build_router(
    ensemble: Ensemble, version: str, zk_port: int = CLIENT_PORT, api_port: int = API_PORT
) -> Router:
    router = Router()

    def is_us(hostname: str) -> bool:
        return hostname in ("localhost", ensemble.my_ip)

    @router.get("/")
    def root(request: Request) -> Response:
        # Exhibitor sends browsers to its UI. The Location is a path: a URL
        # built from the Host header would echo whatever a client sent.
        return Response(status=302, body=b"", headers={"Location": UI_PAGE})

    @router.get(UI_PAGE)
    def ui(request: Request) -> Response:
        statuses = fourletter.cluster_status(list(ensemble.servers), port=zk_port)
        page = ui_page([s.to_json() for s in statuses], version)
        return Response(body=page.encode(), content_type="text/html; charset=utf-8")

    @router.get(f"{PREFIX}/cluster/status")
    def cluster_status(request: Request) -> Response:
        statuses = fourletter.cluster_status(list(ensemble.servers), port=zk_port)
        return Response.json([s.to_json() for s in statuses])

    @router.get(f"{PREFIX}/cluster/list")
    def cluster_list(request: Request) -> Response:
        if FORM in request.headers.get("accept", ""):
            return Response(body=list_form(ensemble).encode(), content_type=FORM)
        return Response.json(list_document(ensemble))

    @router.get(f"{PREFIX}/config/get-state")
    def get_state(request: Request) -> Response:
        return Response.json(state_document(ensemble, version, zk_running(ensemble, zk_port)))

    @router.get(f"{PREFIX}/cluster/state")
    def state(request: Request) -> Response:
        return Response.json(instance_state_document(local_state(ensemble, zk_port)))

    @router.get(f"{PREFIX}/cluster/state/{{hostname}}")
    def remote_state(request: Request) -> Response:
        hostname = request.params["hostname"]
        if is_us(hostname):
            return Response.json(
                remote_result(instance_state_document(local_state(ensemble, zk_port)))
            )
        if hostname not in ensemble.servers:
            # Only ensemble members are asked: this API is no open proxy.
            return Response.json(remote_result({}, f"{hostname} is not in the ensemble"))
        url = f"http://{hostname}:{api_port}{PREFIX}/cluster/state"
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                return Response.json(remote_result(json.load(answer)))
        except (OSError, ValueError) as exc:
            return Response.json(remote_result({}, str(exc) or type(exc).__name__))

    @router.get(f"{PREFIX}/cluster/4ltr/{{word}}")
    def four_letter(request: Request) -> Response:
        return Response.json(_ask(ensemble.my_ip, request.params["word"], zk_port)[0])

    @router.get(f"{PREFIX}/cluster/4ltr/{{word}}/{{hostname}}")
    def remote_four_letter(request: Request) -> Response:
        hostname = request.params["hostname"]
        if is_us(hostname):
            hostname = ensemble.my_ip
        elif hostname not in ensemble.servers:
            return Response.json(remote_result("", f"{hostname} is not in the ensemble"))
        answer, error = _ask(hostname, request.params["word"], zk_port)
        return Response.json(remote_result(answer, error))

    return router


def _ask(hostname: str, word: str, port: int) -> tuple[str, str]:
    """(answer, error) for a four-letter word; Exhibitor answers "* unknown *" to a bad word."""
    try:
        return fourletter.four_letter_word(hostname, word.lower(), port=port), ""
    except ValueError:
        return "* unknown *", ""
    except OSError as exc:
        return "", str(exc) or type(exc).__name__
