// A service's status from its tasks, deployments and queue entry.
import { test } from "node:test";
import assert from "node:assert/strict";

import { appStatus, appHealth, podStatus, queueReason, Status } from "../src/lib/status.js";

const NOW = Date.parse("2024-05-01T12:00:00.000Z");
const app = (fields) => ({
  id: "/web",
  instances: 2,
  tasksRunning: 2,
  tasksStaged: 0,
  tasksHealthy: 0,
  tasksUnhealthy: 0,
  healthChecks: [],
  ...fields,
});
const deployment = { id: "d-1", affectedApps: ["/web"], affectedPods: [] };
const funnel = (declined) =>
  ["UnfulfilledRole", "UnfulfilledConstraint", "InsufficientCpus", "InsufficientMemory"].map(
    (reason) => ({ reason, declined: declined[reason] || 0, processed: 2 }),
  );
const queued = (fields) => ({
  count: 1,
  delay: { timeLeftSeconds: 0, overdue: true },
  since: "2024-05-01T11:59:59.000Z",
  processedOffersSummary: {
    processedOffersCount: 0,
    unusedOffersCount: 0,
    rejectSummaryLastOffers: funnel({}),
  },
  app: { id: "/web" },
  ...fields,
});

test("all instances running and nothing pending: Running", () => {
  assert.deepEqual(appStatus(app({}), { now: NOW }), { status: Status.RUNNING, reason: null });
});

test("a deployment touches the app: Deploying", () => {
  const got = appStatus(app({ tasksRunning: 1, tasksStaged: 1 }), { deployments: [deployment], now: NOW });
  assert.equal(got.status, Status.DEPLOYING);
  assert.equal(got.reason, "1 deployment(s) in progress");
});

test("a fresh queue entry during a deployment is still Deploying", () => {
  const got = appStatus(app({ tasksRunning: 1 }), {
    queueEntry: queued({}),
    deployments: [deployment],
    now: NOW,
  });
  assert.equal(got.status, Status.DEPLOYING);
});

test("offers declined for the entry: Waiting, with the funnel step that declined most", () => {
  const entry = queued({
    processedOffersSummary: {
      processedOffersCount: 4,
      unusedOffersCount: 4,
      rejectSummaryLastOffers: funnel({ InsufficientMemory: 2 }),
    },
  });
  const got = appStatus(app({ tasksRunning: 1, mem: 100000 }), {
    queueEntry: entry,
    deployments: [deployment],
    now: NOW,
  });
  assert.equal(got.status, Status.WAITING);
  assert.equal(
    got.reason,
    "1 instance(s) waiting for resources: not enough memory (2 of 2 offers declined)",
  );
});

test("an entry waiting past the threshold without offers is Waiting, without a reason", () => {
  const entry = queued({ since: "2024-05-01T11:59:40.000Z" });
  const got = appStatus(app({ tasksRunning: 1 }), { queueEntry: entry, deployments: [deployment], now: NOW });
  assert.deepEqual(got, { status: Status.WAITING, reason: "1 instance(s) waiting for resources" });
});

test("a backoff delay in the queue: Delayed, with the time left and the last failure", () => {
  const entry = queued({ delay: { timeLeftSeconds: 17, overdue: false } });
  const got = appStatus(
    app({ tasksRunning: 0, lastTaskFailure: { message: "Command exited with status 1" } }),
    { queueEntry: entry, deployments: [deployment], now: NOW },
  );
  assert.equal(got.status, Status.DELAYED);
  assert.equal(
    got.reason,
    "launch delayed 17 s after task failures (last: Command exited with status 1)",
  );
});

test("Delayed wins over Waiting and Deploying", () => {
  const entry = queued({
    delay: { timeLeftSeconds: 3, overdue: false },
    processedOffersSummary: { unusedOffersCount: 9, rejectSummaryLastOffers: funnel({ InsufficientCpus: 2 }) },
  });
  assert.equal(appStatus(app({}), { queueEntry: entry, deployments: [deployment], now: NOW }).status, Status.DELAYED);
});

test("an unhealthy task: Unhealthy", () => {
  const got = appStatus(app({ healthChecks: [{ protocol: "HTTP" }], tasksHealthy: 1, tasksUnhealthy: 1 }), { now: NOW });
  assert.deepEqual(got, { status: Status.UNHEALTHY, reason: "1 of 2 instance(s) unhealthy" });
});

test("scaled to zero: Suspended; while tasks still run under a deployment: Stopping", () => {
  assert.equal(appStatus(app({ instances: 0, tasksRunning: 0 }), { now: NOW }).status, Status.SUSPENDED);
  assert.equal(
    appStatus(app({ instances: 0, tasksRunning: 2 }), { deployments: [deployment], now: NOW }).status,
    Status.STOPPING,
  );
});

test("fewer running than wanted, nothing deploying: Waiting", () => {
  assert.deepEqual(appStatus(app({ tasksRunning: 1 }), { now: NOW }), {
    status: Status.WAITING,
    reason: "1 of 2 instance(s) running",
  });
});

test("health: N/A without checks, Healthy, Unhealthy, Idle", () => {
  assert.equal(appHealth(app({})), "N/A");
  assert.equal(appHealth(app({ healthChecks: [{}], tasksHealthy: 2 })), "Healthy");
  assert.equal(appHealth(app({ healthChecks: [{}], tasksHealthy: 1, tasksUnhealthy: 1 })), "Unhealthy");
  assert.equal(appHealth(app({ instances: 0, tasksRunning: 0 })), "Idle");
});

test("queueReason names nothing when no offer was declined", () => {
  assert.equal(queueReason(queued({})), null);
  assert.equal(queueReason(null), null);
});

test("pods: STABLE instances Running, a DEGRADED one Unhealthy, queue and deployments as for apps", () => {
  const pod = (instances, status = "STABLE") => ({
    id: "/pod",
    status,
    spec: { id: "/pod", scaling: { kind: "fixed", instances: 2 }, containers: [] },
    instances: instances.map((s) => ({ status: s })),
  });
  assert.equal(podStatus(pod(["STABLE", "STABLE"]), { now: NOW }).status, Status.RUNNING);
  assert.equal(podStatus(pod(["STABLE", "DEGRADED"], "DEGRADED"), { now: NOW }).status, Status.UNHEALTHY);
  assert.equal(
    podStatus(pod(["STABLE"], "DEGRADED"), { deployments: [{ affectedPods: ["/pod"] }], now: NOW }).status,
    Status.DEPLOYING,
  );
  const entry = queued({ pod: { id: "/pod" }, delay: { timeLeftSeconds: 5, overdue: false } });
  assert.equal(podStatus(pod([], "DEGRADED"), { queueEntry: entry, now: NOW }).status, Status.DELAYED);
  assert.equal(podStatus(pod(["STABLE"], "DEGRADED"), { now: NOW }).status, Status.WAITING);
});
