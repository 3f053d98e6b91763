// The page's "Browser apps (RFC 10017)" section: pick an architecture and a storage, log in, call me; with the demo
// options, run a §5.1 payload against that choice and read the collector's verdicts. Drawn into #browser-apps.
import config from "/config.js";
import * as app from "./browser_client.js";
import { el, fill, table } from "./dom.js";
import * as attack from "./malicious_scripts.js";

const CHOICE_KEY = "authlab.browserApps.choice"; // the choice across the AS's redirect (sessionStorage)
const RUN_KEY = "authlab.browserApps.run";
const state = { architecture: "browser", storage: "sessionStorage" };
try {
  Object.assign(state, JSON.parse(sessionStorage.getItem(CHOICE_KEY)) ?? {});
} catch {}
const exposed = { choice: state, last: null, run: sessionStorage.getItem(RUN_KEY), payloads: {}, collector: null, verdicts: [] };

// What RFC 10017 expects of each cell: [the verdict in a few words, the section it comes from].
export function expected(architecture, storage, payload) {
  const steal = payload === "steal-once" || payload === "steal-persistently";
  if (payload === "proxy") return ["works, only while the page is open", "§5.1.4"];
  if (architecture === "bff") return steal ? ["no token: the page holds none", "§6.1"] : ["no token: the code goes to the BFF", "§6.1"];
  if (architecture === "tmb") return steal ? ["access token, no refresh token", "§6.2"] : ["no token: the code goes to the BFF", "§6.2"];
  if (!steal) return storage === "dpop" ? ["new tokens: DPoP does not stop a new flow", "§5.1.3, §9.2"] : ["new tokens, whatever the storage", "§5.1.3, §8"];
  if (storage === "worker") return ["access token only: the worker keeps the refresh token", "§8"];
  if (storage === "dpop") return ["tokens taken, useless away from the page's key", "§9.2"];
  return ["access and refresh token", "§6.3, §8"];
}

// One cell's verdict from the collector's items for it (GET /records): token got? used after the tab closed (at
// `closed`, Unix seconds, null while open)? for how long? refused, why? `notes`: what the payload itself saw.
export function verdict(items, closed = null, notes = []) {
  const taken = items.filter((item) => ["access_token", "refresh_token", "code"].includes(item.kind));
  // The collector's own uses of what it got (a proxied answer is the open page's request, reported, not a use).
  const worked = taken.concat(items.filter((item) => item.kind === "cookies"))
    .flatMap((item) => (item.attempts ?? []).filter((attempt) => attempt.worked).map((attempt) => ({ ...attempt, received_at: item.received_at })));
  const refusals = items.map((item) => item.refused).filter(Boolean).sort((a, b) => a.at - b.at);
  const refusal = refusals.at(-1);
  const seconds = Math.max(0, ...worked.map((attempt) => attempt.at - attempt.received_at));
  return {
    got: [...new Set(taken.map((item) => item.kind))],
    proxied: items.some((item) => item.kind === "proxied" && (item.attempts ?? []).some((attempt) => attempt.worked)),
    used: worked.length > 0,
    after_close: closed === null ? null : worked.some((attempt) => attempt.at > closed),
    seconds: Math.round(seconds),
    refused: refusal ? `${refusal.status} ${refusal.error ?? ""}${refusal.message ? `: ${refusal.message}` : ""}`.trim() : notes.join("; ") || null,
  };
}

const $ = (selector) => document.querySelector(selector);
// One short line for a screen reader, in the page's one live region (#announce); the panel itself is not live.
const say = (text) => {
  if ($("#announce")) $("#announce").textContent = text;
};

function radios(name, legend, options, current) {
  return el(
    "fieldset",
    { class: `choice ${name}` },
    el("legend", {}, legend),
    options.map(([value, label]) => el("label", {}, el("input", { type: "radio", name: `browser-apps-${name}`, value, checked: value === current }), el("span", {}, label))),
  );
}

