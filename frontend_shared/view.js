// The page's panels, built once, and how each result is drawn into them. No handlers here (see page.js).
import { cellId, measureId } from "./advice.js";
import { config } from "./client.js";
import { crossSiteFormPanel } from "./cross_site_form.js";
import { el, fill, table } from "./dom.js";
import { PATH as TABLE_PATH } from "./method_table.js";
import { COOKIE_OPTIONS, METHOD_COUNT, METHODS } from "./methods.js";
import { snapshot } from "./storage.js";

// The demo users (README); the password field follows the chosen user.
export const USERS = { alice: "wonderland", bob: "builder", "zoë": "pässwörd", admin: "admin-pass" };

const VERBS = { login: "Log in", me: "Me", logout: "Log out", everywhere: "Log out everywhere", admin: "Admin only", refresh: "Refresh" };
const otherName = config.name === "A" ? "B" : "A";

const NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

// How many ways to log in the API's table lists, and which choices are another party's credentials a method accepts.
function methodCount() {
  const ways = `The API's ${NUMBERS[METHOD_COUNT] ?? METHOD_COUNT} ${METHOD_COUNT === 1 ? "way" : "ways"} to log in (GET /api/methods)`;
  const accepted = Object.values(METHODS).filter(({ acceptedBy }) => acceptedBy);
  const others = accepted.map(({ label, acceptedBy }) => `; ${label} is another site's token, which ${METHODS[acceptedBy].label} accepts`);
  return `${ways}${others.join("")}.`;
}

function radios(name, legend, options) {
  return el(
    "fieldset",
    { class: `choice ${name}` },
    el("legend", {}, legend),
    options.map(([value, label], i) => el("label", {}, el("input", { type: "radio", name, value, checked: i === 0 }), el("span", {}, label))),
  );
}

// Where this page calls the API: at the API's own origin, or at its own origin's /api/ (its server's reverse proxy).
function viaChoice() {
  if (!config.apiProxy) return null;
  return radios("via", "Where this page calls the API", [
    ["api", `the API's own origin, ${config.api} (another site)`],
    ["own", `this page's own origin, ${config.apiProxy}/api/ (its server passes it on: the API on this page's site)`],
  ]);
}

function tryPanel() {
  return el(
    "section",
    { class: "card", id: "try-panel" },
    el("h2", {}, "Log in, call me, log out"),
    el(
      "form",
      { id: "try", autocomplete: "off" },
      viaChoice(),
      radios("method", "Method", Object.entries(METHODS).map(([id, method]) => [id, method.label])),
      el("p", { id: "method-count", class: "hint" }, methodCount()),
      el("p", { id: "method-summary", class: "hint" }),
      radios("storage", "Where the credential lives", [
        ["header", "localStorage + Authorization header"],
        ["cookie", "HttpOnly cookie set by the API"],
      ]),
      radios("cookie", "Cookie option", Object.keys(COOKIE_OPTIONS).map((option) => [option, option.replace("+", " + ")])),
      el(
        "div",
        { class: "fields" },
        el("label", {}, "User", el("select", { name: "username" }, Object.keys(USERS).map((user) => el("option", { value: user }, user)))),
        el("label", {}, "Password", el("input", { name: "password", value: USERS.alice, autocomplete: "off", spellcheck: "false" })),
        el(
          "label",
          { id: "ttl-field" },
          "Expires in (s)",
          el("input", { name: "ttl", type: "number", min: 10, max: 3600, step: 1, placeholder: "default", inputmode: "numeric", "aria-describedby": "ttl-hint" }),
        ),
      ),
      el("p", { id: "ttl-hint", class: "hint" }, "Demo only: 10–3600 s, never longer than the API's own lifetime for the method; empty = that default."),
      el("div", { class: "actions" }, Object.entries(VERBS).map(([verb, label]) => el("button", { type: verb === "login" ? "submit" : "button", dataset: { verb } }, label))),
      el("p", { id: "expiry" }),
    ),
    el(
      "ul",
      { class: "links" },
      el("li", {}, el("a", { id: "handoff", target: "_blank", rel: "noopener" }, `Open ${otherName} with this token`), " ", el("span", { id: "handoff-note", class: "hint" })),
      METHODS.basic && el("li", { id: "basic-direct" }, el("a", { href: config.api + METHODS.basic.paths.me, target: "_blank", rel: "noopener" }, `Open ${METHODS.basic.paths.me} directly`), " ", el("span", { class: "hint" }, "the browser's own login prompt; it then resends the password by itself")),
    ),
  );
}

