// The UI's data shaping: turn what the cluster's APIs answer into what the
// views show. Pure functions (no fetching, no DOM), pinned by test/.

import { appStatus, podStatus, appHealth, Status } from "./status.js";

// --- Mesos: resources and tasks ------------------------------------------------

export const TASK_STATES = [
  "TASK_STAGING",
  "TASK_STARTING",
  "TASK_RUNNING",
  "TASK_KILLING",
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_LOST",
  "TASK_ERROR",
  "TASK_UNREACHABLE",
];

// Cluster totals from /mesos/master/state-summary: allocated (used) of total
// for each scalar resource, the number of tasks in each state, and the agents.
export function clusterSummary(summary) {
  const agents = (summary && summary.slaves) || [];
  const frameworks = (summary && summary.frameworks) || [];
  const resources = {};
  for (const name of ["cpus", "mem", "disk", "gpus"]) {
    let used = 0;
    let total = 0;
    for (const agent of agents) {
      total += (agent.resources && agent.resources[name]) || 0;
      used += (agent.used_resources && agent.used_resources[name]) || 0;
    }
    resources[name] = { used: round(used), total: round(total) };
  }
  const tasks = Object.fromEntries(TASK_STATES.map((s) => [s, 0]));
  for (const agent of agents) {
    for (const state of TASK_STATES) tasks[state] += agent[state] || 0;
  }
  return {
    cluster: (summary && summary.cluster) || "",
    hostname: (summary && summary.hostname) || "",
    resources,
    tasks,
    agents: agents.length,
    activeAgents: agents.filter((a) => a.active !== false).length,
    frameworks: frameworks.filter((f) => f.active !== false).length,
  };
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}

export function percent(used, total) {
  return total > 0 ? Math.round((100 * used) / total) : 0;
}

// Memory and disk in MiB, as Mesos counts them, for people.
export function formatMiB(mib) {
  if (mib >= 1024) return `${round(mib / 1024).toFixed(1)} GiB`;
  return `${Math.round(mib)} MiB`;
}

export function formatCpus(cpus) {
  return `${round(cpus)}`;
}

// --- Nodes -----------------------------------------------------------------------

// Whether an agent is a public agent: DC/OS marks them with the public_ip
// attribute and reserves their resources for the slave_public role.
export function isPublicAgent(agent, healthRole) {
  if (healthRole) return healthRole === "agent_public";
  const attributes = agent.attributes || {};
  if (String(attributes.public_ip) === "true") return true;
  const reserved = agent.reserved_resources || {};
  return Object.prototype.hasOwnProperty.call(reserved, "slave_public");
}

export function agentIp(agent) {
  // Mesos's pid is slave(1)@<ip>:5051; the hostname may be a name.
  const match = /@([^:]+):/.exec(agent.pid || "");
  return match ? match[1] : agent.hostname;
}

// Agents of /mesos/master/state with their health from the diagnostics report
// (/system/health/v1/report's Nodes, keyed by IP).
export function nodeRows(state, report) {
  const healthNodes = (report && report.Nodes) || {};
  const tasksByAgent = {};
  for (const framework of (state && state.frameworks) || []) {
    for (const task of framework.tasks || []) {
      tasksByAgent[task.slave_id] = (tasksByAgent[task.slave_id] || 0) + 1;
    }
  }
  return ((state && state.slaves) || []).map((agent) => {
    const ip = agentIp(agent);
    const health = healthNodes[ip];
    const unhealthyUnits = health ? health.Units.filter((u) => u.Health !== 0).map((u) => u.UnitName) : [];
    const used = agent.used_resources || {};
    const total = agent.resources || {};
    return {
      id: agent.id,
      ip,
      hostname: agent.hostname,
      type: isPublicAgent(agent, health && health.Role) ? "Public" : "Private",
      active: agent.active !== false,
      health: !health ? "Unknown" : health.Health === 0 ? "Healthy" : "Unhealthy",
      unhealthyUnits,
      tasks: tasksByAgent[agent.id] || 0,
      cpus: { used: round(used.cpus || 0), total: round(total.cpus || 0) },
      mem: { used: round(used.mem || 0), total: round(total.mem || 0) },
      disk: { used: round(used.disk || 0), total: round(total.disk || 0) },
    };
  });
}

// Every task of /mesos/master/state (active and completed), with its framework.
export function allTasks(state) {
  const out = [];
  for (const framework of (state && state.frameworks) || []) {
    for (const task of framework.tasks || []) out.push({ ...task, framework: framework.name, active: true });
    for (const task of framework.completed_tasks || []) {
      out.push({ ...task, framework: framework.name, active: false });
    }
  }
  return out;
}

// --- Components (units) ------------------------------------------------------------

