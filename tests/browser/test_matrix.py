"""The cross-origin matrix, observed: the tests click the same "Run the matrix here" a person clicks,
in each engine and cookie profile, and check every cell the page reports against the demo's claim."""

import pytest

pytestmark = pytest.mark.browser

COOKIE_OPTIONS = ("Lax", "None", "None+Partitioned")
COOKIE_NAMES = {"session": "session_id", "token": "opaque_token", "signed": "signed_token", "jwt": "jwt_access"}

# (method, storage, cookie option): every scenario the in-page runner must run.
SCENARIOS = [
    ("basic", "header", None),
    *[("session", "cookie", option) for option in COOKIE_OPTIONS],
    *[
        (method, storage, option)
        for method in ("token", "signed", "jwt")
        for storage, options in (("header", [None]), ("cookie", COOKIE_OPTIONS))
        for option in options
    ],
    ("issuer", "header", None),
]


def claim(engine, profile, frontend, storage, option):
    """(works, why it should) for a cell: the claim under test, or None where this engine is not claimed."""
    if storage == "header":
        return True, "sent Authorization"  # the page sends the header itself, from any site
    if frontend == "A":
        return (True, "same-site") if engine == "chromium" else None
    if option == "Lax":
        return False, "SameSite=Lax cookies are not sent on cross-site requests"
    if engine != "chromium":
        return None  # Firefox partitions, WebKit blocks: recorded in the report, not claimed here
    if option == "None" and profile == "default":
        return False, "blocks third-party cookies"
    if option == "None":
        return True, "allows third-party cookies"
    return True, "Partitioned cookie"


@pytest.mark.parametrize("frontend", ["A", "B"])
@pytest.mark.parametrize(("method", "storage", "option"), SCENARIOS, ids=lambda v: str(v))
def test_matrix_cell(matrix_cells, engine_profile, frontend, method, storage, option):
    """A header works from both sites; a cookie (session or token alike) works from A with every option and
    from B only where the browser lets a cookie from another site through."""
    engine, profile = engine_profile
    expected = claim(engine, profile, frontend, storage, option)
    if expected is None:
        pytest.skip(f"no claim for {engine} here; see reports/matrix.md for what it did")
    works, because = expected
    cell = matrix_cells(engine, profile, frontend)[method, storage, option]
    assert cell["works"] is works, cell["reason"]
    assert cell["status"] == (200 if works else 401)
    assert because in cell["reason"]
    evidence = cell["evidence"]
    assert evidence["credential_sent"] is works  # it worked exactly when the credential travelled
    assert evidence["user"] == ("alice" if works else None)
    if storage == "cookie":
        name = COOKIE_NAMES[method]
        assert name not in evidence["cookies_before"]  # nothing left over from an earlier cell
        assert (name in evidence["sent_cookies"]) is works
        assert name not in evidence["cookies_after_logout"]  # logout expired it
    else:
        assert evidence["authorization"] == ("Basic" if method == "basic" else "Bearer")


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_the_runner_runs_exactly_the_claimed_scenarios(matrix_cells, engine_profile, frontend):
    """Every cell the page shows is claimed above, and every claimed cell is shown."""
    assert sorted(matrix_cells(*engine_profile, frontend), key=str) == sorted(SCENARIOS, key=str)

