"""`make matrix`: run the in-page matrix runner of both frontends in every browser here, write the reports.

Starts its own Redis (unless REDIS_URL is set), API and frontends on free loopback ports (A on
`localhost`, B on `127.0.0.1`), clicks "Run the matrix here" on each frontend in each engine and
cookie profile (WebKit over HTTPS too: MATRIX_HTTPS), prints the table and writes reports/matrix.json, .md and
.html (MATRIX_REPORTS=dir).
"""

import html
import json
import os
import secrets
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import browsers, certs, procs, redis_server
from .environment import api_environment

RUN_TIMEOUT_MS = 90_000
# The matrix's columns per browser: each page, and page B calling the API through its own origin's /api/ (the
# reverse proxy of stack/static_server.py: the API on the page's own site), where only cookies are in question.
FRONTENDS = ("A", "B", "B_proxy")
FRONTEND_TITLES = {"A": "A (same-site)", "B": "B (cross-site)", "B_proxy": "B through its own /api/"}
# The HTTPS column: by default WebKit, whose http results hide its cookie rules (it refuses Secure over http);
# MATRIX_HTTPS=chromium,firefox,webkit runs it in every engine, MATRIX_HTTPS= in none.
HTTPS_ENGINES = tuple(n.strip() for n in os.environ.get("MATRIX_HTTPS", "webkit").split(",") if n.strip())


@dataclass(frozen=True)
class Origins:
    api: str
    a: str
    b: str
    issuer: str

    def frontend(self, name):
        return {"A": self.a, "B": self.b, "B_proxy": self.b}[name]


@contextmanager
def servers(workdir, redis_url, tls=None):
    """The API, both frontends and the issuer on free ports with the contract's host relations; all stopped on exit.
    With `tls` (stack.certs files) every origin is https, as in `make run-https`."""
    workdir = Path(workdir)
    api, a, b, issuer = (procs.free_port() for _ in range(4))
    s = "https" if tls else "http"
    origins = Origins(f"{s}://localhost:{api}", f"{s}://localhost:{a}", f"{s}://127.0.0.1:{b}", f"{s}://127.0.0.1:{issuer}")
    # A matrix run logs in ~15 times per page, every page from 127.0.0.1: the login limits are lifted.
    env = api_environment(
        api, redis_url, secrets.token_hex(32), scheme=s, lenient_limits=True, JWT_SECRET=secrets.token_hex(32),
        FRONTEND_A_ORIGIN=origins.a, FRONTEND_B_ORIGIN=origins.b, ISSUER_ORIGIN=origins.issuer,
    )
    if tls:
        env.update(TLS_CERT=str(tls.cert), TLS_KEY=str(tls.key), ISSUER_CA_FILE=str(tls.ca))
    services = [
        procs.api(api, env, workers=2, log=workdir / "api.log"),
        procs.frontend("frontend_a", a, env, log=workdir / "frontend_a.log"),
        procs.frontend("frontend_b", b, env, log=workdir / "frontend_b.log"),
        procs.issuer(issuer, env, log=workdir / "issuer.log"),
    ]
    try:
        for service in services:
            service.start()
        yield origins
    finally:
        for service in reversed(services):
            service.stop()


# cog shows one view: the page's window.open (its look from the API's own site) would replace the page itself.
SINGLE_VIEW_ENGINES = {"webkit"}


class RunStopped(RuntimeError):
    """The page said its run stopped (e.g. a request with no answer within its timeout): no result to read."""


def click_and_read(browser, origin, button, key, attempts=2):
    """Open the frontend, click `button` as a person would, wait, and read window.authlab[key] (what it shows).
    A run the page itself reports as stopped (its "… stopped: why" line) is clicked once more on a fresh page, as a
    person would: a request lost on a busy machine is no observation; a result, whatever it says, is never retried."""
    single_view = browser.engine.name in SINGLE_VIEW_ENGINES
    for attempt in range(1, attempts + 1):
        page = browser.open(origin + ("/?first-party-look=off" if single_view else "/"))
        try:
            page.click(button)
            stopped = "(document.querySelector('#error')?.textContent || '').includes(' stopped: ')"
            page.wait_until(f"window.authlab.{key} !== null || {stopped}", RUN_TIMEOUT_MS)
            if page.evaluate(f"window.authlab.{key} !== null"):
                return page.evaluate(f"window.authlab.{key}")
            why = page.evaluate("document.querySelector('#error').textContent")
        finally:
            page.close()
        if attempt == attempts:
            raise RunStopped(f"{origin} {button}: {why}")


