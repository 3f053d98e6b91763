"""`make matrix`: run the in-page matrix runner of both frontends in every browser here, write the reports.

Starts its own Redis (unless REDIS_URL is set), API and frontends on free loopback ports (A on
`localhost`, B on `127.0.0.1`), clicks "Run the matrix here" on each frontend in each engine and
cookie profile (WebKit over HTTPS too: MATRIX_HTTPS), prints the table and writes reports/matrix.json, .md and
.html (MATRIX_REPORTS=dir).
"""

import html
import json
import os
import re
import secrets
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import browsers, certs, procs, redis_server
from .environment import api_environment

RUN_TIMEOUT_MS = 90_000
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
        return {"A": self.a, "B": self.b}[name]


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


def click_and_read(browser, origin, button, key):
    """Open the frontend, click `button` as a person would, wait, and read window.authlab[key] (what it shows)."""
    page = browser.open(origin + "/")
    try:
        page.click(button)
        page.wait_until(f"window.authlab.{key} !== null", RUN_TIMEOUT_MS)
        return page.evaluate(f"window.authlab.{key}")
    finally:
        page.close()


def first_party_view(browser, origins, cells):
    """For each cookie cell that worked from B: log in again from B, look from A (the API's own site, a first-party
    request) whether the cookie is in the API's own jar, and let B's runner log out and say where it was kept.
    Returns the cells with evidence.partitioned true/false (null where nothing came back to look for)."""
    checked = []
    page = browser.open(origins.b + "/")
    try:
        for cell in cells:
            if cell["storage"] != "cookie" or not cell["works"]:
                checked.append({**cell, "evidence": {**cell["evidence"], "partitioned": None}})
                continue
            scenario = json.dumps({k: cell[k] for k in ("method", "storage", "cookie_option")})
            page.evaluate(f"(await import('/shared/runner.js')).loginAgain({scenario})")
            page.goto(origins.a + "/")
            first_party = page.evaluate("(await import('/shared/client.js')).echo({credentials: 'include'})")
            page.goto(origins.b + "/")
            checked.append(page.evaluate(
                f"(await import('/shared/runner.js')).withFirstPartyView({json.dumps(cell)}, {json.dumps(first_party)})"))
    finally:
        page.close()
    return checked


def run_matrix(browser, origins, frontend):
    """The cells "Run the matrix here" shows on that frontend, from B with the first-party check merged in."""
    browser.clear_cookies((origins.api, origins.a, origins.b))
    cells = click_and_read(browser, origins.frontend(frontend), "#run-matrix", "matrix")
    return first_party_view(browser, origins, cells) if frontend == "B" else cells


def run_all(playwright, columns, workdir, tls=None):
    """Every present engine x profile x scheme x frontend; absent engines are listed.
    columns: {"http": origins, "https": origins}; HTTPS runs only in HTTPS_ENGINES."""
    report = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
                browser = browsers.launch(playwright, engine, profile, Path(workdir) / f"{engine.name}-{profile}-{scheme}", tls)
                try:
                    for frontend in ("A", "B"):
                        started = time.monotonic()
                        report["runs"].append({
                            "engine": engine.name, "version": browser.version, "executable": engine.executable,
                            "profile": profile, "profile_title": browsers.profile_title(engine.name, profile),
                            "scheme": scheme, "frontend": frontend, "origin": origins.frontend(frontend),
                            "cells": run_matrix(browser, origins, frontend),
                        })
                        print(f"ran {engine.name} {browser.version} {profile} {scheme} {frontend} in "
                              f"{time.monotonic() - started:.1f} s", file=sys.stderr)
                finally:
                    browser.close()
    return report


def _mark(cell):
    """✓ worked, ✗ did not; ᵖ: worked, kept in a jar of that site's own (partitioned)."""
    return ("✓" + ("ᵖ" if cell["evidence"].get("partitioned") else "")) if cell["works"] else "✗"


