// The data shaping behind the views: totals, rows, form errors.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  appFromForm,
  clusterSummary,
  componentRows,
  componentSummary,
  fieldErrors,
  jobHistory,
  jobStatus,
  nodeRows,
  optionsFromFields,
  schemaFields,
  serviceTable,
  allServices,
  statusCounts,
} from "../src/lib/shape.js";

const NOW = Date.parse("2024-05-01T12:00:00.000Z");

test("clusterSummary adds up resources and task states over agents", () => {
  const summary = clusterSummary({
    cluster: "demo",
    hostname: "192.0.2.1",
    slaves: [
      { resources: { cpus: 2, mem: 1024, disk: 100 }, used_resources: { cpus: 0.5, mem: 128, disk: 0 }, TASK_RUNNING: 2, TASK_FAILED: 1 },
      { resources: { cpus: 1, mem: 512, disk: 50 }, used_resources: { cpus: 0.1, mem: 32, disk: 0 }, TASK_RUNNING: 1, active: false },
    ],
    frameworks: [{ active: true }, { active: false }],
  });
  assert.deepEqual(summary.resources.cpus, { used: 0.6, total: 3 });
  assert.deepEqual(summary.resources.mem, { used: 160, total: 1536 });
  assert.equal(summary.tasks.TASK_RUNNING, 3);
  assert.equal(summary.tasks.TASK_FAILED, 1);
  assert.equal(summary.agents, 2);
  assert.equal(summary.activeAgents, 1);
  assert.equal(summary.frameworks, 1);
  assert.equal(summary.cluster, "demo");
});

const groups = {
  id: "/",
  apps: [
    { id: "/web", instances: 2, tasksRunning: 2, cpus: 0.1, mem: 32, healthChecks: [] },
  ],
  pods: [],
  groups: [
    {
      id: "/prod",
      apps: [
        { id: "/prod/api", instances: 1, tasksRunning: 0, cpus: 0.5, mem: 64, healthChecks: [] },
      ],
      pods: [
        {
          id: "/prod/pod",
          status: "STABLE",
          spec: { scaling: { instances: 1 }, containers: [{ resources: { cpus: 0.1, mem: 16 } }, { resources: { cpus: 0.2, mem: 16 } }] },
          instances: [{ status: "STABLE" }],
        },
      ],
      groups: [],
    },
  ],
};

test("serviceTable: child groups first with their totals and worst status, then services", () => {
  const queue = { queue: [{ app: { id: "/prod/api" }, count: 1, delay: { timeLeftSeconds: 9, overdue: false } }] };
  const rows = serviceTable(groups, "/", { queue, deployments: [], now: NOW });
  assert.deepEqual(rows.map((r) => [r.kind, r.id, r.status]), [
    ["group", "/prod", "Delayed"],
    ["app", "/web", "Running"],
  ]);
  assert.equal(rows[0].instances, 2);
  assert.equal(rows[0].cpus, 0.8);
  assert.equal(rows[1].cpus, 0.2);
  const inner = serviceTable(groups, "/prod", { queue, deployments: [], now: NOW });
  assert.deepEqual(inner.map((r) => [r.kind, r.name, r.status]), [
    ["app", "api", "Delayed"],
    ["pod", "pod", "Running"],
  ]);
  assert.equal(serviceTable(groups, "/nope", {}), null);
});

test("allServices and statusCounts count every service of the tree", () => {
  const rows = allServices(groups, { queue: { queue: [] }, deployments: [], now: NOW });
  assert.equal(rows.length, 3);
  assert.deepEqual(statusCounts(rows), { Running: 2, Waiting: 1 });
});

test("fieldErrors puts Marathon's 422 details at their fields", () => {
  const body = {
    message: "Object is not valid",
    details: [
      { path: "/id", errors: ["'id' must be a valid path"] },
      { path: "/cpus", errors: ["got -1.0, expected 0.0 or more"] },
      { path: "/", errors: ["AppDefinition must either contain one of 'cmd' or 'args'"] },
      { path: "/portDefinitions(0)/port", errors: ["bad port"] },
    ],
  };
  assert.deepEqual(fieldErrors(body), {
    fields: { id: ["'id' must be a valid path"], cpus: ["got -1.0, expected 0.0 or more"] },
    general: ["AppDefinition must either contain one of 'cmd' or 'args'", "/portDefinitions(0)/port: bad port"],
  });
  assert.deepEqual(fieldErrors({ message: "Invalid JSON", details: [{ path: "/cpus", errors: ["error.min"] }] }), {
    fields: { cpus: ["is below the minimum (0) (error.min)"] },
    general: [],
  });
  assert.deepEqual(fieldErrors({ message: "App is locked by one or more deployments." }), {
    fields: {},
    general: ["App is locked by one or more deployments."],
  });
});

