"""Metronome's REST API (v1, the v0 scheduled-jobs pair, /ping, /info, /v1/metrics).

Paths, status codes and bodies are Metronome 0.3's:

    GET    /v1/jobs[?embed=activeRuns,schedules,history,historySummary]
    POST   /v1/jobs                                  201 job | 409 | 422
    GET    /v1/jobs/<id>[?embed=...]                 200 | 404
    PUT    /v1/jobs/<id>                             200 | 404 | 422
    DELETE /v1/jobs/<id>[?stopCurrentJobRuns=true]   200 job | 404 | 409 (active runs)
    GET    /v1/jobs/<id>/runs                        active runs
    POST   /v1/jobs/<id>/runs                        201 run (status INITIAL)
    GET    /v1/jobs/<id>/runs/<run>                  200 while active, 404 when finished
    POST   /v1/jobs/<id>/runs/<run>/actions/stop     200 run (FAILED)
    GET    /v1/jobs/<id>/schedules[/<sid>]
    POST   /v1/jobs/<id>/schedules                   201 | 409 (exists; one schedule only)
    PUT    /v1/jobs/<id>/schedules/<sid>             200 | 404
    DELETE /v1/jobs/<id>/schedules/<sid>             200 | 404
    POST   /v0/scheduled-jobs, PUT /v0/scheduled-jobs/<id>   a job with its schedules

Errors: 422 `{"message": "Object is not valid", "details": [{"path", "errors"}]}`;
unknown routes 404 `{"message": "Unknown route.", "requestPath": ...}`; bad path
or query values 400 `{"message": ..., "requestPath": ...}`; a body that is not
JSON 400, one whose Content-Type is not JSON 415.

A Metronome that is not the leader proxies every request but /ping and
/v1/metrics to the leader (headers X-LEADER and X-VIA), as Metronome does.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from dcos_metronome import LIB_VERSION, VERSION, model
from dcos_metronome.service import JobExists, JobService, NoSuchJob

log = logging.getLogger(__name__)

EMBEDS = ("activeRuns", "schedules", "history", "historySummary")
HEADER_VIA = "X-VIA"
HEADER_LEADER = "X-LEADER"
LOCAL_ROUTES = {"/ping", "/v1/metrics"}
PROXY_TIMEOUT_S = 30.0  # metronome.leader.proxy.timeout
# Hop-by-hop headers and those aiohttp sets itself: never copied through the proxy.
_NOT_PROXIED = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "host",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
}


class Leadership(Protocol):
    """Who leads: this Metronome (then `service` is its state) or another one."""

    @property
    def service(self) -> JobService | None: ...
    @property
    def leader_host_port(self) -> str | None: ...
    @property
    def local_host_port(self) -> str: ...


class ClientError(Exception):
    """A request Play's router or body parser refuses before Metronome's code runs."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


def json_response(doc: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(doc), status=status, content_type="application/json")


def client_error(request: web.Request, status: int, message: str) -> web.Response:
    # Metronome HTML-escapes both, so that a browser never runs what a path carried.
    return json_response(
        {"message": html.escape(message), "requestPath": html.escape(request.path)}, status
    )


# -- request parsing -------------------------------------------------------------


def job_id_param(request: web.Request) -> str:
    raw = request.match_info["job_id"]
    job_id = model.parse_job_id(raw)
    if job_id is None:
        raise ClientError(400, f"Not a valid id: {raw}")
    return job_id


def embeds(request: web.Request) -> set[str]:
    values = [v for raw in request.query.getall("embed", []) for v in raw.split(",")]
    if any(v not in EMBEDS for v in values):
        raise ClientError(400, f"Unknown embed options. Valid options are: {', '.join(EMBEDS)}")
    return set(values)


def bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    value = {"true": True, "false": False, "1": True, "0": False}.get(raw.strip())
    if value is None:
        raise ClientError(
            400, f"Cannot parse parameter {name} as Boolean: should be true, false, 0 or 1"
        )
    return value


async def json_body(request: web.Request) -> Any:
    if request.content_type.lower() not in ("application/json", "text/json"):
        raise ClientError(415, "Expecting text/json or application/json body")
    text = await request.text()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ClientError(400, f"Invalid Json: {exc}") from exc


