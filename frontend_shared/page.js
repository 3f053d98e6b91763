// Wiring shared by both frontends: small named handlers on the panels view.js builds.
import { advise, renderAdvice } from "./advice.js";
import { api, config, echo, limited, sameSiteAsApi, wire } from "./client.js";
import { runCompare } from "./compare.js";
import { carried, why } from "./explain.js";
import { NO_EXPIRY, noCountdown, resumeCountdown, startCountdown, stopCountdown } from "./expiry.js";
import { measureAll } from "./measure.js";
import { methodTable } from "./method_table.js";
import { endpoint, forgetMemory, METHODS, transport } from "./methods.js";
import { runMatrix } from "./runner.js";
import { keepViewer, showServerRecords } from "./server.js";
import { keptBody, saved, tab } from "./storage.js";
import { runInjected } from "./thief.js";
import { announce, build, buildTableFailure, renderCompare, renderMatrix, renderMeasurements, renderState, renderStep, renderWire, resetStep, showError, USERS } from "./view.js";

// What the page has observed, for people (rendered) and for the automated tests (read as JSON). Merged into what is
// there: the browser-apps section (its own module, which waits for no method table) may have run first.
window.authlab = Object.assign(window.authlab ?? {}, { steps: [], matrix: null, measurements: null, compare: null, wire: [], expiry: null, limited: null });
// Methods this tab has logged in with (and not out of), for the "why" of a 401 (kept across a reload).
const loggedIn = tab.get("loggedIn") || {};
const keepLoggedIn = () => tab.set("loggedIn", loggedIn);

// Every method comes from the API's table: without it the page says why, and shows nothing it cannot back.
window.authlab.table_failure = methodTable.failure;
if (methodTable.failure) buildTableFailure(document.querySelector("#app"), methodTable.failure);
else build(document.querySelector("#app"));
const form = document.querySelector("#try");
const handoff = document.querySelector("#handoff");
const handoffNote = document.querySelector("#handoff-note");
// The credential the page just logged out, kept in memory only, to replay as a thief who had copied it would.
let loggedOut = null;

// The form's one source of truth. Every control is rendered from it, and only a person's change writes it, so
// what the browser restores into a form (Back, bfcache, reload) can never disagree with what the page does.
// `via`: "api" calls the API at its own origin; "own" at this page's own origin's /api/ (B's reverse proxy).
const state = { via: "api", method: "basic", storage: "header", cookieOption: "Lax", username: "alice", ttl: "" };
window.authlab.choice = state;
const FIELDS = { via: "via", method: "method", storage: "storage", cookie: "cookieOption", username: "username", ttl: "ttl" }; // input name -> key
const API_ORIGIN = config.api; // the API's own origin; config.api is where this page calls it now (applyVia)
// Logins that take the demo's `ttl` (Basic has no expiry; the issuer sets its tokens' lifetime itself).
const TAKES_TTL = ["session", "token", "signed", "jwt"];
let busy = false;

function choice() {
  return { ...state, password: form.elements.password.value };
}

const radio = (name, value) => form.querySelector(`input[name="${name}"][value="${value}"]`);

// Buttons say they are unavailable while something runs (steps, the matrix and measurements share one cookie jar),
// with aria-disabled rather than disabled: a disabled button drops the keyboard's focus to <body>.
function setBusy(now) {
  busy = now;
  for (const button of document.querySelectorAll("button")) button.setAttribute("aria-disabled", String(now));
}

async function refreshState() {
  const { method, storage } = choice();
  renderState(await echo(transport(method, storage)), storage === "header" ? saved.get(method) : null);
  updateHandoff();
}

function updateHandoff() {
  const { method, storage } = choice();
  const token = storage === "header" ? saved.get(method) : null;
  let note = "";
  if (method === "session") note = "A session cannot be handed over: its ID is in an HttpOnly cookie this page cannot read, and the other site's requests follow their own cookie rules.";
  else if (method === "basic") note = "Basic has nothing to hand over but the password itself.";
  else if (storage === "cookie") note = "A token in an HttpOnly cookie cannot be handed over: this page cannot read it.";
  else if (!token) note = "Log in with localStorage + header first.";
  else note = "The token travels in the URL fragment, which is never sent to a server.";
  handoffNote.textContent = note;
  if (token && method !== "session") handoff.href = `${config.otherFrontend}/#${new URLSearchParams({ handoff: method, token })}`;
  else handoff.removeAttribute("href");
}

