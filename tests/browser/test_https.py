"""HTTPS mode in a real browser (issue 6 §2): Chromium, trusting only this run's certificate key, logs in over TLS."""

import pytest

from browser_matrix import browsers
from tests.helpers import SESSION_COOKIE


@pytest.mark.browser
def test_chromium_logs_in_over_tls_and_keeps_a_host_prefixed_secure_cookie(playwright, https_stack, tls, redis_db):
    """A real browser on frontend A, trusting only this certificate's key, logging in with fetch."""
    chromium = browsers.find(playwright, "chromium")
    assert chromium.present, chromium.why
    args = [*browsers.CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={tls.spki_hash()}"]
    script = ("""async (api) => {
        const opts = (extra) => ({credentials: "include", signal: AbortSignal.timeout(5000), ...extra});
        const login = await fetch(api + "/api/session/login", opts({method: "POST",
            headers: {"Content-Type": "application/json"}, """
              """body: JSON.stringify({username: "alice", password: "wonderland"})}));
        const me = await fetch(api + "/api/session/me", opts({}));
        return [login.status, me.status, (await me.json()).user, document.cookie];
    }""")
    browser = playwright.chromium.launch(executable_path=chromium.executable, args=args)
    try:
        page = browser.new_page()
        page.goto(https_stack.a + "/", timeout=browsers.TIMEOUT_MS)
        result = page.evaluate(script, https_stack.api)
        [cookie] = page.context.cookies(https_stack.api)
    finally:
        browser.close()
    assert result == [200, 200, "alice", ""]  # HttpOnly: frontend A's script cannot read it
    assert (cookie["name"], cookie["secure"], cookie["httpOnly"], cookie["path"]) == (
        f"__Host-{SESSION_COOKIE}", True, True, "/")
