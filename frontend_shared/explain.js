// One sentence of why, for every step: built from what was observed (the status, and what reached
// /api/echo) plus what the page asked for (method, storage, cookie option) and where it runs.
import { config } from "./client.js";
import { endpoint, METHODS } from "./methods.js";

// Does this browser keep a Secure cookie set by this page over plain http? (null over https.) Chromium and
// Firefox treat localhost as secure and keep it; WebKit (WPE here, and Safari) refuses it, and every Secure
// cookie from the API too.
export function secureCookieKeptOverHttp() {
  if (location.protocol !== "http:") return null;
  document.cookie = "authlab_secure_probe=1; Secure; path=/; SameSite=Lax";
  const kept = document.cookie.split("; ").includes("authlab_secure_probe=1");
  document.cookie = "authlab_secure_probe=; Secure; path=/; max-age=0";
  return kept;
}

// Why a cookie the API set did not come back. secureOverHttp: did this browser keep a Secure cookie of this
// page's own over http (null over https)? A browser that refuses those refuses the API's SameSite=None ones too.
export function cookieBlocked(cookieOption, sameSite, secureOverHttp = null) {
  const secure = cookieOption !== "Lax"; // SameSite=None (and Partitioned) imply Secure
  if (secure && secureOverHttp === false) {
    return "this browser refuses every Secure cookie over plain http, even from localhost where the page counts as a secure context " +
      `(WebKit's rule, in WPE and in Safari: WebKit bug 281149; over HTTPS it keeps them)${sameSite ? "" : ", and the cookie is third-party here as well"}`;
  }
  if (sameSite) return "this browser did not keep it, although the API is same-site with this page";
  if (cookieOption === "Lax") return "SameSite=Lax cookies are not sent on cross-site requests";
  if (cookieOption === "None") {
    return "this browser blocks third-party cookies, and the API's cookie is third-party on this cross-site page " +
      "(a setting: Chrome blocks them only in Incognito; Debian's Chromium, Safari and cog's default policy always; " +
      "Firefox when set to block all cross-site cookies)";
  }
  return "this browser blocks third-party cookies, Partitioned (CHIPS) ones too: it kept none for this site " +
    "(a setting: Firefox's \"all cross-site cookies\" and cog's default policy do; Chrome, Incognito included, and " +
    "Safari since 26.2 keep a Partitioned cookie)";
}

// Why a cookie did come back. partitioned: where it was kept, as seen from the API's own site (null: not looked).
function cookieAllowed(cookieOption, sameSite, partitioned = null) {
  if (sameSite) return "this page is same-site with the API (ports do not count), so its cookies are first-party";
  const asked = cookieOption === "None+Partitioned";
  if (partitioned === true) {
    return asked
      ? `a Partitioned cookie is kept in a jar of this site's own, so it works here and nowhere else: partitioned (${config.name}'s own jar), ` +
        "as a look from the API's own site showed"
      : "this browser keeps third-party cookies in a jar of this site's own although the cookie did not ask for it " +
        `(Firefox's Total Cookie Protection), so it works here and the API's own site never sees it: partitioned (${config.name}'s own jar)`;
  }
  if (partitioned === false) {
    return "this browser allows third-party cookies: it is kept in the API's own jar (a look from the API's own site saw it) and goes to the API from every site " +
      "(the setting of Chrome's regular windows, and of cog's policy always)" + (asked ? "; Partitioned was ignored" : "");
  }
  return "this browser lets the API's cookie through on this cross-site page, either in a jar of this site's own (partitioned) " +
    "or in the API's own jar; only a look from the API's own site tells which";
}

// Did the credential travel? For cookies: did the method's cookie reach the API (named as the API's table names it:
// over HTTPS with its __Host- or __Secure- prefix); for headers: any Authorization.
export function carried(method, storage, sent) {
  if (storage === "cookie") return Object.hasOwn(sent.cookies || {}, METHODS[method].cookie);
  return Boolean(sent.authorization);
}

