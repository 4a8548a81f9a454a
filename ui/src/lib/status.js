// A service's status, as DC/OS's Services view shows it, from what Marathon
// reports: the app's task counts, the deployments that touch it and its entry
// in the launch queue. Pure functions: the unit tests in test/ pin them.

export const Status = Object.freeze({
  RUNNING: "Running",
  DEPLOYING: "Deploying",
  WAITING: "Waiting",
  DELAYED: "Delayed",
  UNHEALTHY: "Unhealthy",
  SUSPENDED: "Suspended",
  STOPPING: "Stopping",
});

// How a status is drawn (ui-kit Badge appearances).
export const STATUS_APPEARANCE = Object.freeze({
  Running: "success",
  Deploying: "primary",
  Waiting: "warning",
  Delayed: "warning",
  Unhealthy: "danger",
  Suspended: "default",
  Stopping: "default",
});

// A queue entry that has waited this long for a matching offer is "Waiting"
// (DC/OS's UI uses the same idea: a deployment whose instances find no offer).
export const WAITING_AFTER_MS = 10000;

// Marathon's names for why an offer did not match (processedOffersSummary),
// in words a person reads.
const REASON_WORDS = {
  UnfulfilledRole: "no offer has the accepted resource roles",
  UnfulfilledConstraint: "no agent meets the placement constraints",
  NoCorrespondingReservationFound: "no matching reservation",
  AgentMaintenance: "agents are in maintenance",
  InsufficientCpus: "not enough CPUs",
  InsufficientMemory: "not enough memory",
  InsufficientDisk: "not enough disk",
  InsufficientGpus: "not enough GPUs",
  InsufficientPorts: "no free ports",
  DeclinedScarceResources: "offer has scarce resources (GPUs)",
};

export function reasonWords(reason) {
  return REASON_WORDS[reason] || reason;
}

// The reason an entry still waits: the step of Marathon's offer funnel that
// declined the most of the last offers (each agent's latest).
export function queueReason(entry) {
  const summary = (entry && entry.processedOffersSummary) || {};
  const steps = summary.rejectSummaryLastOffers || summary.rejectSummaryLaunchAttempt || [];
  let worst = null;
  for (const step of steps) {
    if (step.declined > 0 && (!worst || step.declined > worst.declined)) worst = step;
  }
  if (!worst) return null;
  return `${reasonWords(worst.reason)} (${worst.declined} of ${worst.processed} offers declined)`;
}

function isDelayed(entry) {
  const delay = entry && entry.delay;
  return Boolean(delay) && delay.overdue === false && delay.timeLeftSeconds > 0;
}

function waitedLong(entry, now) {
  if (!entry) return false;
  const since = Date.parse(entry.since || "");
  const summary = entry.processedOffersSummary || {};
  // Offers came and none fitted, or it has been waiting a while.
  return summary.unusedOffersCount > 0 || (Number.isFinite(since) && now - since >= WAITING_AFTER_MS);
}

/**
 * The status of an app: {status, reason}.
 *
 * app: Marathon's app (with counts: instances, tasksRunning, tasksStaged,
 *      tasksHealthy, tasksUnhealthy, healthChecks, lastTaskFailure).
 * queueEntry: its entry of /v2/queue, if any.
 * deployments: the deployments (of /v2/deployments) that affect it.
 */
export function appStatus(app, { queueEntry = null, deployments = [], now = Date.now() } = {}) {
  const instances = app.instances ?? 0;
  const running = app.tasksRunning ?? 0;
  const unhealthy = app.tasksUnhealthy ?? 0;
  const failure = app.lastTaskFailure && app.lastTaskFailure.message;

  if (isDelayed(queueEntry)) {
    const left = queueEntry.delay.timeLeftSeconds;
    const why = failure ? `after task failures (last: ${failure})` : "after task failures";
    return {
      status: Status.DELAYED,
      reason: `launch delayed ${left} s ${why}`,
    };
  }
  if (queueEntry && queueEntry.count > 0 && waitedLong(queueEntry, now)) {
    const why = queueReason(queueEntry);
    return {
      status: Status.WAITING,
      reason: `${queueEntry.count} instance(s) waiting for resources` + (why ? `: ${why}` : ""),
    };
  }
  if (deployments.length > 0) {
    if (instances === 0 && running > 0) return { status: Status.STOPPING, reason: null };
    return {
      status: Status.DEPLOYING,
      reason: `${deployments.length} deployment(s) in progress`,
    };
  }
  if (instances === 0 && running === 0) return { status: Status.SUSPENDED, reason: null };
  if (unhealthy > 0) {
    return { status: Status.UNHEALTHY, reason: `${unhealthy} of ${instances} instance(s) unhealthy` };
  }
  if (running < instances) {
    return {
      status: Status.WAITING,
      reason: `${running} of ${instances} instance(s) running`,
    };
  }
  return { status: Status.RUNNING, reason: null };
}

/** The health of an app: "Healthy", "Unhealthy", "Idle" (no instances) or "N/A" (no checks). */
export function appHealth(app) {
  if ((app.instances ?? 0) === 0 && (app.tasksRunning ?? 0) === 0) return "Idle";
  if (!app.healthChecks || app.healthChecks.length === 0) return "N/A";
  if ((app.tasksUnhealthy ?? 0) > 0) return "Unhealthy";
  if ((app.tasksHealthy ?? 0) >= (app.instances ?? 0)) return "Healthy";
  return "Unknown";
}

/** The status of a pod, from its /v2/pods/::status entry. */
export function podStatus(pod, { queueEntry = null, deployments = [], now = Date.now() } = {}) {
  const spec = pod.spec || {};
  const instances = (spec.scaling && spec.scaling.instances) ?? 1;
  const stable = (pod.instances || []).filter((i) => i.status === "STABLE").length;
  if (isDelayed(queueEntry)) {
    return {
      status: Status.DELAYED,
      reason: `launch delayed ${queueEntry.delay.timeLeftSeconds} s after task failures`,
    };
  }
  if (queueEntry && queueEntry.count > 0 && waitedLong(queueEntry, now)) {
    const why = queueReason(queueEntry);
    return {
      status: Status.WAITING,
      reason: `${queueEntry.count} instance(s) waiting for resources` + (why ? `: ${why}` : ""),
    };
  }
  if (pod.status === "TERMINAL") return { status: Status.STOPPING, reason: null };
  if (deployments.length > 0) {
    return { status: Status.DEPLOYING, reason: `${deployments.length} deployment(s) in progress` };
  }
  if (instances === 0) return { status: Status.SUSPENDED, reason: null };
  if ((pod.instances || []).some((i) => i.status === "DEGRADED")) {
    return { status: Status.UNHEALTHY, reason: "an instance is degraded" };
  }
  if (stable < instances) {
    return { status: Status.WAITING, reason: `${stable} of ${instances} instance(s) running` };
  }
  return { status: Status.RUNNING, reason: null };
}
