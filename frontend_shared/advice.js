// "So which should I use?": the answer this browser's own results give (the matrix, Measure), each line pointing at
// the table row that shows it. Drawn again whenever a run ends or the API base changes; window.authlab.advice for tests.
import { sameSiteAsApi } from "./client.js";
import { el, fill } from "./dom.js";
import { METHODS } from "./methods.js";

// The id of a matrix row, and of a Measure row, so that a line can link to it.
export const cellId = ({ method, storage, cookie_option }) => `cell-${method}-${storage}-${(cookie_option || "none").replace("+", "-")}`;
export const measureId = (id) => `measure-${id}`;

const VIA = { api: "at the API's own origin", own: "through this page's own /api/" };

// A link to the matrix row of `scenario` as this browser ran it, or what to press to get one.
function cellLink(matrix, scenario) {
  const cell = matrix?.cells.find((c) => c.method === scenario.method && c.storage === scenario.storage && (c.cookie_option || null) === (scenario.cookie_option || null));
  if (!cell) return { node: el("span", { class: "hint" }, "(press \"Run the matrix here\" to see it in this browser)"), cell: null };
  const option = cell.cookie_option ? ` · ${cell.cookie_option}` : "";
  const text = `matrix ${VIA[matrix.via]}: ${METHODS[cell.method].label} · ${cell.storage}${option} → ${cell.works ? "✓ works" : "✗ fails"}`;
  return { node: el("a", { href: `#${cellId(cell)}` }, text), cell };
}

function measureLink(measurements, id, found) {
  const row = measurements?.find((m) => m.id === id);
  if (!row) return { node: el("span", { class: "hint" }, "(press \"Measure\" to see it in this browser)"), row: null };
  return { node: el("a", { href: `#${measureId(id)}` }, `Measure: ${found(row)}`), row };
}

const SESSION_LAX = { method: "session", storage: "cookie", cookie_option: "Lax" };
const SESSION_NONE = { method: "session", storage: "cookie", cookie_option: "None" };
const JWT_HEADER = { method: "jwt", storage: "header", cookie_option: null };
const stolen = (row) => (row.value.read_local_storage_token ? "an injected script read the whole token from localStorage" : "an injected script could not read the token");

// The lines for where this page calls the API now, from `matrix` ({cells, via}) and `measurements` (or null).
export function advise({ matrix, measurements, via, hasProxy, hasForm }) {
  const lines = [];
  const add = (id, text, ...links) => lines.push({ id, text, links });
  const script = measureLink(measurements, "injected_script", stolen);
  if (sameSiteAsApi()) {
    const here = matrix && matrix.via === via ? matrix : null; // a run through the other API base shows another site
    add("session", "Same-site: an HttpOnly SameSite=Lax session cookie, plus the CSRF token its login returns. No script on the page ever holds the credential, and the cookie stays home when another site posts.", cellLink(here, SESSION_LAX));
    add("csrf", "Keep the CSRF token and the Origin check: a cookie rides on requests other sites start, so the API must tell them apart.",
      hasForm ? { node: el("a", { href: "#forged-form" }, "a form from this site, stopped by the CSRF token") } : { node: el("span", { class: "hint" }, "(page B posts such a form and shows it stopped)") });
    add("header", "A token in localStorage sent as a header works too, but is the script's to take:", script);
  } else {
    const own = matrix && matrix.via === "own" ? cellLink(matrix, SESSION_LAX) : { node: el("span", { class: "hint" }, hasProxy ? "(choose this page's own origin under \"Where this page calls the API\", then run the matrix)" : "(this page's server has no /api/ of its own)") };
    add("same-site", "Cross-site: make it same-site. Put the API on this page's site, behind a reverse proxy (this page's server has one) or on a subdomain of the same registrable domain; then the Lax session above works:", own);
    add("bff", "Or a backend-for-frontend on this page's site: it keeps the tokens on the server and gives the page only a same-site HttpOnly cookie. It is the next step of this project (coming).");
    add("header", "Or a token sent as a header, which works from any site:", cellLink(matrix && matrix.via === "api" ? matrix : null, JWT_HEADER), script);
    const none = cellLink(matrix && matrix.via === "api" ? matrix : null, SESSION_NONE);
    add("none", `Never a SameSite=None cookie: its fate is the visitor's setting, not yours (Chrome blocks third-party cookies in Incognito; Debian's Chromium, Safari and WPE WebKit always; Firefox keeps them in a jar per site). Here it ${none.cell ? (none.cell.works ? "worked" : "failed") : "has not been tried yet"}:`, none);
  }
  return lines.map(({ id, text, links }) => ({ id, text, links, points_at: links.map((l) => l.node.getAttribute("href")).filter(Boolean) }));
}

export function renderAdvice(lines) {
  fill(document.querySelector("#advice"), lines.map(({ id, text, links }) => el("li", { dataset: { advice: id } }, text, ...links.flatMap((l) => [" ", l.node]))));
  window.authlab.advice = lines.map(({ id, text, points_at }) => ({ id, text, points_at }));
}
