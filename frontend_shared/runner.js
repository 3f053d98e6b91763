// "Run the matrix here": every method x storage x cookie option, run from this page in this browser.
// The result is a plain JSON array of cells; the page renders it and the automated tests read it.
import { config, echo, sameSiteAsApi } from "./client.js";
import { carried, secureCookieKeptOverHttp, why } from "./explain.js";
import { COOKIE_OPTIONS, METHODS, transport } from "./methods.js";

export const RUNNER_USER = { username: "alice", password: "wonderland" };

// Every scenario this page can run: header storages once, cookie storages once per cookie option.
export function scenarios() {
  return Object.entries(METHODS).flatMap(([method, { storages }]) =>
    storages.flatMap((storage) =>
      (storage === "cookie" ? Object.keys(COOKIE_OPTIONS) : [null]).map((cookie_option) => ({ method, storage, cookie_option })),
    ),
  );
}

// A credential cookie left by an earlier login on this page would ride along and blur the cell:
// log it out first (twice at most). Returns what still travels.
async function clearLeftovers(method, storage) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const seen = await echo(transport(method, storage));
    if (storage !== "cookie" || !carried(method, storage, seen)) return seen;
    await METHODS[method].me({ storage }); // recovers the CSRF token where the API hands one out
    await METHODS[method].logout({ storage });
  }
  return echo(transport(method, storage));
}

// Where B's cookie was kept, asked by the page itself: a window of its own on the API's site (A), which fetches
// /api/echo first-party and posts back the cookie names that arrived. Opened once per matrix run, from the click
// (a window opened later, without the person's click, is a pop-up the browser may block); null on a page that is
// same-site with the API, or where the browser gave no window.
export const LOOK_TIMEOUT_MS = 5000;

// `?first-party-look=off` skips it: for a browser with a single view (cog), where window.open replaces this page.
export function openFirstPartyLook() {
  if (sameSiteAsApi() || !config.otherFrontend) return null;
  if (new URLSearchParams(location.search).get("first-party-look") === "off") return null;
  const origin = new URL(config.otherFrontend).origin;
  const popup = window.open(`${origin}/first-party-look`, "authlab-first-party-look", "popup,width=480,height=320");
  if (!popup) return null;
  const waiting = new Map(); // look number -> resolve
  let count = 0;
  let whenReady;
  const ready = new Promise((resolve) => { whenReady = resolve; });
  const onMessage = (event) => {
    if (event.origin !== origin || event.source !== popup || !event.data) return;
    if (event.data.ready) whenReady(true);
    if (waiting.has(event.data.look)) waiting.get(event.data.look)(event.data);
  };
  window.addEventListener("message", onMessage);
  const within = (promise, fallback) => Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), LOOK_TIMEOUT_MS))]);
  let usable = null; // unknown until the window first says it is ready
  return {
    origin,
    // {cookies} as the API's own site sees them, or null when the window does not answer.
    async look() {
      if (usable === null) usable = await within(ready, false);
      if (!usable || popup.closed) return null;
      count += 1;
      const number = count;
      const answered = new Promise((resolve) => waiting.set(number, resolve));
      popup.postMessage({ look: number }, origin);
      const answer = await within(answered, null);
      waiting.delete(number);
      return answer && !answer.error ? answer : null;
    },
    close() {
      window.removeEventListener("message", onMessage);
      if (!popup.closed) popup.close();
    },
  };
}

// Log in, look at what travels, call `me` (and, with a looker, where a cookie that worked was kept), log out:
// the cell says whether `me` worked and why.
export async function runCell({ method, storage, cookie_option }, looker = null) {
  const verbs = METHODS[method];
  const choice = { ...RUNNER_USER, storage, cookieOption: cookie_option };
  const secureOverHttp = secureCookieKeptOverHttp();
  const before = await clearLeftovers(method, storage);
  // Only a cookie can be a leftover that rides along: a header is what this page sends itself (a token kept in
  // localStorage from an earlier login is replaced by this login's).
  const leftover = storage === "cookie" && carried(method, storage, before);
  const login = await verbs.login(choice);
  const sent = await echo(transport(method, storage)); // exactly what the `me` request below carries
  const me = login.ok ? await verbs.me(choice) : null;
  const firstParty = looker && storage === "cookie" && me?.ok ? await looker.look() : null;
  const partitioned = firstParty ? !carried(method, storage, firstParty) : null;
  const logout = login.ok ? await verbs.logout(choice) : null;
  const after = await echo(transport(method, storage));
  const [verb, result] = me ? ["me", me] : ["login", login];
  return {
    method,
    storage,
    cookie_option,
    frontend: config.name,
    status: result.status,
    works: Boolean(me?.ok),
    reason: (leftover ? `(A ${METHODS[method].cookie} cookie from an earlier login could not be logged out and rode along.) ` : "") +
      why({ method, verb, storage, cookieOption: cookie_option, result, sent, sameSite: sameSiteAsApi(), secureOverHttp, partitioned }),
    evidence: {
      origin: location.origin,
      login_status: login.status,
      me_status: me ? me.status : null,
      logout_status: logout ? logout.status : null,
      user: me?.ok ? me.body.user : null,
      cookie: METHODS[method].cookie, // the method's cookie as the API's table names it (null: it has none)
      credential_sent: carried(method, storage, sent),
      sent_cookies: sent.cookies,
      authorization: sent.authorization,
      request_header_bytes: sent.request_header_bytes,
      cookies_before: before.cookies,
      cookies_after_logout: after.cookies,
      secure_cookie_kept_over_http: secureOverHttp,
      partitioned, // where the cookie was kept, seen from the API's own site (null: not looked, or no window)
      first_party_cookies: firstParty ? firstParty.cookies : null,
      partitioned_seen_by: firstParty ? "page" : null, // "page": this page's own look; "harness": make matrix's
    },
  };
}

// Where the page's own look got no answer (a browser that opens no second window, as cog): a harness logs in
// again with loginAgain, looks from the API's own site (a page on it fetching /api/echo), comes back and hands
// what it saw to withFirstPartyView, which logs out and says "partitioned" or "in the API's own jar".
export async function loginAgain({ method, storage, cookie_option }) {
  await clearLeftovers(method, storage);
  const login = await METHODS[method].login({ ...RUNNER_USER, storage, cookieOption: cookie_option });
  return login.status;
}

export async function withFirstPartyView(cell, firstParty) {
  const { method, storage, cookie_option } = cell;
  await clearLeftovers(method, storage);
  const partitioned = !carried(method, storage, firstParty);
  const sent = { cookies: cell.evidence.sent_cookies };
  const reason = why({ method, verb: "me", storage, cookieOption: cookie_option, result: { status: cell.status, ok: cell.works }, sent, sameSite: sameSiteAsApi(), partitioned });
  return { ...cell, reason, evidence: { ...cell.evidence, partitioned, first_party_cookies: firstParty.cookies, partitioned_seen_by: "harness" } };
}

// Run every scenario in turn (they share this page's cookie jar, so never at once); `only` picks some.
// From a cross-site page, the API's own site is asked where each cookie that worked was kept (openFirstPartyLook):
// call this from the click itself.
export async function runMatrix(onCell = () => {}, only = () => true) {
  const looker = openFirstPartyLook();
  const cells = [];
  const all = scenarios().filter(only);
  try {
    for (const scenario of all) {
      cells.push(await runCell(scenario, looker));
      onCell(cells, all.length);
    }
  } finally {
    if (looker) looker.close();
  }
  return cells;
}