// Draw every control from `state`, then what the page sees with that choice.
// Point every module at the API base `state.via` names (they all read config.api when they call), and say where.
function applyVia() {
  if (!config.apiProxy) state.via = "api";
  config.api = state.via === "own" ? config.apiProxy : API_ORIGIN;
  document.querySelector("#api").textContent = state.via === "own" ? `${config.api}/api/ (this page's own origin, passed on to ${API_ORIGIN})` : config.api;
  document.querySelector("#relation").textContent = sameSiteAsApi()
    ? "same-site with the API it calls (ports do not count), so the API's cookies are first-party here"
    : "cross-site with the API, so the API's cookies are third-party here";
  if (METHODS.basic) document.querySelector("#basic-direct a").href = config.api + METHODS.basic.paths.me;
}

function render() {
  tab.set("choice", state);
  applyVia();
  const { storages, summary } = METHODS[state.method];
  if (!storages.includes(state.storage)) state.storage = storages[0];
  for (const [name, key] of Object.entries(FIELDS)) {
    if (name === "username" || name === "ttl") form.elements[name].value = state[key];
    else for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = input.value === state[key];
  }
  for (const input of form.querySelectorAll('input[name="storage"]')) input.disabled = !storages.includes(input.value);
  for (const button of form.querySelectorAll("[data-verb]")) button.hidden = !(button.dataset.verb in METHODS[state.method]);
  document.querySelector("#method-summary").textContent = summary;
  radio("storage", "header").nextElementSibling.textContent = state.method === "basic" ? "kept in memory + Authorization header" : "localStorage + Authorization header";
  if (METHODS.basic) document.querySelector("#basic-direct").hidden = state.method !== "basic";
  form.querySelector("fieldset.cookie").disabled = state.storage !== "cookie";
  form.elements.ttl.disabled = !TAKES_TTL.includes(state.method);
  document.querySelector("#ttl-hint").textContent = state.method === "basic" ? NO_EXPIRY.basic
    : state.method === "issuer" ? "The issuer sets its tokens' lifetime itself: the countdown follows its expires_in."
    : "Demo only: 10–3600 s, never longer than the API's own lifetime for the method; empty = that default.";
  refreshState().catch((error) => showError(error.message));
}

function onChoiceChange(event) {
  const key = FIELDS[event.target.name];
  if (!key) return; // the password field is read when used
  const before = state[key];
  state[key] = event.target.value;
  if (["method", "storage", "cookieOption"].includes(key) && before !== state[key]) forgetLastCalls();
  if (key === "via" && before !== state[key]) onViaChange();
  if (key === "username") form.elements.password.value = USERS[state.username];
  render();
}

// A number being typed: kept in state at once, so a login right after (Enter) uses it; drawn on `change`.
function onTtlInput(event) {
  if (event.target.name === "ttl") state.ttl = event.target.value;
}

// After a login or refresh: count the credential's time down, or say why there is no countdown.
function countDown(current, result, read) {
  const seconds = result.body?.expires_in;
  if (!seconds) {
    const idle = read.api ? `${read.api.session_idle_timeout} s` : "its idle timeout";
    noCountdown(NO_EXPIRY[current.method] || `No countdown: this session ends after ${idle} without a request (each request pushes that back), or at its absolute timeout. Give "Expires in" to watch it end.`);
    return;
  }
  const leeway = read.api ? read.api.jwt_leeway : 0;
  const grace = current.method === "jwt" || current.method === "issuer" ? leeway : current.method === "signed" ? 1 : 0;
  startCountdown(current, seconds, grace, onCountdownZero);
}

// The countdown reached zero: call `me` with the credential it counted for (null while something else runs).
function onCountdownZero(expiry) {
  if (busy) return null;
  const { method, storage, cookieOption, username } = expiry;
  return runStep("me", { method, storage, cookieOption, username, ttl: state.ttl, password: "" }, "countdown");
}

