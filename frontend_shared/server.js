// "The server keeps": the records the API holds for this browser's logins (GET /api/inspect, demo only), TTLs
// counting down. The inspector answers only to the viewer keys this browser's logins got (they survive logout, so
// a record is seen to go); this browser's live records come first, the rest (gone, other tabs and browsers) folded.
import { api } from "./client.js";
import { el, fill, table } from "./dom.js";

const STORE = "authlab.viewers"; // sessionStorage: {user: [viewer keys, newest last]}
const MAX_KEYS = 8;
const DENIED = "JWT denylist entry"; // one row for all of them: a logged-out access token each
const refused = new Set(); // ids of live records whose login's cookie this browser did not keep or will not send
const ENDABLE = ["session", "opaque token"]; // what POST /api/inspect/end may delete
let shown = null; // the last read drawn in the panel

function viewers() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE)) || {};
  } catch {
    return {};
  }
}

function keysOf(user) {
  return viewers()[user] || [];
}

// The records for `user` that these viewer keys (or a Bearer credential the page holds: the issuer's token gets
// no viewer key) may see, as {ok, records, api, at}; at = when read (countdown).
export async function inspect(user, keys = keysOf(user), authorization = null) {
  const at = Date.now();
  const bearer = authorization?.startsWith("Bearer ") ? { Authorization: authorization } : {};
  if (!keys.length && !bearer.Authorization) return { ok: false, status: 401, none: true, records: [], api: null, at };
  const headers = { ...bearer, ...(keys.length ? { "X-Viewer-Key": keys.join(", ") } : {}) };
  const result = await api(`/api/inspect?user=${encodeURIComponent(user)}`, { headers });
  if (!result.ok) return { ok: false, status: result.status, records: [], api: null, at };
  return { ok: true, records: result.body.records, unlisted: result.body.unlisted, api: result.body.api, at };
}

// Keep the viewer key a login (or Basic's me, or a refresh) answered with. `cookieRefused`: the login set a cookie
// this browser did not keep or will not send, so its session lives on the server with nobody able to use it.
export async function keepViewer(user, body, { cookieRefused = false } = {}) {
  if (!body?.viewer) return;
  const all = viewers();
  all[user] = [...(all[user] || []).filter((key) => key !== body.viewer), body.viewer].slice(-MAX_KEYS);
  sessionStorage.setItem(STORE, JSON.stringify(all));
  if (!cookieRefused) return;
  const own = await inspect(user, [body.viewer]); // this login's records alone
  for (const record of own.records) if (record.mine && record.exists && ENDABLE.includes(record.kind)) refused.add(record.id);
}

// This browser's records that appeared between two reads (by id), and what became of them in a later one.
export function appeared(before, after) {
  const seen = new Set(before.records.filter((r) => r.exists).map((r) => r.id));
  return after.records.filter((r) => r.mine && r.exists && !seen.has(r.id) && r.kind !== "rate-limit counter");
}

export function find(read, id) {
  return read.records.find((r) => r.id === id) || null;
}

function ttlLeft(record, at) {
  if (!record.exists) return "gone (deleted)";
  if (record.ttl === null) return "no expiry";
  return `${Math.max(0, record.ttl - (Date.now() - at) / 1000).toFixed(0)} s`;
}

// The time-left cell of one or more records (a range for several), counting down from `at` on every tick.
function timeLeft(records, at) {
  const cell = el("span", { class: "time-left", dataset: { records: JSON.stringify(records.map(({ exists, ttl }) => ({ exists, ttl }))), at: String(at) } });
  tick(cell);
  return cell;
}

function tick(cell) {
  const records = JSON.parse(cell.dataset.records);
  const texts = records.map((r) => ttlLeft(r, Number(cell.dataset.at)));
  if (texts.length === 1) cell.textContent = texts[0];
  else {
    const left = texts.map((t) => Number(t.split(" ")[0]));
    cell.textContent = `${Math.min(...left)}–${Math.max(...left)} s`;
  }
}

