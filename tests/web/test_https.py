"""HTTPS mode (`make run-https`): the core API over TLS with a local CA, __Host- cookies, HSTS, and why it matters."""

import socket
import ssl

import pytest
import requests

from issuer import create_app as create_issuer
from stack.wiretap import Wiretap, decode_basic
from tests.helpers import CREDENTIAL_COOKIE, JWT_REFRESH_COOKIE, SESSION_COOKIE, basic_header, bearer, launched

CHALLENGE = 'Basic realm="auth-demo", charset="UTF-8"'


@pytest.fixture
def https(https_stack, redis_db):
    """A client that trusts the local CA (and nothing else), on an emptied Redis."""
    with requests.Session() as session:
        session.verify = https_stack.ca
        session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment would replace `verify`
        yield session


def attributes(set_cookie):
    """A Set-Cookie header as (name, value, {attribute lowercased: value or True})."""
    first, *rest = set_cookie.split("; ")
    name, _, value = first.partition("=")
    return name, value, {k.lower(): v or True for k, _, v in (part.partition("=") for part in rest)}


CORE_API = [
    ("health", "/api/health", {}, 200, {"status": "ok", "redis": True, "topology": "single"}),
    ("public", "/api/public", {}, 200, {"message": "public: anyone can read this", "authenticated": False}),
    ("basic-none", "/api/basic/me", {}, 401,
     {"error": "unauthorized", "message": "missing, malformed or wrong Basic credentials"}),
    ("basic-ok", "/api/basic/me", basic_header("zoë", "pässwörd"), 200,
     {"user": "zoë", "method": "basic", "role": "user", "viewer": ...}),
    ("basic-no-role", "/api/basic/admin", basic_header("alice", "wonderland"), 403,
     {"error": "forbidden", "message": "these credentials are valid but lack the admin role"}),
    ("session-none", "/api/session/me", {}, 401,
     {"error": "unauthorized", "message": "no valid session: log in first (or it expired or was logged out)"}),
]


@pytest.mark.parametrize(("path", "headers", "status", "body"), [c[1:] for c in CORE_API], ids=[c[0] for c in CORE_API])
def test_the_core_api_holds_over_tls_with_hsts(https, https_stack, path, headers, status, body):
    response = https.get(https_stack.api + path, headers=headers, timeout=5)
    assert response.status_code == status
    got = response.json()
    assert got == {**body, **({"viewer": got.get("viewer")} if "viewer" in body else {})}  # viewer: demo mode's key
    assert response.headers["Strict-Transport-Security"] == "max-age=300"
    if status == 401 and path.startswith("/api/basic/"):
        assert response.headers["WWW-Authenticate"] == CHALLENGE


ANSWERS = [  # (app, method, path): a success, a 401, a 404 and a 405 of the API; the issuer's JWKS, 404 and 405
    ("api", "GET", "/api/public"), ("api", "GET", "/api/session/me"), ("api", "GET", "/nowhere"),
    ("api", "DELETE", "/api/public"), ("issuer", "GET", "/.well-known/jwks.json"), ("issuer", "GET", "/nowhere"),
    ("issuer", "GET", "/token"),
]


@pytest.mark.parametrize(("which", "method", "path"), ANSWERS, ids=[f"{a}-{m}-{p}" for a, m, p in ANSWERS])
def test_every_answer_of_the_api_and_the_issuer_says_nosniff_and_over_plain_http_no_hsts(app, which, method, path):
    """Errors too: a JSON body is never sniffed into a script or a style sheet."""
    client = (app if which == "api" else create_issuer()).test_client()
    response = client.open(path, method=method)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    ("options", "extra"),
    [({}, {}), ({"samesite": "None", "partitioned": True}, {"partitioned": True})],
    ids=["default", "samesite-none-partitioned"],
)
def test_session_cookie_is_secure_and_host_prefixed_and_the_whole_flow_works(https, https_stack, options, extra):
    login = https.post(f"{https_stack.api}/api/session/login",
                       json={"username": "alice", "password": "wonderland", **options}, timeout=5)
    assert login.status_code == 200
    assert login.json()["cookie"] == {"samesite": options.get("samesite", "Lax"), "secure": True,
                                      "partitioned": bool(extra)}
    name, session_id, attrs = attributes(login.headers["Set-Cookie"])
    assert name == f"__Host-{SESSION_COOKIE}" and len(session_id) >= 43
    assert {"secure", "httponly", "path", "samesite"} <= attrs.keys() and attrs["path"] == "/" and "domain" not in attrs
    assert https.get(f"{https_stack.api}/api/session/me", timeout=5).status_code == 200
    logout = https.post(f"{https_stack.api}/api/session/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]},
                        timeout=5)
    assert logout.status_code == 204
    assert attributes(logout.headers["Set-Cookie"])[0] == f"__Host-{SESSION_COOKIE}"
    replay = requests.get(f"{https_stack.api}/api/session/me", cookies={f"__Host-{SESSION_COOKIE}": session_id},
                          verify=https_stack.ca, timeout=5)
    assert replay.status_code == 401


