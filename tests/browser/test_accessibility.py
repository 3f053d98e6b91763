"""axe-core (pinned in package-lock.json, installed by `make install`) run inside both pages in their main states:
fresh, after a login and `me`, after a matrix run. Zero violations; the keyboard keeps its place."""

import os

import pytest

from stack.procs import ROOT

from .test_ui import choose, step

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's script; on CI (MATRIX_REQUIRE set) its absence fails, elsewhere it skips with how to get it."""
    if not AXE.exists():
        if os.environ.get("MATRIX_REQUIRE"):
            pytest.fail(f"{AXE} is missing: make install runs npm ci")
        pytest.skip("axe-core is not installed: make install (needs npm)")
    return AXE.read_text()


def violations(page, axe_source):
    """axe-core's violations on the page as it is now: [(rule id, how many nodes, first target)]."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=axe_source)
    found = page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)")
    return [(v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in found]


def reach(page, state):
    """Bring a page into one of its main states."""
    if state == "after a login":
        choose(page, "session", "cookie", "Lax")
        step(page, "login")
        step(page, "me")
    elif state == "after a matrix run":
        page.click("#run-matrix")
        page.wait_for_function("() => window.authlab.matrix !== null", timeout=60_000)


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_no_axe_violations_in_the_pages_main_states(open_frontend, axe_source, frontend):
    """Fresh, after a login and me, after the matrix: axe-core finds nothing, in each state in turn."""
    page = open_frontend(frontend)
    found = {}
    for state in ("fresh", "after a login", "after a matrix run"):
        reach(page, state)
        found[state] = violations(page, axe_source)
    assert found == {"fresh": [], "after a login": [], "after a matrix run": []}