def first_party_view(browser, origins, cells):
    """The fallback where the page's own look got no answer (a browser that opens no second window, as cog): for
    each such cookie cell that worked from B, log in again from B, look from A (the API's own site, a first-party
    request) whether the cookie is in the API's own jar, and let B's runner log out and say where it was kept.
    Cells the page already looked at are kept as they are (evidence.partitioned_seen_by "page")."""
    if not any(c["storage"] == "cookie" and c["works"] and c["evidence"].get("partitioned") is None for c in cells):
        return cells
    checked = []
    page = browser.open(origins.b + "/")
    try:
        for cell in cells:
            if cell["storage"] != "cookie" or not cell["works"] or cell["evidence"].get("partitioned") is not None:
                checked.append(cell)
                continue
            scenario = json.dumps({k: cell[k] for k in ("method", "storage", "cookie_option")})
            page.evaluate(f"(await import('/shared/runner.js')).loginAgain({scenario})")
            page.goto(origins.a + "/")
            first_party = page.evaluate("(await import('/shared/client.js')).echo({credentials: 'include'})")
            page.goto(origins.b + "/")
            checked.append(page.evaluate(
                f"(await import('/shared/runner.js')).withFirstPartyView("
                f"{json.dumps(cell)}, {json.dumps(first_party)})"))
    finally:
        page.close()
    return checked


def through_own_api(browser, origins):
    """Page B with the API at its own origin's /api/ (config.apiProxy): every cookie scenario, run by the page's
    runner (cookies only: a header travels the same either way)."""
    page = browser.open(origins.b + "/")
    try:
        page.wait_until("window.authlab !== undefined", RUN_TIMEOUT_MS)
        return page.evaluate(
            "await (async () => { const {config} = await import('/shared/client.js');"
            " if (!config.apiProxy) throw new Error('this page has no /api/ of its own');"
            " config.api = config.apiProxy;"
            " return (await import('/shared/runner.js')).runMatrix(undefined, (s) => s.storage === 'cookie'); })()")
    finally:
        page.close()


def run_matrix(browser, origins, frontend):
    """The cells "Run the matrix here" shows on that frontend (from B with the first-party check merged in; B_proxy:
    B through its own /api/), each with the profile as read from the running browser."""
    browser.clear_cookies((origins.api, origins.a, origins.b))
    if frontend == "B_proxy":
        cells = through_own_api(browser, origins)
    else:
        cells = click_and_read(browser, origins.frontend(frontend), "#run-matrix", "matrix")
        cells = first_party_view(browser, origins, cells) if frontend == "B" else cells
    return [{**cell, "evidence": {**cell["evidence"], "profile_read": browser.profile_read}} for cell in cells]


def run_all(playwright, columns, workdir, tls=None):
    """Every present engine x profile x scheme x frontend; absent engines are listed.
    columns: {"http": origins, "https": origins}; HTTPS runs only in HTTPS_ENGINES."""
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "origins": vars(columns["http"]), "https_origins": vars(columns["https"]) if "https" in columns else None,
        "runs": [], "absent": [],
    }
    for engine in browsers.engines(playwright):
        if not engine.present:
            report["absent"].append({"engine": engine.name, "why": engine.why})
            continue
        for profile in browsers.profiles(engine.name):
            for scheme, origins in columns.items():
                if scheme == "https" and engine.name not in HTTPS_ENGINES:
                    continue
                # A browser per scheme: the API's HSTS over https would upgrade every later http://localhost.
                browser = browsers.launch(playwright, engine, profile,
                                          Path(workdir) / f"{engine.name}-{profile}-{scheme}", tls)
                try:
                    for frontend in FRONTENDS:
                        started = time.monotonic()
                        report["runs"].append({
                            "engine": engine.name, "version": browser.version, "executable": engine.executable,
                            "profile": profile, "profile_title": browsers.profile_title(engine.name, profile),
                            "profile_read": browser.profile_read,
                            "scheme": scheme, "frontend": frontend, "origin": origins.frontend(frontend),
                            "cells": run_matrix(browser, origins, frontend),
                        })
                        report["runs"][-1]["seconds"] = round(time.monotonic() - started, 1)
                        print(f"ran {engine.name} {browser.version} {profile} {scheme} {frontend} in "
                              f"{time.monotonic() - started:.1f} s", file=sys.stderr)
                finally:
                    browser.close()
    return report