// One step (login, me, logout, ...): call it, then show storage, what the API received, status and why.
// `chosen` replaces the form's choice (the countdown's own `me`), `trigger` says who took the step.
async function runStep(verb, chosen = null, trigger = null) {
  if (busy) return null;
  const current = chosen || choice();
  setBusy(true);
  showError("");
  try {
    const copy = transport(current.method, current.storage).headers.Authorization || null; // before it is forgotten
    wire.length = 0;
    const result = await METHODS[current.method][verb](current);
    window.authlab.wire = wire.slice();
    renderWire(window.authlab.wire);
    if ((verb === "logout" || verb === "everywhere") && result.ok) offerReplay(current, copy, verb);
    const sent = await echo(transport(current.method, current.storage));
    // the inspector's viewer key; a session login whose cookie does not travel leaves a session nobody can use
    const cookieRefused = verb === "login" && current.storage === "cookie" && result.ok && !carried(current.method, current.storage, sent);
    if (result.ok) await keepViewer(current.username, result.body, { cookieRefused });
    const read = await showServerRecords(current.username, transport(current.method, current.storage).headers.Authorization); // drawn before the step counts as shown
    if (verb === "login") loggedIn[current.method] = result.ok;
    if ((verb === "logout" || verb === "everywhere") && result.ok) loggedIn[current.method] = false;
    keepLoggedIn();
    if ((verb === "login" || verb === "refresh") && result.ok) countDown(current, result, read);
    if ((verb === "logout" || verb === "everywhere") && result.ok) stopCountdown();
    let reason = verb === "everywhere" && result.ok ? endedEverywhere(current.method, result.body)
      : why({ ...current, verb, result, sent, sameSite: sameSiteAsApi(), loggedIn: Boolean(loggedIn[current.method]) });
    if (trigger === "countdown") reason = `The countdown reached zero, so the page called me by itself: ${reason}`;
    window.authlab.steps.push({ verb, ...current, password: undefined, status: result.status, ok: result.ok, reason, trigger });
    showStep({ ...current, verb, result, reason });
    renderState(sent, current.storage === "header" ? saved.get(current.method) : null);
    updateHandoff();
    return result;
  } catch (error) {
    showError(`${verb} failed in the page: ${error.message}`);
    return { status: 0, ok: false };
  } finally {
    setBusy(false);
  }
}

// What "Log out everywhere" ended, from the API's answer (the credential it sent only said who is asking).
function endedEverywhere(method, body) {
  const records = body.ended === 1 ? "1 record" : `${body.ended} records`;
  const own = method === "basic" ? " Basic itself has nothing to end: the password works as before."
    : method === "signed" ? " Your signed token has no record: a copy of it works until it expires." : " This page forgot its own copy.";
  return `Logged out everywhere as ${body.user}: the API deleted ${records} (every session, opaque token and JWT refresh ` +
    `family of this user, in every browser) and refuses every JWT issued before now; signed tokens have no record.${own}`;
}

// Draw a step's result and keep it for this tab, so that a reload or Back shows it again (never its secrets).
function showStep(step) {
  renderStep(step);
  const { verb, method, storage, cookieOption, reason } = step;
  const { status, ok, timing } = step.result;
  tab.set("step", { verb, method, storage, cookieOption, reason, at: new Date().toLocaleTimeString("en-GB"), result: { status, ok, timing, body: keptBody(step.result.body) } });
}

// A new method, storage or cookie option: the last step's replay offer and its calls belong to the old one.
function forgetLastCalls(note = "nothing sent yet with this choice") {
  loggedOut = null;
  document.querySelector("#replay-line").hidden = true;
  wire.length = 0;
  window.authlab.wire = [];
  renderWire([], note);
}

// After a logout: offer to replay the old credential (a header the page had), or say why there is no copy.
function offerReplay(current, copy, verb) {
  const line = document.querySelector("#replay-line");
  const note = document.querySelector("#replay-note");
  loggedOut = { ...current, copy, verb };
  line.hidden = false;
  document.querySelector("#replay").hidden = !copy;
  document.querySelector("#replay-injected").hidden = Boolean(copy);
  note.textContent = copy
    ? `The page kept a copy in memory (${copy.split(" ")[0]}, ${copy.length} characters): what a thief who had copied it would hold.`
    : "It was in an HttpOnly cookie, which this page's scripts can never read, so the page holds no copy to replay. " +
      "The equivalent is Measure's injected script: it cannot read the cookie either, only make the browser send it while it is set. " +
      "\"The server keeps\" shows whether its record is gone.";
}

const REPLAYED = {
  basic: "the password is the credential: there is nothing on the server to log out",
  signed: "a signed token has no server record to delete: it stays valid until it expires",
  jwt: "this API runs with the JWT revocation check off, so a logged-out JWT works until it expires",
};

