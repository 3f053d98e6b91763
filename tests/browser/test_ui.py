"""Click-through: what a person does on each frontend (log in, me, log out) and what the page then shows."""

import pytest
import requests
from playwright.sync_api import Error

from stack.procs import ROOT
from tests.helpers import CREDENTIAL_COOKIE, PAGE_CHOICES, SESSION_COOKIE

pytestmark = pytest.mark.browser


def choose(page, method, storage=None, option=None):
    page.check(f'input[name="method"][value="{method}"]')
    if storage:
        page.check(f'input[name="storage"][value="{storage}"]')
    if option:
        page.check(f'input[name="cookie"][value="{option}"]')


def step(page, verb):
    """Click one verb button and wait until the page has shown its result; (status shown, why shown)."""
    before = page.evaluate("() => window.authlab.steps.length")
    page.click(f'button[data-verb="{verb}"]')
    page.wait_for_function("n => window.authlab.steps.length > n", arg=before)
    return page.text_content("#status"), page.text_content("#why")


def received(page):
    """The page's "What the API received" list as {term: value}."""
    terms = page.locator("#received dt").all_text_contents()
    return dict(zip(terms, page.locator("#received dd").all_text_contents(), strict=True))


# What each method's log out answers: 204 when the server ends the credential; 200 for a signed token,
# which the server cannot end (it says so); nothing sent where there is nothing to tell the server.
LOGOUT = {"basic": "nothing sent", "session": "204", "token": "204", "signed": "200", "jwt": "204",
          "issuer": "nothing sent"}
WORKING_COOKIE = {"A": "Lax", "B": "None+Partitioned"}  # a cookie option that works in the default profile

# frontend, method, storage, cookie option: every choice of the registry on both frontends, in each of its storages
FLOWS = [
    (frontend, choice.name, storage, WORKING_COOKIE[frontend] if storage == "cookie" else None)
    for frontend in ("A", "B")
    for choice in PAGE_CHOICES
    for storage in choice.storages
]


@pytest.mark.parametrize(("frontend", "method", "storage", "option"), FLOWS, ids=lambda v: str(v))
def test_login_me_logout(open_frontend, frontend, method, storage, option):
    """Each method on each frontend: log in, me, log out, and me again fails; each step explains itself."""
    page = open_frontend(frontend)
    choose(page, method, storage, option)
    shown = [step(page, "login"), step(page, "me")]
    seen = received(page)
    body = page.text_content("#body")
    shown += [step(page, "logout"), step(page, "me")]
    assert [status for status, _ in shown] == ["200", "200", LOGOUT[method], "401"]
    assert all(why for _, why in shown)
    if storage == "cookie":
        assert CREDENTIAL_COOKIE[method] in seen["Cookies"]
        assert seen["Authorization"] == "none"
    else:
        assert seen["Authorization"] == ("Basic" if method == "basic" else "Bearer")
    assert '"user": "alice"' in body


def test_signed_logout_says_the_token_stays_valid(open_frontend):
    """The honest logout: the server has nothing to delete, and says so."""
    page = open_frontend("A")
    choose(page, "signed", "header")
    step(page, "login")
    status, reason = step(page, "logout")
    assert status == "200"
    assert "stays valid until it expires" in reason


@pytest.mark.parametrize("storage", ["header", "cookie"])
def test_jwt_refresh_buys_a_new_pair_that_works(open_frontend, storage):
    """Refresh with the body's refresh token or the jwt_refresh cookie (+ CSRF token); the new access token works."""
    page = open_frontend("A")
    choose(page, "jwt", storage, "Lax" if storage == "cookie" else None)
    step(page, "login")
    assert [step(page, "refresh")[0], step(page, "me")[0]] == ["200", "200"]


def test_the_page_shows_a_jwts_payload_to_anyone(open_frontend):
    """A JWT is signed, not encrypted: the page decodes its payload without any key."""
    page = open_frontend("B")
    choose(page, "jwt", "header")
    step(page, "login")
    payload = page.text_content("#jwt-payload")
    assert "signed, not encrypted" in payload
    assert '"sub": "alice"' in payload


