"""Screenshots of both frontends for the README, taken by the test run (AUTHLAB_SCREENSHOTS=dir to move them),
after a login and a matrix run, at 1280 and 390 px; a page that overflows sideways fails the test."""

import os
from pathlib import Path

import pytest

from stack.procs import ROOT

from .test_ui import choose, step

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("AUTHLAB_SCREENSHOTS", ROOT / "docs" / "screenshots"))
WIDTHS = {1280: 900, 390: 844}  # viewport width: height


@pytest.mark.parametrize(("frontend", "option"), [("A", "Lax"), ("B", "None+Partitioned")])
def test_screenshots_at_1280_and_390_px_without_sideways_overflow(open_frontend, frontend, option):
    """Each page, logged in with a session that works there and after "Run the matrix here"."""
    page = open_frontend(frontend)
    choose(page, "session", "cookie", option)
    step(page, "login")
    step(page, "me")
    page.click("#run-matrix")
    page.wait_for_function("() => window.authlab.matrix !== null")
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
