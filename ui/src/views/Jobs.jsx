// Jobs (Metronome): list, create, run now, history with each run's result.
// Routes: #/jobs, #/jobs/create, #/jobs/detail/<id>, #/jobs/detail/<id>/tasks/<task>.
import React, { useState } from "react";
import { DangerButton, DialogModalWithFooter, PrimaryButton, TextInput, Textarea } from "@dcos/ui-kit";

import { del, get, METRONOME, post } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { go, href } from "../lib/route.js";
import { fieldErrors, jobHistory, jobStatus } from "../lib/shape.js";
import { ago, col, DataTable, ErrorList, Loaded, Page } from "../components/common.jsx";
import { TaskDetail } from "./Task.jsx";

const EMBED = "embed=activeRuns&embed=history&embed=historySummary";

export function Jobs({ route }) {
  const [, mode, id, sub, taskId] = route.parts;
  if (mode === "create") return <CreateJob />;
  if (mode === "detail" && id && sub === "tasks" && taskId) {
    return <TaskDetail taskId={taskId} crumbs={[{ label: "Jobs", href: "#/jobs" }, { label: id, href: href("jobs", "detail", id) }]} />;
  }
  if (mode === "detail" && id) return <JobDetail id={id} />;
  return <JobList />;
}

function JobList() {
  const poll = usePoll(() => get(`${METRONOME}/jobs?${EMBED}`), 2000);
  const columns = [
    col("id", "Job", (j) => (
      <a href={href("jobs", "detail", j.id)} data-testid="job-link">
        {j.id}
      </a>
    ), "minmax(160px, 2fr)"),
    col("status", "Status", (j) => <span data-testid="job-status">{jobStatus(j)}</span>, "120px"),
    col("last", "Last run", (j) => {
      const last = jobHistory(j)[0];
      return last ? `${last.result}, ${ago(last.finishedAt)}` : "";
    }, "180px"),
    col("runs", "Runs (ok / failed)", (j) => {
      const h = j.historySummary || j.history || {};
      return `${h.successCount || 0} / ${h.failureCount || 0}`;
    }, "150px"),
    col("schedule", "Schedule", (j) => (j.schedules || []).map((s) => s.cron).join(", "), "140px"),
  ];
  return (
    <Page
      crumbs={[{ label: "Jobs" }]}
      testId="jobs"
      actions={[
        <PrimaryButton key="create" onClick={() => go("/jobs/create")} data-testid="create-job">
          Create a Job
        </PrimaryButton>,
      ]}
    >
      <Loaded poll={poll} what="the jobs (Metronome)">
        {(jobs) => <DataTable rows={jobs} columns={columns} toId={(j) => j.id} testId="jobs-table" empty="No jobs yet: create one with Create a Job." />}
      </Loaded>
    </Page>
  );
}

function CreateJob() {
  const [form, setForm] = useState({ id: "", cmd: "", cpus: "0.1", mem: "32", disk: "0", description: "" });
  const [json, setJson] = useState("");
  const [errors, setErrors] = useState({ fields: {}, general: [] });
  const [busy, setBusy] = useState(false);

  const definition = () => {
    if (json.trim()) return JSON.parse(json);
    const number = (v) => (Number.isFinite(Number(v)) && String(v).trim() !== "" ? Number(v) : v);
    const job = {
      id: form.id.trim(),
      run: { cmd: form.cmd, cpus: number(form.cpus), mem: number(form.mem), disk: number(form.disk) },
    };
    if (form.description.trim()) job.description = form.description;
    return job;
  };

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ fields: {}, general: [] });
    try {
      const job = definition();
      await post(`${METRONOME}/jobs`, job);
      go(href("jobs", "detail", job.id).slice(1));
    } catch (exc) {
      if (exc instanceof SyntaxError) setErrors({ fields: {}, general: [`The JSON is not valid: ${exc.message}`] });
      else if (exc.body && typeof exc.body === "object") setErrors(jobErrors(exc.body));
      else setErrors({ fields: {}, general: [exc.message] });
    } finally {
      setBusy(false);
    }
  };

  const field = (name, label, hint) => (
    <TextInput
      id={`job-${name}`}
      type="text"
      inputLabel={label}
      hintContent={hint}
      value={form[name]}
      onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      appearance={errors.fields[name] ? "error" : "standard"}
      errors={(errors.fields[name] || []).map((m, i) => (
        <span key={i} data-testid={`job-error-${name}`}>
          {m}
        </span>
      ))}
    />
  );

  return (
    <Page crumbs={[{ label: "Jobs", href: "#/jobs" }, { label: "Create a Job" }]} testId="create-job">
      <form className="form" onSubmit={submit}>
        {field("id", "Job ID", "Lower-case words and dots, e.g. backup.nightly")}
        {field("description", "Description")}
        {field("cmd", "Command")}
        <div className="row">
          {field("cpus", "CPUs")}
          {field("mem", "Memory (MiB)")}
          {field("disk", "Disk (MiB)")}
        </div>
        <Textarea
          id="job-json"
          inputLabel="Or the job's JSON (used instead of the fields above when given)"
          rows={6}
          value={json}
          onChange={(e) => setJson(e.target.value)}
        />
        <ErrorList errors={errors.general} />
        <div className="form-actions">
          <PrimaryButton type="submit" isProcessing={busy} data-testid="submit-job">
            Create Job
          </PrimaryButton>
        </div>
      </form>
    </Page>
  );
}

