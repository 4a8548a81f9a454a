// Hash routes, as DC/OS's UI has them (/#/services/overview, /#/login, ...):
// the server serves one page, and a 401 page sends people to /#/login.
import { useEffect, useState } from "react";

export function parseHash(hash) {
  const raw = (hash || "").replace(/^#/, "") || "/dashboard";
  const [path, query = ""] = raw.split("?");
  return { path, parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function go(path) {
  window.location.hash = path;
}

export function href(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(p)).join("/");
}
