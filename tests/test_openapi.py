"""The OpenAPI document (issue 6 §3): complete, served, and the API keeps to it under schemathesis's fuzzing."""

import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from backend import openapi
from tests.helpers import basic_header

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask and flask-cors for every route


def routes(app):
    """(METHOD, /openapi/{style}) for every route the app serves."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return found


def documented():
    return {(method.upper(), path) for path, item in openapi.document()["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    """Adding an endpoint without documenting it (or leaving a stale entry) fails here."""
    assert routes(app) == documented()


def test_the_document_is_served_naming_this_origin_and_cookie(make_app):
    client = make_app(API_ORIGIN="https://localhost:9443").test_client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "https://localhost:9443"}]
    assert doc["components"]["securitySchemes"]["sessionCookie"]["name"] == "__Host-session_id"


schema = schemathesis.openapi.from_dict(openapi.document())
LOG_IN_LATER = "log-in-when-the-case-runs"


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/basic/")
class BasicAuth:
    """The admin's Basic credentials (valid on /me and /admin)."""

    def get(self, case, ctx):
        return basic_header("admin", "admin-pass")

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), **data}


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/session/(me|logout)$")
class SessionAuth:
    """Marks the case as session-authenticated; schemathesis asks already at collection, before any server runs,
    so `log_in` puts a real session in when the case runs."""

    def get(self, case, ctx):
        return LOG_IN_LATER

    def set(self, case, data, ctx):
        case.cookies = {**(case.cookies or {}), "session_id": data}
        case.headers = {**(case.headers or {}), "X-CSRF-Token": data}


def log_in(case, base_url):
    """Replace SessionAuth's mark with a fresh session's cookie and CSRF token."""
    if (case.cookies or {}).get("session_id") != LOG_IN_LATER:
        return
    login = {"username": "alice", "password": "wonderland"}
    response = requests.post(f"{base_url}/api/session/login", json=login, timeout=5)
    case.cookies["session_id"] = response.cookies["session_id"]
    case.headers["X-CSRF-Token"] = response.json()["csrf_token"]


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document_under_fuzzing(case, lenient_api):
    """No 5xx, and every status, header, content type and body is the one the document promises."""
    base_url = f"http://{lenient_api.host}:{lenient_api.port}"
    log_in(case, base_url)
    case.call_and_validate(base_url=base_url, timeout=5)