def _mark(cell):
    """✓ worked, ✗ did not; ᵖ: worked, kept in a jar of that site's own (partitioned); – not run in that column."""
    if cell is None:
        return "–"
    return ("✓" + ("ᵖ" if cell["evidence"].get("partitioned") else "")) if cell["works"] else "✗"


def _footnote(reasons, reason):
    if reason not in reasons:
        reasons.append(reason)
    return reasons.index(reason) + 1


def _key(cell):
    return cell["method"], cell["storage"], cell["cookie_option"]


def _scenario(key):
    method, storage, option = key
    return [method, storage, option or "-"]


def _scenarios(runs):
    """Every scenario of these runs, in the order the runner ran them (B's own /api/ column runs cookies only)."""
    return list(dict.fromkeys(_key(cell) for run in runs for cell in run["cells"]))


def _cells(run):
    return {_key(cell): cell for cell in run["cells"]}


LEGEND = [
    ("✓", "`me` answered 200 from that page"),
    ("✓ᵖ", "it did, and the cookie was kept in a jar of that page's site only "
           "(partitioned: the API's own site never sees it)"),
    ("✗", "it did not"),
    ("–", "not run in that column (B through its own /api/ runs the cookie scenarios only)"),
]
COLUMNS_LEGEND = [
    ("A", "page A, same-site with the API (localhost; ports do not count)"),
    ("B", "page B, cross-site (127.0.0.1): the API's cookies are third-party there"),
    ("B through its own /api/", "page B calling the API through B's own server (a reverse proxy): "
                                "the API on the page's site"),
]


def _heading(run):
    scheme = " https" if run.get("scheme") == "https" else ""
    return f"{run['engine']} {run['profile']}{scheme} {FRONTEND_TITLES.get(run['frontend'], run['frontend'])}"


def _shared_reason(cell):
    """The cell's reason with its cookie's name (as the page's table named it) made "method's cookie"."""
    name = cell["evidence"].get("cookie")
    return cell["reason"].replace(f"{name} cookie", "method's cookie") if name else cell["reason"]


def compact(report):
    """(headings, rows, footnotes): one table, scenarios x engine/profile/scheme/frontend, cells like "✗3"
    (footnotes shared across methods: the cookie's name becomes "the method's cookie")."""
    runs, reasons = report["runs"], []
    headings = ["method", "storage", "cookie"] + [_heading(r) for r in runs]
    cells = [_cells(run) for run in runs]
    rows = []
    for key in _scenarios(runs):
        row = _scenario(key)
        for found in cells:
            cell = found.get(key)
            note = "" if cell is None else _footnote(reasons, _shared_reason(cell))
            row.append(f"{_mark(cell)}{note}")
        rows.append(row)
    return headings, rows, reasons


def _grid(report):
    """(title, headings, rows, footnotes) per engine: rows are scenarios, columns profile x scheme x frontend."""
    tables = {}
    for run in report["runs"]:
        tables.setdefault((run["engine"], run["version"]), []).append(run)
    for (engine, version), runs in tables.items():
        columns = [f"{FRONTEND_TITLES.get(run['frontend'], run['frontend'])} · {run.get('scheme', 'http')} · "
                   f"{run['profile_title']}" for run in runs]
        reasons, rows, cells = [], [], [_cells(run) for run in runs]
        for key in _scenarios(runs):
            row = _scenario(key)
            for found in cells:
                cell = found.get(key)
                row.append("–" if cell is None
                           else f"{_mark(cell)} {cell['status']} [{_footnote(reasons, cell['reason'])}]")
            rows.append(row)
        yield f"{engine} {version}", ["method", "storage", "cookie option", *columns], rows, reasons


