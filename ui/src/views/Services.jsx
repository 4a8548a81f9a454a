// Services: Marathon's apps and pods as a tree of groups; a service's tasks,
// configuration and actions; a task's logs and sandbox files.
//
// Routes: #/services[/overview/<group>], #/services/create,
// #/services/detail/<id>, #/services/detail/<id>/tasks/<task>.
import React, { useState } from "react";
import {
  DangerButton,
  DialogModalWithFooter,
  PrimaryButton,
  SecondaryButton,
  TabItem,
  TabTitle,
  Tabs,
  TextInput,
  Textarea,
} from "@dcos/ui-kit";

import { del, get, MARATHON, post, put } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { go, href } from "../lib/route.js";
import {
  appFromForm,
  deploymentsFor,
  fieldErrors,
  formatMiB,
  lastSegment,
  queueEntryFor,
  serviceRow,
  serviceTable,
} from "../lib/shape.js";
import { col, DataTable, ErrorList, Loaded, Page, StatusBadge, ago } from "../components/common.jsx";
import { TaskDetail } from "./Task.jsx";

const GROUPS_URL =
  `${MARATHON}/groups?embed=group.groups&embed=group.apps&embed=group.pods` +
  `&embed=group.apps.counts&embed=group.apps.deployments&embed=group.apps.lastTaskFailure`;

function groupCrumbs(groupId) {
  const crumbs = [{ label: "Services", href: "#/services" }];
  const parts = groupId.split("/").filter(Boolean);
  parts.forEach((part, i) => {
    const id = "/" + parts.slice(0, i + 1).join("/");
    crumbs.push({ label: part, href: href("services", "overview", id) });
  });
  return crumbs;
}

export function Services({ route }) {
  const [, mode, id, sub, taskId] = route.parts;
  if (mode === "create") return <CreateService route={route} />;
  if (mode === "detail" && id && sub === "tasks" && taskId) {
    return <TaskDetail serviceId={id} taskId={taskId} crumbs={[...groupCrumbs(id).slice(0, -1), { label: lastSegment(id), href: href("services", "detail", id) }]} />;
  }
  if (mode === "detail" && id) return <ServiceDetail id={id} />;
  return <ServiceList groupId={mode === "overview" && id ? id : "/"} />;
}

function ServiceList({ groupId }) {
  const poll = usePoll(async () => {
    const [groups, queue, deployments] = await Promise.all([
      get(GROUPS_URL),
      get(`${MARATHON}/queue`),
      get(`${MARATHON}/deployments`),
    ]);
    return serviceTable(groups, groupId, { queue, deployments });
  }, 2000, [groupId]);
  const columns = [
    col("name", "Name", (r) =>
      r.kind === "group" ? (
        <a href={href("services", "overview", r.id)} data-testid="group-link">
          {r.name}/
        </a>
      ) : (
        <a href={href("services", "detail", r.id)} data-testid="service-link">
          {r.name}
        </a>
      ), "minmax(140px, 1.2fr)"),
    col("kind", "Kind", (r) => (r.kind === "group" ? `group (${r.services})` : r.kind), "110px"),
    col("status", "Status", (r) => <StatusBadge status={r.status} reason={r.reason} />, "minmax(160px, 2fr)"),
    col("health", "Health", (r) => r.health, "100px"),
    col("instances", "Running", (r) => <span data-testid="instances">{`${r.running}/${r.instances}`}</span>, "90px"),
    col("cpus", "CPU", (r) => r.cpus, "80px"),
    col("mem", "Mem", (r) => formatMiB(r.mem), "100px"),
  ];
  return (
    <Page
      crumbs={groupCrumbs(groupId)}
      testId="services"
      actions={[
        <PrimaryButton key="run" onClick={() => go(`/services/create?group=${encodeURIComponent(groupId)}`)} data-testid="run-service">
          Run a Service
        </PrimaryButton>,
      ]}
    >
      <Loaded poll={poll} what="the services (Marathon)">
        {(rows) =>
          rows === null ? (
            <ErrorList errors={[`Group ${groupId} does not exist.`]} />
          ) : (
            <DataTable
              rows={rows}
              columns={columns}
              toId={(r) => r.id}
              testId="services-table"
              empty="No services yet: run one with Run a Service."
            />
          )
        }
      </Loaded>
    </Page>
  );
}

// --- create -----------------------------------------------------------------------