// One row per unit and node from /system/health/v1/report.
export function componentRows(report) {
  const rows = [];
  const units = (report && report.Units) || {};
  for (const id of Object.keys(units).sort()) {
    const unit = units[id];
    for (const node of unit.Nodes || []) {
      rows.push({
        key: `${id}@${node.IP}`,
        id,
        name: unit.PrettyName || id,
        description: unit.Title || "",
        ip: node.IP,
        role: node.Role,
        healthy: node.Health === 0,
        output: (node.Output && node.Output[id]) || "",
      });
    }
  }
  return rows;
}

export function componentSummary(report) {
  const rows = componentRows(report);
  const unhealthy = rows.filter((r) => !r.healthy);
  const units = new Set(rows.map((r) => r.id));
  const unhealthyUnits = new Set(unhealthy.map((r) => r.id));
  return { units: units.size, unhealthyUnits: unhealthyUnits.size, rows: rows.length, unhealthy };
}

// --- Marathon: services -------------------------------------------------------------

export function deploymentsFor(id, deployments) {
  return (deployments || []).filter(
    (d) => (d.affectedApps || []).includes(id) || (d.affectedPods || []).includes(id),
  );
}

export function queueEntryFor(id, queue) {
  const items = (queue && queue.queue) || queue || [];
  return (
    items.find((q) => (q.app && q.app.id === id) || (q.pod && q.pod.id === id)) || null
  );
}

// One service (app or pod) as a row of the Services table.
export function serviceRow(kind, item, { queue, deployments, now } = {}) {
  const id = kind === "pod" ? item.id : item.id;
  const context = {
    queueEntry: queueEntryFor(id, queue),
    deployments: deploymentsFor(id, deployments),
    now,
  };
  if (kind === "pod") {
    const spec = item.spec || {};
    const containers = spec.containers || [];
    const instances = (spec.scaling && spec.scaling.instances) ?? 1;
    const perInstance = containers.reduce(
      (acc, c) => ({
        cpus: acc.cpus + ((c.resources && c.resources.cpus) || 0),
        mem: acc.mem + ((c.resources && c.resources.mem) || 0),
      }),
      { cpus: 0, mem: 0 },
    );
    const running = (item.instances || []).filter((i) => i.status === "STABLE").length;
    return {
      kind: "pod",
      id,
      name: lastSegment(id),
      ...podStatus(item, context),
      health: "N/A",
      running,
      instances,
      cpus: round(perInstance.cpus * instances),
      mem: round(perInstance.mem * instances),
    };
  }
  return {
    kind: "app",
    id,
    name: lastSegment(id),
    ...appStatus(item, context),
    health: appHealth(item),
    running: item.tasksRunning ?? 0,
    instances: item.instances ?? 0,
    cpus: round((item.cpus || 0) * (item.instances || 0)),
    mem: round((item.mem || 0) * (item.instances || 0)),
  };
}

const STATUS_RANK = [
  Status.DELAYED,
  Status.WAITING,
  Status.UNHEALTHY,
  Status.DEPLOYING,
  Status.STOPPING,
  Status.RUNNING,
  Status.SUSPENDED,
];

// A group's row: its services' totals, and the status that most needs a look.
function groupRow(group, rows) {
  const statuses = rows.map((r) => r.status);
  const status = STATUS_RANK.find((s) => statuses.includes(s)) || Status.RUNNING;
  return {
    kind: "group",
    id: group.id,
    name: lastSegment(group.id),
    status: rows.length ? status : null,
    reason: null,
    health: "",
    running: sum(rows, "running"),
    instances: sum(rows, "instances"),
    cpus: round(sum(rows, "cpus")),
    mem: round(sum(rows, "mem")),
    services: rows.length,
  };
}

function sum(rows, key) {
  return rows.reduce((acc, r) => acc + (r[key] || 0), 0);
}

export function lastSegment(id) {
  const parts = String(id || "").split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : "/";
}

function findGroup(group, id) {
  if (!group) return null;
  if (group.id === id) return group;
  for (const child of group.groups || []) {
    const found = findGroup(child, id);
    if (found) return found;
  }
  return null;
}

function servicesOf(group, context) {
  const rows = [];
  for (const app of group.apps || []) rows.push(serviceRow("app", app, context));
  for (const pod of group.pods || []) rows.push(serviceRow("pod", pod, context));
  for (const child of group.groups || []) rows.push(...servicesOf(child, context));
  return rows;
}

/**
 * The Services table for the group `groupId` of /v2/groups (embedding apps
 * with counts, pods as their status, and child groups): its child groups
 * first (with their services' totals), then its apps and pods.
 */
export function serviceTable(root, groupId = "/", { queue, deployments, now } = {}) {
  const context = { queue, deployments, now };
  const group = findGroup(root, groupId);
  if (!group) return null;
  const groups = (group.groups || [])
    .map((g) => groupRow(g, servicesOf(g, context)))
    .sort((a, b) => a.id.localeCompare(b.id));
  const services = [
    ...(group.apps || []).map((a) => serviceRow("app", a, context)),
    ...(group.pods || []).map((p) => serviceRow("pod", p, context)),
  ].sort((a, b) => a.id.localeCompare(b.id));
  return [...groups, ...services];
}

