// How each way to log in behaves on a page, keyed by method name: the same verbs for all (login, me, logout, plus a
// method's own extras). What each method is (label, summary, storages, paths, cookie names) is the API's method table
// (method_table.js): nothing of it is written here. Every verb resolves to {status, ok, body, error}; a step that
// sends nothing has status null.
import { api, config, request } from "./client.js";
import { methodTable } from "./method_table.js";
import { saved } from "./storage.js";

// Where "Log out everywhere" goes: one endpoint for every method (it takes any method's credential).
export const LOGOUT_ALL = "/api/logout-all";

// The cookie options a login may choose (docs/api.md) (SameSite=None and Partitioned imply Secure).
export const COOKIE_OPTIONS = {
  Lax: { samesite: "Lax", partitioned: false },
  None: { samesite: "None", partitioned: false },
  "None+Partitioned": { samesite: "None", partitioned: true },
};

// Held only in this module's memory: the Basic header and CSRF tokens (gone on reload, never in storage).
const memory = { basic: null, csrf: {} };

// Another API base is another cookie jar: what the page held in memory for the old one means nothing there.
export function forgetMemory() {
  memory.basic = null;
  memory.csrf = {};
}

const nothingSent = (why) => ({ status: null, ok: true, body: { message: why }, error: null });

// The demo's `ttl` from the "Expires in" field: sent as typed (a number, or the text itself, for the API to refuse);
// empty means the API's default.
function lifetime(ttl) {
  if (ttl === undefined || ttl === null || ttl === "") return {};
  return { ttl: Number.isFinite(Number(ttl)) ? Number(ttl) : ttl };
}

