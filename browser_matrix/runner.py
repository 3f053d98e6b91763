"""Clicking "Run the matrix here" in a browser, as a person would: each page, each column, every engine and profile.

The cells are what the page itself reports; the harness only adds the first-party look where the browser opens no
second window, and the profile as read back from the running browser. browser_matrix/report.py renders them.
"""

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import browsers

RUN_TIMEOUT_MS = 90_000
# The page has run its own modules (the method table loaded: a top-level await); only then may the harness import
# them itself (WPE WebKit 2.38 resolves a dynamic import of a module still in its top-level await too early).
PAGE_READY = "window.authlab?.steps !== undefined"
# The matrix's columns per browser: each page, and page B calling the API through its own origin's /api/ (the
# reverse proxy of stack/static_server.py: the API on the page's own site), where only cookies are in question.
FRONTENDS = ("A", "B", "B_proxy")


def https_engines():
    """MATRIX_HTTPS: the engines that run the HTTPS column too. By default WebKit, whose http results hide its cookie
    rules (it refuses Secure over http); MATRIX_HTTPS=chromium,firefox,webkit: every engine; MATRIX_HTTPS=: none."""
    return tuple(n.strip() for n in os.environ.get("MATRIX_HTTPS", "webkit").split(",") if n.strip())


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
            page.wait_until(PAGE_READY, RUN_TIMEOUT_MS)  # its buttons are wired once the method table is in
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
            page.wait_until(PAGE_READY, RUN_TIMEOUT_MS)
            page.evaluate(f"(await import('/shared/runner.js')).loginAgain({scenario})")
            page.goto(origins.a + "/")
            first_party = page.evaluate("(await import('/shared/client.js')).echo({credentials: 'include'})")
            page.goto(origins.b + "/")
            page.wait_until(PAGE_READY, RUN_TIMEOUT_MS)
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
        page.wait_until(PAGE_READY, RUN_TIMEOUT_MS)
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
    columns: {"http": origins, "https": origins}; HTTPS runs only in https_engines()."""
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "origins": vars(columns["http"]), "https_origins": vars(columns["https"]) if "https" in columns else None,
        "runs": [], "absent": [],
    }
    over_https = https_engines()
    for engine in browsers.engines(playwright):
        if not engine.present:
            report["absent"].append({"engine": engine.name, "why": engine.why})
            continue
        for profile in browsers.profiles(engine.name):
            for scheme, origins in columns.items():
                if scheme == "https" and engine.name not in over_https:
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
