// "Cookie vs localStorage, measured here": what this browser actually does, found by trying.
// Each measurement is {id, label, value, shown, meaning}: `value` for the tests, the rest for people.
import { api, echo, request, sameSiteAsApi } from "./client.js";
import { METHODS } from "./methods.js";
import { carried, secureCookieKeptOverHttp } from "./explain.js";
import { RUNNER_USER } from "./runner.js";
import { saved } from "./storage.js";
import { runInjected } from "./thief.js";

// The largest n for which fits(n) holds, given fits(lo) and not fits(hi).
async function largest(fits, lo, hi) {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const PROBE = "authlab_probe";

// Does this browser keep a cookie whose name + value is `bytes` long? (Set and read by this page.)
function keepsCookie(bytes) {
  const value = "x".repeat(bytes - PROBE.length);
  document.cookie = `${PROBE}=${value}; path=/; SameSite=Lax`;
  const kept = document.cookie.split("; ").includes(`${PROBE}=${value}`);
  document.cookie = `${PROBE}=; path=/; max-age=0`;
  return kept;
}

const PROBE_CEILING = 64 * 1024 - 1; // the largest size tried

async function cookieLimit() {
  const max = await largest(keepsCookie, PROBE.length + 1, PROBE_CEILING + 1);
  return {
    id: "cookie_max_bytes",
    label: "Largest cookie this browser keeps (name + value)",
    value: max,
    shown: max >= PROBE_CEILING ? `${max} bytes or more: no limit found below 64 KiB` : `${max} bytes; at ${max + 1} the cookie silently vanished (no error)`,
    meaning: max > 4096
      ? `This browser keeps cookies far past the 4,096 bytes Chromium and Firefox keep (RFC 6265 asks for at least 4,096): here a fat token fits in a cookie, in your visitors' browsers it may not.`
      : `A credential that grows past ${max} bytes (a fat JWT) cannot live in a cookie in this browser: it is dropped without an error.`,
  };
}

// Can localStorage take `chars` more UTF-16 code units under one new key?
function storageFits(chars) {
  try {
    localStorage.setItem(PROBE, "x".repeat(chars));
    return true;
  } catch {
    return false; // QuotaExceededError
  } finally {
    localStorage.removeItem(PROBE);
  }
}

async function localStorageQuota() {
  let used = PROBE.length;
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    used += key.length + localStorage.getItem(key).length;
  }
  let hi = 1 << 20;
  while (storageFits(hi) && hi < 1 << 28) hi *= 2;
  const quota = used + (await largest(storageFits, 0, hi));
  return {
    id: "local_storage_units",
    label: "localStorage quota for this origin",
    value: quota,
    shown: `${quota.toLocaleString("en")} UTF-16 code units (keys + values)`,
    meaning: "Roomy, never sent anywhere by itself: the page must put what it needs into a header.",
  };
}

// Log in a session with the cookie option that should work here, run `body`, always log out.
async function withSession(cookieOption, body) {
  const session = METHODS.session;
  const login = await session.login({ ...RUNNER_USER, cookieOption });
  try {
    return await body(login);
  } finally {
    if (login.ok) await session.logout();
  }
}

// Does the API's cookie with this option come back to this page? ("first-party" where the API is same-site.)
async function cookieComesBack(cookieOption) {
  return withSession(cookieOption, async () => carried("session", "cookie", await echo({ credentials: "include" })));
}

async function thirdPartyCookies() {
  const sent = await cookieComesBack("None");
  let shown = sent ? "let through: a SameSite=None cookie from the API came back (kept in the API's jar, or partitioned: the matrix's first-party check tells which)" : "blocked: a SameSite=None cookie from the API never came back";
  if (sameSiteAsApi()) shown = `not third-party here (the API is same-site): the SameSite=None cookie ${sent ? "came back" : "did not come back"}`;
  if (!sent && secureCookieKeptOverHttp() === false) shown += " (this browser refuses Secure cookies over plain http anyway)";
  return {
    id: "third_party_cookies",
    label: "Third-party cookies (the API's SameSite=None cookie on this page)",
    value: sameSiteAsApi() ? "first-party" : sent ? "allowed" : "blocked",
    shown,
    meaning: sameSiteAsApi()
      ? "Not a question on this page: its cookies from the API are first-party. From a page on another site it is a setting of the visitor's browser."
      : sent
        ? "This browser's setting lets them through. A visitor's may not: Chrome blocks them in Incognito, Debian's Chromium, Safari and WPE WebKit always; a login must not depend on it."
        : "This browser's setting blocks them (Chrome does so only in Incognito; Debian's Chromium, Safari and WPE WebKit always): a SameSite=None cookie cannot carry a login from this site.",
  };
}

