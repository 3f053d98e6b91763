"""The frontends' source: one shared client for both pages, and a timeout on every fetch."""

import re

from stack.procs import ROOT

SHARED = ROOT / "frontend_shared"


def test_both_pages_load_the_one_shared_module_and_have_no_scripts_of_their_own():
    """Each frontend is an index.html; every line of JavaScript lives once, in frontend_shared/."""
    for name in ("frontend_a", "frontend_b"):
        folder = ROOT / name
        assert sorted(p.name for p in folder.iterdir()) == ["index.html"]
        assert '<script type="module" src="/shared/page.js"></script>' in (folder / "index.html").read_text()


def test_every_fetch_in_the_frontends_has_a_timeout():
    """No fetch without an AbortSignal.timeout near it (a credentialed fetch can wait forever on a prompt)."""
    calls = 0
    for path in SHARED.glob("*.js"):
        text = path.read_text()
        for match in re.finditer(r"\bfetch\(", text):
            calls += 1
            around = text[max(0, match.start() - 300): match.end() + 300]
            assert "AbortSignal.timeout(" in around, f"{path.name}: fetch without a timeout at {match.start()}"
    assert calls >= 2  # client.js's request() and the injected-script demo


def test_the_page_builds_its_dom_without_parsing_html():
    """Text goes in as text: no innerHTML, outerHTML, insertAdjacentHTML or document.write."""
    for path in SHARED.glob("*.js"):
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", path.read_text()), path.name
