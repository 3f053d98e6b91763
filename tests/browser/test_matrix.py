"""The cross-origin matrix, observed: the tests click the same "Run the matrix here" a person clicks, in each
engine, cookie profile and scheme, and check every cell the page reports against the claim docs/matrix.md makes."""

import json

import pytest

from browser_matrix import browsers
from tests.helpers import CREDENTIAL_COOKIE, PAGE_CHOICES, SESSION_COOKIE

pytestmark = pytest.mark.browser

COOKIE_OPTIONS = ("Lax", "None", "None+Partitioned")

# (method, storage, cookie option): every scenario the in-page runner must run, from the method registry: each
# storage a method offers, a cookie once per option; the issuer's tokens too, which the JWT method accepts.
SCENARIOS = [
    (choice.name, storage, option)
    for choice in PAGE_CHOICES
    for storage in choice.storages
    for option in (COOKIE_OPTIONS if storage == "cookie" else [None])
]

SECURE_OVER_HTTP = "refuses every Secure cookie over plain http"
# The setting that decided, named in the reason, never an engine as if it were one behaviour.
BLOCKED = ("blocks third-party cookies, and the API's cookie is third-party on this cross-site page (a setting: "
           "Chrome blocks them only in Incognito; Debian's Chromium, Safari and cog's default policy always")
CHIPS_BLOCKED = "Partitioned (CHIPS) ones too: it kept none for this site (a setting:"
OWN_JAR = ("allows third-party cookies: it is kept in the API's own jar (a look from the API's own site saw it) "
           "and goes to the API from every site (the setting of Chrome's regular windows, and of cog's policy always)")
PARTITIONED = "a Partitioned cookie is kept in a jar of this site's own"
LAX = "SameSite=Lax cookies are not sent on cross-site requests."
CHROMIUM_BLOCKING = {"None": (False, None, BLOCKED), "None+Partitioned": (True, True, PARTITIONED)}
# From B, where Lax never works: (engine, profile, scheme) -> option -> (works, partitioned, why).
CROSS_SITE = {
    ("chromium", "chrome_default"): {"None": (True, False, OWN_JAR), "None+Partitioned": (True, True, PARTITIONED)},
    ("chromium", "incognito"): CHROMIUM_BLOCKING,
    ("chromium", "debian_default"): CHROMIUM_BLOCKING,
    ("firefox", "default"): {"None": (True, True, "Total Cookie Protection"),
                             "None+Partitioned": (True, True, PARTITIONED)},
    ("firefox", "third_party_blocked"): {"None": (False, None, BLOCKED),
                                         "None+Partitioned": (False, None, CHIPS_BLOCKED)},
    ("webkit", "default"): {"None": (False, None, BLOCKED), "None+Partitioned": (False, None, CHIPS_BLOCKED)},
    ("webkit", "third_party_allowed"): {"None": (True, False, OWN_JAR),
                                        "None+Partitioned": (True, False, "Partitioned was ignored")},
}
FRONTENDS = ("A", "B", "B_proxy")  # B_proxy: page B calling the API through its own origin's /api/
# who saw where B's cookie was kept: the page itself; cog has one view, no second window
LOOKED_BY = {"webkit": "harness"}


def scenarios(frontend):
    """B through its own /api/ runs the cookie scenarios only (a header travels the same either way)."""
    return [s for s in SCENARIOS if frontend != "B_proxy" or s[1] == "cookie"]


def claim(engine, profile, scheme, frontend, storage, option):
    """(works, partitioned, why) for a cell: the claim under test; partitioned is None where nothing came back."""
    if storage == "header":
        return True, None, "sent Authorization"  # the page sends the header itself, from any site
    if option != "Lax" and engine == "webkit" and scheme == "http":
        return False, None, SECURE_OVER_HTTP  # SameSite=None implies Secure, which WebKit refuses over http
    if frontend in ("A", "B_proxy"):  # through B's own /api/ the API is on B's own site: its cookie is first-party
        return True, None, "same-site with the API (ports do not count), so its cookies are first-party"
    if option == "Lax":
        return False, None, LAX
    return CROSS_SITE[engine, profile][option]


