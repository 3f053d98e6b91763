// "The price of cookies", on page B: a plain HTML form, as any other site could serve, posting to the API's session
// logout. The browser attaches the API's cookies it may send on a cross-site POST (SameSite=None ones; Lax ones stay
// home); the API then stops the request by its Origin check and its CSRF token. The answer opens in a new tab.
import { el } from "./dom.js";

// The form itself: no script, no body, no header of ours; only what a browser sends for a form.
function form(action, label, id) {
  return el("form", { method: "post", action, target: "_blank", id }, el("button", { type: "submit" }, label));
}

// The same form in a sandboxed frame: its document has no origin of its own, so the browser sends `Origin: null`.
function sandboxed(action) {
  const page = `<!doctype html><html lang="en"><title>a form from an unknown site</title>
<form method="post" action="${action}" target="_blank"><button type="submit">Post it from an unknown site (Origin: null)</button></form>`;
  return el("iframe", { id: "forged-frame", title: "The same form, from a page with no origin", sandbox: "allow-forms allow-popups allow-popups-to-escape-sandbox", srcdoc: page });
}

// `logout`: the session's logout path, from the API's method table.
export function crossSiteFormPanel(api, logout) {
  const action = api + logout;
  return el(
    "section",
    { class: "card wide", id: "forged-form" },
    el("h2", {}, "The price of cookies: a form from another site"),
    el("p", {}, "A browser attaches the API's cookies to requests other sites start, a plain HTML form included. ",
      "Log in on page A with the session and cookie option None, then post this form: it asks ", el("code", {}, action), " to log you out."),
    el("div", { class: "actions" }, form(action, "Post a form to the API's logout", "forged-post"), sandboxed(action)),
    el("ul", {},
      el("li", {}, "With a None cookie the browser sends it (a top-level POST), so the API knows who asks: this page's origin is one of the API's own frontends, so the Origin check lets it pass, and the missing X-CSRF-Token stops it: 403 csrf_failed. You stay logged in on A."),
      el("li", {}, "From a page with no origin (the frame), the Origin check stops it first: 403 origin_not_allowed."),
      el("li", {}, "With a Lax cookie the browser does not send it on another site's POST at all: 401, nobody to log out.")),
    el("p", { class: "hint" }, "The API's answer opens in a new tab: the page that posted cannot read it (another origin)."),
  );
}
