// RFC 10017's three browser-app architectures from this page, on the vendored oauth4webapi (no build step):
// a backend-for-frontend (§6.1, the page holds no token), a token-mediating backend (§6.2, the page holds an access
// token from its BFF) and a browser-based client (§6.3, the page runs code + PKCE S256 against the AS itself and
// keeps the tokens where the person chooses). Every call of the API is `GET /api/jwt/me` (the issuer's JWTs).
import config from "/config.js";
import * as oauth from "./vendor/oauth4webapi.js";

export const TIMEOUT_MS = 5000;
// Where each architecture can keep what the page holds (a BFF keeps everything on the server: only its cookie).
export const ARCHITECTURES = {
  bff: { label: "BFF: the page holds no token (§6.1)", storages: ["cookie"] },
  tmb: { label: "token-mediating backend: the page holds an access token (§6.2)", storages: ["memory", "sessionStorage", "localStorage"] },
  browser: { label: "browser client: the page runs the flow itself (§6.3)", storages: ["localStorage", "sessionStorage", "memory", "worker", "dpop"] },
};
export const STORAGES = {
  cookie: "the BFF's HttpOnly cookie only",
  localStorage: "localStorage",
  sessionStorage: "sessionStorage",
  memory: "memory (a variable of this module)",
  worker: "a web worker holding the refresh token",
  dpop: "DPoP: a non-extractable key in IndexedDB, tokens in sessionStorage",
};
export const TOKENS_KEY = "authlab.browser.tokens"; // the Web Storage key of the tokens (localStorage, sessionStorage, dpop)
const PENDING_KEY = "authlab.browser.pending"; // the flow under way across the AS's redirect: state and verifier
const insecure = { [oauth.allowInsecureRequests]: new URL(config.issuer).protocol === "http:" };
export const client = { client_id: config.clientId };
export const redirectUri = `${location.origin}/`;

// The tokens this module holds in memory: for "memory", and the access token of "worker" (its refresh token is
// the worker's alone). An injected script reaches it the way it reaches any module: import() and a hooked fetch.
let held = null;
let worker = null;
let dpopHandle = null;

let metadata = null;
// The AS's metadata (RFC 8414), discovered once per page.
export async function authorizationServer() {
  if (!metadata) {
    const issuer = new URL(config.issuer);
    const response = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure, signal: AbortSignal.timeout(TIMEOUT_MS) });
    metadata = await oauth.processDiscoveryResponse(issuer, response);
  }
  return metadata;
}

// The tokens the page holds for `storage`: {access_token, refresh_token?, expires_at} or null.
export function tokens(storage) {
  if (storage === "memory" || storage === "worker") return held;
  const area = storage === "localStorage" ? localStorage : sessionStorage;
  try {
    return JSON.parse(area.getItem(TOKENS_KEY));
  } catch {
    return null;
  }
}

function keep(storage, value) {
  if (storage === "memory" || storage === "worker") held = value;
  else if (value === null) (storage === "localStorage" ? localStorage : sessionStorage).removeItem(TOKENS_KEY);
  else (storage === "localStorage" ? localStorage : sessionStorage).setItem(TOKENS_KEY, JSON.stringify(value));
}

// The token endpoint's answer as the page keeps it: with the worker, no refresh token ever reaches this module.
function asHeld(answer) {
  const value = { access_token: answer.access_token, token_type: answer.token_type, expires_at: Date.now() + (answer.expires_in ?? 0) * 1000 };
  if (answer.refresh_token) value.refresh_token = answer.refresh_token;
  return value;
}

// The DPoP key pair (ES256): its private half non-extractable, kept in IndexedDB so a reload can still sign.
const DB = { name: "authlab-dpop", store: "keys", key: "page" };

function database() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB.name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(DB.store);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function idb(mode, act) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const request = act(db.transaction(DB.store, mode).objectStore(DB.store));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export async function dpopKeys({ create = false } = {}) {
  let keys = await idb("readonly", (store) => store.get(DB.key));
  if (!keys && create) {
    keys = await oauth.generateKeyPair("ES256", { extractable: false });
    await idb("readwrite", (store) => store.put(keys, DB.key));
  }
  return keys ?? null;
}

async function dpop(storage, create = false) {
  if (storage !== "dpop") return undefined;
  if (!dpopHandle) {
    const keys = await dpopKeys({ create });
    if (keys) dpopHandle = oauth.DPoP(client, keys);
  }
  return dpopHandle;
}

// The worker that holds the refresh token (§8): this module asks, it answers with access tokens only.
function tokenWorker() {
  if (!worker) worker = new Worker(new URL("./token_worker.js", import.meta.url), { type: "module" });
  return worker;
}

function ask(message) {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: "the token worker did not answer" }), TIMEOUT_MS * 2);
    port1.onmessage = ({ data }) => {
      clearTimeout(timer);
      resolve(data);
    };
    tokenWorker().postMessage({ ...message, issuer: config.issuer, client }, [port2]);
  });
}

// Start a login: a BFF's own flow, or code + PKCE S256 from this page to the AS (back to this page's `/`).
export async function startLogin({ architecture, storage }) {
  if (architecture !== "browser") {
    const mode = architecture === "tmb" ? "token-mediating" : "bff";
    location.assign(`${config.bff}/bff/login?${new URLSearchParams({ mode })}`); // the BFF sends the browser back to this page
    return;
  }
  const as = await authorizationServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier, storage }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: client.client_id, redirect_uri: redirectUri, response_type: "code", state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  if (storage === "dpop") url.searchParams.set("dpop_jkt", await (await dpop(storage, true)).calculateThumbprint());
  location.assign(url.href);
}