def cookie_names(cookies, method):
    """The method's cookie under its http name or its HTTPS one (__Host-)."""
    return {name for name in cookies if name.removeprefix("__Host-") == CREDENTIAL_COOKIE[method]}


@pytest.mark.parametrize(("frontend", "method", "storage", "option"),
                         [(f, *s) for f in FRONTENDS for s in scenarios(f)], ids=lambda v: str(v))
def test_matrix_cell(matrix_cells, matrix_column, frontend, method, storage, option):
    """A header works from both sites; a cookie (session or token alike) works from A and through B's own /api/
    unless the engine refuses Secure over http, and from B only where the profile lets a cookie from another site
    through, partitioned or not."""
    engine, profile, scheme = matrix_column
    works, partitioned, because = claim(engine, profile, scheme, frontend, storage, option)
    cell = matrix_cells(engine, profile, scheme, frontend)[method, storage, option]
    assert cell["works"] is works, cell["reason"]
    assert cell["status"] == (200 if works else 401)
    assert because in cell["reason"]
    evidence = cell["evidence"]
    assert evidence["credential_sent"] is works  # it worked exactly when the credential travelled
    assert evidence["user"] == ("alice" if works else None)
    if storage == "cookie":
        assert not cookie_names(evidence["cookies_before"], method)  # nothing left over from an earlier cell
        assert bool(cookie_names(evidence["sent_cookies"], method)) is works
        assert not cookie_names(evidence["cookies_after_logout"], method)  # logout expired it
        if frontend == "B":  # where the cookie was kept, seen from the API's own site
            assert evidence["partitioned"] is partitioned
            if works:
                assert bool(cookie_names(evidence["first_party_cookies"], method)) is (not partitioned)
                assert ("partitioned (B's own jar)" if partitioned else "kept in the API's own jar") in cell["reason"]
                # the page's own look, from a window of its own on the API's site; cog opens no second window
                assert evidence["partitioned_seen_by"] == LOOKED_BY.get(engine, "page")
    else:
        assert evidence["authorization"] == ("Basic" if method == "basic" else "Bearer")


def test_firefox_says_a_none_cookie_from_b_works_because_it_was_partitioned(matrix_cells, engine_here):
    """Firefox's default lets B's SameSite=None session cookie work, and the page says it was partitioned
    (not that Firefox allows third-party cookies)."""
    engine_here("firefox")
    cell = matrix_cells("firefox", "default", "http", "B")["session", "cookie", "None"]
    assert (cell["works"], cell["evidence"]["partitioned"]) == (True, True)
    assert "partitioned" in cell["reason"] and "allows third-party cookies" not in cell["reason"]


def test_webkit_over_http_says_a_none_cookie_on_a_was_refused_for_secure(matrix_cells, engine_here):
    """WebKit keeps no Secure cookie over http, even same-site: the page says so, from its own Secure probe."""
    engine_here("webkit")
    cell = matrix_cells("webkit", "default", "http", "A")["session", "cookie", "None"]
    assert cell["works"] is False
    assert cell["evidence"]["secure_cookie_kept_over_http"] is False
    assert SECURE_OVER_HTTP in cell["reason"]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_the_runner_runs_exactly_the_claimed_scenarios(matrix_cells, matrix_column, frontend):
    """Every cell the page shows is claimed above, and every claimed cell is shown."""
    assert sorted(matrix_cells(*matrix_column, frontend), key=str) == sorted(scenarios(frontend), key=str)


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_every_cell_carries_the_profile_read_from_the_running_browser(matrix_cells, matrix_column, frontend):
    """The profile each cell ran in, as the browser itself reported it at launch (not as the harness asked)."""
    engine, profile, scheme = matrix_column
    reads = {json.dumps(c["evidence"]["profile_read"], sort_keys=True)
             for c in matrix_cells(*matrix_column, frontend).values()}
    [read] = [json.loads(r) for r in reads]
    assert read == {**read, **browsers.CHROMIUM_CLAIMS.get(profile, {})} and "read_from" in read
    if engine == "firefox":
        assert read["cookie_behavior"] == {"default": 5, "third_party_blocked": 1}[profile]