async function partitionedCookies() {
  const sent = await cookieComesBack("None+Partitioned");
  return {
    id: "partitioned_cookies",
    label: "Partitioned (CHIPS) cookies (the API's SameSite=None; Partitioned cookie on this page)",
    value: sameSiteAsApi() ? "first-party" : sent ? "allowed" : "blocked",
    shown: sent ? "came back: kept for this site" : "never came back",
    meaning: sameSiteAsApi()
      ? "First-party here: Partitioned changes nothing on the API's own site."
      : sent
        ? "A Partitioned (CHIPS) cookie is kept for this site alone: it works here and on no other site."
        : `This browser refused even the Partitioned cookie${secureCookieKeptOverHttp() === false ? " (it refuses Secure cookies over plain http)" : ""}: WPE WebKit's default policy refuses every third-party cookie; Safari keeps Partitioned ones since 26.2.`,
  };
}

async function injectedScript() {
  document.cookie = "authlab_visible=any-script-can-read-me; path=/; SameSite=Lax";
  const token = await METHODS.token.login({ ...RUNNER_USER, storage: "header" });
  try {
    return await withSession(sameSiteAsApi() ? "Lax" : "None+Partitioned", async () => {
      const seen = await runInjected(METHODS.session.paths.me);
      return describeTheft(seen, token.ok ? saved.get("token") : null);
    });
  } finally {
    if (token.ok) await METHODS.token.logout({ storage: "header" });
    document.cookie = "authlab_visible=; path=/; max-age=0";
  }
}

function describeTheft(seen, token) {
  const value = {
    read_local_storage_token: token !== null && seen.storage[saved.key("token")] === token,
    read_non_httponly_cookie: seen.cookie.includes("authlab_visible="),
    read_httponly_cookie: seen.cookie.includes(`${METHODS.session.cookie}=`),
    used_httponly_cookie_status: seen.status,
  };
  const tokenLine = token === null ? "There was no header token to read (the opaque token login is not available)." : value.read_local_storage_token ? "It read the whole opaque token from localStorage." : "It could not read the token.";
  const me = METHODS.session.paths.me;
  const used = value.used_httponly_cookie_status === 200 ? `but it USED it: its own fetch to ${me} got 200` : `and could not use it either (${me}: ${value.used_httponly_cookie_status})`;
  return {
    id: "injected_script",
    label: "What a script injected into this page can do",
    value,
    shown: `${tokenLine} It read document.cookie "${seen.cookie}". It did not see the HttpOnly ${METHODS.session.cookie}, ${used}.`,
    meaning: "HttpOnly keeps a cookie from being stolen, not from being used; a token in localStorage can be stolen outright.",
  };
}

async function cookieBytes() {
  return withSession(sameSiteAsApi() ? "Lax" : "None+Partitioned", async () => {
    const atApi = await echo({ credentials: "include" });
    const atPage = await request(`${location.origin}/echo`, { credentials: "include" });
    const bytes = (cookies) => Object.entries(cookies || {}).reduce((sum, [name, length]) => sum + name.length + 1 + length, 0);
    const value = {
      api_cookie_bytes: bytes(atApi.cookies),
      api_request_header_bytes: atApi.request_header_bytes,
      page_server_cookies: atPage.body ? atPage.body.cookies : null,
      page_server_cookie_bytes: atPage.body ? bytes(atPage.body.cookies) : null,
    };
    const page = Object.keys(value.page_server_cookies || {}).join(", ") || "none";
    return {
      id: "cookie_bytes",
      label: "Cookie bytes riding along on every request (logged in with a session)",
      value,
      shown: `to the API: ${value.api_cookie_bytes} cookie bytes of ${value.api_request_header_bytes} header bytes; to this page's own server (${location.origin}/echo): cookies ${page}, ${value.page_server_cookie_bytes} bytes`,
      meaning: sameSiteAsApi()
        ? "Cookies ignore ports: the API's session cookie also rides to this static server, on every image and script."
        : "The API's cookie is on another site, so it does not ride to this page's server.",
    };
  });
}