async function onReplay() {
  if (!loggedOut || busy) return;
  const { copy, method } = loggedOut;
  setBusy(true);
  try {
    wire.length = 0;
    const result = await api(endpoint(method, "me"), { headers: { Authorization: copy } });
    window.authlab.wire = wire.slice();
    renderWire(window.authlab.wire);
    const refused = result.body?.message ? result.body.message : `status ${result.status}`;
    const reason = result.ok ? `The old credential still works after ${loggedOut.verb === "everywhere" ? "logging out everywhere" : "logout"}: ${REPLAYED[method] || "it was not ended"}.` : `Refused, as it should be: ${refused}.`;
    await showServerRecords(loggedOut.username);
    window.authlab.steps.push({ verb: "replay", method, storage: loggedOut.storage, status: result.status, ok: result.ok, reason });
    showStep({ ...loggedOut, verb: "Replay the logged-out credential", result, reason });
  } finally {
    setBusy(false);
  }
}

// What an injected script gets once a cookie was logged out, and why (it never held a copy: HttpOnly).
const INJECTED_AFTER = {
  session: "the browser dropped the cookie at logout and the server deleted the session, so a copy taken some other way (the network, a log) is dead too",
  token: "the browser dropped the cookie at logout and the server deleted the token's record, so a copy taken some other way is dead too",
  signed: "only because the browser dropped the cookie: a signed token has no server record, so a copy taken some other way (the network, a log) still works until it expires",
  jwt: "the browser dropped the cookies at logout, and the API denied the access token's jti (with the revocation check on, a copy taken some other way is dead too)",
};

async function onReplayInjected() {
  if (!loggedOut || busy) return;
  const { method, storage, cookieOption } = loggedOut;
  setBusy(true);
  try {
    const seen = await runInjected(endpoint(method, "me"));
    const carriedNow = Object.keys(seen.sent_cookies || {}).filter((name) => name.endsWith(METHODS[method].cookie));
    const evidence = { document_cookie: seen.cookie, sent_cookies: seen.sent_cookies, read_credential: seen.cookie.includes(`${METHODS[method].cookie}=`) };
    const reason = seen.status === 200
      ? `The injected script's request still worked: the browser still sends ${carriedNow.join(", ") || "a credential cookie"}.`
      : `Refused (${seen.status}): the injected script could not read the cookie (document.cookie "${seen.cookie}"), and its own request to ${endpoint(method, "me")} carried ${carriedNow.length ? carriedNow.join(", ") : "no credential cookie"}: ${INJECTED_AFTER[method] || "nothing ends it"}.`;
    await showServerRecords(loggedOut.username);
    const result = { status: seen.status, ok: seen.status === 200, body: { injected_script_saw: evidence }, timing: null };
    window.authlab.steps.push({ verb: "replay", via: "injected script", method, storage, status: seen.status, ok: result.ok, reason, evidence });
    showStep({ method, storage, cookieOption, verb: "Replay as an injected script", result, reason });
  } catch (error) {
    showError(`the injected script failed: ${error.message}`);
  } finally {
    setBusy(false);
  }
}

function onSubmit(event) {
  event.preventDefault();
  runStep("login");
}

function onVerbClick(event) {
  const verb = event.target.closest("button[data-verb]")?.dataset.verb;
  if (verb && verb !== "login") runStep(verb);
}

// The matrix, the measurements and the comparison log in and out as alice: afterwards this page is logged in nowhere.
function forgetLogins(what) {
  for (const method of Object.keys(loggedIn)) delete loggedIn[method];
  keepLoggedIn();
  stopCountdown();
  forgetLastCalls(`${what} made many calls: its table shows each one`);
  tab.remove("step");
  resetStep(`${what} logged in and out as alice: this page is logged in nowhere now.`);
}

// The matrix run last, and through which API base (the advice says which).
let lastMatrix = null;

function showAdvice() {
  const measurements = window.authlab.measurements;
  renderAdvice(advise({ matrix: lastMatrix, measurements, via: state.via, hasProxy: Boolean(config.apiProxy), hasForm: Boolean(document.querySelector("#forged-form")) }));
}

// Another API base is another cookie jar and another site: what this page knew of its logins no longer holds.
function onViaChange() {
  forgetMemory();
  for (const method of Object.keys(loggedIn)) delete loggedIn[method];
  keepLoggedIn();
  stopCountdown();
  forgetLastCalls("nothing sent yet through this API base");
  tab.remove("step");
  showAdvice();
  resetStep(state.via === "own" ? "Now calling the API through this page's own origin: log in again here." : "Now calling the API at its own origin: log in again here.");
  showHealth();
}

