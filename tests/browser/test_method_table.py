"""The pages render every method from `GET /api/methods`: serve them a changed table (Playwright's page.route) and
they show what it says; serve them none and they say so. The registry is the one place a method is written."""

import pytest

from backend.methods import REGISTRY
from tests.helpers import PAGE_CHOICES

from .test_ui import step

pytestmark = pytest.mark.browser

CHOICES = [(choice.name, choice.label) for choice in PAGE_CHOICES]  # (value, label) of each method choice, in order


def offered(page):
    """The method choices the page shows: (value, label) in order."""
    return page.eval_on_selector_all(
        'input[name="method"]', "inputs => inputs.map((i) => [i.value, i.nextElementSibling.textContent])")


def serve_changed_table(page, change):
    """Answer the page's `GET /api/methods` with the API's own answer (its CORS headers too), changed by `change`."""
    def handle(route):
        response = route.fetch()
        route.fulfill(response=response, json=change(response.json()))

    page.route("**/api/methods", handle)


def by_name(table):
    return {entry["name"]: entry for entry in table["methods"]}


@pytest.mark.parametrize("frontend", ["A", "B"])
def test_the_page_offers_every_method_of_the_registry(open_frontend, frontend):
    """Each method and each credential a method accepts is a choice; the count is the table's, in words
    (tests/guards/test_registry.py holds README and the docs to the same count)."""
    page = open_frontend(frontend)
    assert [tuple(choice) for choice in offered(page)] == CHOICES
    assert page.text_content("#method-count") == (
        "The API's five ways to log in (GET /api/methods); Issuer JWT is another site's token, which JWT accepts.")


def relabelled(table):
    """The opaque token relabelled, the session's cookie renamed, the signed token dropped, the token's `me` moved."""
    methods = by_name(table)
    methods["token"]["label"] = "Random token (as the table says)"
    methods["token"]["paths"]["me"] = "/api/token/moved-me"
    methods["session"]["summary"] = "A summary only this table has."
    methods["session"]["cookies"][0]["name"] = "renamed_session_cookie"
    table["methods"] = [entry for entry in table["methods"] if entry["name"] != "signed"]
    return table


def test_the_page_shows_what_the_endpoint_says(open_frontend):
    """Labels, summaries, paths, cookie names and the number of methods all come from the table."""
    page = open_frontend("A")
    serve_changed_table(page, relabelled)
    page.reload()
    page.wait_for_function("() => window.authlab?.steps !== undefined")
    labels = dict(offered(page))
    assert labels["token"] == "Random token (as the table says)" and "signed" not in labels
    assert page.evaluate("() => import('/shared/compare.js').then((m) => m.COMPARED.length)") == len(REGISTRY) - 1
    assert page.text_content("#method-count").startswith("The API's four ways to log in")
    page.check('input[name="method"][value="session"]')
    assert page.text_content("#method-summary") == "A summary only this table has."
    _, why = step(page, "login")  # the API sets session_id; the page looks for the cookie the table named
    assert "no renamed_session_cookie cookie comes back" in why
    page.check('input[name="method"][value="token"]')
    page.check('input[name="storage"][value="header"]')
    assert step(page, "login")[0] == "200"
    status, why = step(page, "me")
    assert (status, why) == ("404", "This server has no /api/token/moved-me (not built yet).")


def test_without_the_table_the_page_says_why_and_offers_nothing(open_frontend):
    """The API's JSON error is shown where the methods would be; no script error, no half-drawn form."""
    page = open_frontend("B")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    failure = {"error": "store_unavailable", "message": "redis is not answering"}
    page.route("**/api/methods", lambda route: route.fulfill(response=route.fetch(), status=503, json=failure))
    page.reload()
    page.wait_for_selector("#table-failure")
    assert "answered 503" in page.text_content("#table-failure")
    assert '"error": "store_unavailable"' in page.text_content("#table-failure-body")
    assert page.query_selector("#try") is None and errors == []
    assert page.evaluate("() => window.authlab.table_failure.status") == 503


def test_while_the_table_loads_the_page_says_so(open_frontend):
    """The table's request held: the page names what it waits for; released, the methods appear."""
    page = open_frontend("A")
    held = []
    page.route("**/api/methods", lambda route: held.append(route))
    with page.expect_request("**/api/methods"):
        page.goto(page.url, wait_until="commit")
    assert "Loading the methods from the API (GET /api/methods)" in page.text_content("#app")
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_selector('input[name="method"]')
    assert [tuple(choice) for choice in offered(page)] == CHOICES
