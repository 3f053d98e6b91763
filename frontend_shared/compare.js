// "Compare the methods": for every method, log in, call me, read the server's records and Server-Timing, log out,
// replay the old credential; then again with logout-all. One row per method, every cell from what was observed.
import { api, echo } from "./client.js";
import { carried } from "./explain.js";
import { endpoint, METHODS, transport } from "./methods.js";
import { RUNNER_USER } from "./runner.js";
import { appeared, find, inspect, keepViewer } from "./server.js";

// Each method of the API's table as the comparison runs it: in a header where it can be (the page then holds a copy
// to replay), else where it lives; credentials another party issues are not one more method.
export const COMPARED = Object.values(METHODS)
  .filter(({ acceptedBy }) => !acceptedBy)
  .map(({ name, storages }) => ({ method: name, storage: storages.includes("header") ? "header" : storages[0] }));

// Log in as alice and call me; what a thief who copied the credential then holds (null for an HttpOnly cookie).
async function logIn(method, storage) {
  const choice = { ...RUNNER_USER, storage, cookieOption: "Lax" };
  const login = await METHODS[method].login(choice);
  if (login.ok) await keepViewer(RUNNER_USER.username, login.body); // the inspector's key for this login
  const sent = await echo(transport(method, storage));
  const me = login.ok ? await METHODS[method].me(choice) : null;
  const headers = transport(method, storage).headers;
  const copy = headers.Authorization ? { ...headers } : null; // a cookie's value is HttpOnly: no copy
  return { choice, login, sent, me, copy };
}

// Replay a copied credential: what the thief gets (null when the page could hold no copy).
async function replay(method, copy) {
  if (!copy) return null;
  return (await api(endpoint(method, "me"), { headers: copy })).status;
}

function credentialBytes(method, storage, sent) {
  if (storage === "header") return (transport(method, storage).headers.Authorization || "").length;
  const [name, length] = Object.entries(sent.cookies || {}).find(([n]) => n.endsWith(METHODS[method].cookie)) || [null, 0];
  return name ? name.length + 1 + length : 0;
}

function expiry(method, login, record) {
  if (method === "basic") return "never: the password itself is the credential";
  const seconds = login.body?.expires_in;
  if (method === "session") return record ? `after ${Math.round(record.ttl)} s idle (the record's TTL, pushed back by each request)` : "-";
  if (method === "signed") return `in ${seconds} s, whatever happens (nothing on the server can end it sooner)`;
  if (method === "jwt") return `access token in ${seconds} s; its refresh family in ${record ? Math.round(record.ttl) : "?"} s`;
  return record ? `in ${Math.round(record.ttl)} s (the record's TTL)` : "-";
}

// One method's row: every field is something this page saw happen.
export async function compareMethod({ method, storage }) {
  const empty = await inspect(RUNNER_USER.username);
  const first = await logIn(method, storage);
  const kept = await inspect(RUNNER_USER.username);
  const records = appeared(empty, kept);
  const [record] = records;
  const bytes = credentialBytes(method, storage, first.sent);
  const logout = await METHODS[method].logout(first.choice);
  const afterLogout = await inspect(RUNNER_USER.username);
  const replayLogout = await replay(method, first.copy);
  const second = await logIn(method, storage);
  const ended = await METHODS[method].everywhere(second.choice);
  const afterAll = await inspect(RUNNER_USER.username);
  const replayAll = await replay(method, second.copy);
  const recordGone = (read) => (record ? !find(read, record.id)?.exists : null);
  const stillCarried = carried(method, storage, await echo(transport(method, storage)));
  const me = first.me || first.login;
  const works = Boolean(first.me?.ok);
  return {
    method,
    label: METHODS[method].label,
    storage,
    works,
    me_status: me.status,
    record: record ? { kind: record.kind, ttl: record.ttl, bytes: record.bytes } : null,
    records_at_login: records.map((r) => r.kind),
    record_gone_after_logout: recordGone(afterLogout),
    record_gone_after_logout_all: recordGone(afterAll),
    trips: me.timing ? me.timing.trips : null,
    auth_ms: me.timing ? me.timing.ms : null,
    server_timing: me.timing ? me.timing.text : null,
    credential_bytes: bytes,
    logout_status: logout.status,
    logout_all_status: ended.status,
    copy_held: Boolean(first.copy),
    replay_after_logout: replayLogout,
    replay_after_logout_all: replayAll,
    // Survives: the thief's copy still works, or (for an HttpOnly cookie that worked here) its record is still there.
    survives_logout: first.copy ? replayLogout === 200 : record && works ? !recordGone(afterLogout) : null,
    survives_logout_all: second.copy ? replayAll === 200 : record && works ? !recordGone(afterAll) : null,
    cookie_left_after: stillCarried,
    expires: expiry(method, first.login, record),
    jwt_revocation_check: kept.api ? kept.api.jwt_revocation_check : null,
  };
}

export async function runCompare(onRow = () => {}) {
  const rows = [];
  for (const entry of COMPARED) {
    rows.push(await compareMethod(entry));
    onRow(rows, COMPARED.length);
  }
  return rows;
}
