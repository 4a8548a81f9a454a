// Nodes: every agent (public or private, IP, health, resources used of
// total); a node's tasks and the health of its DC/OS units.
// Routes: #/nodes, #/nodes/detail/<agent id>, #/nodes/detail/<agent>/tasks/<task>.
import React from "react";

import { get, HEALTH } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { href } from "../lib/route.js";
import { allTasks, formatCpus, formatMiB, nodeRows } from "../lib/shape.js";
import { ago, col, DataTable, HealthBadge, Loaded, Page, UsageBar } from "../components/common.jsx";
import { TaskDetail } from "./Task.jsx";

async function nodesData() {
  const [state, report] = await Promise.all([
    get("/mesos/master/state"),
    // The report is optional here: nodes still show without diagnostics.
    get(`${HEALTH}/report`).catch(() => null),
  ]);
  return { state, report, rows: nodeRows(state, report) };
}

export function Nodes({ route }) {
  const [, mode, id, sub, taskId] = route.parts;
  if (mode === "detail" && id && sub === "tasks" && taskId) {
    return <TaskDetail taskId={taskId} crumbs={[{ label: "Nodes", href: "#/nodes" }, { label: id, href: href("nodes", "detail", id) }]} />;
  }
  if (mode === "detail" && id) return <NodeDetail id={id} />;
  return <NodeList />;
}

function healthCell(r) {
  if (r.health === "Unknown") return <span data-testid="health">Unknown</span>;
  return <HealthBadge healthy={r.health === "Healthy"} />;
}

function NodeList() {
  const poll = usePoll(nodesData, 3000);
  const columns = [
    col("host", "Host", (r) => (
      <a href={href("nodes", "detail", r.id)} data-testid="node-link">
        {r.ip}
      </a>
    ), "minmax(130px, 1fr)"),
    col("type", "Type", (r) => <span data-testid="node-type">{r.type}</span>, "90px"),
    col("health", "Health", healthCell, "110px"),
    col("tasks", "Tasks", (r) => r.tasks, "70px"),
    col("cpu", "CPU", (r) => <UsageBar used={r.cpus.used} total={r.cpus.total} format={formatCpus} />, "minmax(150px, 1fr)"),
    col("mem", "Mem", (r) => <UsageBar used={r.mem.used} total={r.mem.total} format={formatMiB} />, "minmax(190px, 1fr)"),
    col("disk", "Disk", (r) => <UsageBar used={r.disk.used} total={r.disk.total} format={formatMiB} />, "minmax(190px, 1fr)"),
  ];
  return (
    <Page crumbs={[{ label: "Nodes" }]} testId="nodes">
      <Loaded poll={poll} what="the agents (Mesos)">
        {(d) => <DataTable rows={d.rows} columns={columns} toId={(r) => r.id} testId="nodes-table" empty="No agent is registered." />}
      </Loaded>
    </Page>
  );
}

function NodeDetail({ id }) {
  const poll = usePoll(nodesData, 3000, [id]);
  return (
    <Page crumbs={[{ label: "Nodes", href: "#/nodes" }, { label: id }]} testId="node-detail">
      <Loaded poll={poll} what="the agent (Mesos)">
        {(d) => {
          const node = d.rows.find((r) => r.id === id);
          if (!node) return <p>No agent {id} is registered with the leading master.</p>;
          const tasks = allTasks(d.state).filter((t) => t.slave_id === id && t.active);
          const units = (d.report && d.report.Nodes[node.ip] && d.report.Nodes[node.ip].Units) || [];
          return (
            <>
              <div className="summary">
                <span data-testid="node-ip">{node.ip}</span> · {node.type} agent · {healthCell(node)}
              </div>
              <h3>Tasks</h3>
              <DataTable
                rows={tasks}
                toId={(t) => t.id}
                testId="node-tasks"
                empty="No task runs on this node."
                columns={[
                  col("id", "Task", (t) => <a href={href("nodes", "detail", id, "tasks", t.id)}>{t.id}</a>, "minmax(200px, 2fr)"),
                  col("framework", "Framework", (t) => t.framework, "120px"),
                  col("state", "State", (t) => t.state, "130px"),
                  col("cpus", "CPU", (t) => t.resources && t.resources.cpus, "70px"),
                  col("mem", "Mem", (t) => formatMiB((t.resources && t.resources.mem) || 0), "90px"),
                  col("since", "Updated", (t) => ago(((t.statuses || []).slice(-1)[0] || {}).timestamp * 1000), "110px"),
                ]}
              />
              <h3>Components</h3>
              <DataTable
                rows={units}
                toId={(u) => u.UnitName}
                testId="node-units"
                empty="The diagnostics report has no units for this node."
                columns={[
                  col("unit", "Unit", (u) => u.UnitName, "minmax(220px, 2fr)"),
                  col("name", "Name", (u) => u.PrettyName, "minmax(160px, 1fr)"),
                  col("health", "Health", (u) => <HealthBadge healthy={u.Health === 0} />, "120px"),
                ]}
              />
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
