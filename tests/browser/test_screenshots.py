"""Screenshots of both frontends, taken by the test run into reports/screenshots (`make screenshots` writes the
README's copies in docs/), after a measurement, a matrix run, a comparison and a login, me, logout (and a replay),
at 1280 and 390 px, plus the result panel (the server's records, the replay) and the comparison table alone;
a page that overflows sideways fails the test."""

import os
from pathlib import Path

import pytest

from stack.procs import ROOT

from .test_ui import choose, step

pytestmark = pytest.mark.browser

# Not docs/ by default: the pages show random test ports, so every run would rewrite the committed images.
SHOTS = Path(os.environ.get("AUTHLAB_SCREENSHOTS", ROOT / "reports" / "screenshots"))
WIDTHS = {1280: 900, 390: 844}  # viewport width: height


@pytest.mark.parametrize(("frontend", "method", "storage", "option"),
                         [("A", "session", "cookie", "Lax"), ("B", "jwt", "header", None)])
def test_screenshots_at_1280_and_390_px_without_sideways_overflow(open_frontend, frontend, method, storage, option):
    """Each page after "Measure", "Run the matrix here" and "Compare the methods", then a login, me and logout (a
    session on A, whose record the server panel shows gone; a JWT on B, whose copy is replayed and refused)."""
    page = open_frontend(frontend)
    page.click("#measure")
    page.wait_for_function("() => window.authlab.measurements !== null", timeout=60_000)
    page.click("#run-matrix")
    page.wait_for_function("() => window.authlab.matrix !== null")
    page.click("#run-compare")
    page.wait_for_function("() => window.authlab.compare !== null")
    assert page.text_content("#wire") == "The comparison made many calls: its table shows each one"  # not an old call
    choose(page, method, storage, option)
    step(page, "login")
    assert step(page, "me")[0] == "200"
    step(page, "logout")
    if storage == "header":
        before = page.evaluate("() => window.authlab.steps.length")
        page.click("#replay")
        page.wait_for_function("n => window.authlab.steps.length > n", arg=before)
        assert page.text_content("#status") == "401"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        path = SHOTS / f"frontend-{frontend.lower()}-{width}.png"
        if width >= 1000:
            page.screenshot(path=path, full_page=True)
        else:  # the first two screens: the narrow page is long, the rest repeats the same layout
            page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": 2 * height})
        assert path.stat().st_size > 10_000
    page.set_viewport_size({"width": 1280, "height": 900})
    for panel in ("result", "compare"):
        path = SHOTS / f"frontend-{frontend.lower()}-{panel}.png"
        page.locator(f"#{panel}").screenshot(path=path)
        assert path.stat().st_size > 10_000