@pytest.mark.parametrize("method", ["token", "jwt", "issuer"])
def test_hand_off_a_header_token_from_a_to_b_in_the_url_fragment(open_frontend, method):
    """The notes' "token is sharable between multiple frontends": A's link opens B with the token in the
    fragment; B keeps it in localStorage, removes it from the address bar and uses it (200)."""
    page = open_frontend("A")
    choose(page, method, "header")
    step(page, "login")
    token = page.evaluate("m => localStorage.getItem('authlab.' + m)", method)
    with page.context.expect_page() as opened:
        page.click("#handoff")
    b = opened.value
    try:
        b.wait_for_function("() => window.authlab?.steps?.length > 0")
        assert b.text_content("#status") == "200"
        assert b.text_content("#why").startswith("Handed over from " + page.evaluate("location.origin"))
        assert "#" not in b.url and "token" not in b.url
        assert b.evaluate("m => localStorage.getItem('authlab.' + m)", method) == token
    finally:
        b.close()


def test_session_from_b_with_lax_logs_in_but_the_cookie_never_comes_back(open_frontend):
    """The login answers 200, yet `me` is 401: the page says the cookie was not sent, and why."""
    page = open_frontend("B")
    choose(page, "session", "cookie", "Lax")
    login_status, login_why = step(page, "login")
    me_status, me_why = step(page, "me")
    assert (login_status, me_status) == ("200", "401")
    assert "no session_id cookie comes back" in login_why
    assert me_why.startswith("Cookie not sent: SameSite=Lax")
    assert received(page)["Cookies"] == "none"


def test_basic_admin_needs_the_admin_role(open_frontend):
    """Valid non-admin credentials get 403 (not 401), admin gets 200."""
    page = open_frontend("A")
    choose(page, "basic")
    step(page, "login")
    assert step(page, "admin")[0] == "403"
    page.select_option('select[name="username"]', "admin")
    step(page, "login")
    assert step(page, "admin")[0] == "200"


def test_non_ascii_basic_credentials_are_sent_as_utf8(open_frontend):
    """zoë / pässwörd logs in from the page: the page encodes the header as UTF-8 (RFC 7617)."""
    page = open_frontend("B")
    choose(page, "basic")
    page.select_option('select[name="username"]', "zoë")
    assert step(page, "login")[0] == "200"
    assert '"user": "zoë"' in page.text_content("#body")


def test_session_cannot_be_handed_over(open_frontend):
    """With a session chosen, the hand-off link is off and the page says why."""
    page = open_frontend("A")
    choose(page, "session")
    step(page, "login")
    assert page.get_attribute("#handoff", "href") is None
    assert "A session cannot be handed over" in page.text_content("#handoff-note")


@pytest.fixture
def two_tabs(contexts):
    """One Chromium profile with no cookies yet and a tab for each page, (context, A's tab, B's tab), both closed
    after the test."""
    context = contexts("chromium", "default")
    context.clear_cookies()
    a, b = context.new_page(), context.new_page()
    yield context, a, b
    a.close()
    b.close()


def visit(tab, url):
    """Bring the tab to the front (background tabs are throttled) and open `url` in it."""
    tab.bring_to_front()
    tab.goto(url)


def test_a_partitioned_cookie_stays_with_the_site_that_set_it(two_tabs, servers):
    """B's Partitioned session cookie works on B, and the same browser sends no session cookie from A."""
    _, a, b = two_tabs
    visit(b, servers.b + "/")
    choose(b, "session", "cookie", "None+Partitioned")
    assert step(b, "login")[0] == "200"
    visit(a, servers.a + "/")
    choose(a, "session", "cookie")
    assert step(a, "me")[0] == "401"
    assert received(a)["Cookies"] == "none"
    b.bring_to_front()
    assert step(b, "me")[0] == "200"
    step(b, "logout")


