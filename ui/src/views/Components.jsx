// Components: every DC/OS unit on every node with its health, from the
// diagnostics report (/system/health/v1/report).
import React from "react";
import { InfoBoxBanner } from "@dcos/ui-kit";

import { get, HEALTH } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { componentRows, componentSummary } from "../lib/shape.js";
import { col, DataTable, HealthBadge, Loaded, Page } from "../components/common.jsx";

export function Components() {
  const poll = usePoll(() => get(`${HEALTH}/report`), 3000);
  const columns = [
    col("unit", "Component", (r) => (
      <span data-testid="unit-id" title={r.description}>
        {r.name} <span className="muted">{r.id}</span>
      </span>
    ), "minmax(260px, 2fr)"),
    col("ip", "Node", (r) => <span data-testid="unit-node">{r.ip}</span>, "130px"),
    col("role", "Role", (r) => r.role, "120px"),
    col("health", "Health", (r) => <HealthBadge healthy={r.healthy} />, "120px"),
    col("output", "Output", (r) => <span className="muted">{r.healthy ? "" : r.output}</span>, "minmax(160px, 2fr)"),
  ];
  return (
    <Page crumbs={[{ label: "Components" }]} testId="components">
      <Loaded poll={poll} what="component health (diagnostics)">
        {(report) => {
          const summary = componentSummary(report);
          const rows = componentRows(report).sort((a, b) => Number(a.healthy) - Number(b.healthy));
          return (
            <>
              <div className="summary-banner" data-testid="components-summary">
                {summary.unhealthyUnits ? (
                  <InfoBoxBanner
                    appearance="danger"
                    message={`${summary.unhealthyUnits} of ${summary.units} components unhealthy: ${summary.unhealthy.map((r) => `${r.id} on ${r.ip}`).join(", ")}`}
                  />
                ) : (
                  <InfoBoxBanner appearance="success" message={`All ${summary.units} components are healthy.`} />
                )}
              </div>
              <DataTable rows={rows} columns={columns} toId={(r) => r.key} testId="components-table" empty="The report lists no units." />
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
