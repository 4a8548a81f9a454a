// Every request the UI makes goes through here: same-origin, with the login
// cookie (dcos-acs-auth-cookie) that Admin Router checks. A 401 anywhere means
// the login is gone: the app shows the login page.

export class ApiError extends Error {
  constructor(status, body, url) {
    super(errorMessage(status, body, url));
    this.status = status;
    this.body = body;
    this.url = url;
  }
}

function errorMessage(status, body, url) {
  if (status === 0) return `cannot reach ${url}: ${body}`;
  let detail = "";
  if (body && typeof body === "object") {
    detail = body.message || body.description || body.title || JSON.stringify(body);
  } else if (typeof body === "string") {
    detail = body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  }
  return `${url} answered ${status}${detail ? `: ${detail}` : ""}`;
}

const listeners = new Set();
export function onUnauthorized(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function readBody(response) {
  const text = await response.text();
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json") || /^[[{]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch (_) {
      return text;
    }
  }
  return text;
}

export async function request(url, { method = "GET", body, headers = {}, contentType, accept } = {}) {
  const init = { method, credentials: "same-origin", headers: { ...headers } };
  if (accept) init.headers.Accept = accept;
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType || "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (exc) {
    throw new ApiError(0, String(exc.message || exc), url);
  }
  const parsed = await readBody(response);
  if (response.status === 401) {
    for (const listener of listeners) listener();
  }
  if (!response.ok) throw new ApiError(response.status, parsed, url);
  return parsed;
}

export const get = (url, options) => request(url, options);
export const post = (url, body, options = {}) => request(url, { ...options, method: "POST", body });
export const put = (url, body, options = {}) => request(url, { ...options, method: "PUT", body });
export const del = (url, options = {}) => request(url, { ...options, method: "DELETE" });

// Where each service answers, through Admin Router.
export const MARATHON = "/service/marathon/v2";
export const METRONOME = "/service/metronome/v1";
export const MESOS = "/mesos";
export const HEALTH = "/system/health/v1";

// Cosmos's RPCs take and give vendor media types.
export function cosmos(rpc, body, { request: req = rpc, response = rpc, version = "v1" } = {}) {
  return post(`/package/${rpc}`, body, {
    contentType: `application/vnd.dcos.package.${req}-request+json;charset=utf-8;version=v1`,
    accept: `application/vnd.dcos.package.${response}-response+json;charset=utf-8;version=${version}`,
  });
}