// Metronome's 422 names paths like /run/cmd: put them at the form's fields.
function jobErrors(body) {
  const shaped = fieldErrors({ ...body, details: [] });
  const fields = {};
  for (const detail of body.details || []) {
    const name = String(detail.path || "").split("/").filter(Boolean).pop() || "";
    const errs = detail.errors || [];
    if (["id", "cmd", "cpus", "mem", "disk", "description"].includes(name)) fields[name] = [...(fields[name] || []), ...errs];
    else shaped.general.push(...errs.map((e) => `${detail.path}: ${e}`));
  }
  if ((body.details || []).length) shaped.general = shaped.general.filter((m) => m !== body.message);
  return { fields, general: shaped.general };
}

function JobDetail({ id }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState([]);
  const poll = usePoll(() => get(`${METRONOME}/jobs/${encodeURIComponent(id)}?${EMBED}`), 2000, [id]);

  const runNow = async () => {
    setError([]);
    try {
      await post(`${METRONOME}/jobs/${encodeURIComponent(id)}/runs`, {});
      poll.refresh();
    } catch (exc) {
      setError([exc.message]);
    }
  };
  const remove = async () => {
    try {
      await del(`${METRONOME}/jobs/${encodeURIComponent(id)}?stopCurrentJobRuns=true`);
      go("/jobs");
    } catch (exc) {
      setError([exc.message]);
      setConfirm(false);
    }
  };

  const activeColumns = [
    col("id", "Run", (r) => r.id, "minmax(160px, 1fr)"),
    col("status", "Status", (r) => <span data-testid="run-status">{r.status}</span>, "120px"),
    col("tasks", "Tasks", (r) =>
      (r.tasks || []).map((t) => (
        <a key={t.id} href={href("jobs", "detail", id, "tasks", t.id)} data-testid="run-task-link">
          {t.id} ({t.status})
        </a>
      )), "minmax(200px, 2fr)"),
    col("created", "Started", (r) => ago(r.createdAt), "120px"),
  ];
  const historyColumns = [
    col("id", "Run", (r) => r.id, "minmax(160px, 2fr)"),
    col("result", "Result", (r) => <span data-testid="history-result">{r.result}</span>, "110px"),
    col("created", "Started", (r) => ago(r.createdAt), "120px"),
    col("finished", "Finished", (r) => ago(r.finishedAt), "120px"),
  ];
  return (
    <Page
      crumbs={[{ label: "Jobs", href: "#/jobs" }, { label: id }]}
      testId="job-detail"
      actions={[
        <PrimaryButton key="run" onClick={runNow} data-testid="run-now">
          Run Now
        </PrimaryButton>,
        <DangerButton key="delete" onClick={() => setConfirm(true)} data-testid="delete-job">
          Delete
        </DangerButton>,
      ]}
    >
      <ErrorList errors={error} />
      <Loaded poll={poll} what={`the job ${id} (Metronome)`}>
        {(job) => (
          <>
            <div className="summary">
              <span data-testid="job-detail-status">{jobStatus(job)}</span>
              <span className="muted">{job.run && job.run.cmd}</span>
            </div>
            <h3>Active runs</h3>
            <DataTable rows={job.activeRuns || []} columns={activeColumns} toId={(r) => r.id} testId="active-runs" empty="No run is active." />
            <h3>History</h3>
            <DataTable rows={jobHistory(job)} columns={historyColumns} toId={(r) => r.id} testId="job-history" empty="No run has finished yet." />
          </>
        )}
      </Loaded>
      {confirm ? (
        <DialogModalWithFooter
          isOpen={true}
          isAnimated={false}
          title="Delete Job"
          onClose={() => setConfirm(false)}
          ctaButton={
            <DangerButton onClick={remove} data-testid="confirm">
              Delete
            </DangerButton>
          }
        >
          <p>Delete the job {id} and stop its active runs?</p>
        </DialogModalWithFooter>
      ) : null}
    </Page>
  );
}