// Run the matrix or the measurements: one at a time, results kept in window.authlab[key] for the tests.
async function runAll(what, key, run, render) {
  if (busy) return;
  setBusy(true);
  forgetLogins(what);
  showError("");
  announce(`${what}: started.`);
  window.authlab[key] = null;
  limited.during = what; // a 429 now is the login limit, not a result: client.js waits it out
  try {
    window.authlab[key] = await run(render);
    if (key === "matrix") lastMatrix = { cells: window.authlab.matrix, via: state.via };
    forgetLastCalls(`${what} made many calls: its table shows each one`);
    announce(`${what}: done, ${window.authlab[key].length} results in the table.`);
  } catch (error) {
    showError(`${what} stopped: ${error.message}`);
  } finally {
    limited.during = null;
    showAdvice();
    setBusy(false);
    refreshState().catch((error) => showError(error.message));
    showServerRecords("alice").catch((error) => showError(error.message));
  }
}

function onRunMatrix() {
  return runAll("The matrix", "matrix", runMatrix, renderMatrix);
}

function onMeasure() {
  return runAll("The measurements", "measurements", measureAll, renderMeasurements);
}

function onCompare() {
  return runAll("The comparison", "compare", runCompare, renderCompare);
}

// Arriving from the other frontend with #handoff=<method>&token=<token>: keep the token, clean the URL, use it.
async function receiveHandoff() {
  const params = new URLSearchParams(location.hash.slice(1));
  const method = params.get("handoff");
  if (!params.has("token") || !(method in METHODS) || !METHODS[method].storages.includes("header")) return false;
  saved.set(method, params.get("token"));
  history.replaceState(null, "", location.pathname + location.search); // out of the address bar and history
  Object.assign(state, { method, storage: "header" });
  render();
  await runStep("me");
  document.querySelector("#why").textContent = `Handed over from ${config.otherFrontend} in the URL fragment and kept in localStorage: ${document.querySelector("#why").textContent}`;
  return true;
}

// A 429 met during a run: say so where the person looks, and for how long; the run resumes by itself.
function onLimited(wait) {
  if (wait) wait.during = limited.during;
  window.authlab.limited = wait; // the same object client.js waits on: a test may move its resume_at
  const note = document.querySelector("#limited");
  note.hidden = !wait;
  if (!wait) return;
  const path = wait.url.replace(/^https?:\/\/[^/]+/, "");
  note.textContent = `${limited.during} paused: the API's login limit answered 429 to ${path}. That is the limit, not a result: ` +
    `waiting ${wait.seconds} s (its Retry-After), then it resumes where it stopped.`;
  announce(`${limited.during} paused for ${wait.seconds} seconds by the API's login limit.`);
}

async function showHealth() {
  const { status, body, error } = await api("/api/health");
  document.querySelector("#health").textContent = status ? `${status} ${body?.status}` : `unreachable: ${error}`;
}

// The page's controls, wired once the method table is in.
function start() {
  form.addEventListener("submit", onSubmit);
  form.addEventListener("click", onVerbClick);
  form.addEventListener("change", onChoiceChange);
  form.addEventListener("input", onTtlInput);
  // Shown again (Back, bfcache) or after the browser restored the form's values: draw the controls from state again.
  window.addEventListener("pageshow", render);
  document.querySelector("#run-matrix").addEventListener("click", onRunMatrix);
  document.querySelector("#measure").addEventListener("click", onMeasure);
  document.querySelector("#run-compare").addEventListener("click", onCompare);
  document.querySelector("#replay").addEventListener("click", onReplay);
  document.querySelector("#replay-injected").addEventListener("click", onReplayInjected);
  limited.onWait = (wait) => onLimited(wait);

  // What this tab showed before a reload or Back: its choice, else the method whose token localStorage still holds.
  const withToken = Object.keys(METHODS).find((method) => method !== "issuer" && saved.get(method)) || (saved.get("issuer") && "issuer");
  Object.assign(state, tab.get("choice") || (withToken ? { method: withToken, storage: "header" } : {}));
  if (!(state.method in METHODS)) state.method = Object.keys(METHODS)[0]; // a choice the table no longer offers
  render();
  const kept = tab.get("step");
  if (kept) renderStep({ ...kept, reason: `(Shown at ${kept.at}, before a reload or Back.) ${kept.reason}` });
  resumeCountdown(onCountdownZero);
  showAdvice();
  receiveHandoff().catch((error) => showError(`hand-off failed: ${error.message}`));
  // A hand-off link pasted into a tab of this page that is already open changes only the fragment: no reload.
  window.addEventListener("hashchange", () => receiveHandoff().catch((error) => showError(`hand-off failed: ${error.message}`)));
}

document.querySelector("#origin").textContent = location.origin;
if (methodTable.failure) document.querySelector("#reload").addEventListener("click", () => location.reload());
else start();
showHealth();
