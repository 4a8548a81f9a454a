"""dcos-log's HTTP API: the node's journal, and the logs of the tasks that ran here.

Admin Router serves it as /system/v1/logs/ on every node (a master's own, or
an agent's through /system/v1/agent/<agent-id>/logs/), so paths here start at
/v1 and /v2:

v1 (DC/OS 1.10):
  /v1/range/ /v1/stream/ /v1/range/download     the whole journal
  /v1/{range,stream}/framework/<f>/executor/<e>/container/<c>[/download]
                                                one task's journal entries
  /v1/fields/<field>                            values of a container-logger field
v2 (what later DC/OS CLIs use):
  /v2/component[/<unit>]                        the journal, or one unit's
  /v2/task/<task-id>[/file/<f>][/browse|/download]
                                                redirect to the agent running the task
  /v2/task/frameworks/<f>/executors/<e>/runs/<c>[/tasks/<t>]/<file>[/download]
  .../files/browse                              lines of a file in the task's sandbox
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from dcos_internal_utils import mesos_state, node
from dcos_internal_utils.httpclient import UNAVAILABLE, HTTPStatusError, get_json

from . import formats, params, sandbox
from .journal import Journal, Match
from .journal_http import JournalFactory, JournalQuery, client_gone, dcos_error, respond

log = logging.getLogger("dcos-log")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TASK_LOGS = "/framework/{framework_id}/executor/{executor_id}/container/{container_id}"
RUN = "/v2/task/frameworks/{framework_id}/executors/{executor_id}/runs/{container_id}"
AGENT_LOGS_PREFIX = "/system/v1/agent"
FILE_POLL_S = 1.0


@dataclass
class Mesos:
    """Where dcos-log asks Mesos about tasks: this node's agent and the leading master."""

    agent_url: Callable[[], str]
    leader_url: str = os.environ.get("MESOS_LEADER_URL", "http://leader.mesos:5050")

    def agent_state(self) -> Any:
        return get_json(self.agent_url() + "/state", timeout=5.0)

    def master_state(self) -> Any:
        return get_json(self.leader_url + "/state", timeout=5.0)


def _local_agent_url() -> str:
    return f"http://{node.detect_ip()}:{mesos_state.AGENT_PORT}"


# -- v1: the journal --------------------------------------------------------------


def _v1_query(request: web.Request, stream: bool) -> JournalQuery:
    query = request.query
    matches = [
        Match(field, request.match_info[var])
        for var, field in (
            ("container_id", "CONTAINER_ID"),
            ("framework_id", "FRAMEWORK_ID"),
            ("executor_id", "EXECUTOR_ID"),
        )
        if request.match_info.get(var)
    ]
    matches += params.filters(query.getall("filter", []))
    fmt = formats.from_accept(request.headers.get("Accept"))
    return JournalQuery(
        position=params.v1_position(query, stream, request.headers.get("Last-Event-ID")),
        limit=params.limit(query, stream),
        matches=matches,
        fmt=fmt,
        stream=stream,
        with_id=stream,
    )


def _download_name(request: web.Request, prefix: str, *variables: str) -> str:
    parts = [prefix] + [request.match_info[v] for v in variables if request.match_info.get(v)]
    if request.query.get("postfix"):
        parts.append(request.query["postfix"])
    return "-".join(parts) + ".log.gz"


