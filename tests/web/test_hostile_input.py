"""Properties over generated input (hypothesis): hostile headers never break the API, UTF-8 round-trips."""

import base64
import http.client
import json
import socket
import unicodedata

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.methods import REGISTRY
from backend.methods.basic import parse_basic
from kernel.users import DEMO_USERS
from tests.helpers import basic_header

CHALLENGE = 'Basic realm="auth-demo", charset="UTF-8"'
UNAUTHORIZED = {"error": "unauthorized", "message": "missing, malformed or wrong Basic credentials"}
RIGHT = {name: password for name, password, _ in DEMO_USERS}

# What an HTTP/1.1 field value may carry (RFC 9110 §5.5): HTAB, SP, visible ASCII and obs-text. Servers refuse the
# other control bytes before any app runs (see test_control_bytes_are_refused_by_the_http_parser_not_the_app).
FIELD_BYTES = [0x09, *range(0x20, 0x7F), *range(0x80, 0x100)]
field_bytes = st.lists(st.sampled_from(FIELD_BYTES), max_size=300).map(bytes)


def b64(raw):
    return base64.b64encode(raw)


# Arbitrary field bytes, then shapes that get deeper into the parser: well-formed base64 of anything, other scheme
# words, and real credentials in every spelling (scheme case, padding spaces, a wrong byte).
authorization_values = st.one_of(
    field_bytes,
    st.binary(max_size=200).map(lambda raw: b"Basic " + b64(raw)),
    st.tuples(st.sampled_from([b"Basic", b"BASIC", b"bAsIc", b"Bearer", b"Digest", b""]), field_bytes).map(b" ".join),
    st.tuples(
        st.sampled_from([b"Basic", b"basic", b"BASIC"]),
        st.sampled_from(sorted(RIGHT)),
        st.sampled_from([b"", b" ", b"  ", b"\t"]),
        st.booleans(),
    ).map(lambda t: t[0] + b" " + t[2] + b64(f"{t[1]}:{RIGHT[t[1]]}{'x' if t[3] else ''}".encode()) + t[2]),
)

# The statuses each endpoint that reads Authorization may give; anything else (a 5xx above all) breaks the property.
ALLOWED = {
    "/api/basic/me": {200, 401},  # /api/basic/admin shares its parser and is fuzzed by test_openapi
    "/api/session/me": {401},
    "/api/token/me": {401},
    "/api/signed/me": {401},
    "/api/jwt/me": {401},
    "/api/logout-all": {200, 401},
    "/api/echo": {200},
}

# Modest example counts: a parseable Basic header costs one scrypt check (~60 ms) on the server.
# One app per test, shared by its examples (nothing an example does changes what the next one sees).
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def lenient(make_app):
    """A test client on an app whose login limits stay out of the way (the limits have their own tests)."""
    return make_app(LOGIN_USER_LIMIT="100000/minute", LOGIN_CLIENT_LIMIT="100000/minute").test_client()


def check(path, status, body, headers):
    """The property: an allowed status, and on Basic the API's error body and challenge."""
    assert status in ALLOWED[path], body
    if path.startswith("/api/basic/") and status == 401:
        assert body == UNAUTHORIZED
        assert headers["WWW-Authenticate"] == CHALLENGE
    if path.startswith("/api/basic/") and status == 200:
        assert body["user"] in RIGHT


@pytest.mark.parametrize("path", ALLOWED)
@PROPERTY
@given(value=authorization_values)
def test_any_bytes_in_authorization_get_an_allowed_answer_never_5xx(lenient, path, value):
    send = lenient.post if path == "/api/logout-all" else lenient.get
    response = send(path, headers={"Authorization": value.decode("latin-1")})  # WSGI's view of the bytes
    check(path, response.status_code, response.get_json(), response.headers)


@settings(PROPERTY, max_examples=40)
@given(value=authorization_values)
def test_the_same_holds_through_the_served_api(lenient_api, value):
    """The real process: the server's HTTP parser, then the app, over a socket."""
    connection = http.client.HTTPConnection(lenient_api.host, lenient_api.port, timeout=5)
    try:
        connection.request("GET", "/api/basic/me", headers={"Authorization": value})
        response = connection.getresponse()
        check("/api/basic/me", response.status, json.loads(response.read()), response.headers)
    finally:
        connection.close()


