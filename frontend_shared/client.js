// The one client module both frontends load from /shared/client.js (a single file, no copies).
import config from "/config.js";

export { config };

export const TIMEOUT_MS = 5000;

// fetch the API with a timeout; returns {status, ok, body} and never hangs on a login prompt.
export async function api(path, { method = "GET", body, headers = {}, credentials = "include" } = {}) {
  const init = { method, credentials, headers: { ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(config.api + path, init);
  const text = await response.text();
  return { status: response.status, ok: response.ok, body: text ? JSON.parse(text) : null };
}