def test_chrome_default_keeps_b_none_cookie_in_the_apis_own_jar(matrix_cells, engine_here):
    """Chrome's regular profile (mode 2) lets B's SameSite=None session work, unpartitioned: A's first-party look
    sees it; the page says so and names the setting."""
    engine_here("chromium")
    cell = matrix_cells("chromium", "chrome_default", "http", "B")["session", "cookie", "None"]
    assert (cell["works"], cell["evidence"]["partitioned"]) == (True, False)
    assert SESSION_COOKIE in cell["evidence"]["first_party_cookies"]
    assert OWN_JAR in cell["reason"]


@pytest.mark.parametrize("profile", ["incognito", "debian_default"])
def test_incognito_and_debian_refuse_b_none_cookie_and_keep_a_partitioned_one(matrix_cells, engine_here, profile):
    """A real Incognito window and Debian's default block B's None cookie; None+Partitioned works, in B's own jar."""
    engine_here("chromium")
    cells = matrix_cells("chromium", profile, "http", "B")
    none, chips = cells["session", "cookie", "None"], cells["session", "cookie", "None+Partitioned"]
    assert (none["works"], none["status"]) == (False, 401) and BLOCKED in none["reason"]
    assert (chips["works"], chips["evidence"]["partitioned"]) == (True, True)
    assert SESSION_COOKIE not in chips["evidence"]["first_party_cookies"]


def test_a_profile_that_is_not_what_it_claims_fails_loudly():
    """A Chromium run whose browser reports another mode, or a regular window for Incognito, is refused."""
    with pytest.raises(browsers.ProfileMismatch, match="cookie_controls_mode is 1, not 2"):
        browsers.check_profile("chromium", "chrome_default", {"incognito": False, "cookie_controls_mode": 1})
    with pytest.raises(browsers.ProfileMismatch, match="incognito is False, not True"):
        browsers.check_profile("chromium", "incognito", {"incognito": False, "cookie_controls_mode": 2})
    with pytest.raises(browsers.ProfileMismatch, match="cookie_behavior is 0, not 5"):
        browsers.check_profile("firefox", "default", {"cookie_behavior": 0})


def test_every_engine_ci_requires_is_installed(required_engine):
    """MATRIX_REQUIRE (CI names all three): a missing engine fails here instead of being reported absent."""
    from tests.browser.conftest import found_engines

    [engine] = [e for e in found_engines() if e.name == required_engine]
    assert engine.present, engine.why


def test_a_token_kept_in_local_storage_is_not_called_a_leftover_cookie(open_frontend):
    """From B after a JWT login kept in localStorage, the matrix's JWT header cell works and blames no cookie:
    the Bearer header is what the page sends itself, and this login's token replaced the earlier one."""
    page = open_frontend("B")
    cell = page.evaluate("""async () => {
        const {METHODS} = await import('/shared/methods.js');
        const earlier = await METHODS.jwt.login({username: 'alice', password: 'wonderland', storage: 'header'});
        if (!earlier.ok || !localStorage.length) throw new Error('the earlier login kept nothing');
        return (await import('/shared/runner.js')).runCell({method: 'jwt', storage: 'header', cookie_option: null});
    }""")
    assert cell["works"] is True and cell["evidence"]["authorization"] == "Bearer"
    assert "rode along" not in cell["reason"] and "cookie" not in cell["reason"]
