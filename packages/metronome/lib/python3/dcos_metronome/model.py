"""Jobs, schedules, runs and run history: Metronome 0.3's model and its JSON.

A job's JSON is written the way Metronome writes it: every run field with its
default filled in (`cpus` 1, `mem` 128, `disk` 0, `env` {}, `placement`
{"constraints": []}, `artifacts` [], `maxLaunchDelay` 3600, `volumes` [],
`restart` {"policy": "NEVER"}), optional fields (`description`, `cmd`,
`args`, `user`, `docker`, `taskKillGracePeriodSeconds`) only when set. Times
are `yyyy-MM-dd'T'HH:mm:ss.SSSZ` in UTC (`2017-12-01T12:00:00.000+0000`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from dcos_metronome import cron, schema

# Run statuses (JobRunStatus) and the task states a run reports (TaskState names).
INITIAL, STARTING, ACTIVE, SUCCESS, FAILED = "INITIAL", "STARTING", "ACTIVE", "SUCCESS", "FAILED"
TASK_ACTIVE = {"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"}
TASK_FAILED = {"TASK_FAILED", "TASK_KILLED"}
TASK_FINISHED = "TASK_FINISHED"

DEFAULT_CPUS = 1.0
DEFAULT_MEM = 128.0
DEFAULT_DISK = 0.0
DEFAULT_MAX_LAUNCH_DELAY_S = 3600
DEFAULT_TIMEZONE = "UTC"
DEFAULT_STARTING_DEADLINE_S = 900
MIN_STARTING_DEADLINE_S = 60
HISTORY_COUNT = 1000  # Metronome's `metronome.history.count` default

_SEGMENT_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
_RUN_ID_CHARS = string.ascii_letters + string.digits


class InvalidObject(Exception):
    """A request body Metronome rejects with 422 "Object is not valid"."""

    def __init__(self, findings: list[schema.Finding]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in findings))
        self.findings = findings

    def body(self) -> dict[str, Any]:
        return {"message": "Object is not valid", "details": schema.details(self.findings)}


# -- times ---------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_time(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(dt.UTC)


# -- ids -----------------------------------------------------------------------


def parse_job_id(text: str) -> str | None:
    """A job id from a URL path as Metronome binds it (empty names dropped), or None if invalid."""
    segments = [s for s in text.split(".") if s]
    if not all(_SEGMENT_RE.match(s) for s in segments):
        return None
    return ".".join(segments)


def new_run_id(moment: dt.datetime) -> str:
    """`yyyyMMddHHmmss` in UTC and five random letters or digits, as Metronome names runs."""
    stamp = moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    return stamp + "".join(secrets.choice(_RUN_ID_CHARS) for _ in range(5))


# -- schedules -----------------------------------------------------------------


@dataclass
class Schedule:
    id: str
    cron: cron.CronExpression
    timezone: str = DEFAULT_TIMEZONE
    starting_deadline_s: int = DEFAULT_STARTING_DEADLINE_S
    concurrency_policy: str = "ALLOW"
    enabled: bool = True

    def next_run_at(self, after: dt.datetime) -> dt.datetime:
        return self.cron.next_after(after, self.timezone)

    def to_json(self, moment: dt.datetime | None = None) -> dict[str, Any]:
        """The API form, with `nextRunAt` computed from `moment` (now by default)."""
        doc = self.to_store()
        doc["nextRunAt"] = format_time(self.next_run_at(moment or now()))
        return doc

    def to_store(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cron": str(self.cron),
            "timezone": self.timezone,
            "startingDeadlineSeconds": self.starting_deadline_s,
            "concurrencyPolicy": self.concurrency_policy,
            "enabled": self.enabled,
        }


def read_schedule(doc: Any, path: str = "") -> Schedule:
    """A schedule from its JSON: schema, then reading, then Metronome's own rules."""
    findings = schema.validate(schema.SCHEDULE_SCHEMA, doc, path)
    if findings:
        raise InvalidObject(findings)
    schedule, findings = _read_schedule(doc, path)
    if schedule is None:
        raise InvalidObject(findings)
    return schedule


def _read_schedule(doc: dict[str, Any], path: str) -> tuple[Schedule | None, list[schema.Finding]]:
    findings: list[schema.Finding] = []
    expression = None
    try:
        expression = cron.parse(doc["cron"])
    except cron.CronError:
        findings.append((f"{path}/cron", f'Can not read cron expression "{doc["cron"]}"'))
    timezone = doc.get("timezone", DEFAULT_TIMEZONE)
    if not _is_time_zone(timezone):
        findings.append((f"{path}/timezone", f'No time zone found with this id: "{timezone}"'))
    if expression is None or findings:
        return None, findings
    deadline = int(doc.get("startingDeadlineSeconds", DEFAULT_STARTING_DEADLINE_S))
    if deadline < MIN_STARTING_DEADLINE_S:
        # Metronome's own rule beyond the schema's minimum of 1.
        return None, [
            (
                f"{path}/startingDeadline",
                f"got {_duration_text(deadline)}, expected 1 minute or more",
            )
        ]
    return (
        Schedule(
            id=doc["id"],
            cron=expression,
            timezone=timezone,
            starting_deadline_s=deadline,
            concurrency_policy=doc.get("concurrencyPolicy", "ALLOW"),
            enabled=doc.get("enabled", True),
        ),
        [],
    )


