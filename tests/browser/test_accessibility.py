"""axe-core (pinned in package-lock.json, installed by `make install`) run inside both pages in their main states:
fresh, after a login and `me`, after a matrix run. Zero violations; the keyboard keeps its place."""

import os

import pytest

from stack.procs import ROOT

from .test_ui import choose, close_matrix_pages, page_after_the_matrix, step

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


@pytest.fixture(scope="session")
def matrix_page(contexts, servers):
    """matrix_page("A" | "B"): the page test_ui's advice tests read too (the matrix runs once per frontend)."""
    yield lambda frontend: page_after_the_matrix(contexts("chromium", "default"), servers, frontend)
    close_matrix_pages()


def violations(page, axe_source):
    """axe-core's violations on the page as it is now: [(rule id, how many nodes, first target)]."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source)  # not a <script> tag: the page's Content-Security-Policy would refuse one
    found = page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)")
    return [(v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in found]


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_no_axe_violations_in_the_pages_main_states(open_frontend, matrix_page, axe_source, frontend):
    """Fresh, after a login and me, after the matrix (run by keyboard): axe-core finds nothing in any of them."""
    page = open_frontend(frontend)
    found = {"fresh": violations(page, axe_source)}
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    step(page, "me")
    found["after a login"] = violations(page, axe_source)
    ran = matrix_page(frontend)
    found["after a matrix run"] = violations(ran, axe_source)
    assert found == {"fresh": [], "after a login": [], "after a matrix run": []}
    assert ran.focused == "run-matrix"  # the keyboard stayed on the button through the whole run
    assert ran.text_content("#announce").startswith("The matrix: done, ")  # said at its end (and start), not per cell


@pytest.mark.parametrize("button", ['button[data-verb="login"]', 'button[data-verb="me"]'])
def test_the_keyboard_stays_on_the_pressed_button(open_frontend, button):
    """Enter on a button: while it runs and after, the focus is still on that button (not dropped to <body>). Each
    change of its `aria-disabled` is recorded as it happens (a fast answer may have come and gone before the test
    could look), with where the focus was then."""
    page = open_frontend("A")
    page.focus(button)
    page.evaluate("""() => {
        const pressed = document.activeElement;
        window.busyTrail = [];
        new MutationObserver((records) => records.forEach((record) => window.busyTrail.push(
            { was: record.oldValue, focused: document.activeElement === pressed },
        ))).observe(pressed, { attributes: true, attributeFilter: ['aria-disabled'], attributeOldValue: true });
    }""")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.busyTrail.length > 1 && document.activeElement.getAttribute('aria-disabled')"
                           " === 'false'", timeout=60_000)
    trail = page.evaluate("window.busyTrail")
    assert "true" in [change["was"] for change in trail], trail  # it was busy while it ran ...
    assert all(change["focused"] for change in trail), trail  # ... with the focus on it throughout
    assert page.evaluate("(selector) => document.activeElement === document.querySelector(selector)", button)


def test_only_a_short_summary_is_live(open_frontend):
    """A screen reader hears one line per step ("Me: 200, ok."), not the panels; the pill says ok or failed."""
    page = open_frontend("B")
    live = "() => [...document.querySelectorAll('[aria-live], [role=status], [role=alert], output')].map((n) => n.id)"
    assert sorted(page.evaluate(live)) == ["announce", "error", "health"]
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    step(page, "me")
    assert page.text_content("#announce") == "Me: 401, failed."
    assert page.text_content("#status-pill") == "401failed"
    assert page.get_attribute("#result", "aria-live") is None


@pytest.mark.parametrize("width", [320, 360])
def test_no_sideways_scroll_on_a_narrow_phone(open_frontend, width):
    """The radio labels wrap: at 320 and 360 px the page is no wider than the screen."""
    page = open_frontend("A")
    page.set_viewport_size({"width": width, "height": 700})
    choose(page, "token", "header")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
