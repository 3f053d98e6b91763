// A script injected into this page (XSS), as an attack would run it: a classic inline script, not this app's code.
// Measure runs it to show what it can read and use; the replay panel runs it after a cookie logout, the nearest
// thing to replaying an HttpOnly cookie the page could never copy.
import { config } from "./client.js";

// The injected script's body: it reads localStorage and document.cookie, then calls `path` on the API with the
// browser's cookies (it cannot read an HttpOnly cookie, but the browser attaches one to its requests).
function injected(apiOrigin, path) {
  const storage = Object.fromEntries(Object.keys(localStorage).map((key) => [key, localStorage.getItem(key)]));
  const call = (url) => fetch(apiOrigin + url, { credentials: "include", signal: AbortSignal.timeout(5000) });
  return call(path)
    .then((response) => response.status, () => 0)
    .then((status) => call("/api/echo").then((r) => r.json(), () => ({ cookies: null })).then((echo) => ({ status, echo })))
    .then(({ status, echo }) => ({ storage, cookie: document.cookie, status, sent_cookies: echo.cookies }));
}

// Inject the script into this page, let it call `path`, and hand back what it saw:
// {storage, cookie (document.cookie), status (of its call to path), sent_cookies (names -> lengths that travelled)}.
export async function runInjected(path) {
  const script = document.createElement("script");
  // The page's policy (Content-Security-Policy) runs only inline scripts with this answer's nonce: a real injected
  // script would be refused. This stand-in borrows the nonce, as a script that got past the policy (a compromised
  // dependency of the page's own) would run.
  script.nonce = document.querySelector("script[nonce]")?.nonce ?? "";
  script.textContent = `window.authlabInjected = (${injected})(${JSON.stringify(config.api)}, ${JSON.stringify(path)});`;
  document.head.append(script);
  script.remove();
  try {
    return await window.authlabInjected;
  } finally {
    delete window.authlabInjected;
  }
}