def test_basic_direct_visit_uses_the_browsers_own_prompt(open_frontend, contexts, servers):
    """The page links to /api/basic/me itself. Visited directly, the browser meets the 401 challenge and
    asks for credentials: answered (by Playwright, standing in for the person) it gets 200; unanswered,
    it saw the 401 and gives up on the page."""
    link = open_frontend("A").get_attribute("#basic-direct a", "href")
    assert link == servers.api + "/api/basic/me"
    browser = contexts("chromium", "default").browser
    answered = browser.new_context(http_credentials={"username": "alice", "password": "wonderland"})
    unanswered = browser.new_context()
    try:
        page = answered.new_page()
        assert page.goto(link).status == 200
        assert '"user":"alice"' in page.text_content("body").replace(" ", "")
        page = unanswered.new_page()
        statuses = []
        page.on("response", lambda response: statuses.append(response.status))
        with pytest.raises(Error, match="ERR_INVALID_AUTH_CREDENTIALS"):
            page.goto(link)
        assert statuses == [401]
    finally:
        answered.close()
        unanswered.close()


def test_a_credentialed_fetch_meeting_a_basic_challenge_never_settles(open_frontend, servers):
    """Why the frontends send Basic with credentials: "omit": with "include" the same-site 401 + challenge
    leaves the fetch waiting on an invisible prompt (aborted here after 3 s); with "omit" it is a plain 401."""
    page = open_frontend("A")
    fetch = """async ([url, credentials, ms]) => {
      try { return (await fetch(url, {credentials, signal: AbortSignal.timeout(ms)})).status; }
      catch (error) { return error.name; }
    }"""
    url = servers.api + "/api/basic/me"
    assert page.evaluate(fetch, [url, "omit", 10_000]) == 401
    assert page.evaluate(fetch, [url, "include", 3_000]) == "TimeoutError"


@pytest.mark.parametrize(("method", "storage", "replayed"), [("signed", "header", "200"), ("token", "header", "401"),
                                                            ("jwt", "header", "401"), ("basic", "header", "200")])
def test_replay_the_credential_just_logged_out(open_frontend, method, storage, replayed):
    """The page kept a copy of the header it logged out: a signed token (and Basic's password) still works, an
    opaque token and a JWT (revocation check on) are refused; the server panel shows what is left."""
    page = open_frontend("A")
    choose(page, method, storage)
    step(page, "login")
    step(page, "logout")
    assert "what a thief who had copied it would hold" in page.text_content("#replay-note")
    before = page.evaluate("() => window.authlab.steps.length")
    page.click("#replay")
    page.wait_for_function("n => window.authlab.steps.length > n", arg=before)
    assert page.text_content("#status") == replayed
    assert page.text_content("#why").startswith("The old credential still works" if replayed == "200" else "Refused")


def test_a_session_cookie_has_no_copy_to_replay_and_its_record_goes(open_frontend):
    """HttpOnly: the page says why it holds no copy; "The server keeps" shows the session, then shows it gone."""
    page = open_frontend("A")
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    assert "session" in page.text_content("#server-records")
    assert "round trip" in page.text_content("#timing")
    step(page, "logout")
    assert page.is_hidden("#replay") and "HttpOnly" in page.text_content("#replay-note")
    page.wait_for_function("() => document.querySelector('#server-records').textContent.includes('gone (deleted)')")


def test_server_timing_is_shown_under_each_step(open_frontend):
    """A signed token's `me` costs the API no Redis round trip, and the page says so from Server-Timing."""
    page = open_frontend("B")
    choose(page, "signed", "header")
    step(page, "login")
    step(page, "me")
    assert "made 0 Redis round trips" in page.text_content("#timing")


def test_basic_is_labelled_as_kept_in_memory(open_frontend):
    page = open_frontend("A")
    choose(page, "basic")
    assert page.text_content('input[name="storage"][value="header"] + span') == "kept in memory + Authorization header"
    choose(page, "token")
    assert page.text_content('input[name="storage"][value="header"] + span') == "localStorage + Authorization header"