async function endRecord(id) {
  const { user } = shown;
  const result = await api("/api/inspect/end", { method: "POST", body: { id }, headers: { "X-Viewer-Key": keysOf(user).join(", ") } });
  if (result.ok) refused.delete(id);
  await showServerRecords(user);
}

function rowsOf(records, at) {
  const rows = records.filter((r) => r.kind !== DENIED).map((r) => [
    r.kind + (r.counts ? ` (${r.counts})` : "") + (r.mine ? "" : r.kind === "rate-limit counter" || r.kind === "logout-all marker" ? "" : " (another tab or browser)"),
    el("code", {}, r.id),
    timeLeft([r], at),
    r.bytes === null ? "-" : String(r.bytes),
  ]);
  const denied = records.filter((r) => r.kind === DENIED);
  if (denied.length) {
    const bytes = denied.reduce((sum, r) => sum + (r.bytes || 0), 0);
    rows.push([`${DENIED} × ${denied.length} (logged-out access tokens of your logins)`, "-", timeLeft(denied, at), String(bytes)]);
  }
  return rows;
}

// The lesson of a refused cookie: the login worked on the server, the browser kept nothing, the session lives on.
function refusedNote(live) {
  const stranded = live.filter((r) => refused.has(r.id));
  if (!stranded.length) return null;
  return el(
    "div",
    { id: "stranded-session", class: "hint" },
    el("p", {}, "This browser did not keep (or will not send) the cookie of that login, yet the login worked: its record lives in Redis until it expires, " +
      "and nobody can use it, not even you. A cookie the browser refuses still costs the server a record, so end it here."),
    stranded.map((r) => el("button", { type: "button", class: "end-session", "data-id": r.id }, `End the ${r.kind} ${r.id}`)),
  );
}

function draw() {
  const node = document.querySelector("#server-records");
  if (!node || !shown) return;
  const { read } = shown;
  if (!read.ok) {
    const why = read.none ? "Log in to see what the API keeps for you: the inspector shows only your own logins' records (by the viewer key each login gave this page)."
      : `The inspector answered ${read.status}: it is on only in demo mode, and only for your own logins.`;
    fill(node, el("p", { class: "hint" }, why));
    return;
  }
  const records = read.records.filter((r) => r.kind !== "rate-limit counter" || r.exists);
  const live = records.filter((r) => r.mine && r.exists);
  const rest = records.filter((r) => !(r.mine && r.exists));
  const more = rest.length + (read.unlisted || 0);
  fill(
    node,
    el("p", { class: "hint" }, `For ${shown.user}, in Redis, right now: this browser's live records first. Ids are keyed hashes: they follow a record but match no credential.`),
    live.length ? table(["Kind", "Id", "Time left", "Bytes"], rowsOf(live, read.at), { id: "server-live" }) : el("p", {}, "No live record of this browser's logins: the server keeps nothing of them now."),
    refusedNote(live),
    rest.length ? el(
      "details",
      { id: "server-rest" },
      el("summary", {}, `${more} more: gone records, counters, other tabs and browsers${read.unlisted ? ` (${read.unlisted} older not listed)` : ""}`),
      table(["Kind", "Id", "Time left", "Bytes"], rowsOf(rest, read.at)),
    ) : null,
  );
  for (const button of node.querySelectorAll("button.end-session")) button.addEventListener("click", () => endRecord(button.dataset.id));
}

// Read and draw the panel for `user` (a folded list opened stays open); the TTLs count down between reads.
// `authorization`: the header credential the page holds now, if any (only a Bearer one is sent).
export async function showServerRecords(user, authorization = null) {
  const wasOpen = Boolean(document.querySelector("#server-rest")?.open);
  shown = { user, read: await inspect(user, keysOf(user), authorization) };
  draw();
  if (wasOpen && document.querySelector("#server-rest")) document.querySelector("#server-rest").open = true;
  return shown.read;
}

setInterval(() => document.querySelectorAll("#server-records .time-left").forEach(tick), 1000);
