"""A method in backend/methods/'s REGISTRY must have everything a method has: a test here fails for the missing part."""

import logging
import re
from pathlib import Path

import pytest
from flask import Blueprint

from backend.methods import REGISTRY, Method
from backend.openapi import document
from tests.browser.test_matrix import SCENARIOS
from tests.helpers import basic_header, bearer

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
# Where the project says how many ways to log in there are (the pages render it from GET /api/methods).
COUNTED = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")), "backend/__init__.py",
           "backend/openapi.json", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "frontend_shared").glob("*.js"))]
SAYS_A_COUNT = re.compile(rf"\b({'|'.join(NUMBERS)}|\d+) (ways to log in|(?:authentication |login )?methods)\b", re.I)
WRONG = {"username": "alice", "password": "not-her-password"}
by_name = pytest.mark.parametrize("method", REGISTRY, ids=lambda method: method.name)


def rule_of(app, endpoint):
    """(HTTP method, path) of the route serving `endpoint`."""
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return next(iter(rule.methods - {"HEAD", "OPTIONS"})), rule.rule


def guess(client, app, endpoint, source):
    """One wrong password at `endpoint`, in the JSON body or a Basic header as the endpoint reads it."""
    verb, path = rule_of(app, endpoint)
    if source == "basic":
        return client.open(path, method=verb, headers=basic_header(**WRONG))
    return client.open(path, method=verb, json=WRONG)


def credential(client, method):
    """Headers that authenticate alice's `me` by this method (a session rides in the client's cookie jar)."""
    if method.auth is not None or method.opens_session:
        response = client.post(f"{method.prefix}/login", json={"username": "alice", "password": "wonderland"})
        assert response.status_code == 200, response.get_json()
        return bearer(response.get_json()["access_token"]) if method.auth is not None else {}
    return basic_header("alice", "wonderland")


@by_name
def test_every_password_endpoint_is_rate_limited(make_app, redis_db, method):
    """Each endpoint that reads a password locks the name after the configured failures (429)."""
    assert method.passwords, "a method with no endpoint taking a password has nothing to log in with"
    client = make_app(LOGIN_USER_LIMIT="1/minute").test_client()
    for endpoint, source in method.passwords.items():
        redis_db.flushdb()  # the per-user counter is shared by every endpoint
        statuses = [guess(client, client.application, endpoint, source).status_code for _ in range(2)]
        assert statuses == [401, 429], endpoint


@by_name
def test_every_password_endpoint_wears_its_rate_limit_decorator(app, method):
    """Visible at the view: `@rate_limited.login` where a JSON body carries the password, `.basic` for a header."""
    for endpoint, source in method.passwords.items():
        assert getattr(app.view_functions[endpoint], "password_from", None) == source, endpoint


def test_logout_all_wears_the_basic_rate_limit(app):
    """It takes Basic credentials too: a guessing oracle unless it is limited like Basic."""
    assert app.view_functions["logout_all.logout_all"].password_from == "basic"


@by_name
def test_a_failed_login_is_audited_under_the_method_name(client, caplog, method):
    """The audit log names the method of every refused password."""
    caplog.set_level(logging.INFO, logger="authlab.audit")
    for endpoint, source in method.passwords.items():
        guess(client, client.application, endpoint, source)
    lines = [r.getMessage() for r in caplog.records if r.name == "authlab.audit"]
    assert len(lines) == len(method.passwords)
    assert all(f"method={method.name} outcome=denied status=401 user='alice'" in line for line in lines)


@by_name
def test_logout_all_ends_what_the_method_declares(client, method):
    """A login outlives `POST /api/logout-all` exactly when the method declares that logout-all ends nothing."""
    headers = credential(client, method)
    assert client.get(f"{method.prefix}/me", headers=headers).status_code == 200
    ended = client.post("/api/logout-all", headers=basic_header("alice", "wonderland"))
    assert ended.status_code == 200
    after = client.get(f"{method.prefix}/me", headers=headers).status_code
    assert after == (401 if method.ends_at_logout_all else 200)