def test_no_favicon_request_fails(open_frontend):
    """The page names its (empty) icon, so the browser does not ask the static server for a missing favicon.ico."""
    page = open_frontend("A")
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.reload(wait_until="networkidle")
    assert failed == []


def hand_off_into_an_open_b(open_frontend, method):
    """Log in on A with a header token, then paste A's hand-off link into a B tab already open: B, after it used it."""
    page = open_frontend("A")
    choose(page, method, "header")
    step(page, "login")
    link = page.get_attribute("#handoff", "href")
    b = open_frontend("B")
    before = b.evaluate("() => window.authlab.steps.length")
    b.evaluate("url => { location.hash = new URL(url).hash; }", link)
    b.wait_for_function("n => window.authlab.steps.length > n", arg=before)
    return b


def test_a_hand_off_link_pasted_into_an_open_tab_is_used(open_frontend):
    """Only the fragment changes, so no reload happens: the page listens for hashchange."""
    b = hand_off_into_an_open_b(open_frontend, "signed")
    assert b.text_content("#status") == "200" and b.text_content("#why").startswith("Handed over")


def test_back_button_shows_the_form_as_the_page_uses_it(open_frontend, servers):
    """After navigating away and back, every control agrees with the page's one state, and a step uses it."""
    page = open_frontend("A")
    choose(page, "jwt", "cookie", "Lax")
    page.goto(servers.api + "/api/public")
    page.go_back()
    page.wait_for_function("() => window.authlab && window.authlab.choice")
    state = page.evaluate("() => ({...window.authlab.choice})")
    checked = page.evaluate("""() => Object.fromEntries(['method', 'storage', 'cookie'].map(
        (n) => [n, document.querySelector(`#try input[name=${n}]:checked`).value]))""")
    assert checked == {"method": state["method"], "storage": state["storage"], "cookie": state["cookieOption"]}
    summary = page.evaluate("m => import('/shared/methods.js').then((mod) => mod.METHODS[m].summary)", state["method"])
    assert page.text_content("#method-summary") == summary
    step(page, "me")
    label = page.evaluate("m => import('/shared/methods.js').then((mod) => mod.METHODS[m].label)", state["method"])
    assert label in page.text_content("#step")


@pytest.mark.parametrize(("method", "verb"), [("token", "logout"), ("jwt", "logout"), ("jwt", "refresh")])
def test_cookie_tokens_recover_the_csrf_token_after_a_reload(open_frontend, method, verb):
    """The CSRF token lives in the page's memory: after a reload, log out and refresh fetch it again (via me)."""
    page = open_frontend("A")
    choose(page, method, "cookie", "Lax")
    step(page, "login")
    page.reload()
    choose(page, method, "cookie", "Lax")
    status, reason = step(page, verb)
    assert status in ("200", "204"), reason


def test_refresh_on_b_after_a_hand_off_says_the_refresh_token_stayed_with_a(open_frontend):
    """A hand-off carries only the access token: B says so instead of sending an empty refresh token (a 400)."""
    status, reason = step(hand_off_into_an_open_b(open_frontend, "jwt"), "refresh")
    assert status == "nothing sent" and "stayed with the page that logged in" in reason


def test_a_cleared_cookie_is_said_to_be_gone_not_refused(open_frontend):
    """Same-site, the browser kept the cookie at login; after the person clears cookies, `me` says it is gone."""
    page = open_frontend("A")
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    page.context.clear_cookies()
    status, reason = step(page, "me")
    assert status == "401" and "no longer has it" in reason and "did not keep it" not in reason


def test_the_wire_shows_basics_challenge_then_the_header(open_frontend):
    """Basic as the notes tell it: 401 with the challenge, then the header (scheme and size, never the value), 200."""
    page = open_frontend("A")
    choose(page, "basic")
    step(page, "login")
    first, second = page.evaluate("() => window.authlab.wire")
    assert (first["request"], first["status"], first["authorization"]) == ("GET /api/basic/me", 401, None)
    assert first["challenge"].startswith('Basic realm="auth-demo"')
    assert second["authorization"]["scheme"] == "Basic" and second["status"] == 200
    assert "wonderland" not in page.text_content("#wire") and "Basic realm" in page.text_content("#wire")