const EXAMPLE = {
  id: "/hello",
  cmd: "while true; do echo hello from $HOSTNAME; sleep 5; done",
  cpus: 0.1,
  mem: 32,
  instances: 1,
};

function CreateService({ route }) {
  const group = route.query.get("group") || "/";
  const prefix = group === "/" ? "/" : `${group}/`;
  const [tab, setTab] = useState(0);
  const [form, setForm] = useState({ id: prefix, cmd: "", cpus: "0.1", mem: "32", disk: "", instances: "1", image: "" });
  const [json, setJson] = useState(JSON.stringify({ ...EXAMPLE, id: `${prefix}hello` }, null, 2));
  const [errors, setErrors] = useState({ fields: {}, general: [] });
  const [busy, setBusy] = useState(false);

  const submit = async (definition) => {
    setBusy(true);
    setErrors({ fields: {}, general: [] });
    try {
      const isPod = Array.isArray(definition.containers);
      await post(`${MARATHON}/${isPod ? "pods" : "apps"}`, definition);
      go(href("services", "detail", definition.id).slice(1));
    } catch (exc) {
      if (exc.status === 422 || exc.status === 400 || exc.status === 409) setErrors(fieldErrors(exc.body));
      else setErrors({ fields: {}, general: [exc.message] });
    } finally {
      setBusy(false);
    }
  };

  const submitJson = () => {
    let definition;
    try {
      definition = JSON.parse(json);
    } catch (exc) {
      setErrors({ fields: {}, general: [`The JSON is not valid: ${exc.message}`] });
      return;
    }
    submit(definition);
  };

  const field = (name, label, hint, type = "text") => (
    <TextInput
      id={`field-${name}`}
      data-testid={`field-${name}`}
      type={type}
      inputLabel={label}
      hintContent={hint}
      value={form[name]}
      onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      appearance={errors.fields[name] ? "error" : "standard"}
      errors={(errors.fields[name] || []).map((e, i) => (
        <span key={i} data-testid={`error-${name}`}>
          {e}
        </span>
      ))}
    />
  );

  return (
    <Page crumbs={[{ label: "Services", href: "#/services" }, { label: "Run a Service" }]} testId="create-service">
      <Tabs selectedIndex={tab} onSelect={setTab}>
        <TabItem>
          <TabTitle>Form</TabTitle>
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              submit(appFromForm(form));
            }}
          >
            {field("id", "Service ID", "A path, e.g. /group/name")}
            {field("cmd", "Command", "A shell command; $PORT0 is the task's first port")}
            {field("image", "Container image (optional)", "Runs the command in this Docker image")}
            <div className="row">
              {field("cpus", "CPUs")}
              {field("mem", "Memory (MiB)")}
              {field("disk", "Disk (MiB)")}
              {field("instances", "Instances")}
            </div>
            <ErrorList errors={errors.general} />
            <div className="form-actions">
              <PrimaryButton type="submit" isProcessing={busy} data-testid="submit-service">
                Review &amp; Run
              </PrimaryButton>
            </div>
          </form>
        </TabItem>
        <TabItem>
          <TabTitle>JSON Editor</TabTitle>
          <div className="form">
            <Textarea
              id="service-json"
              inputLabel="App or pod definition (Marathon's JSON)"
              rows={18}
              className="code"
              value={json}
              onChange={(e) => setJson(e.target.value)}
            />
            <ErrorList
              errors={[
                ...Object.entries(errors.fields).flatMap(([f, errs]) => errs.map((e) => `/${f}: ${e}`)),
                ...errors.general,
              ]}
            />
            <div className="form-actions">
              <PrimaryButton onClick={submitJson} isProcessing={busy} data-testid="submit-json">
                Run Service
              </PrimaryButton>
            </div>
          </div>
        </TabItem>
      </Tabs>
    </Page>
  );
}

// --- detail -----------------------------------------------------------------------

const READ_ONLY = ["version", "versionInfo", "tasks", "tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy", "deployments", "lastTaskFailure", "taskStats", "readinessCheckResults"];

function editable(definition) {
  const out = { ...definition };
  for (const key of READ_ONLY) delete out[key];
  return out;
}