@by_name
def test_a_session_is_opened_only_on_the_paths_of_methods_that_declare_one(app, method):
    assert method.prefix.startswith("/api/")
    assert any(path.startswith(method.prefix) for path in app.session_interface.paths) is method.opens_session


@by_name
def test_every_route_of_the_method_is_in_the_openapi_document(app, method):
    """The completeness test covers all routes; this one names the method whose entry is missing."""
    documented = {(verb.upper(), path) for path, item in document()["paths"].items() for verb in item}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(method.name + "."):
            for verb in rule.methods - {"HEAD", "OPTIONS"}:
                assert (verb, rule.rule) in documented, f"{verb} {rule.rule} is not in backend/openapi.json"


@by_name
def test_the_matrix_has_a_cell_for_every_storage_of_the_method(method):
    """The matrix's scenarios (from the registry; the browser tests check the page runs exactly these) know the method.
    The pages know it from `GET /api/methods` (tests/browser/test_method_table.py shows they render from it)."""
    cells = {(name, storage) for name, storage, _ in SCENARIOS}
    assert {(method.name, storage) for storage in method.storages} <= cells


@by_name
def test_api_methods_serves_every_route_and_cookie_of_the_method(client, app, method):
    """The pages' table: the method's routes by view name, and its cookies named as this deployment names them."""
    served = {entry["name"]: entry for entry in client.get("/api/methods").get_json()["methods"]}
    entry = served[method.name]
    routes = {rule.endpoint.partition(".")[2]: rule.rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith(method.name + ".")}
    assert entry["paths"] == routes and entry["me"] == routes["me"]
    assert (entry["label"], entry["summary"]) == (method.label, method.summary)
    assert entry["storages"] == list(method.storages)
    assert [cookie["name"] for cookie in entry["cookies"]] == list(method.cookies)


def test_api_methods_serves_the_registry_in_order(client):
    """GET /api/methods lists every registered method, once, in the registry's order."""
    served = client.get("/api/methods").get_json()["methods"]
    assert [entry["name"] for entry in served] == [method.name for method in REGISTRY]


@pytest.mark.parametrize("path", COUNTED)
def test_every_count_of_the_ways_to_log_in_is_the_registrys(path):
    """Five ways to log in (Basic, session, opaque token, signed token, JWT): the issuer's JWTs are the JWT method's."""
    said = {number.lower() for number, _ in SAYS_A_COUNT.findall((ROOT / path).read_text(encoding="utf-8"))}
    assert said <= {NUMBERS[len(REGISTRY)], str(len(REGISTRY))}, f"{path} counts the ways to log in as {said}"


def test_the_openapi_document_names_exactly_the_registrys_cookies():
    """backend/openapi.json describes the cookies for machines: the same names and paths the registry sets."""
    schemes = document()["components"]["securitySchemes"].values()
    documented = {(s["name"], s.get("x-cookie-path", "/")) for s in schemes if s.get("in") == "cookie"}
    assert documented == {cookie for method in REGISTRY for cookie in method.cookies.items()}


@pytest.mark.parametrize(
    "wrong",
    [
        {"ends_at_logout_all": True},  # a flag with no words for what it ends
        {"logout_all": "every session of the user"},  # words with no flag
        {"storages": ("localStorage",)},  # a storage the pages do not have
        {"passwords": {"x.login": "form"}},  # a password source no limiter reads
        {"kind": "cheap"},  # a cost `GET /api/methods` cannot name
    ],
)
def test_a_method_declared_with_an_unknown_fact_refuses_to_exist(wrong):
    """Method's facts are enums and a flag with its words: a typo fails at import, not as a silent mismatch."""
    declared = {"storages": ("header",), "passwords": {"x.login": "json"}, "kind": "redis", **wrong}
    with pytest.raises(ValueError):
        Method("x", "X", "a made-up method", Blueprint("x", __name__, url_prefix="/api/x"), **declared)