test("appFromForm keeps what a person typed, numbers as numbers", () => {
  assert.deepEqual(appFromForm({ id: " /web ", cmd: "sleep 1", cpus: "0.1", mem: "32", instances: "2", disk: "" }), {
    id: "/web",
    cmd: "sleep 1",
    cpus: 0.1,
    mem: 32,
    instances: 2,
  });
  assert.deepEqual(appFromForm({ id: "/x", cpus: "lots", image: "nginx" }), {
    id: "/x",
    cpus: "lots",
    container: { type: "DOCKER", docker: { image: "nginx" } },
  });
});

test("nodeRows joins agents with the diagnostics report and counts their tasks", () => {
  const state = {
    slaves: [
      { id: "S0", pid: "slave(1)@192.0.2.3:5051", hostname: "192.0.2.3", resources: { cpus: 2, mem: 100, disk: 10 }, used_resources: { cpus: 1, mem: 50, disk: 0 } },
      { id: "S1", pid: "slave(1)@192.0.2.4:5051", hostname: "192.0.2.4", resources: {}, used_resources: {}, attributes: { public_ip: "true" } },
    ],
    frameworks: [{ tasks: [{ slave_id: "S0" }, { slave_id: "S0" }] }],
  };
  const report = {
    Nodes: {
      "192.0.2.3": { Role: "agent", Health: 1, Units: [{ UnitName: "dcos-mesos-slave.service", Health: 0 }, { UnitName: "dcos-log-agent.service", Health: 1 }] },
    },
  };
  const rows = nodeRows(state, report);
  assert.deepEqual(rows.map((r) => [r.id, r.ip, r.type, r.health, r.tasks]), [
    ["S0", "192.0.2.3", "Private", "Unhealthy", 2],
    ["S1", "192.0.2.4", "Public", "Unknown", 0],
  ]);
  assert.deepEqual(rows[0].unhealthyUnits, ["dcos-log-agent.service"]);
  assert.deepEqual(rows[0].cpus, { used: 1, total: 2 });
});

test("componentRows: one row per unit and node, unhealthy ones counted", () => {
  const report = {
    Units: {
      "dcos-mesos-master.service": { PrettyName: "Mesos Master", Title: "the master", Nodes: [{ IP: "192.0.2.1", Role: "master", Health: 0, Output: {} }] },
      "dcos-log-agent.service": { PrettyName: "Log Agent", Title: "logs", Nodes: [
        { IP: "192.0.2.3", Role: "agent", Health: 1, Output: { "dcos-log-agent.service": "inactive" } },
        { IP: "192.0.2.4", Role: "agent_public", Health: 0, Output: {} },
      ] },
    },
  };
  const rows = componentRows(report);
  assert.deepEqual(rows.map((r) => [r.id, r.ip, r.healthy]), [
    ["dcos-log-agent.service", "192.0.2.3", false],
    ["dcos-log-agent.service", "192.0.2.4", true],
    ["dcos-mesos-master.service", "192.0.2.1", true],
  ]);
  assert.equal(rows[0].output, "inactive");
  const summary = componentSummary(report);
  assert.equal(summary.units, 2);
  assert.equal(summary.unhealthyUnits, 1);
});

test("jobHistory merges successful and failed runs, newest first; jobStatus", () => {
  const job = {
    activeRuns: [],
    history: {
      successfulFinishedRuns: [{ id: "a", finishedAt: "2024-05-01T10:00:00.000+0000" }],
      failedFinishedRuns: [{ id: "b", finishedAt: "2024-05-01T11:00:00.000+0000" }],
    },
  };
  assert.deepEqual(jobHistory(job).map((r) => [r.id, r.result]), [["b", "Failed"], ["a", "Success"]]);
  assert.equal(jobStatus(job), "Failed");
  assert.equal(jobStatus({ activeRuns: [{ status: "ACTIVE" }] }), "Running");
  assert.equal(jobStatus({}), "Never run");
});

test("schemaFields and optionsFromFields: nested JSON schema to a form and back", () => {
  const schema = {
    type: "object",
    properties: {
      service: {
        type: "object",
        properties: {
          name: { type: "string", default: "hello", description: "its name" },
          instances: { type: "integer", default: 1 },
          debug: { type: "boolean", default: false },
        },
        required: ["name"],
      },
    },
  };
  const fields = schemaFields(schema);
  assert.deepEqual(fields.map((f) => [f.path, f.type, f.default, f.required]), [
    ["service.name", "string", "hello", true],
    ["service.instances", "integer", 1, false],
    ["service.debug", "boolean", false, false],
  ]);
  assert.deepEqual(optionsFromFields(fields, { "service.instances": "3", "service.debug": "true" }), {
    service: { instances: 3, debug: true },
  });
  const labels = [{ path: "labels", type: "array" }];
  assert.deepEqual(optionsFromFields(labels, { labels: '[{"key": "a", "value": "b"}]' }), {
    labels: [{ key: "a", value: "b" }],
  });
  assert.deepEqual(optionsFromFields(labels, { labels: "[oops" }), { labels: "[oops" });
});