def _table(headings, rows):
    return (["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def _profiles_read(report):
    """One line per browser run: the profile as read back from the running browser."""
    seen = {}
    for run in report["runs"]:
        seen.setdefault((run["engine"], run["profile"], run.get("scheme", "http")), run.get("profile_read"))
    return [f"{engine} {profile} ({scheme}): {json.dumps(read, ensure_ascii=False)}"
            for (engine, profile, scheme), read in seen.items()]


def markdown(report):
    headings, rows, reasons = compact(report)
    legend = "; ".join(f"{mark} = {text.replace('`', '')}" for mark, text in LEGEND)
    lines = [f"**All engines** ({legend}; the number is the reason, below)", ""]
    lines += _table(headings, rows) + [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    lines += ["Columns: " + "; ".join(f"**{name}** = {text}" for name, text in COLUMNS_LEGEND) + ".", ""]
    for title, headings, rows, reasons in _grid(report):
        lines += [f"**{title}** (headless; [n] = why, below)", ""]
        lines += _table(headings, rows)
        lines += [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    lines += (["Profiles as read from the running browsers:", ""]
              + [f"- {line}" for line in _profiles_read(report)] + [""])
    for missing in report["absent"]:
        lines.append(f"- not run: {missing['engine']}{' / ' + missing['profile'] if 'profile' in missing else ''}: "
                     f"{missing['why']}")
    return "\n".join(lines) + "\n"


STYLE = (
    "body{font:15px/1.5 system-ui;margin:1rem;max-width:100%}"
    ".scroll{overflow-x:auto;max-width:100%}"  # a wide table scrolls inside its own box, never the page
    "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "table{border-collapse:collapse}.ok{background:#e3f4ea}.no{background:#fbe7e5}"
    "ol,dl{overflow-wrap:anywhere}dt{font-weight:600}"
)


def html_page(report):
    esc = html.escape
    parts = ["<!doctype html><html lang=en><meta charset=utf-8>",
             "<meta name=viewport content='width=device-width, initial-scale=1'><title>authlab matrix</title>",
             f"<style>{STYLE}</style>",
             f"<h1>authlab matrix</h1><p>generated {esc(report['generated'])}</p>",
             "<h2>How to read it</h2><dl id=legend>"
             + "".join(f"<dt>{esc(mark)}</dt><dd>{esc(text.replace('`', ''))}</dd>" for mark, text in LEGEND)
             + "".join(f"<dt>{esc(name)}</dt><dd>{esc(text)}</dd>" for name, text in COLUMNS_LEGEND)
             + "<dt>[n]</dt><dd>the reason the page gave, numbered below each table</dd></dl>"]
    for title, headings, rows, reasons in _grid(report):
        parts.append(f"<h2>{esc(title)}</h2><div class=scroll><table>"
                     f"<caption>{esc(title)}: each scenario in each column</caption><tr>"
                     + "".join(f"<th scope=col>{esc(h)}</th>" for h in headings) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{esc(c)}</td>" for c in row[:3])
            cells += "".join(f"<td class={'ok' if c.startswith('✓') else 'no'}>{esc(c)}</td>" for c in row[3:])
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table></div><ol>" + "".join(f"<li>{esc(r)}</li>" for r in reasons) + "</ol>")
    parts.append("<h2>Profiles as read from the running browsers</h2><ul>"
                 + "".join(f"<li>{esc(line)}</li>" for line in _profiles_read(report)) + "</ul>")
    parts += [f"<p>not run: {esc(m['engine'])} {esc(m.get('profile', ''))}: {esc(m['why'])}</p>"
              for m in report["absent"]]
    return "\n".join(parts) + "\n"


def write_reports(report, outdir):
    """reports/matrix.json, .md and .html from one run."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "matrix.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (outdir / "matrix.md").write_text(markdown(report))
    (outdir / "matrix.html").write_text(html_page(report))
    return outdir


def main():
    from playwright.sync_api import sync_playwright

    outdir = Path(os.environ.get("MATRIX_REPORTS", procs.ROOT / "reports"))
    with tempfile.TemporaryDirectory(prefix="authlab-matrix-") as tmp, ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis_url = stack.enter_context(redis_server.server(procs.free_port(), Path(tmp) / "redis",
                                                                log=Path(tmp) / "redis.log")).url
        tls = certs.ensure(Path(tmp) / "tls")
        for scheme in ("http", "https"):
            (Path(tmp) / scheme).mkdir()
        columns = {"http": stack.enter_context(servers(Path(tmp) / "http", redis_url))}
        if HTTPS_ENGINES:
            columns["https"] = stack.enter_context(servers(Path(tmp) / "https", redis_url, tls))
        with sync_playwright() as playwright:
            report = run_all(playwright, columns, tmp, tls)
    if not report["runs"]:
        print("authlab matrix: no browser to run in:", "; ".join(m["why"] for m in report["absent"]), file=sys.stderr)
        return 1
    print(markdown(report))
    print(f"reports written to {write_reports(report, outdir)}/matrix.json, matrix.md, matrix.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