def _duration_text(seconds: int) -> str:
    """A duration as Scala prints one (`30 seconds`, `1 second`)."""
    return f"{seconds} second" if seconds == 1 else f"{seconds} seconds"


def _is_time_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# -- jobs ----------------------------------------------------------------------


@dataclass
class JobSpec:
    id: str
    run: dict[str, Any]
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)

    def to_json(self, with_schedules: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id}
        if self.description is not None:
            doc["description"] = self.description
        doc["labels"] = dict(self.labels)
        doc["run"] = self.run
        if with_schedules:
            doc["schedules"] = [s.to_json() for s in self.schedules]
        return doc

    def to_store(self) -> dict[str, Any]:
        doc = self.to_json()
        doc["schedules"] = [s.to_store() for s in self.schedules]
        return doc

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.schedules if s.id == schedule_id), None)


def read_job(doc: Any, with_schedules: bool = False, job_id: str | None = None) -> JobSpec:
    """A job from its JSON (the v1 form, or with `schedules` for v0).

    `job_id`, when given, replaces the body's id after validation (PUT takes
    the id from the URL, as Metronome does).
    """
    job_schema = schema.JOB_WITH_SCHEDULES_SCHEMA if with_schedules else schema.JOB_SCHEMA
    findings = schema.validate(job_schema, doc)
    if findings:
        raise InvalidObject(findings)
    findings = _read_run_findings(doc["run"])
    schedules: list[Schedule] = []
    for index, item in enumerate(doc.get("schedules", []) if with_schedules else []):
        schedule, schedule_findings = _read_schedule(item, f"/schedules({index})")
        findings += schedule_findings
        if schedule is not None:
            schedules.append(schedule)
    if findings:
        raise InvalidObject(findings)
    if len(schedules) > 1:
        raise InvalidObject([("/schedules", "got 2, expected 1 or less")])
    return JobSpec(
        id=job_id if job_id is not None else doc["id"],
        run=normalize_run(doc["run"]),
        description=doc.get("description"),
        labels=dict(doc.get("labels", {})),
        schedules=schedules,
    )


def _read_run_findings(run: dict[str, Any]) -> list[schema.Finding]:
    """What Metronome's readers reject after the schema passed."""
    findings: list[schema.Finding] = []
    deadline = run.get("restart", {}).get("activeDeadlineSeconds")
    if deadline is not None and deadline < 0:
        findings.append(
            (
                "/run/restart/activeDeadlineSeconds",
                f"Can not read duration: {schema.number_text(deadline)}",
            )
        )
    return findings


def normalize_run(run: dict[str, Any]) -> dict[str, Any]:
    """The run spec with Metronome's defaults, in the order Metronome writes it."""
    doc: dict[str, Any] = {
        "cpus": float(run.get("cpus", DEFAULT_CPUS)),
        "mem": float(run.get("mem", DEFAULT_MEM)),
        "disk": float(run.get("disk", DEFAULT_DISK)),
    }
    for key in ("cmd", "args", "user"):
        if key in run:
            doc[key] = run[key]
    doc["env"] = dict(run.get("env", {}))
    doc["placement"] = {
        "constraints": [
            {k: c[k] for k in ("attribute", "operator", "value") if k in c}
            for c in run.get("placement", {}).get("constraints", [])
        ]
    }
    doc["artifacts"] = [
        {
            "uri": a["uri"],
            "extract": a.get("extract", True),
            "executable": a.get("executable", False),
            "cache": a.get("cache", False),
        }
        for a in run.get("artifacts", [])
    ]
    doc["maxLaunchDelay"] = int(run.get("maxLaunchDelay", DEFAULT_MAX_LAUNCH_DELAY_S))
    if "docker" in run:
        doc["docker"] = {
            "image": run["docker"]["image"],
            "forcePullImage": run["docker"].get("forcePullImage", False),
        }
    doc["volumes"] = [
        {"containerPath": v["containerPath"], "hostPath": v["hostPath"], "mode": v["mode"]}
        for v in run.get("volumes", [])
    ]
    restart = run.get("restart", {})
    doc["restart"] = {"policy": restart.get("policy", "NEVER")}
    if "activeDeadlineSeconds" in restart:
        doc["restart"]["activeDeadlineSeconds"] = int(restart["activeDeadlineSeconds"])
    if "taskKillGracePeriodSeconds" in run:
        doc["taskKillGracePeriodSeconds"] = int(run["taskKillGracePeriodSeconds"])
    return doc