function storageChoice() {
  const storages = app.ARCHITECTURES[state.architecture].storages;
  if (!storages.includes(state.storage)) state.storage = storages[0];
  return radios("storage", "Where the page keeps what it holds", storages.map((storage) => [storage, app.STORAGES[storage]]), state.storage);
}

function attackPart() {
  if (!attack.enabled()) return null;
  return el(
    "details",
    { id: "browser-apps-attack" },
    el("summary", {}, "Malicious JavaScript on this page (demo): RFC 10017's four payloads, and what the attacker's server managed"),
    // Its controls exist only while it is open (hidden otherwise: a closed details still lays its content out).
    el(
      "div",
      { id: "browser-apps-attack-controls", hidden: true },
      el("p", { class: "hint" }, `Each payload runs in this page against the choice above and sends what it takes to the collector (${config.collector}, the attacker's server), which keeps using it, also after you close this tab.`),
      el("div", { class: "actions" }, Object.entries(attack.PAYLOADS).map(([payload, label]) => el("button", { type: "button", dataset: { payload } }, label))),
      el("p", {}, "Run ", el("code", { id: "browser-apps-run" }, exposed.run ?? "(none yet)"), " ", el("button", { type: "button", id: "browser-apps-verdicts" }, "Show the collector's verdicts")),
      el("div", { id: "browser-apps-table" }),
    ),
  );
}

function draw(root) {
  fill(
    root,
    el(
      "section",
      { class: "card", "aria-labelledby": "browser-apps-title" },
      el("h2", { id: "browser-apps-title" }, "Browser apps (RFC 10017)"),
      el("p", { class: "hint" }, `The standard's three architectures against the authorization server ${config.issuer}, client ${config.clientId}; the BFF is ${config.bff}.`),
      el(
        "form",
        { id: "browser-apps-form", autocomplete: "off" },
        radios("architecture", "Architecture", Object.entries(app.ARCHITECTURES).map(([id, architecture]) => [id, architecture.label]), state.architecture),
        el("div", { id: "browser-apps-storage" }, storageChoice()),
        el("div", { class: "actions" }, ["login", "me", "refresh", "logout"].map((verb) => el("button", { type: "button", dataset: { browserApps: verb } }, { login: "Log in", me: "Call me", refresh: "Refresh", logout: "Log out" }[verb]))),
      ),
      el("p", {}, "Last step: ", el("span", { id: "browser-apps-status" }, "nothing yet")),
      el("p", { class: "hint" }, "The page holds: ", el("span", { id: "browser-apps-holding" })),
      el("details", {}, el("summary", {}, "Last answer"), el("pre", { id: "browser-apps-body" })),
      attackPart(),
    ),
  );
}

function showHolding() {
  const held = app.holding(state);
  $("#browser-apps-holding").textContent = state.architecture === "bff"
    ? "no token (the BFF keeps them in Redis; this page has its HttpOnly cookie only)"
    : `access token: ${held.access_token ? "yes" : "no"}, refresh token: ${held.refresh_token ? "yes" : state.storage === "worker" ? "in the worker" : "no"}`;
}

function show(step, result) {
  exposed.last = { step, ...state, status: result.status ?? null, error: result.error ?? null, body: result.body ?? null };
  const status = result.status === null || result.status === undefined ? "not sent" : result.status === 0 ? "no answer" : String(result.status);
  $("#browser-apps-status").textContent = `${step}: ${status}${result.error ? ` (${result.error})` : ""}`;
  say(`Browser apps, ${step}: ${status}.`);
  $("#browser-apps-body").textContent = JSON.stringify(result.body ?? null, null, 2);
  showHolding();
}

const STEPS = {
  login: () => app.startLogin(state).then(() => ({ status: null, error: "redirecting to the login" })),
  me: () => app.callApi(state),
  refresh: () => app.refresh(state),
  logout: () => app.logout(state),
};

async function step(verb) {
  try {
    show(verb, await STEPS[verb]());
  } catch (error) {
    show(verb, { status: 0, error: error.message });
  }
}

function newRun() {
  exposed.run = crypto.randomUUID();
  sessionStorage.setItem(RUN_KEY, exposed.run);
  $("#browser-apps-run").textContent = exposed.run;
  return exposed.run;
}

