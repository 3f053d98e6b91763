// The six ways to log in, each with the same verbs: login, me, logout (plus a method's own extras).
// Every verb resolves to {status, ok, body, error}; a step that sends nothing has status null.
import { api, config, request } from "./client.js";
import { saved } from "./storage.js";

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

const basic = {
  label: "Basic",
  storages: ["header"],
  summary: "The page sends Authorization: Basic (the password, base64) on every request; the API checks it every time.",
  async login({ username, password }) {
    await api("/api/basic/me"); // the notes' first step: no credentials, so a 401 and the challenge
    const header = basicHeader(username, password);
    const result = await api("/api/basic/me", { headers: { Authorization: header } });
    memory.basic = result.ok ? header : null;
    return result;
  },
  me: () => api("/api/basic/me", transport("basic")),
  admin: () => api("/api/basic/admin", transport("basic")),
  async logout() {
    memory.basic = null;
    return nothingSent("Basic has no logout");
  },
  everywhere: () => logoutAll("basic", "header", memory.basic ? { Authorization: memory.basic } : null),
};

const session = {
  label: "Session",
  storages: ["cookie"],
  cookie: "session_id",
  summary: "The API keeps the session in Redis and gives the browser only its ID, in an HttpOnly cookie.",
  async login({ username, password, cookieOption, ttl }) {
    const body = { username, password, ...COOKIE_OPTIONS[cookieOption], ...lifetime(ttl) };
    const result = await api("/api/session/login", { method: "POST", credentials: "include", body });
    if (result.ok) memory.csrf.session = result.body.csrf_token;
    return result;
  },
  async me() {
    const result = await api("/api/session/me", transport("session", "cookie"));
    if (result.ok) memory.csrf.session = result.body.csrf_token; // recover it after a reload
    return result;
  },
  async logout() {
    if (!memory.csrf.session) await this.me();
    return api("/api/session/logout", { method: "POST", ...withCsrf("session", "cookie") });
  },
  async everywhere() {
    if (!memory.csrf.session) await this.me();
    return logoutAll("session", "cookie", null);
  },
};

// Opaque, signed and JWT tokens share one shape: a token in the login body (header) or an HttpOnly cookie.
function tokenMethod({ id, label, base, cookie, summary }) {
  return {
    label,
    storages: ["header", "cookie"],
    cookie,
    summary,
    async login({ username, password, storage, cookieOption, padding, ttl }) {
      const body = { username, password, transport: storage, ...lifetime(ttl) };
      if (padding) body.padding = padding; // JWT only: a claim of that many characters (a fat token)
      if (storage === "cookie") Object.assign(body, COOKIE_OPTIONS[cookieOption]);
      const result = await api(`${base}/login`, { method: "POST", credentials: storage === "cookie" ? "include" : "omit", body });
      if (result.ok && storage === "header") {
        saved.set(id, result.body.access_token);
        if (result.body.refresh_token) saved.set(`${id}.refresh`, result.body.refresh_token);
      }
      if (result.ok && result.body.csrf_token) memory.csrf[id] = result.body.csrf_token;
      return result;
    },
    async me({ storage }) {
      const result = await api(`${base}/me`, transport(id, storage));
      if (result.ok && result.body.csrf_token) memory.csrf[id] = result.body.csrf_token; // cookie transport
      return result;
    },
    async logout({ storage }) {
      if (storage === "cookie" && !memory.csrf[id]) await this.me({ storage }); // recover the CSRF token after a reload
      const result = await api(`${base}/logout`, { method: "POST", ...withCsrf(id, storage) });
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
}

const jwt = tokenMethod({
  id: "jwt",
  label: "JWT",
  base: "/api/jwt",
  cookie: "jwt_access", // and jwt_refresh, sent only to /api/jwt
  summary: "A signed (not encrypted) JSON Web Token the API verifies by signature; logout denies its jti until it expires.",
});

// A JWT rotates: the refresh token buys a new pair once, and then is spent. It travels in the body
// (header storage) or as the jwt_refresh cookie, which then needs the CSRF token like any cookie request.
jwt.refresh = async ({ storage }) => {
  if (storage === "cookie") {
    if (!memory.csrf.jwt) await jwt.me({ storage }); // recover the CSRF token after a reload, as sessions do
    return api("/api/jwt/refresh", { method: "POST", ...withCsrf("jwt", "cookie") });
  }
  if (!saved.get("jwt.refresh")) {
    return nothingSent("No refresh token on this page: a hand-off carries only the access token, so the refresh token stayed with the page that logged in. Log in here to get a pair of this page's own.");
  }
  const result = await api("/api/jwt/refresh", { method: "POST", body: { refresh_token: saved.get("jwt.refresh") } });
  if (result.ok) {
    saved.set("jwt", result.body.access_token);
    saved.set("jwt.refresh", result.body.refresh_token);
  }
  return result;
};

const issuer = {
  label: "Issuer JWT",
  storages: ["header"],
  summary: "A separate issuer (another site) signs the JWT; the API verifies it with the issuer's published keys (JWKS).",
  async login({ username, password }) {
    const result = await request(`${config.issuer}/token`, { method: "POST", body: { username, password } });
    if (result.ok) saved.set("issuer", result.body.access_token);
    return result;
  },
  me: () => api("/api/jwt/me", transport("issuer", "header")),
  async logout() {
    saved.remove("issuer");
    return nothingSent("the page forgot the issuer's token");
  },
};

// POST /api/logout-all with a method's credential (a copied header, or its cookie with the CSRF token); the page
// then forgets its own copy as a logout does.
export async function logoutAll(method, storage, copy) {
  const sent = copy ? { headers: copy } : withCsrf(method, storage);
  const result = await api("/api/logout-all", { method: "POST", ...sent });
  if (method === "basic") memory.basic = null;
  if (storage === "header") {
    saved.remove(method);
    saved.remove(`${method}.refresh`);
  }
  return result;
}

export const METHODS = {
  basic,
  session,
  token: tokenMethod({
    id: "token",
    label: "Opaque token",
    base: "/api/token",
    cookie: "opaque_token",
    summary: "A random token whose record (with an expiry) the API keeps in Redis; logout deletes it at once.",
  }),
  signed: tokenMethod({
    id: "signed",
    label: "Signed token",
    base: "/api/signed",
    cookie: "signed_token",
    summary: "A token the API signed (itsdangerous) and keeps no record of; it is valid until it expires, logout or not.",
  }),
  jwt,
  issuer,
};

// The API path a verb calls, for messages.
export function endpoint(method, verb) {
  return method === "issuer" && verb === "login" ? `${config.issuer}/token` : `/api/${method === "issuer" ? "jwt" : method}/${verb}`;
}
