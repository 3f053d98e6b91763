// "The server keeps": the records the API holds for a user (GET /api/inspect, demo only), TTLs counting down.
import { api } from "./client.js";
import { el, fill, table } from "./dom.js";

// The records for `user` now, as {ok, records, api, at}; at = when they were read (for the countdown).
export async function inspect(user) {
  const result = await api(`/api/inspect?user=${encodeURIComponent(user)}`);
  if (!result.ok) return { ok: false, status: result.status, records: [], api: null, at: Date.now() };
  return { ok: true, records: result.body.records, api: result.body.api, at: Date.now() };
}

// Records that appeared between two reads (by id), and what became of them in a later one.
export function appeared(before, after) {
  const seen = new Set(before.records.filter((r) => r.exists).map((r) => r.id));
  return after.records.filter((r) => r.exists && !seen.has(r.id) && r.kind !== "rate-limit counter");
}

export function find(read, id) {
  return read.records.find((r) => r.id === id) || null;
}

const DENIED = "JWT denylist entry"; // one row for all of them: a logged-out access token each
let shown = null; // the last read drawn in the panel, for the countdown

function ttlLeft(record, at) {
  if (!record.exists) return "gone (deleted)";
  if (record.ttl === null) return "no expiry";
  return `${Math.max(0, record.ttl - (Date.now() - at) / 1000).toFixed(0)} s`;
}

function draw() {
  const node = document.querySelector("#server-records");
  if (!node || !shown) return;
  if (!shown.read.ok) {
    fill(node, el("p", {}, `The inspector answered ${shown.read.status}: it is on only in demo mode.`));
    return;
  }
  const records = shown.read.records.filter((r) => r.kind !== "rate-limit counter" || r.exists);
  const own = records.filter((r) => r.kind !== DENIED);
  const rows = own.map((r) => [r.kind + (r.counts ? ` (${r.counts})` : ""), el("code", {}, r.id), ttlLeft(r, shown.read.at), r.bytes === null ? "-" : String(r.bytes)]);
  const denied = records.filter((r) => r.kind === DENIED);
  if (denied.length) {
    const left = denied.map((r) => Number(ttlLeft(r, shown.read.at).split(" ")[0]));
    const bytes = denied.reduce((sum, r) => sum + (r.bytes || 0), 0);
    rows.push([`${DENIED} × ${denied.length} (this user's logged-out access tokens)`, "-", `${Math.min(...left)}–${Math.max(...left)} s`, String(bytes)]);
  }
  fill(
    node,
    el("p", { class: "hint" }, `For ${shown.user}, in Redis, right now. Ids are keyed hashes: they follow a record but match no credential.`),
    rows.length ? table(["Kind", "Id", "Time left", "Bytes"], rows) : el("p", {}, "Nothing: the server keeps no record of this user."),
  );
}

// Read and draw the panel for `user`; the TTLs count down between reads.
export async function showServerRecords(user) {
  shown = { user, read: await inspect(user) };
  draw();
  return shown.read;
}

setInterval(draw, 1000);
