// The API's own site, asked from a window of its own: page B opens this page (served by A's static server, same
// site as the API) as a new top-level window and asks, by postMessage, which of the API's cookies arrive here.
// A top-level window is first-party; an iframe inside B would be partitioned under B in Firefox, and tell nothing.
// It answers only the page it expects (config.otherFrontend, exact origin), and only with names and sizes.
import { echo } from "./client.js";
import config from "/config.js";

const asker = new URL(config.otherFrontend).origin;
const status = document.querySelector("#look-status");

window.addEventListener("message", async (event) => {
  if (event.origin !== asker || event.source !== window.opener || !event.data || !Number.isInteger(event.data.look)) return;
  const seen = await echo({ credentials: "include" });
  event.source.postMessage({ look: event.data.look, cookies: seen.cookies || {}, error: seen.error || null }, asker);
  status.textContent = `answered look ${event.data.look}: ${Object.keys(seen.cookies || {}).length} cookie(s) of the API arrived here`;
});

if (window.opener) {
  window.opener.postMessage({ ready: true }, asker);
  status.textContent = `ready: ${location.origin} answers ${asker}`;
} else {
  status.textContent = "Opened without a page to answer: open it from page B's matrix.";
}