def test_the_wire_shows_the_cookie_attributes_the_api_reports(open_frontend):
    page = open_frontend("A")
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    [login] = page.evaluate("() => window.authlab.wire")
    assert (login["request"], login["credentials"], login["status"]) == ("POST /api/session/login", "include", 200)
    assert login["cookie"]["samesite"] == "Lax"
    assert "SameSite=Lax" in page.text_content("#wire")


def test_the_server_keeps_this_browsers_live_records_first_the_rest_folded(open_frontend, servers):
    """Issue 18 6g: another browser's login of the same user and this browser's gone records are folded away."""
    elsewhere = requests.post(f"{servers.api}/api/token/login", json={"username": "bob", "password": "builder"},
                              timeout=5)
    assert elsewhere.status_code == 200  # bob's opaque token, from "another browser"
    page = open_frontend("A")
    page.select_option("#try select[name=username]", "bob")
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    step(page, "logout")
    choose(page, "jwt", "header")
    step(page, "login")
    live = page.text_content("#server-live")
    assert "JWT refresh family" in live and "session" not in live and "another tab" not in live
    assert page.evaluate("() => document.querySelector('#server-rest').open") is False
    rest = page.text_content("#server-rest")
    assert "gone (deleted)" in rest and "opaque token (another tab or browser)" in rest


def test_a_session_whose_cookie_the_browser_refused_is_said_to_live_on_and_can_be_ended(open_frontend):
    """Issue 18 6h: from B the Lax session cookie never travels, yet the session lives in Redis: the page says so and
    ends it with the login's viewer key."""
    page = open_frontend("B")
    choose(page, "session", "cookie", "Lax")
    step(page, "login")
    assert "did not keep (or will not send) the cookie of that login" in page.text_content("#stranded-session")
    page.click("#stranded-session button.end-session")
    page.wait_for_function("() => !document.querySelector('#stranded-session')")
    assert "gone (deleted)" in page.text_content("#server-records")


def test_a_new_method_drops_the_old_replay_offer_and_its_calls(open_frontend):
    """After a JWT logout the page offers its replay; choosing the session instead withdraws it and empties the wire."""
    page = open_frontend("A")
    choose(page, "jwt", "header")
    step(page, "login")
    step(page, "logout")
    assert page.is_visible("#replay") and page.evaluate("() => window.authlab.wire.length") > 0
    choose(page, "session")
    assert page.is_hidden("#replay-line")
    assert page.evaluate("() => window.authlab.wire") == []
    assert page.text_content("#wire") == "nothing sent yet with this choice"


@pytest.mark.parametrize(("method", "storage", "own"), [("session", "cookie", "This page forgot its own copy."),
                                                       ("signed", "header", "a copy of it works until it expires")])
def test_log_out_everywhere_says_what_was_ended(open_frontend, method, storage, own):
    """Not which cookie travelled: how many records the API deleted, for whom, and what it cannot end."""
    page = open_frontend("A")
    choose(page, method, storage, "Lax" if storage == "cookie" else None)
    step(page, "login")
    status, reason = step(page, "everywhere")
    assert status == "200"
    assert reason.startswith("Logged out everywhere as alice: the API deleted ")
    assert "refuses every JWT issued before now" in reason and own in reason
    assert "cookie (credentials" not in reason