function resultPanel() {
  return el(
    "section",
    { class: "card", id: "result" },
    el("h2", {}, "After the last step"),
    el(
      "p",
      { class: "step" },
      el("span", { id: "status-pill", class: "status" }, el("span", { id: "status" }, "-"), el("span", { id: "status-word" })),
      el("span", { id: "step" }, "Nothing yet: pick a method and log in."),
    ),
    el("p", { id: "why" }),
    el("p", { id: "timing", class: "hint" }),
    el(
      "p",
      { id: "replay-line", hidden: true },
      el("button", { type: "button", id: "replay" }, "Replay the credential you just logged out"),
      el("button", { type: "button", id: "replay-injected" }, "Replay it as an injected script would"),
      " ",
      el("span", { id: "replay-note", class: "hint" }),
    ),
    el(
      "div",
      { class: "sides" },
      el("div", {}, el("h3", {}, "This page's storage"), el("div", { id: "local" }), el("p", { class: "cookie-line" }, "document.cookie: ", el("code", { id: "doc-cookie" }))),
      el("div", { id: "server-side" }, el("h3", {}, "The server keeps"), el("div", { id: "server-records" }, el("p", { class: "hint" }, "Log in to see what the API keeps for you."))),
    ),
    el("h3", {}, "What the API received (/api/echo)"),
    el("dl", { id: "received" }),
    el("h3", {}, "The wire, for the last step"),
    el("ol", { id: "wire", class: "wire" }),
    el("div", { id: "jwt-payload" }),
    el("details", {}, el("summary", {}, "Response body"), el("pre", { id: "body" })),
  );
}

// A wide panel whose button runs something over every scenario and fills a table.
function runPanel({ id, title, intro, button, buttonId, name }, ...extra) {
  return el(
    "section",
    { class: "card wide", id },
    el("h2", {}, title),
    el("p", {}, intro),
    el("p", {}, el("button", { type: "button", id: buttonId }, button), " ", el("span", { id: `${name}-progress` })),
    el("div", { id: `${name}-table` }),
    ...extra,
  );
}

const matrixPanel = () =>
  runPanel(
    {
      id: "matrix",
      title: "The matrix, in this browser",
      intro: "Every method × storage × cookie option, run from this page as alice: log in, look at what travels, call me, log out. It ends your own logins here.",
      button: "Run the matrix here",
      buttonId: "run-matrix",
      name: "matrix",
    },
    el("details", {}, el("summary", {}, "As JSON (what the automated tests read)"), el("pre", { id: "matrix-json" })),
  );

const comparePanel = () =>
  runPanel(
    {
      id: "compare",
      title: "Compare the methods",
      intro: "For every method, as alice: log in, call me, read what the server keeps and what the request cost it, log out, " +
        "replay the old credential; then log in again, log out everywhere, replay again. It ends your own logins here.",
      button: "Compare the methods",
      buttonId: "run-compare",
      name: "compare",
    },
    el("details", {}, el("summary", {}, "As JSON (what the automated tests read)"), el("pre", { id: "compare-json" })),
  );

const measurePanel = () =>
  runPanel({
    id: "measure-panel",
    title: "Cookie vs localStorage, measured here",
    intro: "Found by trying in this browser, not quoted: limits, third-party blocking, what an injected script gets, what rides along.",
    button: "Measure",
    buttonId: "measure",
    name: "measure",
  });

const advicePanel = () =>
  el(
    "section",
    { class: "card wide", id: "advice-panel" },
    el("h2", {}, "So which should I use?"),
    el("p", { class: "hint" }, "From what this browser showed on this page: each line links to the row that shows it."),
    el("ul", { id: "advice" }),
  );

// The API's method table did not load (GET /api/methods): say so, with the answer that came instead (its JSON error).
export function buildTableFailure(root, failure) {
  const answer = failure.status ? `answered ${failure.status}` : `gave no answer (${failure.error})`;
  fill(
    root,
    el(
      "section",
      { class: "card", id: "table-failure", role: "alert" },
      el("h2", {}, "The API's table of methods did not load"),
      el("p", {}, `GET ${config.api}${TABLE_PATH} ${answer}. This page draws every method from it (labels, paths, cookie names), so it has nothing to offer until it loads: reload once the API answers.`),
      failure.body && el("pre", { id: "table-failure-body" }, JSON.stringify(failure.body, null, 2)),
      el("p", {}, el("button", { type: "button", id: "reload" }, "Reload")),
    ),
  );
}

