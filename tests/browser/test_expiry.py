""""Expires in" and the cookie replay, clicked in the page: the countdown reaches zero and the page calls `me` by
itself (the 401 is the real API's), and a logged-out HttpOnly cookie is replayed the only ways a thief could."""

import json

import pytest
import redis
import requests

from kernel.stores import keys
from tests.browser.test_ui import choose, step
from tests.helpers import CREDENTIAL_COOKIE

pytestmark = pytest.mark.browser


@pytest.fixture
def servers_redis(redis_service, servers):
    """A client on the Redis database the browser tests' API uses (see the `servers` fixture)."""
    client = redis.Redis.from_url(redis_service.url.rsplit("/", 1)[0] + "/1")
    yield client
    client.close()


def set_field(page, name, value):
    """Type into a form field as a person would: the value, then the input and change events the page listens to."""
    page.evaluate(
        f"(() => {{ const f = document.querySelector('[name={name}]'); f.value = {json.dumps(value)};"
        " f.dispatchEvent(new Event('input', {bubbles: true}));"
        " f.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


def test_the_countdown_reaches_zero_and_the_page_calls_me_by_itself(browser_for, servers, servers_redis, engine_name):
    """One session with "Expires in" 10 s per engine. Instead of waiting, the test does what the 10 s would: Redis
    drops the record (its TTL ran out) and the page's countdown is moved to zero; the 401 is the API's answer."""
    browser = browser_for(engine_name, "default")
    browser.clear_cookies((servers.api, servers.a, servers.b))
    page = browser.open(servers.a + "/")
    try:
        page.click('input[name="method"][value="session"]')
        set_field(page, "ttl", "10")
        page.click('button[data-verb="login"]')
        page.wait_until("window.authlab.expiry !== null && window.authlab.steps.length === 1", 10_000)
        expiry = page.evaluate("window.authlab.expiry")
        assert (expiry["method"], expiry["seconds"], expiry["me_status"]) == ("session", 10, None)
        assert "expires in" in page.evaluate("document.querySelector('#expiry').textContent")
        short = [key for key in servers_redis.scan_iter("session:*") if 0 < servers_redis.pttl(key) <= 10_000]
        assert len(short) == 1  # this login's record, counting its 10 s down (the others' idle TTL is 30 min)
        servers_redis.delete(*short)  # what Redis does when those 10 s have passed
        page.evaluate("(window.authlab.expiry.deadline = Date.now(), true)")
        page.wait_until("window.authlab.expiry.me_status !== null", 10_000)
        last = page.evaluate("window.authlab.steps[window.authlab.steps.length - 1]")
        assert (last["verb"], last["trigger"], last["status"]) == ("me", "countdown", 401)
        assert last["reason"].startswith("The countdown reached zero, so the page called me by itself")
        assert "→ 401" in page.evaluate("document.querySelector('#expiry').textContent")
        assert "gone (deleted)" in page.evaluate("document.querySelector('#server-records').textContent")
    finally:
        page.close()


def test_basic_shows_no_countdown(open_frontend):
    page = open_frontend("A")
    choose(page, "basic")
    step(page, "login")
    assert page.text_content("#expiry").startswith("No expiry: the password is sent each time")
    assert page.is_disabled('input[name="ttl"]')


@pytest.mark.parametrize(("method", "copy_replayed"), [("session", 401), ("signed", 200)])
def test_a_logged_out_cookie_replayed_by_an_injected_script_and_by_a_copy(open_frontend, contexts, servers, method,
                                                                          copy_replayed):
    """HttpOnly: the page holds no copy, so it replays through Measure's injected script, which reads nothing and
    whose request carries no cookie after logout (401). A copy taken outside the page (here, the browser's own cookie
    store, as DevTools or malware would) shows why: a session's is dead (record deleted), a signed token's still
    works."""
    page = open_frontend("A")
    choose(page, method, "cookie", "Lax")
    step(page, "login")
    cookie = CREDENTIAL_COOKIE[method]
    [copy] = [c["value"] for c in contexts("chromium", "default").cookies(servers.api) if c["name"] == cookie]
    step(page, "logout")
    assert page.is_hidden("#replay") and page.is_visible("#replay-injected")
    assert "HttpOnly" in page.text_content("#replay-note") and "injected script" in page.text_content("#replay-note")
    before = page.evaluate("() => window.authlab.steps.length")
    page.click("#replay-injected")
    page.wait_for_function("n => window.authlab.steps.length > n", arg=before)
    replay = page.evaluate("() => window.authlab.steps[window.authlab.steps.length - 1]")
    assert (replay["verb"], replay["via"], replay["status"]) == ("replay", "injected script", 401)
    assert replay["evidence"]["read_credential"] is False and cookie not in replay["evidence"]["sent_cookies"]
    assert page.text_content("#status") == "401"
    replayed = requests.get(f"{servers.api}/api/{method}/me", cookies={cookie: copy}, timeout=5)
    assert replayed.status_code == copy_replayed
    assert ("still works until it expires" in replay["reason"]) == (method == "signed")


def test_the_jwt_countdown_says_why_it_counts_from_ttl_plus_the_leeway(open_frontend):
    """"Expires in 10" on a JWT counts from 10 + the API's leeway: the line says so where it counts."""
    page = open_frontend("A")
    choose(page, "jwt", "header")
    page.fill('input[name="ttl"]', "10")
    step(page, "login")
    expiry = page.evaluate("window.authlab.expiry")
    line = page.text_content("#expiry")
    assert expiry["grace"] > 0
    assert f"counting from {10 + expiry['grace']}: the token's exp is 10 s after login" in line
    assert f"accepts a JWT {expiry['grace']} s past its exp, the leeway" in line


def test_the_login_limit_pauses_the_matrix_which_then_resumes(open_frontend, servers_redis):
    """This browser's address is over the login limit (its windows' counters are full in Redis; the test servers'
    limits are lenient, so they are filled, not reached). "Run the matrix here" meets a 429 at its first login: the
    page says it is waiting Retry-After, not that the cell failed. The test then does what the wait would (the
    window ends, the wait's end moves to now) and the matrix resumes: no cell is a 429."""
    full = [keys.rate_limit(scope, "127.0.0.1", 1_000_000, 60) for scope in ("login-client", "basic-client")]
    for key in full:
        servers_redis.set(key, 1_000_000, ex=30)
    try:
        page = open_frontend("A")
        page.click("#run-matrix")
        page.wait_for_function("() => window.authlab.limited !== null", timeout=20_000)
        wait = page.evaluate("window.authlab.limited")
        assert wait["during"] == "The matrix" and 0 < wait["seconds"] <= 30
        note = page.text_content("#limited")
        assert "login limit answered 429" in note and "not a result" in note and f"waiting {wait['seconds']} s" in note
    finally:
        servers_redis.delete(*full)  # what Redis does when the window ends
    page.evaluate("(window.authlab.limited.resume_at = Date.now(), true)")
    page.wait_for_function("() => window.authlab.matrix !== null", timeout=60_000)
    cells = page.evaluate("window.authlab.matrix")
    assert [c for c in cells if c["status"] == 429] == []
    assert all(c["works"] for c in cells)
    assert page.is_hidden("#limited")