def _footnote(reasons, reason):
    if reason not in reasons:
        reasons.append(reason)
    return reasons.index(reason) + 1


def _scenario(cell):
    return [cell["method"], cell["storage"], cell["cookie_option"] or "-"]


COOKIE_NAME = re.compile(r"\b(__Host-)?(session_id|opaque_token|signed_token|jwt_access) cookie")


def compact(report):
    """(headings, rows, footnotes): one table, scenarios x engine/profile/scheme/frontend, cells like "✗3"
    (footnotes shared across methods: the cookie's name becomes "the method's cookie")."""
    runs, reasons = report["runs"], []
    headings = ["method", "storage", "cookie"] + [
        f"{r['engine']} {r['profile']}{' https' if r.get('scheme') == 'https' else ''} {r['frontend']}" for r in runs]
    rows = [_scenario(cell) + [
        f"{_mark(run['cells'][i])}{_footnote(reasons, COOKIE_NAME.sub('method' + chr(39) + 's cookie', run['cells'][i]['reason']))}"
        for run in runs]
            for i, cell in enumerate(runs[0]["cells"] if runs else [])]
    return headings, rows, reasons


def _grid(report):
    """(title, headings, rows, footnotes) per engine: rows are scenarios, columns profile x scheme x frontend."""
    tables = {}
    for run in report["runs"]:
        tables.setdefault((run["engine"], run["version"]), []).append(run)
    for (engine, version), runs in tables.items():
        columns = [f"{run['frontend']} · {run.get('scheme', 'http')} · {run['profile_title']}" for run in runs]
        reasons, rows = [], []
        for index, cell in enumerate(runs[0]["cells"]):
            rows.append(_scenario(cell) + [
                f"{_mark(run['cells'][index])} {run['cells'][index]['status']} [{_footnote(reasons, run['cells'][index]['reason'])}]"
                for run in runs])
        yield f"{engine} {version}", ["method", "storage", "cookie option", *columns], rows, reasons


def _table(headings, rows):
    return ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)] + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(report):
    headings, rows, reasons = compact(report)
    lines = ["**All engines** (✓ = `me` answered 200 from that page, ✓ᵖ = and the cookie was partitioned, "
             "✗ = it did not; the number is the reason, below)", ""]
    lines += _table(headings, rows) + [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    for title, headings, rows, reasons in _grid(report):
        lines += [f"**{title}** (headless; ✓ = `me` answered 200 from that page, ✗ = it did not; [n] = why, below)", ""]
        lines += _table(headings, rows)
        lines += [""] + [f"{n}. {reason}" for n, reason in enumerate(reasons, 1)] + [""]
    for missing in report["absent"]:
        lines.append(f"- not run: {missing['engine']}{' / ' + missing['profile'] if 'profile' in missing else ''}: {missing['why']}")
    return "\n".join(lines) + "\n"


def html_page(report):
    parts = ["<!doctype html><meta charset=utf-8><title>authlab matrix</title>",
             "<style>body{font:15px/1.5 system-ui;margin:2rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}"
             "table{border-collapse:collapse}.ok{background:#e3f4ea}.no{background:#fbe7e5}</style>",
             f"<h1>authlab matrix</h1><p>generated {html.escape(report['generated'])}</p>"]
    for title, headings, rows, reasons in _grid(report):
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headings) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in row[:3])
            cells += "".join(f"<td class={'ok' if c.startswith('✓') else 'no'}>{html.escape(c)}</td>" for c in row[3:])
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table><ol>" + "".join(f"<li>{html.escape(r)}</li>" for r in reasons) + "</ol>")
    parts += [f"<p>not run: {html.escape(m['engine'])} {html.escape(m.get('profile', ''))}: {html.escape(m['why'])}</p>" for m in report["absent"]]
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
            redis_url = stack.enter_context(redis_server.server(procs.free_port(), Path(tmp) / "redis", log=Path(tmp) / "redis.log")).url
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
