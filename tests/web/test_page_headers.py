"""The pages' own server: nosniff on every answer, a policy no other origin can frame it under, HSTS over TLS."""

import os
import re

import pytest
from werkzeug.test import Client

from stack import static_server

PATHS = ["/", "/index.html", "/shared/page.js", "/shared/style.css", "/config.js", "/echo", "/missing"]


@pytest.fixture
def page(monkeypatch):
    """Frontend A's server in-process, with the origins `make run` would give it."""
    def make(scheme="http"):
        for name, origin in {"API_ORIGIN": "localhost:8000", "FRONTEND_A_ORIGIN": "localhost:8001",
                             "FRONTEND_B_ORIGIN": "127.0.0.1:8002", "ISSUER_ORIGIN": "127.0.0.1:8003",
                             "BFF_A_ORIGIN": "localhost:8004", "BFF_B_ORIGIN": "127.0.0.1:8005",
                             "COLLECTOR_ORIGIN": "127.0.0.1:8006"}.items():
            monkeypatch.setenv(name, f"{scheme}://{origin}")
        monkeypatch.setenv("DEMO_COOKIE_OPTIONS", os.environ.get("DEMO_COOKIE_OPTIONS", "1"))
        return Client(static_server.make_app("frontend_a"), use_cookies=False)
    return make


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    directives = (part.split() for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_says_nosniff_and_none_over_plain_http_sends_hsts(page, path):
    response = page().get(path, buffered=True)
    assert response.status_code == (404 if path == "/missing" else 200)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", PATHS)
def test_over_https_every_answer_sends_hsts(page, path):
    assert page("https").get(path, buffered=True).headers["Strict-Transport-Security"] == "max-age=300"


def test_the_page_may_not_be_framed_and_runs_only_its_own_scripts_and_its_nonce(page):
    """No 'unsafe-inline' or 'unsafe-eval': an injected inline script needs the nonce of this very answer. Only the
    page's own origin may frame it, and it frames only itself and the AS: a silent `prompt=none` flow lands on `/`."""
    client = page()
    first, second = client.get("/"), client.get("/")
    rules = policy(first)
    assert rules["frame-ancestors"] == ["'self'"] and rules["object-src"] == ["'none'"]
    assert rules["frame-src"] == ["'self'", "http://127.0.0.1:8003"]
    assert rules["base-uri"] == ["'none'"] and rules["form-action"] == ["'self'", "http://localhost:8000"]
    assert rules["default-src"] == ["'self'"] and rules["style-src"] == ["'self'"]
    assert rules["connect-src"] == ["'self'", "http://localhost:8000", "http://127.0.0.1:8003",
                                    "http://localhost:8004", "http://127.0.0.1:8006"]  # A's BFF, the collector (demo)
    [nonce] = [s.removeprefix("'nonce-").rstrip("'") for s in rules["script-src"] if s.startswith("'nonce-")]
    assert rules["script-src"] == ["'self'", f"'nonce-{nonce}'"] and len(nonce) >= 22
    assert re.findall(r'<script nonce="([^"]+)"', first.text) == [nonce]
    assert policy(second)["script-src"] != rules["script-src"]  # a nonce per answer
    assert "Content-Security-Policy" not in client.get("/config.js").headers  # a policy is a document's


def test_without_the_demo_options_the_page_may_not_reach_the_collector(page, monkeypatch):
    """The attacker's server is a demo part: off, the page's config names none and its policy lets no fetch go there."""
    monkeypatch.setenv("DEMO_COOKIE_OPTIONS", "0")
    client = page()
    assert policy(client.get("/"))["connect-src"] == ["'self'", "http://localhost:8000", "http://127.0.0.1:8003",
                                                      "http://localhost:8004"]
    assert '"collector": null' in client.get("/config.js").text
