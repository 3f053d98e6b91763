"""The cross-origin matrix, observed: the tests click the same "Run the matrix here" a person clicks, in each
engine, cookie profile and scheme, and check every cell the page reports against the claim docs/matrix.md makes."""

import pytest

from backend.methods import REGISTRY

pytestmark = pytest.mark.browser

COOKIE_OPTIONS = ("Lax", "None", "None+Partitioned")
COOKIE_NAMES = {method.name: next(iter(method.cookies)) for method in REGISTRY if method.cookies}  # session_id, ...

# (method, storage, cookie option): every scenario the in-page runner must run, from the method registry: each
# storage a method offers, a cookie once per option; plus the issuer's tokens, which the JWT method accepts.
SCENARIOS = [
    *[
        (method.name, storage, option)
        for method in REGISTRY
        for storage in method.storages
        for option in (COOKIE_OPTIONS if storage == "cookie" else [None])
    ],
    ("issuer", "header", None),
]

SECURE_OVER_HTTP = "refuses every Secure cookie over plain http"
BLOCKED = "blocks third-party cookies, and the API's cookie is third-party"
CHIPS_BLOCKED = "Partitioned (CHIPS) ones too"
OWN_JAR = "allows third-party cookies: it is kept in the API's own jar"
PARTITIONED = "a Partitioned cookie is kept in a jar of this site's own"
# From B, where Lax never works: (engine, profile, scheme) -> option -> (works, partitioned, why).
CROSS_SITE = {
    ("chromium", "default"): {"None": (False, None, BLOCKED), "None+Partitioned": (True, True, PARTITIONED)},
    ("chromium", "third_party_allowed"): {"None": (True, False, OWN_JAR), "None+Partitioned": (True, True, PARTITIONED)},
    ("firefox", "default"): {"None": (True, True, "Total Cookie Protection"), "None+Partitioned": (True, True, PARTITIONED)},
    ("firefox", "third_party_blocked"): {"None": (False, None, BLOCKED), "None+Partitioned": (False, None, CHIPS_BLOCKED)},
    ("webkit", "default"): {"None": (False, None, BLOCKED), "None+Partitioned": (False, None, CHIPS_BLOCKED)},
    ("webkit", "third_party_allowed"): {"None": (True, False, OWN_JAR), "None+Partitioned": (True, False, "Partitioned was ignored")},
}


def claim(engine, profile, scheme, frontend, storage, option):
    """(works, partitioned, why) for a cell: the claim under test; partitioned is None where nothing came back."""
    if storage == "header":
        return True, None, "sent Authorization"  # the page sends the header itself, from any site
    if option != "Lax" and engine == "webkit" and scheme == "http":
        return False, None, SECURE_OVER_HTTP  # SameSite=None implies Secure, which WebKit refuses over http
    if frontend == "A":
        return True, None, "same-site"
    if option == "Lax":
        return False, None, "SameSite=Lax cookies are not sent on cross-site requests"
    return CROSS_SITE[engine, profile][option]


def cookie_names(cookies, method):
    """The method's cookie under its http name or its HTTPS one (__Host-)."""
    return {name for name in cookies if name.removeprefix("__Host-") == COOKIE_NAMES[method]}


@pytest.mark.parametrize("frontend", ["A", "B"])
@pytest.mark.parametrize(("method", "storage", "option"), SCENARIOS, ids=lambda v: str(v))
def test_matrix_cell(matrix_cells, matrix_column, frontend, method, storage, option):
    """A header works from both sites; a cookie (session or token alike) works from A unless the engine refuses
    Secure over http, and from B only where the engine lets a cookie from another site through, partitioned or not."""
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


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_the_runner_runs_exactly_the_claimed_scenarios(matrix_cells, matrix_column, frontend):
    """Every cell the page shows is claimed above, and every claimed cell is shown."""
    assert sorted(matrix_cells(*matrix_column, frontend), key=str) == sorted(SCENARIOS, key=str)


def test_every_engine_ci_requires_is_installed(required_engine):
    """MATRIX_REQUIRE (CI names all three): a missing engine fails here instead of being reported absent."""
    from tests.browser.conftest import found_engines

    [engine] = [e for e in found_engines() if e.name == required_engine]
    assert engine.present, engine.why
