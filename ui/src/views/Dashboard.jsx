// The dashboard: the cluster at a glance. Allocation charts move as work is
// deployed (the last minute from dcos-history, then live samples), tasks by
// state, services by status, component health and the nodes.
import React, { useEffect, useState } from "react";
import { Card, DonutChart } from "@dcos/ui-kit";

import { get, HEALTH, MARATHON } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import {
  allServices,
  clusterSummary,
  componentSummary,
  formatCpus,
  formatMiB,
  percent,
  statusCounts,
} from "../lib/shape.js";
import { Status } from "../lib/status.js";
import { Loaded, Page, Sparkline } from "../components/common.jsx";

const SAMPLES = 30;
// Kept across visits of the view, so the charts do not start empty again.
const series = { cpus: [], mem: [], disk: [] };
let seeded = false;

function record(summary) {
  for (const name of Object.keys(series)) {
    const r = summary.resources[name];
    series[name].push(percent(r.used, r.total));
    if (series[name].length > SAMPLES) series[name].shift();
  }
}

function useHistorySeed() {
  useEffect(() => {
    if (seeded) return;
    seeded = true;
    get("/dcos-history-service/history/minute")
      .then((snapshots) => {
        if (!Array.isArray(snapshots) || series.cpus.length) return;
        for (const snapshot of snapshots.slice(-SAMPLES)) record(clusterSummary(snapshot));
      })
      .catch(() => {});
  }, []);
}

function AllocationCard({ name, label, resource, format, testId }) {
  const pct = percent(resource.used, resource.total);
  return (
    <Card paddingSize="l">
      <div className="card-title">{label}</div>
      <div className="allocation" data-testid={testId}>
        <DonutChart data={[{ percentage: pct, color: "#7D58FF" }]} label={`${pct}%`} text="allocated" />
        <div>
          <div className="big-number">
            <span data-testid={`${testId}-used`}>{format(resource.used)}</span>
            <span className="of"> of </span>
            <span data-testid={`${testId}-total`}>{format(resource.total)}</span>
          </div>
          <div className="muted">allocated</div>
          <Sparkline samples={series[name]} label={`${label} over time`} />
        </div>
      </div>
    </Card>
  );
}

function CountList({ entries, testId }) {
  return (
    <table className="counts" data-testid={testId}>
      <tbody>
        {entries.map(([label, value, key]) => (
          <tr key={label} data-testid={`${testId}-${key || label}`}>
            <td>{label}</td>
            <td className="count">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Dashboard() {
  useHistorySeed();
  const [, tick] = useState(0);
  const summary = usePoll(async () => {
    const data = clusterSummary(await get("/mesos/master/state-summary"));
    record(data);
    tick((n) => n + 1);
    return data;
  }, 2000);
  const services = usePoll(async () => {
    const [groups, queue, deployments] = await Promise.all([
      get(`${MARATHON}/groups?embed=group.groups&embed=group.apps&embed=group.pods&embed=group.apps.counts&embed=group.apps.lastTaskFailure`),
      get(`${MARATHON}/queue`),
      get(`${MARATHON}/deployments`),
    ]);
    return allServices(groups, { queue, deployments });
  }, 3000);
  const health = usePoll(() => get(`${HEALTH}/report`), 5000);

  return (
    <Page crumbs={[{ label: "Dashboard" }]} testId="dashboard">
      <Loaded poll={summary} what="the cluster's resources (Mesos)">
        {(s) => (
          <>
            <div className="grid3">
              <AllocationCard name="cpus" label="CPU Allocation" resource={s.resources.cpus} format={formatCpus} testId="alloc-cpus" />
              <AllocationCard name="mem" label="Memory Allocation" resource={s.resources.mem} format={formatMiB} testId="alloc-mem" />
              <AllocationCard name="disk" label="Disk Allocation" resource={s.resources.disk} format={formatMiB} testId="alloc-disk" />
            </div>
            <div className="grid3">
              <Card paddingSize="l">
                <div className="card-title">Tasks</div>
                <CountList
                  testId="tasks"
                  entries={[
                    ["Running", s.tasks.TASK_RUNNING, "TASK_RUNNING"],
                    ["Staging", s.tasks.TASK_STAGING + s.tasks.TASK_STARTING, "TASK_STAGING"],
                    ["Finished", s.tasks.TASK_FINISHED, "TASK_FINISHED"],
                    ["Failed", s.tasks.TASK_FAILED + s.tasks.TASK_ERROR, "TASK_FAILED"],
                    ["Killed", s.tasks.TASK_KILLED, "TASK_KILLED"],
                    ["Lost", s.tasks.TASK_LOST + s.tasks.TASK_UNREACHABLE, "TASK_LOST"],
                  ]}
                />
              </Card>
              <Card paddingSize="l">
                <div className="card-title">Services Health</div>
                <Loaded poll={services} what="the services (Marathon)">
                  {(rows) => {
                    const counts = statusCounts(rows);
                    return (
                      <CountList
                        testId="services"
                        entries={[
                          ["Services", rows.length, "total"],
                          ...Object.values(Status).map((st) => [st, counts[st] || 0, st]),
                        ]}
                      />
                    );
                  }}
                </Loaded>
              </Card>
              <Card paddingSize="l">
                <div className="card-title">Nodes and Components</div>
                <CountList
                  testId="nodes"
                  entries={[
                    ["Agents", s.agents, "agents"],
                    ["Active agents", s.activeAgents, "active"],
                    ["Frameworks", s.frameworks, "frameworks"],
                  ]}
                />
                <Loaded poll={health} what="component health (diagnostics)">
                  {(report) => {
                    const c = componentSummary(report);
                    return (
                      <CountList
                        testId="components"
                        entries={[
                          ["Components", c.units, "total"],
                          ["Unhealthy", c.unhealthyUnits, "unhealthy"],
                        ]}
                      />
                    );
                  }}
                </Loaded>
              </Card>
            </div>
          </>
        )}
      </Loaded>
    </Page>
  );
}