export function build(root) {
  // The one live region besides errors: a short line per step, and a run's start and end (never its progress).
  const live = el("p", { id: "announce", class: "visually-hidden", role: "status" });
  const paused = el("p", { id: "limited", hidden: true });
  fill(root, live, el("p", { id: "error", role: "alert", hidden: true }), paused, el("div", { class: "columns" }, tryPanel(), resultPanel()), advicePanel(), comparePanel(), matrixPanel(), measurePanel(), config.name === "B" && METHODS.session && crossSiteFormPanel(config.api, METHODS.session.paths.logout));
}

const $ = (selector) => document.querySelector(selector);

// Say `text` to a screen reader (the #announce live region); the panels themselves are not live.
export function announce(text) {
  $("#announce").textContent = text;
}

export function showError(message) {
  $("#error").textContent = message;
  $("#error").hidden = !message;
}

function statusText(status) {
  if (status === null) return "nothing sent";
  return status === 0 ? "no answer" : String(status);
}

function jwtPayload(token) {
  const part = token.split(".")[1] || "";
  const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

// The page's storage and what reached the API, as they are now.
export function renderState(sent, token) {
  const { local, cookie } = snapshot();
  fill($("#local"), local.length ? table(["localStorage key", "chars"], local.map(({ key, chars }) => [key, String(chars)]), {}, "What this page keeps in localStorage") : el("p", {}, "localStorage: empty"));
  $("#doc-cookie").textContent = cookie || "(empty: HttpOnly cookies never show here)";
  const cookies = Object.entries(sent.cookies || {}).map(([name, length]) => `${name} (${length} chars)`).join(", ");
  const facts = [
    ["Origin", sent.origin || "-"],
    ["Cookies", cookies || "none"],
    ["Authorization", sent.authorization || "none"],
    ["Header bytes", String(sent.request_header_bytes)],
  ];
  fill($("#received"), facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  let payload = null;
  try {
    payload = token ? jwtPayload(token) : null;
  } catch {
    payload = null; // not a JWT
  }
  fill($("#jwt-payload"), payload && [el("h3", {}, "The JWT's payload: signed, not encrypted, so anyone holding it reads this"), el("pre", {}, JSON.stringify(payload, null, 2))]);
}

// One line per exchange of the last step: request line, credentials mode, what travelled (names and sizes), answer.
export function renderWire(exchanges, empty = "nothing was sent: this step happened in the page only") {
  const line = (x) => {
    const sent = [
      x.authorization ? `Authorization: ${x.authorization.scheme} (${x.authorization.chars} chars)` : null,
      x.credentials === "include" ? "the browser's cookies for the API (HttpOnly: names under \"What the API received\")" : null,
      x.csrf_header ? `X-CSRF-Token (${x.csrf_header} chars)` : null,
      x.body_bytes ? `JSON body (${x.body_bytes} bytes)` : null,
    ].filter(Boolean);
    const cookie = x.cookie ? `; the API set its cookie HttpOnly, SameSite=${x.cookie.samesite}${x.cookie.secure ? ", Secure" : ""}${x.cookie.partitioned ? ", Partitioned" : ""}` : "";
    const challenge = x.challenge ? `; WWW-Authenticate: ${x.challenge}` : "";
    return el("li", {}, el("code", {}, x.request), ` · credentials: "${x.credentials}" · sent: ${sent.join(", ") || "no credential"} → ${statusText(x.status)}${challenge}${cookie}`);
  };
  fill($("#wire"), exchanges.length ? exchanges.map(line) : el("li", { class: "hint" }, empty));
}

// What the request cost the API, from its Server-Timing header.
export function timingText(timing) {
  if (!timing) return "";
  const trips = timing.trips === 1 ? "1 Redis round trip" : `${timing.trips} Redis round trips`;
  return `The API spent ${timing.ms.toFixed(2)} ms on it and made ${trips} (Server-Timing: ${timing.text})`;
}

export function renderStep({ verb, method, storage, cookieOption, result, reason }) {
  $("#timing").textContent = timingText(result.timing);
  const where = method === "basic" ? "header from memory" : storage === "cookie" ? `HttpOnly cookie (${cookieOption})` : "localStorage + header";
  $("#step").textContent = `${VERBS[verb] || verb} · ${METHODS[method].label} · ${where}`;
  $("#status").textContent = statusText(result.status);
  $("#status-word").textContent = result.ok ? "ok" : "failed"; // not only a colour
  $("#status-pill").className = `status ${result.ok ? "ok" : "fail"}`;
  announce(`${VERBS[verb] || verb}: ${statusText(result.status)}, ${result.ok ? "ok" : "failed"}.`);
  $("#why").textContent = reason;
  $("#body").textContent = result.body ? JSON.stringify(result.body, null, 2) : "(no body)";
}

// After the matrix or the measurements: the last step shown would no longer be true.
export function resetStep(message) {
  $("#step").textContent = message;
  $("#status").textContent = "-";
  $("#status-word").textContent = "";
  $("#status-pill").className = "status";
  $("#why").textContent = "";
  $("#timing").textContent = "";
  $("#body").textContent = "";
}

function replayed(status, gone, works) {
  if (status !== null) return `${status === 200 ? "yes" : "no"}: replay ${status}`;
  if (!works) return "- (it never worked from this site)";
  return gone === null ? "-" : `${gone ? "no" : "yes"}: record ${gone ? "deleted" : "kept"} (HttpOnly: no copy to replay)`;
}

const COMPARE_HEADINGS = ["Method", "Server record", "Redis round trips (me)", "Auth time (me)", "Credential", "Survives logout?", "Survives logout-all?", "Expires", "Works from this site?"];

export function renderCompare(rows, total) {
  $("#compare-progress").textContent = rows.length < total ? `comparing ${rows.length + 1} of ${total}…` : `${total} methods compared from ${location.origin}`;
  const data = rows.map((r) => [
    `${r.label} (${r.storage === "cookie" ? "HttpOnly cookie" : r.method === "basic" ? "memory + header" : "localStorage + header"})`,
    r.record ? `${r.record.kind}, ${Math.round(r.record.ttl)} s left, ${r.record.bytes} B` : "none",
    r.trips === null ? "-" : String(r.trips),
    r.auth_ms === null ? "-" : `${r.auth_ms.toFixed(2)} ms`,
    `${r.credential_bytes} bytes`,
    replayed(r.replay_after_logout, r.record_gone_after_logout, r.works),
    replayed(r.replay_after_logout_all, r.record_gone_after_logout_all, r.works),
    r.expires,
    el("span", { class: r.works ? "works" : "fails" }, r.works ? "✓ yes" : `✗ no (me ${r.me_status})`),
  ]);
  fill($("#compare-table"), table(COMPARE_HEADINGS, data, { class: "stack" }, `Each method as alice, compared from ${location.origin}`));
  const jwt = rows.find((r) => r.method === "jwt");
  if (jwt && jwt.jwt_revocation_check !== null) {
    $("#compare-table").append(el("p", { class: "hint" }, `This API runs the JWT revocation check ${jwt.jwt_revocation_check ? "on (JWT_REVOCATION_CHECK=on: one Redis MGET per request)" : "off: a logged-out JWT works until it expires"}.`));
  }
  $("#compare-json").textContent = JSON.stringify(rows, null, 2);
}

const MATRIX_HEADINGS = ["Method", "Storage", "Cookie option", "Result", "Status", "Why"];

export function renderMatrix(cells, total) {
  $("#matrix-progress").textContent = cells.length < total ? `running ${cells.length + 1} of ${total}…` : `${total} scenarios run from ${location.origin}`;
  const data = cells.map((cell) => [
    METHODS[cell.method].label,
    cell.storage,
    cell.cookie_option || "-",
    el("span", { class: cell.works ? "works" : "fails" }, cell.works ? "✓ works" : "✗ fails"),
    statusText(cell.status),
    cell.reason,
  ]);
  fill($("#matrix-table"), table(MATRIX_HEADINGS, data, { class: "stack" }, `Every scenario, run by this browser from ${location.origin}, calling the API at ${config.api}`));
  $("#matrix-table").querySelectorAll("tbody tr").forEach((row, i) => { row.id = cellId(cells[i]); });
  $("#matrix-json").textContent = JSON.stringify(cells, null, 2);
}

export function renderMeasurements(results, total) {
  $("#measure-progress").textContent = results.length < total ? `measuring ${results.length + 1} of ${total}…` : "done";
  fill($("#measure-table"), table(["What", "Measured here", "What it means"], results.map((r) => [r.label, r.shown, r.meaning]), { class: "stack" }, "What this browser did when tried"));
  $("#measure-table").querySelectorAll("tbody tr").forEach((row, i) => { row.id = measureId(results[i].id); });
}
