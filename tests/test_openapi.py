"""The OpenAPI document (backend/openapi.json): complete, served, and the API keeps to it under schemathesis's
fuzzing."""

import re

import requests
import schemathesis
from hypothesis import HealthCheck, settings

from backend import openapi
from tests.helpers import JWT_REFRESH_COOKIE, SESSION_COOKIE, basic_header

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
    names = {name: scheme.get("name") for name, scheme in doc["components"]["securitySchemes"].items()}
    assert names["sessionCookie"] == f"__Host-{SESSION_COOKIE}"
    assert names["jwtRefreshCookie"] == f"__Secure-{JWT_REFRESH_COOKIE}"


schema = schemathesis.openapi.from_dict(openapi.document())
# A body over the size cap is refused before it is parsed, with the documented 413: a rejection like 400.
_rejection = schema.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]
# Schemathesis asks auth providers for credentials already at collection, before any server runs: the providers
# below leave this mark, and `log_in` swaps it for real credentials from the server when the case runs.
LATER = "log-in-when-the-case-runs"
REFRESH_EXAMPLE = "<the refresh_token from /api/jwt/login>"  # the document's example, swapped the same way


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/(basic/|logout-all$)")
class BasicAuth:
    """The admin's Basic credentials (valid on /me, /admin and /logout-all)."""

    def get(self, case, ctx):
        return basic_header("admin", "admin-pass")

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), **data}


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/session/(me|logout)$")
class SessionAuth:
    """A session: its cookie, and the CSRF token for state changes."""

    def get(self, case, ctx):
        return LATER

    def set(self, case, data, ctx):
        case.cookies = {**(case.cookies or {}), SESSION_COOKIE: data}
        case.headers = {**(case.headers or {}), "X-CSRF-Token": data}


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/(token|signed|jwt)/(me|logout)$")
class BearerAuth:
    """An access token of the operation's own method, in the Authorization header."""

    def get(self, case, ctx):
        return LATER

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


KILLS_ITS_CREDENTIALS = {"/api/session/logout", "/api/token/logout", "/api/jwt/logout"}
_reusable = {}  # method -> credentials still valid after the case (reused: each login costs a scrypt check)


def _login(base_url, method):
    return requests.post(f"{base_url}/api/{method}/login", json={"username": "alice", "password": "wonderland"},
                         timeout=5)


def _credentials(base_url, method, path):
    """A session (cookie, CSRF token) or an access token of `method`: fresh if the case will end it."""
    if path not in KILLS_ITS_CREDENTIALS and method in _reusable:
        return _reusable[method]
    response = _login(base_url, method)
    found = ((response.cookies[SESSION_COOKIE], response.json()["csrf_token"]) if method == "session"
             else response.json()["access_token"])
    if path not in KILLS_ITS_CREDENTIALS:
        _reusable[method] = found
    return found


def log_in(case, base_url):
    """Swap the providers' marks (and the refresh example) for real credentials from the server."""
    method = case.path.split("/")[2]
    if (case.cookies or {}).get(SESSION_COOKIE) == LATER:
        case.cookies[SESSION_COOKIE], case.headers["X-CSRF-Token"] = _credentials(base_url, "session", case.path)
    if (case.headers or {}).get("Authorization") == f"Bearer {LATER}":
        case.headers["Authorization"] = "Bearer " + _credentials(base_url, method, case.path)
    if isinstance(case.body, dict) and case.body.get("refresh_token") == REFRESH_EXAMPLE:
        case.body["refresh_token"] = _login(base_url, "jwt").json()["refresh_token"]


# Framing headers are the HTTP parser's, not the app's: a malformed one gets granian's own empty 400, a known limit
# (docs/security.md) tested in tests/web/test_hostile_input.py. The fuzzer's other invented headers stay.
FRAMING = {"content-length", "transfer-encoding", "host", "connection"}


def call_and_validate(case, api):
    """No 5xx, and every status, header, content type and body is the one the document promises."""
    base_url = f"http://{api.host}:{api.port}"
    for name in [name for name in case.headers or {} if name.lower() in FRAMING]:
        del case.headers[name]
    log_in(case, base_url)
    case.call_and_validate(base_url=base_url, timeout=5)


# Where every example costs the server a scrypt check (~60 ms), 12 examples; 50 everywhere else. Schemathesis's
# coverage phase adds its boundary cases (wrong types, empty and overlong strings, other methods) to both.
CHECKS_A_PASSWORD = r"/login$|^/api/basic/|^/api/logout-all$|^/api/(session|token|jwt)/logout$"
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck))


@schema.exclude(path_regex=CHECKS_A_PASSWORD).parametrize()
@settings(FUZZ, max_examples=50)
def test_the_api_keeps_to_its_document_under_fuzzing(case, lenient_api):
    call_and_validate(case, lenient_api)


@schema.include(path_regex=CHECKS_A_PASSWORD).parametrize()
@settings(FUZZ, max_examples=12)
def test_operations_that_check_a_password_keep_to_it_too(case, lenient_api):
    call_and_validate(case, lenient_api)