// Back from the AS with ?code&state&iss for a flow this tab started: check `iss` and state, redeem the code.
// Anything else in the address (another tab's flow, a silent flow someone else framed here) is left alone.
export async function finishLogin(search = location.search) {
  const params = new URLSearchParams(search);
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_KEY));
  } catch {}
  if (!pending || params.get("state") !== pending.state) return null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(history.state, "", location.pathname + location.hash);
  const as = await authorizationServer();
  const callback = oauth.validateAuthResponse(as, client, params, pending.state); // throws on a wrong iss or an error
  if (pending.storage === "worker") {
    const answer = await ask({ op: "exchange", callback: callback.toString(), state: pending.state, verifier: pending.verifier, redirectUri });
    if (!answer.ok) throw new Error(answer.error);
    keep("worker", asHeld(answer));
    return { storage: "worker", status: 200 };
  }
  const DPoP = await dpop(pending.storage);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, pending.verifier, { DPoP, ...insecure });
  keep(pending.storage, asHeld(await oauth.processAuthorizationCodeResponse(as, client, response)));
  return { storage: pending.storage, status: 200 };
}

const bffCall = (path, options = {}) =>
  fetch(`${config.bff}${path}`, { credentials: "include", headers: { "X-CSRF": "1" }, signal: AbortSignal.timeout(TIMEOUT_MS), ...options });

async function answerOf(response) {
  const text = await response.text();
  try {
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: response.status, body: { text: text.slice(0, 200) } };
  }
}

// The token-mediating backend's access token (§6.2): the refresh token stays on the BFF.
async function mediatedToken(storage) {
  const kept = tokens(storage);
  if (kept && kept.expires_at > Date.now() + 5000) return kept;
  const { status, body } = await answerOf(await bffCall("/bff/token"));
  if (status !== 200) return null;
  keep(storage, asHeld(body));
  return tokens(storage);
}

// Call the API's `/api/<path>` the way this architecture does: through the BFF, or with the token (a DPoP proof
// when it is bound). Answers {status, body, error}.
export async function callApi({ architecture, storage }, path = "jwt/me") {
  try {
    if (architecture === "bff") return await answerOf(await bffCall(`/bff/api/${path}`));
    const kept = architecture === "tmb" ? await mediatedToken(storage) : tokens(storage);
    if (!kept) return { status: null, body: null, error: "no token: log in first" };
    const DPoP = await dpop(storage);
    const url = new URL(`/api/${path}`, config.api);
    const response = await oauth.protectedResourceRequest(kept.access_token, "GET", url, new Headers(), null, { DPoP, ...insecure, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return answerOf(response);
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return { ...(await answerOf(error.response)), error: error.message };
    return { status: 0, body: null, error: error.message };
  }
}

// Trade the refresh token for a new pair (rotation): in this module, or in the worker for "worker".
export async function refresh({ architecture, storage }) {
  if (architecture !== "browser") return { status: null, error: "the refresh token is the BFF's: it refreshes by itself" };
  if (storage === "worker") {
    const answer = await ask({ op: "refresh" });
    if (answer.ok) keep("worker", asHeld(answer));
    return { status: answer.ok ? 200 : answer.status ?? 0, error: answer.error ?? null };
  }
  const kept = tokens(storage);
  if (!kept?.refresh_token) return { status: null, error: "no refresh token held" };
  try {
    const as = await authorizationServer();
    const DPoP = await dpop(storage);
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), kept.refresh_token, { DPoP, ...insecure });
    keep(storage, asHeld(await oauth.processRefreshTokenResponse(as, client, response)));
    return { status: 200, error: null };
  } catch (error) {
    return { status: error.status ?? 0, error: error.error ?? error.message };
  }
}

// Log out: the BFF revokes at the AS (RFC 7009) and expires its cookie; the browser client revokes its refresh
// token itself (the worker's, for "worker") and forgets what it held.
export async function logout({ architecture, storage }) {
  if (architecture !== "browser") {
    const answer = await answerOf(await bffCall("/bff/logout", { method: "POST" }));
    keep(storage === "cookie" ? "memory" : storage, null);
    return answer;
  }
  if (storage === "worker") {
    const answer = await ask({ op: "revoke" });
    keep("worker", null);
    return { status: answer.ok ? 200 : answer.status ?? 0, error: answer.error ?? null };
  }
  const kept = tokens(storage);
  keep(storage, null);
  if (!kept?.refresh_token) return { status: null, error: "nothing to revoke" };
  try {
    const as = await authorizationServer();
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), kept.refresh_token, insecure));
    return { status: 200, error: null };
  } catch (error) {
    return { status: error.status ?? 0, error: error.error ?? error.message };
  }
}

// Who the BFF says is logged in (never a token): {status, body: {user, expires_at}}.
export async function bffSession() {
  try {
    return await answerOf(await bffCall("/bff/session"));
  } catch (error) {
    return { status: 0, body: null, error: error.message };
  }
}

// What this module holds, as the page shows it: which tokens, never their values.
export function holding({ architecture, storage }) {
  if (architecture === "bff") return { access_token: false, refresh_token: false };
  const kept = tokens(storage);
  return { access_token: Boolean(kept?.access_token), refresh_token: Boolean(kept?.refresh_token), expires_at: kept?.expires_at ?? null };
}
