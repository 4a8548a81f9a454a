"""Diagnostics bundles, made on a master from every node (DC/OS 1.10's /report/diagnostics/*).

`create` starts a job on the master that was asked (one job in the whole
cluster at a time): for each node it asks `/system/health/v1/logs` what the
node offers (sources.py) and fetches every file into one zip on this
master's disk, `<ip>_<role>/<file>` (a file the node sent gzipped keeps a
`.gz` suffix), plus `summaryReport.txt` (what was fetched, when) and, when
something failed, `summaryErrorsReport.txt`. Each file is streamed from the
node into the zip, so memory stays small whatever the size of the journals.

`list`, `serve` and `delete` work on the local master's bundles; their `/all`
forms and a `serve` or `delete` of a bundle another master holds go to the
other masters (port 1050). Field names and messages are DC/OS's.
"""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import threading
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cluster import MASTER_PORT, ClusterNode

log = logging.getLogger("dcos-diagnostics")

BASE = "/system/health/v1"
API_VERSION = 1
JOB_TIMEOUT_MIN = 720  # DC/OS's diagnostics-job-timeout
URL_TIMEOUT_MIN = 2  # DC/OS's diagnostics-url-timeout
COMMAND_TIMEOUT_S = 50
UNITS_SINCE = "24h"
LIST_TIMEOUT_S = 3.0
CHUNK = 64 * 1024

JSON = dict[str, Any]
NodeList = Callable[[], list[ClusterNode]]


def go_time(value: datetime | None) -> str:
    """Go's time.String(), which DC/OS's status shows (the zero time when unset)."""
    if value is None:
        return "0001-01-01 00:00:00 +0000 UTC"
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    nanos = f"{value.microsecond * 1000:09d}".rstrip("0")
    return f"{text}{'.' + nanos if nanos else ''} +0000 UTC"


def go_duration(seconds: float) -> str:
    """Go's Duration.String(): 0s, 250ms, 1.5s, 2m3.25s, 1h0m5s."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        millis = seconds * 1000
        return f"{millis:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{sec_text}"
    if minutes:
        return f"{int(minutes)}m{sec_text}"
    return sec_text


def report_response(code: int, status: str, errors: list[str] | None = None) -> JSON:
    """DC/OS's diagnosticsReportResponse."""
    return {"response_http_code": code, "version": API_VERSION, "status": status, "errors": errors}


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: http.client.HTTPResponse
    conn: http.client.HTTPConnection

    def close(self) -> None:
        self.body.close()
        self.conn.close()


def http_get(ip: str, port: int, path: str, timeout: float, gzip: bool = False) -> Fetched:
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        headers = {"Accept-Encoding": "gzip"} if gzip else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
    except BaseException:
        conn.close()
        raise
    return Fetched(
        response.status, {k.lower(): v for k, v in response.getheaders()}, response, conn
    )


def http_json(ip: str, port: int, path: str, timeout: float, method: str = "GET") -> Any:
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


class JobCanceled(Exception):
    pass