function ServiceDetail({ id }) {
  const [modal, setModal] = useState(null);
  const [tab, setTab] = useState(0);
  const poll = usePoll(async () => {
    const [queue, deployments] = await Promise.all([get(`${MARATHON}/queue`), get(`${MARATHON}/deployments`)]);
    let kind = "app";
    let item;
    try {
      item = (await get(`${MARATHON}/apps${id}?embed=app.taskStats`)).app;
    } catch (exc) {
      if (exc.status !== 404) throw exc;
      kind = "pod";
      item = await get(`${MARATHON}/pods${id}::status`);
    }
    return {
      kind,
      item,
      row: serviceRow(kind, item, { queue, deployments }),
      queueEntry: queueEntryFor(id, queue),
      deployments: deploymentsFor(id, deployments),
    };
  }, 2000, [id]);

  const crumbs = [...groupCrumbs(id).slice(0, -1), { label: lastSegment(id) }];
  const data = poll.data;
  const actions = data
    ? [
        <SecondaryButton key="scale" onClick={() => setModal("scale")} data-testid="action-scale">
          Scale
        </SecondaryButton>,
        data.kind === "app" ? (
          <SecondaryButton key="restart" onClick={() => setModal("restart")} data-testid="action-restart">
            Restart
          </SecondaryButton>
        ) : null,
        data.row.instances > 0 ? (
          <SecondaryButton key="suspend" onClick={() => setModal("suspend")} data-testid="action-suspend">
            Suspend
          </SecondaryButton>
        ) : (
          <SecondaryButton key="resume" onClick={() => setModal("resume")} data-testid="action-resume">
            Resume
          </SecondaryButton>
        ),
        <SecondaryButton key="edit" onClick={() => setModal("edit")} data-testid="action-edit">
          Edit
        </SecondaryButton>,
        <DangerButton key="delete" onClick={() => setModal("delete")} data-testid="action-delete">
          Delete
        </DangerButton>,
      ].filter(Boolean)
    : [];

  return (
    <Page crumbs={crumbs} actions={actions} testId="service-detail">
      <Loaded poll={poll} what={`the service ${id} (Marathon)`}>
        {(d) => (
          <>
            <div className="summary">
              <StatusBadge status={d.row.status} reason={d.row.reason} />
              <span className="muted">
                <span data-testid="detail-instances">{`${d.row.running}/${d.row.instances}`}</span> running ·{" "}
                {d.row.cpus} CPU · {formatMiB(d.row.mem)}
              </span>
            </div>
            <Tabs selectedIndex={tab} onSelect={setTab}>
              <TabItem>
                <TabTitle>Tasks</TabTitle>
                <ServiceTasks d={d} id={id} />
              </TabItem>
              <TabItem>
                <TabTitle>Configuration</TabTitle>
                <pre className="code-block" data-testid="service-config">
                  {JSON.stringify(d.kind === "pod" ? d.item.spec : editable(d.item), null, 2)}
                </pre>
              </TabItem>
              <TabItem>
                <TabTitle>Debug</TabTitle>
                <Debug d={d} />
              </TabItem>
            </Tabs>
            {modal ? <ActionModal kind={modal} d={d} id={id} onClose={() => setModal(null)} onDone={poll.refresh} /> : null}
          </>
        )}
      </Loaded>
    </Page>
  );
}

function ServiceTasks({ d, id }) {
  const tasks =
    d.kind === "app"
      ? (d.item.tasks || []).map((t) => ({
          id: t.id,
          host: t.host,
          state: t.state,
          health: (t.healthCheckResults || []).length ? (t.healthCheckResults.every((h) => h.alive) ? "Healthy" : "Unhealthy") : "N/A",
          since: t.startedAt || t.stagedAt,
          ports: (t.ports || []).join(", "),
        }))
      : (d.item.instances || []).flatMap((instance) =>
          (instance.containers || []).map((c) => ({
            id: c.containerId,
            host: instance.agentHostname,
            state: c.status,
            health: "N/A",
            since: c.statusSince,
            ports: (c.endpoints || []).map((e) => e.allocatedHostPort).join(", "),
          })),
        );
  const columns = [
    col("id", "Task", (t) => (
      <a href={href("services", "detail", id, "tasks", t.id)} data-testid="task-link">
        {t.id}
      </a>
    ), "minmax(200px, 3fr)"),
    col("host", "Host", (t) => t.host, "130px"),
    col("state", "State", (t) => <span data-testid="task-state">{t.state}</span>, "140px"),
    col("health", "Health", (t) => t.health, "100px"),
    col("ports", "Ports", (t) => t.ports, "100px"),
    col("since", "Updated", (t) => ago(t.since), "110px"),
  ];
  return <DataTable rows={tasks} columns={columns} toId={(t) => t.id} testId="tasks-table" empty="No tasks are running." />;
}