def test_a_reload_shows_what_the_browser_still_holds(open_frontend):
    """Reload after a JWT login kept in localStorage: the same method, storage, token and result (its secrets not
    kept), and the countdown goes on from where it was; `me` then works with the restored choice."""
    page = open_frontend("B")
    choose(page, "jwt", "header")
    page.fill('input[name="ttl"]', "60")
    step(page, "login")
    deadline = page.evaluate("() => window.authlab.expiry.deadline")
    token = page.evaluate("() => localStorage.getItem('authlab.jwt')")
    page.reload()
    page.wait_for_function("() => window.authlab && window.authlab.expiry")
    assert page.evaluate("() => ({...window.authlab.choice})")["method"] == "jwt"
    assert (page.is_checked('input[name="method"][value="jwt"]')
            and page.is_checked('input[name="storage"][value="header"]'))
    assert page.evaluate("() => localStorage.getItem('authlab.jwt')") == token
    assert page.text_content("#status") == "200" and page.text_content("#step").startswith("Log in · JWT")
    assert "before a reload or Back" in page.text_content("#why")
    assert token not in page.text_content("#body") and "not kept across a reload" in page.text_content("#body")
    assert page.evaluate("() => window.authlab.expiry.deadline") == deadline
    assert "expires in" in page.text_content("#expiry")
    assert step(page, "me")[0] == "200"


def test_a_fresh_tab_with_a_token_in_local_storage_opens_on_its_method(open_frontend, contexts, servers):
    """No choice kept for the tab (a new tab), yet localStorage holds an opaque token: the page opens on it."""
    page = open_frontend("A")
    choose(page, "token", "header")
    step(page, "login")
    other = contexts("chromium", "default").new_page()
    try:
        other.goto(servers.a + "/")
        other.wait_for_function("() => window.authlab && window.authlab.choice")
        assert other.evaluate("() => ({...window.authlab.choice})")["method"] == "token"
        assert step(other, "me")[0] == "200"
    finally:
        other.close()


def test_b_through_its_own_api_keeps_a_lax_session_first_party_across_a_reload(open_frontend, servers):
    """The usual fix: B calls the API at its own origin's /api/ (its server's reverse proxy). The Lax session cookie
    is then first-party and `me` works; the choice survives a reload; back at the API's origin the cookie is not
    sent."""
    page = open_frontend("B")
    page.check('input[name="via"][value="own"]')
    assert page.text_content("#relation").startswith("same-site with the API it calls")
    choose(page, "session", "cookie", "Lax")
    assert [step(page, "login")[0], step(page, "me")[0]] == ["200", "200"]
    assert SESSION_COOKIE in received(page)["Cookies"]
    assert page.evaluate("() => import('/shared/client.js').then((m) => m.config.api)") == servers.b
    page.reload()
    page.wait_for_function("() => window.authlab && window.authlab.choice")
    assert page.is_checked('input[name="via"][value="own"]')
    assert step(page, "me")[0] == "200"
    page.check('input[name="via"][value="api"]')
    assert page.text_content("#relation").startswith("cross-site")
    assert step(page, "me")[0] == "401"


def test_a_has_no_api_base_to_choose(open_frontend):
    """A is same-site with the API already; only B's server passes /api/ on."""
    assert open_frontend("A").locator('input[name="via"]').count() == 0


MATRIX_PAGES = {}  # frontend -> the page on which the matrix ran, shared by this module and test_accessibility


def page_after_the_matrix(context, servers, frontend):
    """A page of that frontend on which "Run the matrix here" was pressed by keyboard, once per run, from an empty
    cookie jar and localStorage; `focused` is the id that had the focus when it ended. Read-only for its users."""
    if frontend not in MATRIX_PAGES or MATRIX_PAGES[frontend].is_closed():
        context.clear_cookies()
        page = context.new_page()
        page.goto(servers.frontend(frontend) + "/")
        page.evaluate("() => localStorage.clear()")
        page.reload()
        page.focus("#run-matrix")
        page.keyboard.press("Enter")
        page.wait_for_function("() => window.authlab.matrix !== null", timeout=60_000)
        page.focused = page.evaluate("() => document.activeElement.id")
        MATRIX_PAGES[frontend] = page
    MATRIX_PAGES[frontend].bring_to_front()
    return MATRIX_PAGES[frontend]


def close_matrix_pages():
    for page in MATRIX_PAGES.values():
        if not page.is_closed():
            page.close()


@pytest.fixture(scope="session")
def matrix_page(contexts, servers):
    """matrix_page("A" | "B"): page_after_the_matrix in Chromium's default profile."""
    yield lambda frontend: page_after_the_matrix(contexts("chromium", "default"), servers, frontend)
    close_matrix_pages()


