// A task: its stdout and stderr streamed from dcos-log (server-sent events,
// following the file as it grows) and its sandbox files.
import React, { useEffect, useRef, useState } from "react";
import { SegmentedControl, SegmentedControlButton, TabItem, TabTitle, Tabs } from "@dcos/ui-kit";

import { get } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { col, DataTable, Loaded, Page } from "../components/common.jsx";

const MAX_LINES = 2000;

function taskLogUrl(taskId, file) {
  return `/system/v1/logs/v2/task/${encodeURIComponent(taskId)}/file/${file}`;
}

export function LogViewer({ taskId, file }) {
  const [lines, setLines] = useState([]);
  const [note, setNote] = useState("Connecting…");
  const box = useRef(null);

  useEffect(() => {
    setLines([]);
    let source = null;
    let retry = null;
    let closed = false;
    const open = () => {
      // The last lines, then every new one (dcos-log redirects to the agent).
      source = new EventSource(`${taskLogUrl(taskId, file)}?cursor=END&skip=-500`);
      source.onopen = () => setNote("");
      source.onmessage = (event) => {
        let text = event.data;
        try {
          text = JSON.parse(event.data).fields.MESSAGE;
        } catch (_) {
          // a plain line
        }
        setLines((prev) => {
          const next = prev.length >= MAX_LINES ? prev.slice(prev.length - MAX_LINES + 1) : prev.slice();
          next.push(text);
          return next;
        });
      };
      source.onerror = () => {
        // No file yet (the task is starting), a lost login, or the agent went
        // away: say so, and open the stream again in a moment.
        if (closed) return;
        setNote(`The ${file} stream of ${taskId} is not available; retrying…`);
        source.close();
        retry = setTimeout(open, 2000);
      };
    };
    const close = () => {
      closed = true;
      clearTimeout(retry);
      if (source) source.close();
    };
    // A stream left open past a navigation would hold one of the browser's
    // few connections to the host.
    window.addEventListener("pagehide", close);
    open();
    return () => {
      window.removeEventListener("pagehide", close);
      close();
    };
  }, [taskId, file]);

  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <div>
      {note ? (
        <div className="muted" data-testid="log-note">
          {note}
        </div>
      ) : null}
      <pre className="log" ref={box} data-testid={`log-${file}`}>
        {lines.length ? lines.join("\n") : note ? "" : `(${file} is empty so far)`}
      </pre>
      <a href={`${taskLogUrl(taskId, file)}/download`}>Download {file}</a>
    </div>
  );
}

function Files({ taskId }) {
  const poll = usePoll(() => get(`/system/v1/logs/v2/task/${encodeURIComponent(taskId)}/browse`), 5000, [taskId]);
  const columns = [
    col("name", "Name", (f) => {
      const name = f.path.split("/").pop();
      return f.mode.startsWith("d") ? (
        `${name}/`
      ) : (
        <a href={`${taskLogUrl(taskId, name)}/download`} data-testid="sandbox-file">
          {name}
        </a>
      );
    }, "minmax(160px, 2fr)"),
    col("mode", "Mode", (f) => f.mode, "120px"),
    col("size", "Size", (f) => `${f.size} B`, "100px"),
    col("mtime", "Modified", (f) => new Date(f.mtime * 1000).toLocaleString(), "200px"),
  ];
  return (
    <Loaded poll={poll} what="the task's sandbox (dcos-log)">
      {(files) => <DataTable rows={files} columns={columns} toId={(f) => f.path} testId="sandbox-table" empty="The sandbox is empty." />}
    </Loaded>
  );
}

export function TaskDetail({ taskId, crumbs }) {
  const [tab, setTab] = useState(0);
  const [file, setFile] = useState("stdout");
  return (
    <Page crumbs={[...crumbs, { label: taskId }]} testId="task-detail">
      <Tabs selectedIndex={tab} onSelect={setTab}>
        <TabItem>
          <TabTitle>Logs</TabTitle>
          <div className="log-controls">
            <SegmentedControl id="log-file" name="log-file" onSelect={setFile} selectedSegment={file}>
              <SegmentedControlButton value="stdout" id="log-stdout">
                stdout
              </SegmentedControlButton>
              <SegmentedControlButton value="stderr" id="log-stderr">
                stderr
              </SegmentedControlButton>
            </SegmentedControl>
          </div>
          <LogViewer taskId={taskId} file={file} />
        </TabItem>
        <TabItem>
          <TabTitle>Files</TabTitle>
          <Files taskId={taskId} />
        </TabItem>
      </Tabs>
    </Page>
  );
}
