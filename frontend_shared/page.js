// Wiring shared by both frontends: small named handlers on the panels view.js builds.
import { api, config, echo, sameSiteAsApi } from "./client.js";
import { why } from "./explain.js";
import { measureAll } from "./measure.js";
import { METHODS, transport } from "./methods.js";
import { runMatrix } from "./runner.js";
import { saved } from "./storage.js";
import { build, renderMatrix, renderMeasurements, renderState, renderStep, resetStep, showError, USERS } from "./view.js";

// What the page has observed, for people (rendered) and for the automated tests (read as JSON).
window.authlab = { steps: [], matrix: null, measurements: null };
// Methods this page has logged in with (and not out of) since it loaded, for the "why" of a 401.
const loggedIn = {};

build(document.querySelector("#app"));
const form = document.querySelector("#try");
const handoff = document.querySelector("#handoff");
const handoffNote = document.querySelector("#handoff-note");

function choice() {
  const data = new FormData(form);
  return {
    method: data.get("method"),
    storage: data.get("storage"),
    cookieOption: data.get("cookie"),
    username: data.get("username"),
    password: data.get("password"),
  };
}

const radio = (name, value) => form.querySelector(`input[name="${name}"][value="${value}"]`);

// Buttons stay disabled while something runs: steps, the matrix and measurements share one cookie jar.
function setBusy(busy) {
  for (const button of document.querySelectorAll("button")) button.disabled = busy;
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

function onMethodChange() {
  const { method, storage } = choice();
  const { storages, summary } = METHODS[method];
  for (const input of form.querySelectorAll('input[name="storage"]')) input.disabled = !storages.includes(input.value);
  if (!storages.includes(storage)) radio("storage", storages[0]).checked = true;
  for (const button of form.querySelectorAll("[data-verb]")) button.hidden = !(button.dataset.verb in METHODS[method]);
  document.querySelector("#method-summary").textContent = summary;
  document.querySelector("#basic-direct").hidden = method !== "basic";
  onStorageChange();
}

function onStorageChange() {
  form.querySelector("fieldset.cookie").disabled = choice().storage !== "cookie";
  refreshState().catch((error) => showError(error.message));
}

function onUserChange(event) {
  form.elements.password.value = USERS[event.target.value];
}

// One step (login, me, logout, ...): call it, then show storage, what the API received, status and why.
async function runStep(verb) {
  const current = choice();
  setBusy(true);
  showError("");
  try {
    const result = await METHODS[current.method][verb](current);
    const sent = await echo(transport(current.method, current.storage));
    if (verb === "login") loggedIn[current.method] = result.ok;
    if (verb === "logout" && result.ok) loggedIn[current.method] = false;
    const reason = why({ ...current, verb, result, sent, sameSite: sameSiteAsApi(), loggedIn: Boolean(loggedIn[current.method]) });
    window.authlab.steps.push({ verb, ...current, password: undefined, status: result.status, ok: result.ok, reason });
    renderStep({ ...current, verb, result, reason });
    renderState(sent, current.storage === "header" ? saved.get(current.method) : null);
    updateHandoff();
  } catch (error) {
    showError(`${verb} failed in the page: ${error.message}`);
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

// The matrix and the measurements log in and out as alice: afterwards this page is logged in nowhere.
function forgetLogins(what) {
  for (const method of Object.keys(loggedIn)) delete loggedIn[method];
  resetStep(`${what} logged in and out as alice: this page is logged in nowhere now.`);
}

// Run the matrix or the measurements: one at a time, results kept in window.authlab[key] for the tests.
async function runAll(what, key, run, render) {
  setBusy(true);
  forgetLogins(what);
  showError("");
  window.authlab[key] = null;
  try {
    window.authlab[key] = await run(render);
  } catch (error) {
    showError(`${what} stopped: ${error.message}`);
  } finally {
    setBusy(false);
    refreshState().catch((error) => showError(error.message));
  }
}

function onRunMatrix() {
  return runAll("The matrix", "matrix", runMatrix, renderMatrix);
}

function onMeasure() {
  return runAll("Measuring", "measurements", measureAll, renderMeasurements);
}

// Arriving from the other frontend with #handoff=<method>&token=<token>: keep the token, clean the URL, use it.
async function receiveHandoff() {
  const params = new URLSearchParams(location.hash.slice(1));
  const method = params.get("handoff");
  if (!params.has("token") || !(method in METHODS) || !METHODS[method].storages.includes("header")) return false;
  saved.set(method, params.get("token"));
  history.replaceState(null, "", location.pathname + location.search); // out of the address bar and history
  radio("method", method).checked = true;
  radio("storage", "header").checked = true;
  onMethodChange();
  await runStep("me");
  document.querySelector("#why").textContent = `Handed over from ${config.otherFrontend} in the URL fragment and kept in localStorage: ${document.querySelector("#why").textContent}`;
  return true;
}

async function showHealth() {
  const { status, body, error } = await api("/api/health");
  document.querySelector("#health").textContent = status ? `${status} ${body && body.status}` : `unreachable: ${error}`;
}

document.querySelector("#origin").textContent = location.origin;
document.querySelector("#api").textContent = config.api;
form.addEventListener("submit", onSubmit);
form.addEventListener("click", onVerbClick);
for (const input of form.querySelectorAll('input[name="method"]')) input.addEventListener("change", onMethodChange);
for (const input of form.querySelectorAll('input[name="storage"]')) input.addEventListener("change", onStorageChange);
form.elements.username.addEventListener("change", onUserChange);
document.querySelector("#run-matrix").addEventListener("click", onRunMatrix);
document.querySelector("#measure").addEventListener("click", onMeasure);

onMethodChange();
showHealth();
receiveHandoff().catch((error) => showError(`hand-off failed: ${error.message}`));