# -- views ----------------------------------------------------------------------


def job_info(service: JobService, job: model.JobSpec, embed: set[str]) -> dict[str, Any]:
    """A job as GET /v1/jobs[/<id>] shows it, with what `embed` asks for."""
    doc = job.to_json()
    if "schedules" in embed:
        doc["schedules"] = [s.to_json() for s in job.schedules]
    if "activeRuns" in embed:
        doc["activeRuns"] = [r.to_json() for r in service.runs.runs_of(job.id)]
    if "history" in embed:
        doc["history"] = service.runs.history(job.id).to_json()
    if "historySummary" in embed:
        doc["historySummary"] = service.runs.history(job.id).summary_json()
    return doc


def unknown_job(job_id: str) -> web.Response:
    return json_response({"id": job_id, "message": "Job not found"}, 404)


def unknown_run(job_id: str, run_id: str) -> web.Response:
    return json_response({"jobSpec": job_id, "id": run_id, "message": "Job Run not found"}, 404)


def unknown_schedule(schedule_id: str) -> web.Response:
    return json_response({"id": schedule_id, "message": "Schedule not found"}, 404)


def error_detail(message: str, status: int) -> web.Response:
    return json_response({"message": message}, status)


Handler = Callable[[web.Request, JobService], Awaitable[web.StreamResponse]]


def _service(request: web.Request) -> JobService:
    service = request.app["leadership"].service
    if service is None:
        # The proxy middleware sends everything to the leader; this is the instant between.
        raise web.HTTPServiceUnavailable(text="No consistent leadership")
    assert isinstance(service, JobService)
    return service


def leader_only(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        return await handler(request, _service(request))

    return wrapped


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="pong", content_type="text/plain")


async def info(request: web.Request) -> web.Response:
    return json_response({"version": VERSION, "libVersion": LIB_VERSION})


async def metrics(request: web.Request) -> web.Response:
    """A Dropwizard-style registry document, as Metronome's /v1/metrics serves one."""
    leadership: Leadership = request.app["leadership"]
    service = leadership.service
    gauges: dict[str, Any] = {"metronome.leader": {"value": 1 if service else 0}}
    if service is not None:
        active = [r for job in service.jobs for r in service.runs.runs_of(job)]
        gauges["metronome.jobs"] = {"value": len(service.jobs)}
        gauges["metronome.runs.active"] = {"value": len(active)}
        gauges["metronome.runs.success"] = {
            "value": sum(h.success_count for h in service.runs.histories.values())
        }
        gauges["metronome.runs.failure"] = {
            "value": sum(h.failure_count for h in service.runs.histories.values())
        }
    return json_response(
        {
            "version": "3.0.0",
            "gauges": gauges,
            "counters": {},
            "histograms": {},
            "meters": {},
            "timers": {},
        }
    )


@leader_only
async def list_jobs(request: web.Request, service: JobService) -> web.Response:
    embed = embeds(request)
    return json_response([job_info(service, j, embed) for j in service.jobs.values()])


@leader_only
async def create_job(request: web.Request, service: JobService) -> web.Response:
    job = model.read_job(await json_body(request))
    try:
        await service.create_job(job)
    except JobExists:
        return error_detail("Job with this id already exists", 409)
    return json_response(job.to_json(), 201)


