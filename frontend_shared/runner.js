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

// Log in, look at what travels, call `me`, log out: the cell says whether `me` worked and why.
export async function runCell({ method, storage, cookie_option }) {
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
  const logout = login.ok ? await verbs.logout(choice) : null;
  const after = await echo(transport(method, storage));
  const [verb, result] = me ? ["me", me] : ["login", login];
  return {
    method,
    storage,
    cookie_option,
    frontend: config.name,
    status: result.status,
    works: Boolean(me && me.ok),
    reason: (leftover ? `(A ${METHODS[method].cookie} cookie from an earlier login could not be logged out and rode along.) ` : "") +
      why({ method, verb, storage, cookieOption: cookie_option, result, sent, sameSite: sameSiteAsApi(), secureOverHttp }),
    evidence: {
      origin: location.origin,
      login_status: login.status,
      me_status: me ? me.status : null,
      logout_status: logout ? logout.status : null,
      user: me && me.ok ? me.body.user : null,
      credential_sent: carried(method, storage, sent),
      sent_cookies: sent.cookies,
      authorization: sent.authorization,
      request_header_bytes: sent.request_header_bytes,
      cookies_before: before.cookies,
      cookies_after_logout: after.cookies,
      secure_cookie_kept_over_http: secureOverHttp,
      partitioned: null, // where the cookie was kept: only a look from the API's own site tells (withFirstPartyView)
    },
  };
}

// Where a cookie that worked on this cross-site page was kept cannot be seen from here. A harness (or a person)
// logs in again with loginAgain, looks from the API's own site (a page on it fetching /api/echo), comes back and
// hands what it saw to withFirstPartyView, which logs out and says "partitioned" or "in the API's own jar".
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
  return { ...cell, reason, evidence: { ...cell.evidence, partitioned, first_party_cookies: firstParty.cookies } };
}

// Run every scenario in turn (they share this page's cookie jar, so never at once); `only` picks some.
export async function runMatrix(onCell = () => {}, only = () => true) {
  const cells = [];
  const all = scenarios().filter(only);
  for (const scenario of all) {
    cells.push(await runCell(scenario));
    onCell(cells, all.length);
  }
  return cells;
}
