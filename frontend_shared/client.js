// The one client module both frontends load from /shared/client.js (a single file, no copies).
// Every request has a timeout and resolves to {status, ok, body, error, timing, challenge}: status 0 means no
// answer; timing is what the API's Server-Timing says this request cost it, challenge its WWW-Authenticate.
import config from "/config.js";

export { config };

export const TIMEOUT_MS = 5000;

// The exchanges of the last action, for "The wire": names and sizes of what travelled, never values.
export const wire = [];

function onTheWire(url, method, credentials, headers, body, status, response, answer) {
  const path = url.startsWith(config.api) ? url.slice(config.api.length) : url;
  if (/^\/api\/(echo|inspect|methods)\b/.test(path)) return; // the page's own instruments and table, not the action
  const auth = headers.Authorization ? { scheme: headers.Authorization.split(" ")[0], chars: headers.Authorization.length } : null;
  if (wire.length >= 50) wire.shift(); // runs of many steps (the matrix) keep only their last exchanges
  wire.push({
    request: `${method} ${path}`,
    credentials,
    authorization: auth,
    csrf_header: headers["X-CSRF-Token"] ? headers["X-CSRF-Token"].length : null,
    body_bytes: body === undefined ? 0 : new TextEncoder().encode(JSON.stringify(body)).length,
    status,
    challenge: response ? response.headers.get("WWW-Authenticate") : null,
    cookie: answer?.cookie ? answer.cookie : null, // the attributes the API says it set (Set-Cookie is unreadable)
  });
}

// A run of many logins (the matrix, Compare, Measure) can meet the API's rate limit; its 429 is a pause, not a
// result. While `limited.during` names a run, request() waits out the 429's Retry-After and sends again, so every
// caller (runner.js included) gets the answer that came after the wait. `onWait(wait)` tells the page: a wait
// {url, seconds, resume_at} when one starts (a test may move resume_at to now), null when it is over.
export const limited = { during: null, onWait: () => {}, maxWaits: 5 };

// Retry-After (readable when the API exposes it, or same-origin), else the error body's "try again in N s".
function retryAfter(response, parsed) {
  const header = Number(response.headers.get("Retry-After"));
  if (header > 0) return header;
  const said = /try again in (\d+) s/.exec((parsed?.message) || "");
  return said ? Number(said[1]) : 60;
}

async function waitOut(url, seconds) {
  const wait = { url, seconds, resume_at: Date.now() + seconds * 1000 };
  limited.onWait(wait);
  while (Date.now() < wait.resume_at) await new Promise((resolve) => setTimeout(resolve, 250));
  limited.onWait(null);
}

// fetch with a timeout. credentials default to "omit": a credentialed fetch that meets a Basic
// challenge from a same-site origin waits on an invisible login prompt, so cookies are opt-in.
export async function request(url, options = {}, waits = 0) {
  const { method = "GET", body, headers = {}, credentials = "omit", timeout = TIMEOUT_MS } = options;
  const init = { method, credentials, headers: { ...headers }, signal: AbortSignal.timeout(timeout) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const why = error.name === "TimeoutError" ? `no answer within ${timeout / 1000} s` : `network error (${error.message})`;
    onTheWire(url, method, credentials, headers, body, 0, null, null);
    return { status: 0, ok: false, body: null, error: why, timing: null, challenge: null };
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { text: text.slice(0, 200) };
  }
  onTheWire(url, method, credentials, headers, body, response.status, response, parsed);
  if (response.status === 429 && limited.during && waits < limited.maxWaits) {
    await waitOut(url, retryAfter(response, parsed));
    return request(url, options, waits + 1);
  }
  const timing = serverTiming(response.headers.get("Server-Timing"));
  return { status: response.status, ok: response.ok, body: parsed, error: null, timing, challenge: response.headers.get("WWW-Authenticate") };
}

// `auth;dur=0.42, redis;desc="1 round trip"` -> {ms: 0.42, trips: 1, text}; null when the API sent none.
// (The same value is in PerformanceResourceTiming.serverTiming: the API sends Timing-Allow-Origin for both pages.)
export function serverTiming(header) {
  if (!header) return null;
  const ms = /auth;dur=([\d.]+)/.exec(header);
  const trips = /redis;desc="(\d+) round trip/.exec(header);
  return { ms: ms ? Number(ms[1]) : null, trips: trips ? Number(trips[1]) : null, text: header };
}

// The API at config.api.
export function api(path, options) {
  return request(config.api + path, options);
}

// What reached the API with these credentials and headers: cookie names and sizes, auth scheme, header bytes.
export async function echo({ credentials = "omit", headers = {} } = {}) {
  const { status, body, error } = await api("/api/echo", { credentials, headers });
  return status === 200 ? body : { origin: null, cookies: {}, authorization: null, request_header_bytes: 0, error: error || `status ${status}` };
}

// Is this page on the API's site? (A site is scheme + registrable domain; ports do not count. For
// localhost and IP addresses the host is the whole registrable part.)
export function sameSiteAsApi() {
  const api = new URL(config.api);
  return api.protocol === location.protocol && api.hostname === location.hostname;
}