def _journal_handler(stream: bool, download: tuple[str, ...] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            query = _v1_query(request, stream)
        except params.ParamError as exc:
            return dcos_error(request, str(exc), 400)
        name = _download_name(request, *download) if download else None
        return await respond(request, request.app["journal"], query, name)

    return handler


async def fields(request: web.Request) -> web.Response:
    field = request.match_info["field"]
    if field not in params.ALLOWED_FIELDS:
        return dcos_error(request, f"{field} is not an allowed field", 400)
    journal = request.app["journal"]()
    try:
        values = journal.unique_values(field)
    finally:
        journal.close()
    if not values:
        return dcos_error(request, f"Field {field} not found", 204)
    return web.json_response(values)


# -- v2: component logs -----------------------------------------------------------


async def component(request: web.Request) -> web.StreamResponse:
    fmt = formats.from_accept(request.headers.get("Accept"))
    name = request.match_info.get("name", "")
    any_of: list[Match] = []
    if name:
        units = [name] if "." in name else [name, name + ".service"]
        any_of = [Match(field, unit) for unit in units for field in ("UNIT", "_SYSTEMD_UNIT")]
    try:
        query = JournalQuery(
            position=params.v2_position(request.query, request.headers.get("Last-Event-ID")),
            limit=params.v2_limit(request.query),
            matches=params.filters(request.query.getall("filter", [])),
            any_of=any_of,
            fmt=fmt,
            stream=fmt is formats.Format.SSE,
            with_id=fmt is formats.Format.SSE,
        )
    except params.ParamError as exc:
        return dcos_error(request, str(exc), 400)
    return await respond(request, request.app["journal"], query)


# -- v2: task logs ----------------------------------------------------------------


def _task_redirect(location: mesos_state.TaskLocation, tail: str, query_string: str) -> str:
    if location.executor_id and len(location.container_ids) > 1:  # a task of a pod
        executor_id, run = location.executor_id, location.container_ids[0]
        url = (
            f"{AGENT_LOGS_PREFIX}/{location.agent_id}/logs/v2/task/frameworks/"
            f"{location.framework_id}/executors/{executor_id}/runs/{run}/tasks/{location.task_id}"
        )
    else:
        executor_id = location.executor_id or location.task_id
        url = (
            f"{AGENT_LOGS_PREFIX}/{location.agent_id}/logs/v2/task/frameworks/"
            f"{location.framework_id}/executors/{executor_id}/runs/{location.container_ids[-1]}"
        )
    url += tail
    return url + ("?" + query_string if query_string else "")


def _discover(kind: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        task_id = request.match_info["task_id"]
        file = request.match_info.get("file", "stdout")
        mesos: Mesos = request.app["mesos"]
        loop = asyncio.get_running_loop()
        try:
            state = await loop.run_in_executor(None, mesos.master_state)
        except (*UNAVAILABLE, HTTPStatusError) as exc:
            return dcos_error(request, f"unable to get canonical task ID: {exc}", 500)
        location = mesos_state.find_task(state, task_id, completed=False) or (
            mesos_state.find_task(state, task_id, completed=True)
        )
        if location is None:
            return dcos_error(
                request, f"unable to get canonical task ID: task {task_id} not found", 500
            )
        tail = {"browse": "/files/browse", "download": f"/{file}/download"}.get(kind, f"/{file}")
        raise web.HTTPSeeOther(_task_redirect(location, tail, request.query_string))

    return handler


async def _sandbox_dir(request: web.Request) -> tuple[Path, str] | web.Response:
    """The sandbox the path names, and this agent's ID."""
    info = request.match_info
    mesos: Mesos = request.app["mesos"]
    loop = asyncio.get_running_loop()
    try:
        state = await loop.run_in_executor(None, mesos.agent_state)
    except (*UNAVAILABLE, HTTPStatusError) as exc:
        return dcos_error(request, f"unable to get mesosID: {exc}", 500)
    agent_id = str(state.get("id", ""))
    directory = mesos_state.sandbox_directory(
        state, info["framework_id"], info["executor_id"], info["container_id"]
    )
    if directory is None:
        flags = state.get("flags") or {}
        work_dir = str(flags.get("work_dir") or sandbox.DEFAULT_WORK_DIR)
        directory = str(
            sandbox.sandbox_path(
                work_dir,
                agent_id,
                info["framework_id"],
                info["executor_id"],
                info["container_id"],
            )
        )
    base = Path(directory)
    if info.get("task_path"):
        inner = sandbox.inside(base, f"tasks/{info['task_path']}")
        if inner is None:
            return dcos_error(request, "invalid task path", 400)
        base = inner
    return base, agent_id


async def _sandbox_file(request: web.Request) -> tuple[Path, str] | web.Response:
    found = await _sandbox_dir(request)
    if isinstance(found, web.Response):
        return found
    base, agent_id = found
    path = sandbox.inside(base, request.match_info["file"])
    if path is None or not sandbox.exists(path):
        return dcos_error(request, "File not found", 204)
    return path, agent_id


def _line_event(line: sandbox.Line, request: web.Request, agent_id: str) -> bytes:
    info = request.match_info
    message = {
        "fields": {
            "MESSAGE": line.text,
            "AGENT_ID": agent_id,
            "EXECUTOR_ID": info["executor_id"],
            "FRAMEWORK_ID": info["framework_id"],
            "CONTAINER_ID": info["container_id"],
            "FILE": info["file"],
        }
    }
    return f"id: {line.end}\ndata: {json.dumps(message, separators=(',', ':'))}\n\n".encode()


async def task_file(request: web.Request) -> web.StreamResponse:
    found = await _sandbox_file(request)
    if isinstance(found, web.Response):
        return found
    path, agent_id = found
    query = request.query
    # An event-stream client follows the file; any other reads up to `limit` lines.
    sse = formats.from_accept(request.headers.get("Accept")) is formats.Format.SSE
    try:
        last_event_id = request.headers.get("Last-Event-ID", "")
        if last_event_id:
            offset, skip, limit = sandbox.start_offset(path, last_event_id), 0, 0
        else:
            offset = sandbox.start_offset(path, query.get("cursor", ""))
            skip = int(query.get("skip", "0") or 0)
            limit = 0 if sse else int(query.get("limit", "0") or 0)
    except ValueError as exc:
        return dcos_error(request, str(exc), 400)
    loop = asyncio.get_running_loop()
    if skip < 0:
        offset = await loop.run_in_executor(None, sandbox.back_lines, path, offset, -skip)
    elif skip > 0:
        _, offset = await loop.run_in_executor(None, sandbox.read_lines, path, offset, skip, True)
    response = web.StreamResponse()
    if sse:
        response.headers.update(
            {
                "Content-Type": formats.EVENT_STREAM,
                "Cache-Control": "no-cache",
                "Access-Control-Allow-Origin": "*",
                "X-Accel-Buffering": "no",
            }
        )
    else:
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.enable_chunked_encoding()
    await response.prepare(request)
    sent = 0
    while (not limit or sent < limit) and not client_gone(request):
        want = min(limit - sent, 1000) if limit else 1000
        lines, offset = await loop.run_in_executor(
            None, sandbox.read_lines, path, offset, want, sse
        )
        if lines:
            sent += len(lines)
            if sse:
                await response.write(b"".join(_line_event(ln, request, agent_id) for ln in lines))
            else:
                await response.write("".join(ln.text + "\n" for ln in lines).encode())
            continue
        if not sse:
            break
        await asyncio.sleep(FILE_POLL_S)  # a stream follows the file as it grows
    await response.write_eof()
    return response


async def task_file_download(request: web.Request) -> web.StreamResponse:
    found = await _sandbox_file(request)
    if isinstance(found, web.Response):
        return found
    path, _ = found
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename={path.name}",
        },
    )


