"""Click-through: what a person does on each frontend (log in, me, log out) and what the page then shows."""

import pytest
from playwright.sync_api import Error

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
    return dict(zip(terms, page.locator("#received dd").all_text_contents()))


# frontend, method, storage, cookie option, (login, me, logout, me again) statuses shown, what `me` carried
FLOWS = [
    ("A", "basic", "header", None, ("200", "200", "nothing sent", "401"), "Basic"),
    ("B", "basic", "header", None, ("200", "200", "nothing sent", "401"), "Basic"),
    ("A", "session", "cookie", "Lax", ("200", "200", "204", "401"), "session_id"),
    ("B", "session", "cookie", "None+Partitioned", ("200", "200", "204", "401"), "session_id"),
]


@pytest.mark.parametrize(("frontend", "method", "storage", "option", "statuses", "carried"), FLOWS, ids=lambda v: str(v))
def test_login_me_logout(open_frontend, frontend, method, storage, option, statuses, carried):
    """Each method on each frontend: log in, me, log out, and me again fails; each step explains itself."""
    page = open_frontend(frontend)
    choose(page, method, storage, option)
    shown = [step(page, "login"), step(page, "me")]
    seen = received(page)
    shown += [step(page, "logout"), step(page, "me")]
    assert [status for status, _ in shown] == list(statuses)
    assert all(why for _, why in shown)
    assert carried in (seen["Cookies"] if storage == "cookie" else seen["Authorization"])
    assert "alice" in page.text_content("#body") or statuses[3] == "401"


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


def test_a_partitioned_cookie_stays_with_the_site_that_set_it(contexts, servers):
    """B's Partitioned session cookie works on B, and the same browser sends no session cookie from A."""
    context = contexts("chromium", "default")
    context.clear_cookies()
    b, a = context.new_page(), context.new_page()
    try:
        b.goto(servers.b + "/")
        choose(b, "session", "cookie", "None+Partitioned")
        assert step(b, "login")[0] == "200"
        a.goto(servers.a + "/")
        choose(a, "session", "cookie")
        assert step(a, "me")[0] == "401"
        assert received(a)["Cookies"] == "none"
        assert step(b, "me")[0] == "200"
        step(b, "logout")
    finally:
        a.close()
        b.close()


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
    fetch = """async ([url, credentials]) => {
      try { return (await fetch(url, {credentials, signal: AbortSignal.timeout(3000)})).status; }
      catch (error) { return error.name; }
    }"""
    url = servers.api + "/api/basic/me"
    assert page.evaluate(fetch, [url, "omit"]) == 401
    assert page.evaluate(fetch, [url, "include"]) == "TimeoutError"
