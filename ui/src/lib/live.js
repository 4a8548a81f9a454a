// Live updates. Every view polls what it shows (usePoll); on top of that the
// Mesos operator event stream (SUBSCRIBE, through @dcos/mesos-client) tells
// when a task or an agent changed, and every poll then refreshes at once
// instead of waiting for its next turn.
import { useCallback, useEffect, useRef, useState } from "react";
import { stream } from "@dcos/mesos-client";

const subscribers = new Set();
let subscription = null;
let debounce = null;

function changed() {
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    for (const refresh of subscribers) refresh();
  }, 200);
}

const INTERESTING = new Set(["TASK_ADDED", "TASK_UPDATED", "AGENT_ADDED", "AGENT_REMOVED", "FRAMEWORK_ADDED", "FRAMEWORK_REMOVED"]);

// Leaving the page must close the stream: a stream the browser keeps open
// past a navigation holds one of its few connections to the host.
window.addEventListener("pagehide", () => {
  stopped = true;
  if (subscription) subscription.unsubscribe();
  subscription = null;
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    stopped = false;
    follow();
  }
});
let stopped = false;

function follow() {
  if (subscription || stopped) return;
  subscription = stream({ type: "SUBSCRIBE" }, "/mesos/api/v1").subscribe(
    (record) => {
      let event = record;
      if (typeof record === "string") {
        try {
          event = JSON.parse(record);
        } catch (_) {
          return;
        }
      }
      if (event && INTERESTING.has(event.type)) changed();
    },
    () => {
      // The stream broke (a new leader, a lost login): polls carry on; try
      // again in a while.
      subscription = null;
      setTimeout(follow, 5000);
    },
    () => {
      subscription = null;
      setTimeout(follow, 1000);
    },
  );
}

/**
 * Poll `fetcher` every `intervalMs` (and at once when the Mesos stream says
 * something changed): {data, error, loading, refresh}. The last good data
 * stays shown beside an error.
 */
export function usePoll(fetcher, intervalMs = 2000, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const inFlight = useRef(false);
  const alive = useRef(true);

  const refresh = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      const data = await fetcherRef.current();
      if (alive.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (alive.current) setState((prev) => ({ data: prev.data, error, loading: false }));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    setState((prev) => ({ ...prev, loading: prev.data === undefined }));
    refresh();
    const timer = setInterval(refresh, intervalMs);
    subscribers.add(refresh);
    follow();
    return () => {
      alive.current = false;
      clearInterval(timer);
      subscribers.delete(refresh);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { ...state, refresh };
}