async function runPayload(payload) {
  const context = { ...state, run: exposed.run ?? newRun() };
  try {
    const result = await attack.runPayload(payload, context);
    exposed.payloads[`${state.architecture}/${state.storage}/${payload}`] = { got: result.got, notes: result.notes };
    $("#browser-apps-status").textContent = `${attack.PAYLOADS[payload]}: took ${result.got.length ? result.got.join(", ") : "nothing"}${result.notes.length ? ` (${result.notes.join("; ")})` : ""}`;
    say(`${attack.PAYLOADS[payload]}: took ${result.got.length ? result.got.join(", ") : "nothing"}.`);
  } catch (error) {
    $("#browser-apps-status").textContent = `${attack.PAYLOADS[payload]}: ${error.message}`;
  }
}

const HEADINGS = ["architecture", "storage", "payload", "token got", "used after the tab closed", "for how long", "refused, why", "RFC 10017 expects"];

// The collector's records of this run, with what each payload saw here, as the table architecture × storage × payload.
export async function showVerdicts() {
  if (!exposed.run) return null;
  const answer = await attack.records(exposed.run);
  exposed.collector = answer;
  if (!answer) {
    fill($("#browser-apps-table"), el("p", {}, `The collector at ${config.collector} did not answer.`));
    return null;
  }
  const cells = new Map(Object.keys(exposed.payloads).map((key) => [key, []]));
  for (const item of answer.items ?? []) {
    const key = `${item.architecture}/${item.storage}/${item.payload}`;
    cells.set(key, [...(cells.get(key) ?? []), item]);
  }
  const closed = attack.closedAt(exposed.run);
  exposed.verdicts = [...cells].map(([key, items]) => {
    const [architecture, storage, payload] = key.split("/");
    const [expects, section] = expected(architecture, storage, payload);
    return { architecture, storage, payload, ...verdict(items, closed, exposed.payloads[key]?.notes ?? []), expects, section };
  });
  const rows = exposed.verdicts.map((cell) => [
    cell.architecture, cell.storage, attack.PAYLOADS[cell.payload] ?? cell.payload,
    cell.got.length ? cell.got.join(", ") : cell.proxied ? "no token; requests answered through the page" : "no",
    cell.after_close === null ? "tab still open" : cell.after_close ? "yes" : "no", cell.used ? `${cell.seconds} s after it arrived` : "-",
    cell.refused ?? "-", `${cell.expects} (${cell.section})`,
  ]);
  fill($("#browser-apps-table"), table(HEADINGS, rows, { class: "stack" }, `What the collector managed with what run ${exposed.run} sent it`));
  return exposed.verdicts;
}

async function init() {
  const root = $("#browser-apps");
  if (!root) return;
  window.authlab ??= {};
  window.authlab.browserApps = Object.assign(exposed, { expected, verdict, showVerdicts, runPayload, step, newRun });
  draw(root);
  showHolding();
  $("#browser-apps-attack")?.addEventListener("toggle", (event) => {
    $("#browser-apps-attack-controls").hidden = !event.target.open;
  });
  root.addEventListener("change", (event) => {
    const name = event.target.name?.replace("browser-apps-", "");
    if (name !== "architecture" && name !== "storage") return;
    state[name] = event.target.value;
    if (name === "architecture") fill($("#browser-apps-storage"), storageChoice());
    sessionStorage.setItem(CHOICE_KEY, JSON.stringify(state));
    showHolding();
  });
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.browserApps) step(button.dataset.browserApps);
    else if (button.dataset.payload) runPayload(button.dataset.payload);
    else if (button.id === "browser-apps-verdicts") showVerdicts();
  });
  try {
    const finished = await app.finishLogin();
    if (finished) show("login", finished);
  } catch (error) {
    show("login", { status: 0, error: error.message });
  }
  if (state.architecture !== "browser") show("session", await app.bffSession()); // back from the BFF's login, or a reload
}

if (document.readyState === "loading") addEventListener("DOMContentLoaded", init);
else init();