function failed(result) {
  const body = result.body || {};
  return body.message ? `${body.error || result.status}: ${body.message}` : `status ${result.status}`;
}

// loggedIn: false when this page has not logged in with the method (or has logged out) since it loaded.
// secureOverHttp and partitioned: the runner's evidence (see cookieBlocked and cookieAllowed); partitioned null: not looked.
export function why({ method, verb, storage, cookieOption, result, sent, sameSite, loggedIn = true, secureOverHttp = secureCookieKeptOverHttp(), partitioned = null }) {
  const cookie = METHODS[method].cookie;
  const travelled = carried(method, storage, sent);
  if (result.status === 0) return `No answer from ${endpoint(method, verb)}: ${result.error}.`;
  if (result.status === null) return localStep(method, result);
  if (result.status === 404) return `This server has no ${endpoint(method, verb)} (not built yet).`;

  if (verb === "login") {
    if (!result.ok) return `Login refused (${failed(result)}).`;
    if (method === "basic") return "Right password: the page keeps the header in memory and sends it again on every request, where the API checks it again.";
    if (storage === "header") return "The token came back in the body; the page put it in localStorage and sends it itself as Authorization: Bearer.";
    if (travelled) return `The API set an HttpOnly ${cookie} cookie and the browser sends it back: ${cookieAllowed(cookieOption, sameSite, partitioned)}.`;
    return `The API answered 200 with Set-Cookie, but no ${cookie} cookie comes back: ${cookieBlocked(cookieOption, sameSite, secureOverHttp)}.`;
  }

  if (result.ok) {
    if (verb === "logout") return loggedOut(method, result);
    if (verb === "refresh") return "The refresh token bought a new pair and is now spent; presenting it again revokes the whole family.";
    if (method === "basic") return "The page sent Authorization: Basic itself (credentials: \"omit\") and the API checked the password again.";
    if (storage === "header") return "The page sent Authorization: Bearer from localStorage itself; a header works the same from any site.";
    return `The browser sent the ${cookie} cookie (credentials: "include"): ${cookieAllowed(cookieOption, sameSite, partitioned)}.`;
  }

  if (result.status === 403) return `Authenticated but refused (${failed(result)}).`;
  if (storage === "cookie" && !travelled && !loggedIn) return `No ${cookie} cookie to send: not logged in on this page (or logged out).`;
  const refusedAsSecure = cookieOption !== "Lax" && secureOverHttp === false;
  if (storage === "cookie" && !travelled && sameSite && !refusedAsSecure) {
    return `No ${cookie} cookie was sent: this browser no longer has it (it expired, was logged out from elsewhere, or the cookies were cleared).`;
  }
  if (storage === "cookie" && !travelled) return `Cookie not sent: ${cookieBlocked(cookieOption, sameSite, secureOverHttp)}.`;
  if (!travelled) return method === "basic" ? "No credentials to send: log in first (Basic keeps no state on the server)." : "Nothing to send: no token in localStorage (log in first).";
  return `The credential arrived but the API rejected it (${failed(result)}).`;
}

function localStep(method, result) {
  if (method === "basic") {
    return "Basic has no logout: the page forgot the password. A browser that answered its own prompt keeps sending it until it is closed.";
  }
  if (method === "issuer") return "The page forgot the issuer's token; nothing was sent, and the token stays valid until it expires.";
  return result.body?.message || "Nothing was sent.";
}

function loggedOut(method, result) {
  if (method === "session") return "Logged out: the Redis record is deleted and the cookie expired; the old ID now gets 401.";
  if (method === "token") return "Logged out: the token's Redis record is deleted, so it is dead at once.";
  if (method === "jwt") return "Logged out: this token's jti is denied until it expires.";
  if (method === "signed") {
    const left = result.body && Number.isInteger(result.body.expires_in) ? ` (${result.body.expires_in} s more)` : "";
    return `Logged out here only: the page forgot the token, but the API keeps no record of it to delete, so a copy stays valid until it expires${left}.`;
  }
  return "Logged out.";
}