function Debug({ d }) {
  const failure = d.item.lastTaskFailure;
  return (
    <div className="debug" data-testid="service-debug">
      <h3>Last task failure</h3>
      {failure ? (
        <p>
          {failure.taskId} on {failure.host}: {failure.state} — {failure.message} ({ago(failure.timestamp)})
        </p>
      ) : (
        <p className="muted">None.</p>
      )}
      <h3>Deployments</h3>
      {d.deployments.length ? (
        <ul>
          {d.deployments.map((dep) => (
            <li key={dep.id}>
              {dep.id}: step {dep.currentStep} of {dep.totalSteps} ({(dep.currentActions || []).map((a) => a.action).join(", ")})
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None in progress.</p>
      )}
      <h3>Launch queue</h3>
      {d.queueEntry ? <pre className="code-block">{JSON.stringify(d.queueEntry.processedOffersSummary || d.queueEntry, null, 2)}</pre> : <p className="muted">Nothing waits for an offer.</p>}
    </div>
  );
}

function ActionModal({ kind, d, id, onClose, onDone }) {
  const [instances, setInstances] = useState(String(d.row.instances || 1));
  const [json, setJson] = useState(JSON.stringify(d.kind === "pod" ? d.item.spec : editable(d.item), null, 2));
  const [error, setError] = useState([]);
  const [busy, setBusy] = useState(false);
  const base = `${MARATHON}/${d.kind === "pod" ? "pods" : "apps"}${id}`;

  const scaleTo = (n) =>
    d.kind === "pod"
      ? put(base, { ...d.item.spec, scaling: { ...(d.item.spec.scaling || {}), kind: "fixed", instances: n } })
      : put(base, { instances: n });

  const run = async () => {
    setBusy(true);
    setError([]);
    try {
      if (kind === "scale") await scaleTo(Number(instances));
      if (kind === "suspend") await scaleTo(0);
      if (kind === "resume") await scaleTo(1);
      if (kind === "restart") await post(`${base}/restart`, {});
      if (kind === "edit") await put(base, JSON.parse(json));
      if (kind === "delete") {
        await del(base);
        go("/services");
        return;
      }
      onDone();
      onClose();
    } catch (exc) {
      const shaped = exc.body ? fieldErrors(exc.body) : { fields: {}, general: [exc.message] };
      setError([...Object.entries(shaped.fields).flatMap(([f, e]) => e.map((x) => `/${f}: ${x}`)), ...shaped.general]);
    } finally {
      setBusy(false);
    }
  };

  const titles = {
    scale: "Scale Service",
    restart: "Restart Service",
    suspend: "Suspend Service",
    resume: "Resume Service",
    edit: "Edit Service",
    delete: "Delete Service",
  };
  const Button = kind === "delete" ? DangerButton : PrimaryButton;
  return (
    <DialogModalWithFooter
      isOpen={true}
      isAnimated={false}
      title={titles[kind]}
      onClose={onClose}
      ctaButton={
        <Button onClick={run} isProcessing={busy} data-testid="confirm">
          {kind === "delete" ? "Delete" : kind === "edit" ? "Save" : titles[kind].split(" ")[0]}
        </Button>
      }
    >
      <div data-testid={`modal-${kind}`}>
        {kind === "scale" ? (
          <TextInput
            id="scale-instances"
            type="number"
            inputLabel="Instances"
            value={instances}
            onChange={(e) => setInstances(e.target.value)}
          />
        ) : null}
        {kind === "restart" ? <p>Replace every task of {id} with a new one?</p> : null}
        {kind === "suspend" ? <p>Scale {id} to 0 instances? Its configuration stays.</p> : null}
        {kind === "resume" ? <p>Scale {id} back to 1 instance?</p> : null}
        {kind === "delete" ? (
          <p>
            Delete <strong>{id}</strong> and kill all of its tasks? This cannot be undone.
          </p>
        ) : null}
        {kind === "edit" ? <Textarea id="edit-json" inputLabel="Definition" rows={16} value={json} onChange={(e) => setJson(e.target.value)} /> : null}
        <ErrorList errors={error} testId="action-errors" />
      </div>
    </DialogModalWithFooter>
  );
}