function basicHeader(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`); // RFC 7617: UTF-8
  return `Basic ${btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""))}`;
}

// How this method's requests travel from this page: credentials mode and headers.
export function transport(method, storage) {
  if (method === "basic") {
    return { credentials: "omit", headers: memory.basic ? { Authorization: memory.basic } : {} };
  }
  if (storage === "cookie") {
    return { credentials: "include", headers: {} };
  }
  const token = saved.get(method);
  return { credentials: "omit", headers: token ? { Authorization: `Bearer ${token}` } : {} };
}

// A state-changing request made with a cookie also carries the CSRF token the login returned.
function withCsrf(method, storage) {
  const sent = transport(method, storage);
  if (storage === "cookie" && memory.csrf[method]) {
    sent.headers["X-CSRF-Token"] = memory.csrf[method];
  }
  return sent;
}

// Basic: the page keeps the header in memory and sends it on every request; nothing to log out on the server.
function basic({ name, paths }) {
  return {
    async login({ username, password }) {
      await api(paths.me); // the notes' first step: no credentials, so a 401 and the challenge
      const header = basicHeader(username, password);
      const result = await api(paths.me, { headers: { Authorization: header } });
      memory.basic = result.ok ? header : null;
      return result;
    },
    me: () => api(paths.me, transport(name)),
    admin: () => api(paths.admin, transport(name)),
    async logout() {
      memory.basic = null;
      return nothingSent("Basic has no logout");
    },
    everywhere: () => logoutAll(name, "header", memory.basic ? { Authorization: memory.basic } : null),
  };
}

// A server-side session: its ID in an HttpOnly cookie, and the CSRF token its login and `me` return.
function session({ name, paths }) {
  return {
    async login({ username, password, cookieOption, ttl }) {
      const body = { username, password, ...COOKIE_OPTIONS[cookieOption], ...lifetime(ttl) };
      const result = await api(paths.login, { method: "POST", credentials: "include", body });
      if (result.ok) memory.csrf[name] = result.body.csrf_token;
      return result;
    },
    async me() {
      const result = await api(paths.me, transport(name, "cookie"));
      if (result.ok) memory.csrf[name] = result.body.csrf_token; // recover it after a reload
      return result;
    },
    async logout() {
      if (!memory.csrf[name]) await this.me();
      return api(paths.logout, { method: "POST", ...withCsrf(name, "cookie") });
    },
    async everywhere() {
      if (!memory.csrf[name]) await this.me();
      return logoutAll(name, "cookie", null);
    },
  };
}

// Opaque, signed and JWT tokens share one shape: a token in the login body (header) or an HttpOnly cookie.
// A method with a refresh path (JWT) rotates: the refresh token buys a new pair once, and then is spent.
function tokenMethod({ name: id, paths }) {
  const verbs = {
    async login({ username, password, storage, cookieOption, padding, ttl }) {
      const body = { username, password, transport: storage, ...lifetime(ttl) };
      if (padding) body.padding = padding; // JWT only: a claim of that many characters (a fat token)
      if (storage === "cookie") Object.assign(body, COOKIE_OPTIONS[cookieOption]);
      const result = await api(paths.login, { method: "POST", credentials: storage === "cookie" ? "include" : "omit", body });
      if (result.ok && storage === "header") {
        saved.set(id, result.body.access_token);
        if (result.body.refresh_token) saved.set(`${id}.refresh`, result.body.refresh_token);
      }
      if (result.ok && result.body.csrf_token) memory.csrf[id] = result.body.csrf_token;
      return result;
    },
    async me({ storage }) {
      const result = await api(paths.me, transport(id, storage));
      if (result.ok && result.body.csrf_token) memory.csrf[id] = result.body.csrf_token; // cookie transport
      return result;
    },
    async logout({ storage }) {
      if (storage === "cookie" && !memory.csrf[id]) await this.me({ storage }); // recover the CSRF token after a reload
      const result = await api(paths.logout, { method: "POST", ...withCsrf(id, storage) });
      if (storage === "header") {
        saved.remove(id); // the client destroys its copy whatever the server said
        saved.remove(`${id}.refresh`);
      }
      return result;
    },
    async everywhere({ storage }) {
      const header = transport(id, storage).headers;
      if (storage === "cookie" && !memory.csrf[id]) await this.me({ storage }); // recover the CSRF token after a reload
      return logoutAll(id, storage, header.Authorization ? header : null);
    },
  };
  if (paths.refresh) verbs.refresh = (choice) => refresh(id, paths.refresh, verbs, choice);
  return verbs;
}

// The refresh token travels in the body (header storage) or as its own cookie, which then needs the CSRF token like
// any cookie request.
async function refresh(id, path, verbs, { storage }) {
  if (storage === "cookie") {
    if (!memory.csrf[id]) await verbs.me({ storage }); // recover the CSRF token after a reload, as sessions do
    return api(path, { method: "POST", ...withCsrf(id, "cookie") });
  }
  if (!saved.get(`${id}.refresh`)) {
    return nothingSent("No refresh token on this page: a hand-off carries only the access token, so the refresh token stayed with the page that logged in. Log in here to get a pair of this page's own.");
  }
  const result = await api(path, { method: "POST", body: { refresh_token: saved.get(`${id}.refresh`) } });
  if (result.ok) {
    saved.set(id, result.body.access_token);
    saved.set(`${id}.refresh`, result.body.refresh_token);
  }
  return result;
}

// The issuer's JWT: the page gets it from the issuer (another site) and sends it to the method that accepts it.
function issuer({ name, paths }) {
  return {
    async login({ username, password }) {
      const result = await request(paths.login, { method: "POST", body: { username, password } });
      if (result.ok) saved.set(name, result.body.access_token);
      return result;
    },
    me: () => api(paths.me, transport(name, "header")),
    async logout() {
      saved.remove(name);
      return nothingSent("the page forgot the issuer's token");
    },
  };
}

// POST /api/logout-all with a method's credential (a copied header, or its cookie with the CSRF token); the page
// then forgets its own copy as a logout does.
export async function logoutAll(method, storage, copy) {
  const sent = copy ? { headers: copy } : withCsrf(method, storage);
  const result = await api(LOGOUT_ALL, { method: "POST", ...sent });
  if (method === "basic") memory.basic = null;
  if (storage === "header") {
    saved.remove(method);
    saved.remove(`${method}.refresh`);
  }
  return result;
}

// The behaviour of each method the table lists, by name (any other with a login is a token method), and of the
// credentials another party issues that a method accepts: the issuer's JWTs, from the issuer, sent to the JWT's `me`.
const BEHAVIOUR = { basic, session };
const ACCEPTED = { issuer: { verbs: issuer, paths: (by) => ({ login: `${config.issuer}/token`, me: by.paths.me }) } };

// What the pages show of a choice, as the table says it: the first cookie is the one that authenticates `me`.
function facts({ name, label, summary, storages, paths, cookies = [], kind = null }, acceptedBy = null) {
  return { name, label, summary, storages, paths, cookie: cookies[0]?.name ?? null, cookies, kind, acceptedBy };
}

function choices(entry) {
  const own = [entry.name, { ...facts(entry), ...(BEHAVIOUR[entry.name] || tokenMethod)(entry) }];
  const accepted = (entry.accepts || []).filter((other) => ACCEPTED[other.name]).map((other) => {
    const paths = ACCEPTED[other.name].paths(entry);
    return [other.name, { ...facts({ ...other, paths }, entry.name), ...ACCEPTED[other.name].verbs({ name: other.name, paths }) }];
  });
  return [own, ...accepted];
}

// Every choice the pages offer, in the table's order: each method, then what it accepts of another party's.
export const METHODS = Object.fromEntries(methodTable.methods.flatMap(choices));

// How many ways to log in the API has (the issuer's JWTs are the JWT method's, not one more).
export const METHOD_COUNT = methodTable.methods.length;

// The path a verb calls, for messages.
export function endpoint(method, verb) {
  return METHODS[method]?.paths[verb] ?? (verb === "everywhere" ? LOGOUT_ALL : verb);
}