def advice(page):
    """The recommendation panel's lines by id, each with the text of the rows it links to."""
    lines = page.evaluate("() => window.authlab.advice")
    return {line["id"]: [page.text_content(target) for target in line["points_at"]] for line in lines}


def test_before_a_run_the_advice_says_what_to_press(open_frontend):
    page = open_frontend("B")
    assert list(advice(page)) == ["same-site", "bff", "header", "none"]
    assert "press \"Run the matrix here\"" in page.text_content('[data-advice="none"]')


@pytest.mark.parametrize(("frontend", "lines"),
                         [("A", ["session", "csrf", "header"]), ("B", ["same-site", "bff", "header", "none"])])
def test_which_should_i_use_follows_this_browsers_matrix(matrix_page, frontend, lines):
    """After "Run the matrix here" each line points at the row that shows it, and says what that row says (a None
    cookie "worked" or "failed" as it did here)."""
    page = matrix_page(frontend)
    shown = advice(page)
    assert list(shown) == lines
    cells = {(c["method"], c["storage"], c["cookie_option"]): c for c in page.evaluate("window.authlab.matrix")}
    if frontend == "A":
        [row] = shown["session"]
        assert "Session" in row and "✓ works" in row
    else:
        [row] = shown["none"]
        works = cells["session", "cookie", "None"]["works"]
        assert ("✓ works" if works else "✗ fails") in row
        [line] = [x for x in page.evaluate("window.authlab.advice") if x["id"] == "none"]
        assert f"Here it {'worked' if works else 'failed'}" in line["text"]
        assert "JWT" in shown["header"][0] and "✓ works" in shown["header"][0]
        assert "coming" in page.text_content('[data-advice="bff"]')


def post_the_forms(context, buttons):
    """Click each of B's form buttons; the API's answers to them, as (status, method, error code)."""
    answers = []
    for button in buttons:
        before = set(context.pages)
        with context.expect_event("response", lambda r: r.url.endswith("/api/session/logout")) as posted:
            button.click()
        response = posted.value
        answers.append((response.status, response.request.method, response.json().get("error")))
        for tab in set(context.pages) - before:
            tab.close()  # the tab the form opened
    return answers


@pytest.mark.parametrize(("option", "answers"), [
    ("None", [(403, "POST", "csrf_failed"), (403, "POST", "origin_not_allowed")]),
    ("Lax", [(401, "POST", "unauthorized"), (401, "POST", "unauthorized")]),
])
def test_a_form_from_another_site_cannot_log_you_out(two_tabs, servers, option, answers):
    """The price of cookies: logged in on A, a plain form on B posts to the session logout, then the same form with
    Origin: null. A None cookie rides along (the API knows who asks: not 401), and the CSRF token, then the Origin
    check, stops it; a Lax cookie does not ride at all. Either way A's session lives on."""
    context, a, b = two_tabs
    visit(a, servers.a + "/")
    choose(a, "session", "cookie", option)
    assert step(a, "login")[0] == "200"
    visit(b, servers.b + "/")
    forms = [b.locator("#forged-post button"), b.frame_locator("#forged-frame").locator("button")]
    assert post_the_forms(context, forms) == answers
    a.bring_to_front()
    assert step(a, "me")[0] == "200"


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_the_walkthrough_names_every_button_the_page_shows(open_frontend, frontend):
    """A newcomer follows the README's "Five minutes" in order: every button the page shows on arrival is named
    there by its label, so none is left to guess at."""
    readme = (ROOT / "README.md").read_text()
    walkthrough = readme.split("## Five minutes", 1)[1].split("\n## ", 1)[0]
    page = open_frontend(frontend)
    labels = page.evaluate(
        "() => [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)"
        ".map((b) => b.textContent.trim().replace(/\\s+/g, ' '))")
    assert labels
    missing = sorted({label for label in labels if label not in walkthrough})
    assert not missing, f"buttons on {frontend} the walkthrough never names: {missing}"