async def task_browse(request: web.Request) -> web.Response:
    found = await _sandbox_dir(request)
    if isinstance(found, web.Response):
        return found
    base, _ = found
    if not base.is_dir():
        return dcos_error(request, f"{base} not found", 404)
    loop = asyncio.get_running_loop()
    return web.json_response(await loop.run_in_executor(None, sandbox.browse, base))


def make_app(journal: JournalFactory | None = None, mesos: Mesos | None = None) -> web.Application:
    app = web.Application()
    app["journal"] = journal or Journal
    app["mesos"] = mesos or Mesos(agent_url=_local_agent_url)
    get = app.router.add_get
    for stream, kind in ((False, "range"), (True, "stream")):
        get(f"/v1/{kind}/", _journal_handler(stream), allow_head=False)
        get(f"/v1/{kind}{TASK_LOGS}", _journal_handler(stream), allow_head=False)
    get("/v1/range/download", _journal_handler(False, ("root-range",)), allow_head=False)
    get(
        f"/v1/range{TASK_LOGS}/download",
        _journal_handler(False, ("task", "container_id")),
        allow_head=False,
    )
    get("/v1/fields/{field}", fields, allow_head=False)

    get("/v2/component", component, allow_head=False)
    get("/v2/component/{name}", component, allow_head=False)
    for run in (RUN, RUN + "/tasks/{task_path}"):
        get(run + "/files/browse", task_browse, allow_head=False)
        get(run + "/{file}/download", task_file_download, allow_head=False)
        get(run + "/{file}", task_file, allow_head=False)
    get("/v2/task/{task_id}", _discover("file"), allow_head=False)
    get("/v2/task/{task_id}/file/{file}", _discover("file"), allow_head=False)
    get("/v2/task/{task_id}/browse", _discover("browse"), allow_head=False)
    get("/v2/task/{task_id}/download", _discover("download"), allow_head=False)
    get("/v2/task/{task_id}/file/{file}/download", _discover("download"), allow_head=False)
    return app


def main() -> None:
    from dcos_internal_utils import aio

    aio.run(make_app(), unix=["/run/dcos/dcos-log.sock"])