@pytest.mark.parametrize(
    ("method", "names"),
    [("token", [f"__Host-{CREDENTIAL_COOKIE['token']}"]), ("signed", [f"__Host-{CREDENTIAL_COOKIE['signed']}"]),
     ("jwt", [f"__Host-{CREDENTIAL_COOKIE['jwt']}", f"__Secure-{JWT_REFRESH_COOKIE}"])],
)
def test_token_cookies_are_secure_and_prefixed_and_work_over_tls(https, https_stack, method, names):
    """`__Secure-` where the cookie's path is narrower than / (the refresh cookie lives on /api/jwt)."""
    login = https.post(f"{https_stack.api}/api/{method}/login",
                       json={"username": "bob", "password": "builder", "transport": "cookie"}, timeout=5)
    assert login.status_code == 200
    cookies = [attributes(header) for header in login.raw.headers.getlist("Set-Cookie")]
    assert [name for name, _, _ in cookies] == names
    assert all("secure" in attrs and "httponly" in attrs for _, _, attrs in cookies)
    me = https.get(f"{https_stack.api}/api/{method}/me", timeout=5)
    assert me.status_code == 200
    assert (me.json()["user"], me.json()["transport"]) == ("bob", "cookie")
    if method == "jwt":  # the refresh cookie reaches /api/jwt/refresh, with the CSRF token
        refresh = https.post(f"{https_stack.api}/api/jwt/refresh", headers={"X-CSRF-Token": login.json()["csrf_token"]},
                             timeout=5)
        assert refresh.status_code == 200


def test_cors_grants_the_https_frontend(https, https_stack):
    response = https.get(f"{https_stack.api}/api/public", headers={"Origin": https_stack.a}, timeout=5)
    assert response.headers["Access-Control-Allow-Origin"] == https_stack.a
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_certificate_covers_both_sites_and_only_the_local_ca_vouches_for_it(https_stack, host):
    url = f"https://{host}:{https_stack.api_port}/api/health"
    assert requests.get(url, verify=https_stack.ca, timeout=5).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=5)  # the system's CAs do not know it


def test_plain_http_to_the_tls_port_gets_no_answer(https_stack):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://localhost:{https_stack.api_port}/api/health", timeout=5)


TLS_ORIGINS = {"api": "/api/health", "issuer": "/.well-known/jwks.json", "a": "/"}  # https_stack's, a path of each
# TLS 1.2 suites with CBC (SHA-1 or SHA-2 MACs), with and without forward secrecy; @SECLEVEL=0: the client offers them
CBC_SUITES = ":".join([
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384",
    "AES128-SHA", "AES256-SHA", "AES128-SHA256", "AES256-SHA256", "@SECLEVEL=0",
])


def handshake(port, ca, ciphers=None):
    """The TLS 1.2 suite the server at 127.0.0.1:port agrees to, from `ciphers` (OpenSSL's list) if given."""
    context = ssl.create_default_context(cafile=ca)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        context.set_ciphers(ciphers)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.cipher()[0]


@pytest.mark.parametrize("origin", TLS_ORIGINS)
def test_every_tls_origin_sends_hsts_and_nosniff(https, https_stack, origin):
    """The API, the issuer and the page: each is an origin a browser should never reach over plain HTTP again."""
    response = https.get(getattr(https_stack, origin) + TLS_ORIGINS[origin], timeout=5)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("origin", TLS_ORIGINS)
def test_every_tls_origin_refuses_cbc_suites_and_agrees_on_an_aead_one(https_stack, origin):
    port = getattr(https_stack, f"{origin}_port")
    with pytest.raises(ssl.SSLError):
        handshake(port, https_stack.ca, CBC_SUITES)
    assert handshake(port, https_stack.ca).endswith(("GCM-SHA256", "GCM-SHA384", "CHACHA20-POLY1305"))


def test_frontend_is_served_over_tls_and_points_at_the_https_api(https, https_stack):
    config = https.get(f"{https_stack.a}/config.js", timeout=5).text
    assert f'"api": "{https_stack.api}"' in config


def sniff_basic_login(target_host, port, scheme, ca=None):
    """Send alice's Basic credentials through a wiretap in front of the server; return what it captured."""
    with Wiretap(target_host, port) as tap:
        response = requests.get(f"{scheme}://localhost:{tap.port}/api/basic/me",
                                headers=basic_header("alice", "wonderland"), verify=ca, timeout=5)
        assert response.status_code == 200
    return bytes(tap.captured)


def test_over_plain_http_the_basic_header_decodes_straight_to_the_password(start_api):
    """The notes: Basic "should be used only over HTTPS". Base64 is not encryption."""
    api = start_api()
    captured = sniff_basic_login(api.host, api.port, "http")
    assert decode_basic(captured) == ["alice:wonderland"]


def test_over_tls_the_same_wiretap_reads_nothing(https_stack):
    captured = sniff_basic_login("127.0.0.1", https_stack.api_port, "https", https_stack.ca)
    assert len(captured) > 100
    assert decode_basic(captured) == []
    assert (b"Authorization" not in captured and b"YWxpY2U6d29uZGVybGFuZA" not in captured
            and b"wonderland" not in captured)


def test_make_run_https_serves_every_origin_over_tls_and_stops_cleanly(tmp_path):
    """The launcher switches every origin to https (the helper hands it http ones) and makes the local CA."""
    with launched(tmp_path, "--https", until="--ignore-certificate-errors-spki-list") as (ports, banner):
        ca = tmp_path / "var" / "tls" / "ca.pem"
        assert f"https://localhost:{ports['api']}" in banner and f"trust {ca}" in banner
        health = requests.get(f"https://localhost:{ports['api']}/api/health", verify=ca, timeout=5)
        assert health.json() == {"status": "ok", "redis": True, "topology": "single"}
        assert "frontend B" in requests.get(f"https://127.0.0.1:{ports['b']}/", verify=ca, timeout=5).text
        issued = requests.post(f"https://127.0.0.1:{ports['issuer']}/token",
                               json={"username": "alice", "password": "wonderland"}, verify=ca, timeout=5)
        me = requests.get(f"https://localhost:{ports['api']}/api/jwt/me", headers=bearer(issued.json()["access_token"]),
                          verify=ca, timeout=5)
        assert me.status_code == 200  # the API fetched the issuer's JWKS over TLS, trusting the local CA