def job_from_store(doc: dict[str, Any]) -> JobSpec:
    return JobSpec(
        id=doc["id"],
        run=doc["run"],
        description=doc.get("description"),
        labels=doc.get("labels", {}),
        schedules=[_schedule_from_store(s) for s in doc.get("schedules", [])],
    )


def _schedule_from_store(doc: dict[str, Any]) -> Schedule:
    return Schedule(
        id=doc["id"],
        cron=cron.parse(doc["cron"]),
        timezone=doc["timezone"],
        starting_deadline_s=doc["startingDeadlineSeconds"],
        concurrency_policy=doc["concurrencyPolicy"],
        enabled=doc["enabled"],
    )


# -- runs ----------------------------------------------------------------------


@dataclass
class RunTask:
    id: str
    started_at: dt.datetime
    status: str
    completed_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "startedAt": format_time(self.started_at)}
        if self.completed_at is not None:
            doc["completedAt"] = format_time(self.completed_at)
        doc["status"] = self.status
        return doc


@dataclass
class JobRun:
    id: str
    job: JobSpec  # the job as it was when the run started
    status: str
    created_at: dt.datetime
    completed_at: dt.datetime | None = None
    tasks: dict[str, RunTask] = field(default_factory=dict)
    # Scheduled runs must be running within the schedule's startingDeadlineSeconds.
    starting_deadline_s: int | None = None

    @property
    def job_id(self) -> str:
        return self.job.id

    @property
    def done(self) -> bool:
        return self.status in (SUCCESS, FAILED)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobId": self.job.id,
            "status": self.status,
            "createdAt": format_time(self.created_at),
            "completedAt": format_time(self.completed_at),
            "tasks": [t.to_json() for t in self.tasks.values()],
        }

    def to_store(self) -> dict[str, Any]:
        doc = self.to_json()
        doc["job"] = self.job.to_store()
        doc["startingDeadlineSeconds"] = self.starting_deadline_s
        return doc


def run_from_store(doc: dict[str, Any]) -> JobRun:
    created = parse_time(doc["createdAt"])
    assert created is not None
    return JobRun(
        id=doc["id"],
        job=job_from_store(doc["job"]),
        status=doc["status"],
        created_at=created,
        completed_at=parse_time(doc.get("completedAt")),
        tasks={
            t["id"]: RunTask(
                id=t["id"],
                started_at=parse_time(t["startedAt"]) or created,
                status=t["status"],
                completed_at=parse_time(t.get("completedAt")),
            )
            for t in doc.get("tasks", [])
        },
        starting_deadline_s=doc.get("startingDeadlineSeconds"),
    )


# -- history -------------------------------------------------------------------


@dataclass
class RunInfo:
    id: str
    created_at: dt.datetime
    finished_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "createdAt": format_time(self.created_at),
            "finishedAt": format_time(self.finished_at),
        }


@dataclass
class JobHistory:
    success_count: int = 0
    failure_count: int = 0
    last_success_at: dt.datetime | None = None
    last_failure_at: dt.datetime | None = None
    successful_runs: list[RunInfo] = field(default_factory=list)
    failed_runs: list[RunInfo] = field(default_factory=list)

    def record(self, run: JobRun, finished_at: dt.datetime) -> None:
        """Count a finished run, newest first, keeping Metronome's last 1000 of each kind."""
        info = RunInfo(run.id, run.created_at, finished_at)
        if run.status == SUCCESS:
            self.success_count += 1
            self.last_success_at = finished_at
            self.successful_runs = [info, *self.successful_runs][:HISTORY_COUNT]
        else:
            self.failure_count += 1
            self.last_failure_at = finished_at
            self.failed_runs = [info, *self.failed_runs][:HISTORY_COUNT]

    def summary_json(self) -> dict[str, Any]:
        return {
            "successCount": self.success_count,
            "failureCount": self.failure_count,
            "lastSuccessAt": format_time(self.last_success_at),
            "lastFailureAt": format_time(self.last_failure_at),
        }

    def to_json(self) -> dict[str, Any]:
        doc = self.summary_json()
        doc["successfulFinishedRuns"] = [r.to_json() for r in self.successful_runs]
        doc["failedFinishedRuns"] = [r.to_json() for r in self.failed_runs]
        return doc


def history_from_store(doc: dict[str, Any]) -> JobHistory:
    def infos(items: list[dict[str, Any]]) -> list[RunInfo]:
        out = []
        for item in items:
            created, finished = parse_time(item["createdAt"]), parse_time(item["finishedAt"])
            assert created is not None and finished is not None
            out.append(RunInfo(item["id"], created, finished))
        return out

    return JobHistory(
        success_count=doc["successCount"],
        failure_count=doc["failureCount"],
        last_success_at=parse_time(doc.get("lastSuccessAt")),
        last_failure_at=parse_time(doc.get("lastFailureAt")),
        successful_runs=infos(doc.get("successfulFinishedRuns", [])),
        failed_runs=infos(doc.get("failedFinishedRuns", [])),
    )