@pytest.mark.parametrize("byte", [0x00, 0x01, 0x1B, 0x7F])
def test_control_bytes_are_refused_by_the_http_parser_not_the_app(lenient_api, byte):
    """A field value cannot carry these: the server answers its own 400 (the app never sees the request)."""
    connection = http.client.HTTPConnection(lenient_api.host, lenient_api.port, timeout=5)
    try:
        connection.request("GET", "/api/basic/me", headers={"Authorization": b"Basic " + bytes([byte])})
        assert connection.getresponse().status == 400
    finally:
        connection.close()


def test_a_malformed_content_length_is_refused_by_the_http_parser_with_an_empty_400(lenient_api):
    """The known limit docs/security.md states: the parser's own 400 has no body, so no JSON (the app never runs)."""
    with socket.create_connection((lenient_api.host, lenient_api.port), timeout=5) as sock:
        sock.sendall(b"POST /api/logout-all HTTP/1.1\r\nHost: localhost\r\ncontent-length: #Y\r\n\r\n")
        head, _, body = sock.recv(65536).partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400"
    assert body == b""


usernames = st.text(st.characters(exclude_categories=["Cs", "Cc"], exclude_characters=":"), min_size=1).filter(
    lambda name: unicodedata.normalize("NFC", name) not in RIGHT  # generated names are never a demo user's
)
passwords = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1)


@given(username=usernames, password=passwords)
def test_utf8_credentials_round_trip_through_the_header(username, password):
    """RFC 7617: UTF-8, base64, split at the first colon (passwords may hold colons, user-ids may not)."""
    assert parse_basic(basic_header(username, password)["Authorization"]) == (username, password)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_zoe_logs_in_with_basic_however_her_unicode_is_composed(lenient, form):
    spelled = unicodedata.normalize(form, "zoë"), unicodedata.normalize(form, "pässwörd")
    response = lenient.get("/api/basic/me", headers=basic_header(*spelled))
    assert response.status_code == 200
    assert response.get_json()["user"] == "zoë"


@settings(PROPERTY, max_examples=25)
@given(username=usernames, password=passwords)
def test_any_other_utf8_credentials_get_the_documented_401(lenient, username, password):
    response = lenient.get("/api/basic/me", headers=basic_header(username, password))
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED


# Bodies a JSON endpoint must refuse with the contract's 400 JSON, never a 500 with a traceback.
DEEP = "[" * 2000 + "]" * 2000  # 4 KB; Python's parser recurses once per level and would raise RecursionError
HOSTILE_BODIES = {
    "nested-2000-deep": DEEP,
    "lone-surrogate-password": '{"username": "alice", "password": "\\ud800", "refresh_token": "\\ud800"}',
    "lone-surrogate-username": '{"username": "\\udfff", "password": "wonderland", "refresh_token": "x\\udfff"}',
}
JSON_ENDPOINTS = [f"{method.prefix}/login" for method in REGISTRY if f"{method.name}.login" in method.passwords]
JSON_ENDPOINTS.append("/api/jwt/refresh")


def assert_bad_request(status, body):
    assert status == 400, body
    assert body["error"] in ("bad_request", "invalid_request") and body["message"]


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES)
@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_deep_nesting_and_lone_surrogates_get_the_contracts_400_on_every_json_endpoint(lenient, path, body):
    response = lenient.post(path, data=body, headers={"Content-Type": "application/json"})
    assert_bad_request(response.status_code, response.get_json())


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES)
def test_the_issuers_token_endpoint_refuses_them_the_same_way(issuer, body):
    response = requests.post(f"{issuer.origin}/token", data=body, headers={"Content-Type": "application/json"},
                             timeout=5)
    assert_bad_request(response.status_code, response.json())


def raw_exchange(service, request_bytes):
    """Send bytes as they are over a socket; (status, headers, body) of the answer."""
    with socket.create_connection((service.host, service.port), timeout=5) as sock:
        sock.sendall(request_bytes)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_deep_nesting_gets_the_400_through_the_served_api_too(lenient_api):
    """The real server's worker threads: their stack must hold the parser until it gives up."""
    body = DEEP.encode()
    request = (
        f"POST /api/session/login HTTP/1.1\r\nHost: {lenient_api.host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    status, _, answer = raw_exchange(lenient_api, request)
    assert_bad_request(status, json.loads(answer))


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_a_chunked_body_with_a_bad_chunk_size_gets_the_contracts_400(lenient_api, path):
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {lenient_api.host}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    ).encode()
    status, headers, answer = raw_exchange(lenient_api, request)
    assert headers["content-type"] == "application/json"  # the app answers, not the server's empty 400
    assert_bad_request(status, json.loads(answer))