// Does the API take an `Authorization: Bearer` header of `chars` characters? (gunicorn caps header lines.)
async function headerFits(chars) {
  const result = await api("/api/echo", { headers: { Authorization: `Bearer ${"x".repeat(chars)}` } });
  return result.status === 200 && result.body.authorization === "Bearer";
}

async function headerLimit(found) {
  const max = await largest(headerFits, 16, 256 * 1024);
  const cookieMax = found.cookie_max_bytes ? found.cookie_max_bytes.value : null;
  const past = cookieMax !== null && cookieMax < max;
  return {
    id: "authorization_max_chars",
    label: "Largest Authorization: Bearer value the API accepts",
    value: max,
    shown: `${max} characters${past ? ` (${max - cookieMax} characters past this browser's cookie limit of ${cookieMax} bytes, and it still arrives)` : cookieMax === null ? "" : ` (this browser keeps cookies of ${cookieMax} bytes or more)`}`,
    meaning: past
      ? `A fat token works in a header up to the server's limit on a request's headers; as a cookie it would vanish past ${cookieMax} bytes in this browser.`
      : "The server's limit on a request's headers caps a token here, in a header or a cookie: this browser's cookies hold as much.",
  };
}

function fatJwtMeaning(worked, chars, cookieMax) {
  if (worked) {
    return "This browser kept even the fat token's cookie (and me worked): it keeps large cookies. Chromium and Firefox drop a cookie past 4,096 bytes, so a token that grows is safe only in a header or a server-side record.";
  }
  if (cookieMax !== null && chars !== null && chars < cookieMax) {
    return `Its size was not the reason: this browser keeps cookies of ${cookieMax} bytes. The cookie did not come back for the reason the third-party rows above give.`;
  }
  return `Tokens that carry user data grow; past this browser's cookie limit${cookieMax === null ? "" : ` (${cookieMax} bytes)`} only a header (or a server-side record) can carry them.`;
}

// A JWT fattened past the cookie limit: in a header it still works; as a cookie the browser drops it.
async function fatJwt(found) {
  const { jwt } = METHODS;
  const padding = 5000;
  const inHeader = await jwt.login({ ...RUNNER_USER, storage: "header", padding });
  const chars = inHeader.ok ? saved.get("jwt").length : null;
  const headerMe = inHeader.ok ? await jwt.me({ storage: "header" }) : inHeader;
  if (inHeader.ok) await jwt.logout({ storage: "header" });
  const cookieOption = sameSiteAsApi() ? "Lax" : "None+Partitioned";
  const inCookie = await jwt.login({ ...RUNNER_USER, storage: "cookie", cookieOption, padding });
  const kept = carried("jwt", "cookie", await echo({ credentials: "include" }));
  const cookieMe = await jwt.me({ storage: "cookie" });
  if (cookieMe.ok) await jwt.logout({ storage: "cookie" });
  const value = { token_chars: chars, header_status: headerMe.status, cookie_login_status: inCookie.status, cookie_kept: kept, cookie_status: cookieMe.status };
  return {
    id: "fat_jwt",
    label: `A JWT fattened with a ${padding}-character claim`,
    value,
    shown: `${chars} characters. In the Authorization header: me → ${headerMe.status}. As a cookie (${cookieOption}): login ${inCookie.status}, the cookie was ${kept ? "kept" : "silently dropped"}, me → ${cookieMe.status}.`,
    meaning: fatJwtMeaning(kept && cookieMe.ok, chars, found.cookie_max_bytes ? found.cookie_max_bytes.value : null),
  };
}

export const MEASUREMENTS = [cookieLimit, localStorageQuota, thirdPartyCookies, partitionedCookies, injectedScript, cookieBytes, fatJwt, headerLimit];

// Run every measurement in turn; one that throws is reported, not fatal.
// Each measurement sees the ones before it by id (the words about a fat token follow this browser's cookie limit).
export async function measureAll(onResult = () => {}) {
  const results = [];
  for (const measure of MEASUREMENTS) {
    try {
      results.push(await measure(Object.fromEntries(results.map((r) => [r.id, r]))));
    } catch (error) {
      results.push({ id: measure.name, label: measure.name, value: null, shown: `failed: ${error.message}`, meaning: "" });
    }
    onResult(results, MEASUREMENTS.length);
  }
  return results;
}
