// Pieces every view uses: the page frame, error and loading states, badges,
// resource bars and the small live charts.
import React from "react";
import {
  Badge,
  Breadcrumb,
  BreadcrumbItem,
  InfoBoxBanner,
  MessagePanel,
  PageHeader,
  SectionLoadingIndicator,
  Table,
} from "@dcos/ui-kit";

import { STATUS_APPEARANCE } from "../lib/status.js";
import { percent } from "../lib/shape.js";

export function Page({ crumbs, actions = [], children, testId }) {
  const breadcrumbElements = [
    <Breadcrumb key="bc">
      {crumbs.map((crumb, i) => (
        <BreadcrumbItem key={i}>
          {crumb.href ? <a href={crumb.href}>{crumb.label}</a> : <span>{crumb.label}</span>}
        </BreadcrumbItem>
      ))}
    </Breadcrumb>,
  ];
  return (
    <div className="page" data-testid={testId}>
      <PageHeader breadcrumbElements={breadcrumbElements} actions={actions} />
      <div className="page-body">{children}</div>
    </div>
  );
}

// What a view shows for one poll: the content when there is data, a clear
// message when the API failed (above the last good data, or instead of it).
export function Loaded({ poll, what, children }) {
  if (poll.data === undefined && poll.error) {
    return (
      <div className="error-panel" data-testid="api-error">
        <MessagePanel appearance="error" heading={`Cannot load ${what}`}>
          <p>{poll.error.message}</p>
          <p>The view tries again every few seconds.</p>
        </MessagePanel>
      </div>
    );
  }
  if (poll.data === undefined) return <SectionLoadingIndicator />;
  return (
    <>
      {poll.error ? (
        <div className="error-banner" data-testid="api-error">
          <InfoBoxBanner appearance="warning" message={`Cannot refresh ${what}: ${poll.error.message}`} />
        </div>
      ) : null}
      {children(poll.data)}
    </>
  );
}

export function ErrorList({ errors, testId = "form-errors" }) {
  if (!errors || !errors.length) return null;
  return (
    <div className="error-banner" data-testid={testId}>
      <InfoBoxBanner appearance="danger" message={errors.join("; ")} />
    </div>
  );
}

export function StatusBadge({ status, reason }) {
  if (!status) return null;
  return (
    <span className="status" data-testid="status" title={reason || ""}>
      <Badge appearance={STATUS_APPEARANCE[status] || "default"}>{status}</Badge>
      {reason ? <span className="status-reason">{reason}</span> : null}
    </span>
  );
}

export function HealthBadge({ healthy, label }) {
  return (
    <span data-testid="health">
      <Badge appearance={healthy ? "success" : "danger"}>{label || (healthy ? "Healthy" : "Unhealthy")}</Badge>
    </span>
  );
}

export function UsageBar({ used, total, format = (v) => v }) {
  const pct = percent(used, total);
  return (
    <div className="usage" title={`${pct}%`}>
      <div className="usage-bar">
        <div className="usage-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="usage-text">
        {format(used)} / {format(total)}
      </span>
    </div>
  );
}

// A small line chart of the last samples (0-100).
export function Sparkline({ samples, label, width = 220, height = 48 }) {
  const points = samples.length ? samples : [0];
  const step = points.length > 1 ? width / (points.length - 1) : width;
  const coords = points.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / 100) * height).toFixed(1)}`);
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <polyline points={`0,${height} ${coords.join(" ")} ${width},${height}`} className="spark-area" />
      <polyline points={coords.join(" ")} className="spark-line" />
    </svg>
  );
}

// ui-kit's Table wants a height to scroll in; this sizes it to its rows.
export function DataTable({ rows, columns, toId, testId, empty = "Nothing here yet." }) {
  if (!rows.length) {
    return (
      <div className="empty" data-testid={testId}>
        {empty}
      </div>
    );
  }
  const height = Math.min(42 + rows.length * 37, 640);
  return (
    <div className="table" data-testid={testId} style={{ height }}>
      <Table data={rows} columns={columns} toId={toId} />
    </div>
  );
}

export function col(id, header, render, initialWidth) {
  return { id, header: <span>{header}</span>, render, initialWidth };
}

export function ago(timestamp) {
  const at = typeof timestamp === "number" ? timestamp : Date.parse(timestamp || "");
  if (!Number.isFinite(at)) return "";
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