@leader_only
async def get_job(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    embed = embeds(request)
    job = service.jobs.get(job_id)
    if job is None:
        return unknown_job(job_id)
    return json_response(job_info(service, job, embed))


@leader_only
async def update_job(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    new = model.read_job(await json_body(request), job_id=job_id)
    try:
        job = await service.update_job(
            job_id, lambda old: dataclasses.replace(new, schedules=old.schedules)
        )
    except NoSuchJob:
        return unknown_job(job_id)
    return json_response(job.to_json())


@leader_only
async def delete_job(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    stop_runs = bool_param(request, "stopCurrentJobRuns")
    if job_id not in service.jobs:
        return unknown_job(job_id)
    runs = service.runs.runs_of(job_id)
    if runs and not stop_runs:
        return error_detail("There are active job runs. Override with stopCurrentJobRuns=true", 409)
    for run in runs:
        await service.runs.stop(job_id, run.id)
    try:
        job = await service.delete_job(job_id)
    except NoSuchJob:
        return unknown_job(job_id)
    return json_response(job.to_json())


@leader_only
async def list_runs(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    return json_response([r.to_json() for r in service.runs.runs_of(job_id)])


@leader_only
async def start_run(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    job = service.jobs.get(job_id)
    if job is None:
        return unknown_job(job_id)
    run = await service.start_run(job)
    return json_response(run.to_json(), 201)


@leader_only
async def get_run(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    run_id = request.match_info["run_id"]
    run = service.runs.get(job_id, run_id)
    if run is None:
        return unknown_run(job_id, run_id)
    return json_response(run.to_json())


@leader_only
async def stop_run(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    run_id = request.match_info["run_id"]
    if job_id not in service.jobs:
        return unknown_job(job_id)
    run = await service.runs.stop(job_id, run_id)
    if run is None:
        return unknown_run(job_id, run_id)
    return json_response(run.to_json())


@leader_only
async def list_schedules(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    job = service.jobs.get(job_id)
    if job is None:
        return unknown_job(job_id)
    return json_response([s.to_json() for s in job.schedules])


@leader_only
async def get_schedule(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    schedule_id = request.match_info["schedule_id"]
    job = service.jobs.get(job_id)
    if job is None:
        return unknown_job(job_id)
    schedule = job.schedule(schedule_id)
    if schedule is None:
        return unknown_schedule(schedule_id)
    return json_response(schedule.to_json())


@leader_only
async def create_schedule(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    schedule = model.read_schedule(await json_body(request))
    if job_id not in service.jobs:
        return unknown_job(job_id)

    def add(job: model.JobSpec) -> model.JobSpec:
        if job.schedule(schedule.id) is not None:
            raise ValueError(f"A schedule with id {schedule.id} already exists")
        if job.schedules:
            raise ValueError("Only one schedule supported at the moment")
        return dataclasses.replace(job, schedules=[schedule, *job.schedules])

    try:
        await service.update_job(job_id, add)
    except NoSuchJob:
        return unknown_job(job_id)
    except ValueError as exc:
        return error_detail(str(exc), 409)
    return json_response(schedule.to_json(), 201)


@leader_only
async def update_schedule(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    schedule_id = request.match_info["schedule_id"]
    schedule = dataclasses.replace(model.read_schedule(await json_body(request)), id=schedule_id)
    if job_id not in service.jobs:
        return unknown_job(job_id)

    def change(job: model.JobSpec) -> model.JobSpec:
        if job.schedule(schedule_id) is None:
            raise ValueError("Can only update an existing schedule")
        others = [s for s in job.schedules if s.id != schedule_id]
        return dataclasses.replace(job, schedules=[schedule, *others])

    try:
        await service.update_job(job_id, change)
    except NoSuchJob:
        return unknown_job(job_id)
    except ValueError:
        return unknown_schedule(schedule_id)
    return json_response(schedule.to_json())


@leader_only
async def delete_schedule(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    schedule_id = request.match_info["schedule_id"]
    if job_id not in service.jobs:
        return unknown_job(job_id)

    def remove(job: model.JobSpec) -> model.JobSpec:
        if job.schedule(schedule_id) is None:
            raise ValueError("Can only delete an existing schedule")
        return dataclasses.replace(job, schedules=[s for s in job.schedules if s.id != schedule_id])

    try:
        await service.update_job(job_id, remove)
    except NoSuchJob:
        return unknown_job(job_id)
    except ValueError:
        return unknown_schedule(schedule_id)
    return web.Response(status=200)


@leader_only
async def create_scheduled_job(request: web.Request, service: JobService) -> web.Response:
    job = model.read_job(await json_body(request), with_schedules=True)
    try:
        await service.create_job(job)
    except JobExists:
        return error_detail("Job with this id already exists", 409)
    return json_response(job.to_json(with_schedules=True), 201)


@leader_only
async def update_scheduled_job(request: web.Request, service: JobService) -> web.Response:
    job_id = job_id_param(request)
    new = model.read_job(await json_body(request), with_schedules=True, job_id=job_id)
    try:
        job = await service.update_job(job_id, lambda _old: new)
    except NoSuchJob:
        return unknown_job(job_id)
    return json_response(job.to_json(with_schedules=True))


# -- errors and the leader proxy -------------------------------------------------


@web.middleware
async def errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except model.InvalidObject as exc:
        return json_response(exc.body(), 422)
    except ClientError as exc:
        return client_error(request, exc.status, exc.message)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        # Play's router answers any path or method it does not know with 404.
        return client_error(request, 404, "Unknown route.")
    except web.HTTPException:
        raise
    except Exception:
        log.exception("error serving %s %s", request.method, request.path)
        return json_response({"requestPath": html.escape(request.path)}, 500)


@web.middleware
async def leader_proxy(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    leadership: Leadership = request.app["leadership"]
    if leadership.service is not None or request.path in LOCAL_ROUTES:
        return await handler(request)
    if request.headers.get(HEADER_VIA) == leadership.local_host_port:
        return web.Response(status=400, text="Prevent proxying already proxied request")
    leader = leadership.leader_host_port
    if leader is None or leader == leadership.local_host_port:
        return web.Response(status=503, text="No consistent leadership")
    return await _proxy(request, leader, leadership.local_host_port)


async def _proxy(request: web.Request, leader: str, local: str) -> web.Response:
    session: aiohttp.ClientSession = request.app["proxy_session"]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_PROXIED}
    headers[HEADER_LEADER] = leader
    headers[HEADER_VIA] = local
    url = f"http://{leader}{request.rel_url}"
    body = await request.read()
    try:
        async with session.request(
            request.method,
            url,
            headers=headers,
            data=body or None,
            timeout=aiohttp.ClientTimeout(total=PROXY_TIMEOUT_S),
            allow_redirects=False,
        ) as upstream:
            content = await upstream.read()
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in _NOT_PROXIED
            }
            out_headers[HEADER_LEADER] = leader
            out_headers[HEADER_VIA] = local
            return web.Response(
                status=upstream.status, reason=upstream.reason, headers=out_headers, body=content
            )
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("proxying %s to the leader %s failed: %s", request.path, leader, exc)
        return web.Response(status=503, text="No consistent leadership")


async def _proxy_session(app: web.Application) -> AsyncIterator[None]:
    app["proxy_session"] = aiohttp.ClientSession(auto_decompress=False)
    yield
    await app["proxy_session"].close()


def make_app(leadership: Leadership) -> web.Application:
    app = web.Application(middlewares=[errors, leader_proxy])
    app["leadership"] = leadership
    app.cleanup_ctx.append(_proxy_session)
    add = app.router.add_route
    add("GET", "/ping", ping)
    add("GET", "/info", info)
    add("GET", "/v1/metrics", metrics)
    add("GET", "/v1/jobs", list_jobs)
    add("POST", "/v1/jobs", create_job)
    add("GET", "/v1/jobs/{job_id}", get_job)
    add("PUT", "/v1/jobs/{job_id}", update_job)
    add("DELETE", "/v1/jobs/{job_id}", delete_job)
    add("GET", "/v1/jobs/{job_id}/schedules", list_schedules)
    add("POST", "/v1/jobs/{job_id}/schedules", create_schedule)
    add("GET", "/v1/jobs/{job_id}/schedules/{schedule_id}", get_schedule)
    add("PUT", "/v1/jobs/{job_id}/schedules/{schedule_id}", update_schedule)
    add("DELETE", "/v1/jobs/{job_id}/schedules/{schedule_id}", delete_schedule)
    add("GET", "/v1/jobs/{job_id}/runs", list_runs)
    add("POST", "/v1/jobs/{job_id}/runs", start_run)
    add("GET", "/v1/jobs/{job_id}/runs/{run_id}", get_run)
    add("POST", "/v1/jobs/{job_id}/runs/{run_id}/actions/stop", stop_run)
    add("POST", "/v0/scheduled-jobs", create_scheduled_job)
    add("PUT", "/v0/scheduled-jobs/{job_id}", update_scheduled_job)
    return app
