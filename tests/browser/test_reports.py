"""`make matrix`: starts what it needs, runs the in-page matrix in every browser here, writes the reports."""

import json
import os
import subprocess
import sys

import pytest

from browser_matrix import browsers, runner
from browser_matrix import report as reports
from stack.procs import ROOT
from tests.helpers import CREDENTIAL_COOKIE, SESSION_COOKIE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def made(tmp_path_factory, engine_here):
    """One real run of `python -m commands.matrix` (what `make matrix` calls), on its own Redis and ports, in
    WebKit over http alone (the quickest engine; test_matrix.py covers every engine's cells and the HTTPS column)."""
    engine_here("webkit")
    tmp_path = tmp_path_factory.mktemp("reports")
    env = {**os.environ, "MATRIX_REPORTS": str(tmp_path), "MATRIX_BROWSERS": "webkit", "MATRIX_HTTPS": ""}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-m", "commands.matrix"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    return tmp_path, done


@pytest.mark.timeout(300)  # a whole `make matrix` in one engine: ~1 minute here, more on a busy machine
def test_make_matrix_writes_json_markdown_and_html_with_the_browser_version(made):
    """The report names every run (engine, profile, scheme, column), the browser's version and its profile as read."""
    tmp_path, done = made
    report = json.loads((tmp_path / "matrix.json").read_text())
    runs = [(run["engine"], run["profile"], run["scheme"], run["frontend"]) for run in report["runs"]]
    assert runs == [("webkit", p, "http", f) for p in browsers.profiles("webkit") for f in runner.FRONTENDS]
    assert [run["profile_read"]["cookie_store"] for run in report["runs"][::3]] == ["no-third-party", "always"]
    version = report["runs"][0]["version"]
    assert version[0].isdigit()
    markdown = (tmp_path / "matrix.md").read_text()
    assert f"**webkit {version}**" in markdown and "**All engines**" in markdown
    assert f"webkit {version}" in (tmp_path / "matrix.html").read_text()
    assert markdown in done.stdout  # the same table is printed
    cells = [run["cells"] for run in report["runs"] if run["frontend"] != "B_proxy"]
    assert all(len(c) == len(cells[0]) for c in cells)
    keys = {"method", "storage", "cookie_option", "works", "status", "reason", "evidence"}
    assert all(keys <= set(cell) and "partitioned" in cell["evidence"] for run in cells for cell in run)


@pytest.mark.timeout(300)
def test_the_html_report_has_a_legend_and_fits_a_phone(made, playwright, engine_here):
    """reports/matrix.html explains ✓ᵖ and its columns, and at 390 px the page does not scroll sideways: each wide
    table scrolls inside its own box."""
    chromium = engine_here("chromium")
    tmp_path, _ = made
    browser = playwright.chromium.launch(executable_path=chromium.executable, args=list(browsers.CHROMIUM_FLAGS))
    try:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto((tmp_path / "matrix.html").as_uri())
        legend = page.inner_text("#legend")
        widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth, view: innerWidth,
            tables: [...document.querySelectorAll('.scroll')].map((box) => [box.clientWidth, box.scrollWidth])})""")
    finally:
        browser.close()
    assert "✓ᵖ" in legend and "partitioned" in legend and "B through its own /api/" in legend
    assert widths["page"] <= widths["view"] == 390
    assert widths["tables"] and all(client <= 390 for client, _ in widths["tables"])
    assert any(scroll > client for client, scroll in widths["tables"])  # the table is wider: it scrolls in its box


def test_the_reports_escape_in_html_and_keep_markdown_as_written():
    """Reasons come from the page: the HTML template escapes them (autoescape), the Markdown one keeps them, and a
    cell's colour follows its mark; no browser needed."""
    reason = "<b>blocked</b> & \"partitioned\""
    cells = [{"method": "session", "storage": "cookie", "cookie_option": option, "works": works, "status": status,
              "reason": reason, "evidence": {"partitioned": works or None}}
             for option, works, status in (("Lax", False, 401), ("None+Partitioned", True, 200))]
    run = {"engine": "webkit", "version": "2.38", "profile": "default", "profile_title": "cog's <default>",
           "profile_read": {"cookie_store": "no-third-party"}, "scheme": "http", "frontend": "B", "cells": cells}
    made = {"generated": "2026-12-06T06:00:00+00:00", "runs": [run], "absent": [{"engine": "firefox", "why": "<no>"}]}
    page, markdown = reports.html_page(made), reports.markdown(made)
    assert "<b>" not in page and "&lt;b&gt;blocked&lt;/b&gt; &amp; &#34;partitioned&#34;" in page
    assert "cog&#39;s &lt;default&gt;" in page and "<p>not run: firefox : &lt;no&gt;</p>" in page
    assert '<td>Lax</td><td class="no">✗ 401 [1]</td>' in page
    assert '<td>None+Partitioned</td><td class="ok">✓ᵖ 200 [1]</td>' in page
    assert f"1. {reason}\n" in markdown and "- not run: firefox: <no>\n" in markdown
    assert "| session | cookie | None+Partitioned | ✓ᵖ 200 [1] |" in markdown


def test_the_compact_table_shares_a_footnote_across_methods_whose_reasons_differ_only_by_cookie():
    """The page names each method's cookie (from the API's table) in its reasons and in evidence.cookie: the compact
    table says "method's cookie" instead, so a session's and a token's identical refusals share one footnote."""
    def cell(method, cookie):
        reason = f"Cookie not sent: no {cookie} cookie came back."
        return {"method": method, "storage": "cookie", "cookie_option": "Lax", "works": False, "status": 401,
                "reason": reason, "evidence": {"cookie": cookie, "partitioned": None}}

    run = {"engine": "webkit", "profile": "default", "frontend": "B",
           "cells": [cell("session", SESSION_COOKIE), cell("token", f"__Host-{CREDENTIAL_COOKIE['token']}")]}
    table = reports.compact({"runs": [run]})
    assert table.reasons == ["Cookie not sent: no method's cookie came back."]
    assert [row[-1] for row in table.rows] == ["✗1", "✗1"]
