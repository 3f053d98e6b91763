"""`make matrix`: run the in-page matrix runner of both frontends in every browser here, write the reports.

Starts its own Redis (unless REDIS_URL is set), API and frontends on free loopback ports (A on
`localhost`, B on `127.0.0.1`), clicks "Run the matrix here" on each frontend in each engine and
cookie profile, prints the table and writes reports/matrix.json, .md and .html (MATRIX_REPORTS=dir).
"""

import html
import json
import os
import secrets
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import browsers, procs, redis_server

RUN_TIMEOUT_MS = 90_000
PROFILE_TITLES = {"default": "default (third-party cookies blocked)", "third_party_allowed": "third-party cookies allowed"}


@dataclass(frozen=True)
class Origins:
    api: str
    a: str
    b: str
    issuer: str

    def frontend(self, name):
        return {"A": self.a, "B": self.b}[name]


@contextmanager
def servers(workdir, redis_url):
    """The API, both frontends and the issuer on free ports with the contract's host relations; all stopped on exit."""
    workdir = Path(workdir)
    api, a, b, issuer = (procs.free_port() for _ in range(4))
    origins = Origins(f"http://localhost:{api}", f"http://localhost:{a}", f"http://127.0.0.1:{b}", f"http://127.0.0.1:{issuer}")
    from .environment import api_environment  # here, so this hunk is the whole change to this file

    # A matrix run logs in ~15 times per page, every page from 127.0.0.1: the login limits are lifted.
    env = api_environment(
        api, redis_url, secrets.token_hex(32), lenient_limits=True, JWT_SECRET=secrets.token_hex(32),
        FRONTEND_A_ORIGIN=origins.a, FRONTEND_B_ORIGIN=origins.b, ISSUER_ORIGIN=origins.issuer,
    )
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


def click_and_read(context, origin, button, key):
    """Open the frontend, click `button` as a person would, wait, and read window.authlab[key] (what it shows)."""
    page = context.new_page()
    try:
        page.goto(origin + "/")
        page.click(button)
        page.wait_for_function(f"() => window.authlab.{key} !== null", timeout=RUN_TIMEOUT_MS)
        return page.evaluate(f"() => window.authlab.{key}")
    finally:
        page.close()


def run_in_page(context, origin):
    """The cells "Run the matrix here" shows on that frontend."""
    return click_and_read(context, origin, "#run-matrix", "matrix")


def run_all(playwright, origins, workdir):
    """Every present engine x profile x frontend; absent engines and unsupported profiles are listed."""
    report = {"generated": datetime.now(timezone.utc).isoformat(timespec="seconds"), "origins": vars(origins), "runs": [], "absent": []}
    for engine in browsers.engines(playwright):
        if not engine.present:
            report["absent"].append({"engine": engine.name, "why": engine.why})
            continue
        for profile in browsers.PROFILES:
            if not browsers.profile_supported(engine, profile):
                report["absent"].append({"engine": engine.name, "profile": profile, "why": "no switch for this profile"})
                continue
            context = browsers.launch(playwright, engine, profile, Path(workdir) / f"{engine.name}-{profile}")
            try:
                for frontend in ("A", "B"):
                    cells = run_in_page(context, origins.frontend(frontend))
                    report["runs"].append({
                        "engine": engine.name, "version": browsers.version(context), "executable": engine.executable,
                        "profile": profile, "frontend": frontend, "origin": origins.frontend(frontend), "cells": cells,
                    })
            finally:
                context.close()
    return report


def _grid(report):
    """(columns, rows, footnotes) per engine: rows are scenarios, columns frontend x profile."""
    tables = {}
    for run in report["runs"]:
        tables.setdefault((run["engine"], run["version"]), []).append(run)
    for (engine, version), runs in tables.items():
        columns = [f"{run['frontend']} · {PROFILE_TITLES[run['profile']]}" for run in runs]
        reasons, rows = [], []
        for index, cell in enumerate(runs[0]["cells"]):
            row = [cell["method"], cell["storage"], cell["cookie_option"] or "-"]
            for run in runs:
                cell = run["cells"][index]
                if cell["reason"] not in reasons:
                    reasons.append(cell["reason"])
                mark = "✓" if cell["works"] else "✗"
                row.append(f"{mark} {cell['status']} [{reasons.index(cell['reason']) + 1}]")
            rows.append(row)
        yield f"{engine} {version}", ["method", "storage", "cookie option", *columns], rows, reasons


def markdown(report):
    lines = []
    for title, headings, rows, reasons in _grid(report):
        lines += [f"**{title}** (headless; ✓ = `me` answered 200 from that page, ✗ = it did not; [n] = why, below)", ""]
        lines += ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
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
        origins = stack.enter_context(servers(tmp, redis_url))
        with sync_playwright() as playwright:
            report = run_all(playwright, origins, tmp)
    if not report["runs"]:
        print("authlab matrix: no browser to run in:", "; ".join(m["why"] for m in report["absent"]), file=sys.stderr)
        return 1
    print(markdown(report))
    print(f"reports written to {write_reports(report, outdir)}/matrix.json, matrix.md, matrix.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