class Job:
    """This master's diagnostics job: its state as `status` shows it, and the work itself."""

    def __init__(self, bundle_dir: Path) -> None:
        self.bundle_dir = bundle_dir
        self.lock = threading.Lock()
        self.running = False
        self.status = ""
        self.errors: list[str] | None = None
        self.last_bundle_path = ""
        self.started: datetime | None = None
        self.ended: datetime | None = None
        self.duration_s = 0.0
        self.progress = -1.0  # DC/OS's "never ran"
        self._cancel = threading.Event()

    def status_json(self) -> JSON:
        """DC/OS's bundleReportStatus: exactly these fourteen fields."""
        try:
            usage = shutil.disk_usage(self.bundle_dir)
            used = usage.used / (usage.used + usage.free) * 100 if usage.used + usage.free else 0.0
        except OSError:
            used = 0.0
        return {
            "is_running": self.running,
            "status": self.status,
            "errors": self.errors,
            "last_bundle_dir": self.last_bundle_path,
            "job_started": go_time(self.started),
            "job_ended": go_time(self.ended),
            "job_duration": go_duration(self.duration_s),
            "job_progress_percentage": round(self.progress, 4),
            "diagnostics_bundle_dir": str(self.bundle_dir),
            "diagnostics_job_timeout_min": JOB_TIMEOUT_MIN,
            "journald_logs_since_hours": UNITS_SINCE,
            "diagnostics_job_get_since_url_timeout_min": URL_TIMEOUT_MIN,
            "command_exec_timeout_sec": COMMAND_TIMEOUT_S,
            "diagnostics_partition_disk_usage_percent": used,
        }

    def start(self, nodes: list[ClusterNode], now: datetime | None = None) -> str:
        """Start making a bundle of `nodes` in the background; returns its file name."""
        now = now or datetime.now(UTC)
        name = f"bundle-{now.year}-{now.month:02d}-{now.day:02d}-{int(now.timestamp())}.zip"
        self.bundle_dir.mkdir(parents=True, exist_ok=True)
        with self.lock:
            self.errors = None
            self.last_bundle_path = str(self.bundle_dir / name)
            self.status = (
                f"Diagnostics job started, archive will be available at: {self.last_bundle_path}"
            )
            self.running = True
            self._cancel.clear()
        threading.Thread(target=self._run, args=(nodes,), name="bundle", daemon=True).start()
        return name

    def cancel(self) -> None:
        self._cancel.set()

    def _error(self, message: str) -> None:
        with self.lock:
            self.errors = [*(self.errors or []), message]

    def _run(self, nodes: list[ClusterNode]) -> None:
        self.started = datetime.now(UTC)
        self.ended, self.duration_s, self.progress = None, 0.0, 0.0
        timer = threading.Timer(JOB_TIMEOUT_MIN * 60, self._timed_out)
        timer.daemon = True
        timer.start()
        path = Path(self.last_bundle_path)
        summary: list[str] = []
        summary_errors: list[str] = []
        try:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
                try:
                    self._collect(nodes, bundle, summary, summary_errors)
                finally:
                    if summary_errors:
                        bundle.writestr("summaryErrorsReport.txt", "".join(summary_errors))
                    bundle.writestr("summaryReport.txt", "".join(summary))
            self.progress = 100.0
            self.status = (
                "Diagnostics job successfully finished"
                if not self.errors
                else "Diagnostics job failed"
            )
        except JobCanceled:
            path.unlink(missing_ok=True)
            self.last_bundle_path = ""
            self.status = "Job canceled"
        except OSError as exc:
            self._error(f"Could not create zip file: {path}: {exc}")
            self.status = "Job failed"
        finally:
            timer.cancel()
            self.ended = datetime.now(UTC)
            self.duration_s = (self.ended - self.started).total_seconds()
            self.running = False
            log.info("diagnostics job finished: %s", self.status)

    def _timed_out(self) -> None:
        self._error(f"diagnostics job timedout after: {go_duration(JOB_TIMEOUT_MIN * 60)}")
        self.cancel()

    def _collect(
        self,
        nodes: list[ClusterNode],
        bundle: zipfile.ZipFile,
        summary: list[str],
        summary_errors: list[str],
    ) -> None:
        per_node = 100.0 / len(nodes) if nodes else 0.0

        def note(lines: list[str], what: str, node: ClusterNode, detail: str = "") -> None:
            lines.append(f"{datetime.now(UTC)} [{what}] {node.ip} {node.role} {detail}\n")

        for node in nodes:
            note(summary, "START collecting logs", node)
            url = f"http://{node.ip}:{node.port}{BASE}/logs"
            try:
                status, endpoints = http_json(node.ip, node.port, f"{BASE}/logs", LIST_TIMEOUT_S)
                if status != 200 or not isinstance(endpoints, dict):
                    raise ValueError(f"status {status}")
            except (OSError, ValueError, http.client.HTTPException) as exc:
                message = f"could not get a list of logs, url: {url}"
                self._error(message)
                note(summary_errors, message, node, str(exc))
                self.progress += per_node
                continue
            if not endpoints:
                self._error(f"No endpoints found, url: {url}")
                self.progress += per_node
                continue
            per_url = per_node / len(endpoints)
            for file_name, where in endpoints.items():
                if self._cancel.is_set():
                    note(summary_errors, "Job canceled", node)
                    note(summary, "Job canceled", node)
                    raise JobCanceled()
                self._fetch_into(node, str(file_name), str(where), bundle, summary, summary_errors)
                self.progress += per_url
            note(summary, "STOP collecting logs", node)

    def _fetch_into(
        self,
        node: ClusterNode,
        file_name: str,
        where: str,
        bundle: zipfile.ZipFile,
        summary: list[str],
        summary_errors: list[str],
    ) -> None:
        """Stream one of the node's files into the bundle."""
        port_text, _, path = where.lstrip(":").partition("/")
        url = f"http://{node.ip}:{port_text}/{path}"
        self.status = f"GET {url}"
        stamp = datetime.now(UTC)
        summary.append(f"{stamp} [START GET {url}] {node.ip} {node.role} \n")
        try:
            fetched = http_get(
                node.ip, int(port_text), "/" + urllib.parse.quote(path, safe="/?=&%:*()"),
                URL_TIMEOUT_MIN * 60, gzip=True,
            )  # fmt: skip
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self._error(f"Get {url}: {exc}")
            summary_errors.append(
                f"{stamp} [could not fetch url: {url}] {node.ip} {node.role} {exc}\n"
            )
            return
        try:
            if fetched.status != 200:
                message = f"unable to fetch {url}. Return code {fetched.status}"
                self._error(message)
                summary_errors.append(
                    f"{stamp} [wrong status code returned] {node.ip} {node.role} {message}\n"
                )
                return
            name = file_name + (".gz" if fetched.headers.get("content-encoding") == "gzip" else "")
            entry = f"{node.ip}_{node.role}/{name.lstrip('/')}"
            method = zipfile.ZIP_STORED if name.endswith(".gz") else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(entry, date_time=stamp.timetuple()[:6])
            info.compress_type = method
            with bundle.open(info, "w", force_zip64=True) as dest:
                shutil.copyfileobj(fetched.body, dest, CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            self._error(str(exc))
            summary_errors.append(
                f"{stamp} [could not add {file_name}] {node.ip} {node.role} {exc}\n"
            )
        finally:
            fetched.close()
        summary.append(f"{datetime.now(UTC)} [STOP GET {url}] {node.ip} {node.role} \n")


class Bundles:
    """The bundle API of one master."""

    def __init__(
        self,
        job: Job,
        local_ip: str,
        masters: Callable[[], list[str]],
        cluster_nodes: NodeList,
    ) -> None:
        self.job = job
        self.local_ip = local_ip
        self.masters = masters
        self.cluster_nodes = cluster_nodes

    # -- status --------------------------------------------------------------

    def status_all(self) -> dict[str, JSON]:
        statuses: dict[str, JSON] = {}
        for ip in self.masters():
            if ip == self.local_ip:
                statuses[ip] = self.job.status_json()
                continue
            try:
                code, status = http_json(
                    ip, MASTER_PORT, f"{BASE}/report/diagnostics/status", LIST_TIMEOUT_S
                )
            except (OSError, ValueError, http.client.HTTPException) as exc:
                log.warning("could not determine job status for node %s: %s", ip, exc)
                continue
            if code == 200 and isinstance(status, dict):
                statuses[ip] = status
        if not statuses:
            raise RuntimeError("could not determine wheather the diagnostics job is running or not")
        return statuses

    def _running_somewhere(self) -> str | None:
        if self.job.running:
            return self.local_ip
        for ip, status in self.status_all().items():
            if status.get("is_running"):
                return ip
        return None

    # -- create and cancel ---------------------------------------------------

    def create(self, body: bytes) -> tuple[int, JSON]:
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise ValueError(
                    "json: cannot unmarshal into Go value of type api.bundleCreateRequest"
                )
        except ValueError as exc:
            return 400, {**report_response(400, str(exc) or "EOF"), "extra": {"bundle_name": ""}}
        wanted = {k.lower(): v for k, v in request.items()}.get("nodes") or []

        def refuse(message: str) -> tuple[int, JSON]:
            return 503, {**report_response(503, message), "extra": {"bundle_name": ""}}

        try:
            if self._running_somewhere() is not None:
                return refuse("Job is already running")
        except RuntimeError as exc:
            return refuse(str(exc))
        nodes = match_nodes([str(n) for n in wanted], self.cluster_nodes())
        if isinstance(nodes, str):
            return refuse(nodes)
        name = self.job.start(nodes)
        response = report_response(200, "Job has been successfully started")
        return 200, {**response, "extra": {"bundle_name": name}}

    def cancel(self) -> tuple[int, JSON]:
        running_on = self._running_somewhere()
        if running_on is None:
            return 503, report_response(503, "Job is not running")
        if running_on == self.local_ip:
            self.job.cancel()
            return 200, report_response(200, "Attempting to cancel a job, please check job status.")
        code, answer = http_json(
            running_on, MASTER_PORT, f"{BASE}/report/diagnostics/cancel",
            URL_TIMEOUT_MIN * 60, method="POST",
        )  # fmt: skip
        return code, answer

    # -- the bundles ---------------------------------------------------------

    def local_bundles(self) -> list[JSON] | None:
        found = []
        for path in sorted(self.job.bundle_dir.glob("bundle-*.zip")):
            if self.job.running and str(path) == self.job.last_bundle_path:
                continue  # still being written
            try:
                size = path.stat().st_size
            except OSError:
                continue
            found.append(
                {"file_name": f"{BASE}/report/diagnostics/serve/{path.name}", "file_size": size}
            )
        return found or None  # DC/OS answers null, not [], when there are none

    def all_bundles(self) -> dict[str, list[JSON] | None]:
        out: dict[str, list[JSON] | None] = {}
        for ip in self.masters():
            key = f"{ip}:{MASTER_PORT}"
            if ip == self.local_ip:
                out[key] = self.local_bundles()
                continue
            try:
                code, listed = http_json(
                    ip, MASTER_PORT, f"{BASE}/report/diagnostics/list", LIST_TIMEOUT_S
                )
            except (OSError, ValueError, http.client.HTTPException) as exc:
                log.warning("could not list the bundles of %s: %s", ip, exc)
                continue
            if code == 200:
                out[key] = listed
        return out

    def locate(self, name: str) -> tuple[str, str] | None:
        """The master holding bundle `name` and its serve path there."""
        for host, listed in self.all_bundles().items():
            for entry in listed or []:
                if Path(str(entry.get("file_name", ""))).name == name:
                    return host.split(":")[0], str(entry["file_name"])
        return None

    def local_path(self, name: str) -> Path | None:
        if "/" in name or not name.startswith("bundle-") or not name.endswith(".zip"):
            return None
        path = self.job.bundle_dir / name
        return path if path.is_file() else None

    def open_remote(self, ip: str, path: str) -> Fetched:
        return http_get(ip, MASTER_PORT, path, URL_TIMEOUT_MIN * 60)

    def delete(self, name: str) -> tuple[int, JSON]:
        if not name.startswith("bundle-") or not name.endswith(".zip") or "/" in name:
            return 503, report_response(503, "format allowed  bundle-*.zip")
        path = self.local_path(name)
        if path is not None:
            try:
                path.unlink()
            except OSError as exc:
                return 503, report_response(503, str(exc))
            return 200, report_response(200, f"Deleted {path}")
        found = self.locate(name)
        if found is None:
            self.job.status = f"Bundle not found {name}"
            return 404, report_response(404, self.job.status)
        ip, _ = found
        self.job.status = (
            f"Attempting to delete a bundle on a remote host. POST "
            f"http://{ip}:{MASTER_PORT}{BASE}/report/diagnostics/delete/{name}"
        )
        try:
            _, answer = http_json(
                ip, MASTER_PORT, f"{BASE}/report/diagnostics/delete/{name}", 5.0, method="POST"
            )
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return 503, report_response(503, str(exc))
        if not isinstance(answer, dict):
            return 503, report_response(503, "the other master's answer is not JSON")
        self.job.status = str(answer.get("status", ""))
        return int(answer.get("response_http_code", 200)), answer


def match_nodes(requested: list[str], cluster: list[ClusterNode]) -> list[ClusterNode] | str:
    """DC/OS's matchRequestedNodes: `all`, `masters`, `agents` or IPs; a message if none match."""
    if not requested or not cluster:
        return "Cannot match requested nodes to clusterNodes"
    masters = [n for n in cluster if n.role == "master"]
    agents = [n for n in cluster if n.role != "master"]
    matched: list[ClusterNode] = []
    for wanted in requested:
        if not wanted:
            continue
        if wanted == "all":
            return cluster
        if wanted == "masters":
            matched += masters
        if wanted == "agents":
            matched += agents
        matched += [n for n in cluster if n.ip == wanted]
    if matched:
        return matched
    return f"Requested nodes: [{' '.join(requested)}] not found"


def file_chunks(path: Path) -> Iterator[bytes]:
    f = path.open("rb")

    def chunks() -> Iterator[bytes]:
        with f:
            while chunk := f.read(CHUNK):
                yield chunk

    return chunks()