// Every service of the tree (for the dashboard's counts).
export function allServices(root, { queue, deployments, now } = {}) {
  return root ? servicesOf(root, { queue, deployments, now }) : [];
}

export function statusCounts(rows) {
  const counts = {};
  for (const row of rows) counts[row.status] = (counts[row.status] || 0) + 1;
  return counts;
}

// --- Marathon: the create form and its errors -------------------------------------

// Marathon's 422 body ({message, details: [{path, errors}]}) as errors per
// field of the form, and the rest.
export const FORM_FIELDS = ["id", "cmd", "cpus", "mem", "disk", "instances", "container"];

// Marathon reports JSON-reading errors with Play's keys: say them in words.
const PLAY_ERRORS = {
  "error.min": "is below the minimum (0)",
  "error.max": "is above the maximum",
  "error.path.missing": "is required",
  "error.expected.jsnumber": "must be a number",
  "error.expected.jsstring": "must be text",
  "error.expected.jsboolean": "must be true or false",
  "error.expected.jsarray": "must be a list",
  "error.expected.jsobject": "must be an object",
};

export function errorWords(error) {
  return PLAY_ERRORS[error] ? `${PLAY_ERRORS[error]} (${error})` : error;
}

export function fieldErrors(body) {
  const fields = {};
  const general = [];
  for (const detail of (body && body.details) || []) {
    const path = String(detail.path || "/");
    const top = path.split("/").filter(Boolean)[0] || "";
    const errors = (detail.errors || []).map(errorWords);
    if (FORM_FIELDS.includes(top)) {
      fields[top] = [...(fields[top] || []), ...errors];
    } else {
      general.push(...errors.map((e) => (path === "/" ? e : `${path}: ${e}`)));
    }
  }
  if (!Object.keys(fields).length && !general.length && body && body.message) {
    general.push(body.message);
  }
  return { fields, general };
}

// The app definition the simple form stands for. Numbers stay as typed when
// they are not numbers, so that Marathon's validation answers for them.
export function appFromForm(form) {
  const app = { id: String(form.id || "").trim() };
  if (String(form.cmd || "").trim()) app.cmd = form.cmd;
  for (const key of ["cpus", "mem", "disk", "instances"]) {
    const raw = String(form[key] ?? "").trim();
    if (raw === "") continue;
    const value = Number(raw);
    app[key] = Number.isFinite(value) ? value : raw;
  }
  if (String(form.image || "").trim()) {
    app.container = { type: "DOCKER", docker: { image: form.image.trim() } };
  }
  return app;
}

// --- Metronome ------------------------------------------------------------------

// A job's finished runs (embed=history), newest first, with how each ended.
export function jobHistory(job) {
  const history = (job && job.history) || {};
  const runs = [
    ...(history.successfulFinishedRuns || []).map((r) => ({ ...r, result: "Success" })),
    ...(history.failedFinishedRuns || []).map((r) => ({ ...r, result: "Failed" })),
  ];
  return runs.sort((a, b) => String(b.finishedAt || "").localeCompare(String(a.finishedAt || "")));
}

export function jobStatus(job) {
  const active = (job && job.activeRuns) || [];
  if (active.length) return active.some((r) => r.status === "ACTIVE") ? "Running" : "Starting";
  const last = jobHistory(job)[0];
  if (!last) return "Never run";
  return last.result === "Success" ? "Success" : "Failed";
}

// --- Cosmos: the package's config schema as form fields ---------------------------

// Flatten a JSON schema (objects nest) into fields with dotted paths.
export function schemaFields(schema, prefix = []) {
  const out = [];
  const props = (schema && schema.properties) || {};
  for (const name of Object.keys(props)) {
    const prop = props[name];
    const path = [...prefix, name];
    if (prop.type === "object" && prop.properties) {
      out.push(...schemaFields(prop, path));
    } else {
      out.push({
        path: path.join("."),
        type: prop.type || "string",
        description: prop.description || "",
        default: prop.default,
        enum: prop.enum,
        required: ((schema && schema.required) || []).includes(name),
      });
    }
  }
  return out;
}

// The options object from dotted field values (only those a person changed).
export function optionsFromFields(fields, values) {
  const options = {};
  for (const field of fields) {
    if (!(field.path in values)) continue;
    let value = values[field.path];
    if (field.type === "integer" || field.type === "number") {
      const n = Number(value);
      value = Number.isFinite(n) && String(value).trim() !== "" ? n : value;
    } else if (field.type === "boolean") {
      value = value === true || value === "true";
    } else if ((field.type === "array" || field.type === "object") && typeof value === "string") {
      // Typed as JSON; left as text when it is not, so that Cosmos's
      // validation says what is wrong with it.
      try {
        value = JSON.parse(value);
      } catch (_) {
        // kept as typed
      }
    }
    const parts = field.path.split(".");
    let at = options;
    for (const part of parts.slice(0, -1)) at = at[part] = at[part] || {};
    at[parts[parts.length - 1]] = value;
  }
  return options;
}
