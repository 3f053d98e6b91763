"""The BFF end to end against the real authorization server and the real API: code + PKCE through the AS's login
form, the cookie's attributes, no token in any BFF answer, refresh when due, logout that revokes at the AS; and the
collector redeeming a §5.1.3 code and riding a stolen refresh token until the AS's reuse detection ends it."""

import base64
import hashlib
import json
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from bff import session_store
from tests.bff.conftest import AS_ORIGIN, BFF_A, CLIENT_SECRET, FRONTEND_A, run_due

OWN = {"X-CSRF": "1", "Origin": FRONTEND_A}


class FormFields(HTMLParser):
    """The named inputs of the AS's login page, with their values."""

    def __init__(self, html):
        super().__init__()
        self.fields = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def through_the_as(browser, url, until, username="alice", password="wonderland"):
    """Follow the AS's redirects from `url` as a browser would, logging in on its form if asked, until a Location
    starts with `until` (the client's redirect URI): that Location."""
    response = browser.get(url, allow_redirects=False, timeout=5)
    for _ in range(6):
        location = response.headers.get("Location", "")
        if location.startswith(until):
            return location
        if response.status_code in (301, 302, 303):
            response = browser.get(requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=5)
        elif "<form" in response.text:
            fields = {**FormFields(response.text).fields, "username": username, "password": password}
            response = browser.post(AS_ORIGIN + "/login", data=fields, allow_redirects=False, timeout=5)
        else:
            break
    raise AssertionError(f"the AS never sent the browser to {until}: {response.status_code} {response.text[:300]}")


@pytest.fixture
def bff_a(make_bff, api, authorization_server):
    """BFF-A (in process) on the real AS and API, and a recorder of every answer it gives."""
    app = make_bff(API_ORIGIN=api.origin)
    client = app.test_client()
    client.answers = []
    real_open = client.open

    def recorded(*args, **kwargs):
        response = real_open(*args, **kwargs)
        client.answers.append((kwargs.get("path") or args[0], response))
        return response

    client.open = recorded
    client.app = app
    return client


def log_in(bff_client, browser=None, mode="bff"):
    """The whole login: /bff/login, the AS's form, /bff/callback; returns the callback's answer."""
    browser = browser or requests.Session()
    start = bff_client.get(f"/bff/login?mode={mode}")
    assert start.status_code == 302
    callback = through_the_as(browser, start.headers["Location"], BFF_A + "/bff/callback")
    return bff_client.get(callback.removeprefix(BFF_A))


def stored(bff_client):
    """The BFF's record of the client's session, read from Redis as the BFF keeps it."""
    session_id = bff_client.get_cookie(session_store.COOKIE).value
    with bff_client.app.app_context():
        return session_id, session_store.load(session_id)


def test_login_sets_a_strict_httponly_host_cookie_and_the_session_works(bff_a):
    callback = log_in(bff_a)
    assert callback.status_code == 302 and callback.headers["Location"] == FRONTEND_A + "/"
    assert callback.get_data() == b""  # no HTML, not even a redirect page
    cookie = next(c for c in callback.headers.getlist("Set-Cookie") if c.startswith("bff_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "expires"} <= attributes and "domain" not in attributes and "secure" not in attributes
    assert "SameSite=Strict" in cookie and "Path=/;" in cookie + ";"
    assert bff_a.get("/bff/session").get_json()["user"] == "alice"
    me = bff_a.get("/bff/api/jwt/me", headers=OWN)
    assert me.status_code == 200 and me.get_json()["user"] == "alice"
    _, record = stored(bff_a)  # the AS's token (RFC 9068), which the API verified through the AS's JWKS
    assert jwt.decode(record["access_token"], options={"verify_signature": False})["iss"] == AS_ORIGIN


def test_a_bff_session_never_hands_out_a_token_not_even_at_the_token_endpoint(bff_a):
    """RFC 10017 section 6.1: a session opened as a BFF keeps its tokens; `GET /bff/token` is 403 for it."""
    log_in(bff_a)
    _, record = stored(bff_a)
    refused = bff_a.get("/bff/token", headers=OWN)
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_token_mediating"
    assert record["access_token"] not in refused.get_data(as_text=True)
    assert bff_a.get("/bff/api/jwt/me", headers=OWN).status_code == 200


@pytest.mark.parametrize("mode", ["token_mediating", "", "BFF"])
def test_an_unknown_mode_is_a_json_400(bff_a, mode):
    response = bff_a.get(f"/bff/login?mode={mode}")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_no_bff_answer_carries_a_token_and_the_token_endpoint_only_the_access_token(bff_a):
    log_in(bff_a, mode="token-mediating")
    _, record = stored(bff_a)
    bff_a.get("/bff/session")
    bff_a.get("/bff/api/jwt/me", headers=OWN)
    bff_a.get("/bff/api/jwt/me")  # refused
    mediated = bff_a.get("/bff/token", headers=OWN)
    assert mediated.status_code == 200 and set(mediated.get_json()) == {"access_token", "expires_in"}
    assert mediated.get_json()["access_token"] == record["access_token"]
    bff_a.post("/bff/logout", headers=OWN)
    assert [path for path, _ in bff_a.answers] == ["/bff/login?mode=token-mediating", bff_a.answers[1][0],
                                                  "/bff/session", "/bff/api/jwt/me", "/bff/api/jwt/me", "/bff/token",
                                                  "/bff/logout"]
    for path, response in bff_a.answers:
        everything = response.get_data(as_text=True) + json.dumps(list(response.headers.items()))
        assert record["refresh_token"] not in everything, path
        if path != "/bff/token":
            assert record["access_token"] not in everything, path
            assert record["access_token"].split(".")[2] not in everything, path


def test_a_due_access_token_is_refreshed_at_the_as_and_the_old_refresh_token_is_spent(bff_a, api):
    log_in(bff_a)
    session_id, before = stored(bff_a)
    with bff_a.app.app_context():  # the access token is due: time moved, not slept through
        session_store.save(session_id, {**before, "access_expires_at": before["access_expires_at"] - 10_000})
    me = bff_a.get("/bff/api/jwt/me", headers=OWN)
    assert me.status_code == 200, me.get_json()
    _, after = stored(bff_a)
    assert after["access_token"] != before["access_token"] and after["refresh_token"] != before["refresh_token"]
    assert after["expires_at"] == before["expires_at"]  # a refresh never extends the session


def test_logout_revokes_the_refresh_token_at_the_as_and_expires_the_cookie(bff_a, authorization_server):
    log_in(bff_a)
    session_id, record = stored(bff_a)
    logout = bff_a.post("/bff/logout", headers=OWN)
    assert logout.status_code == 204
    assert any(c.startswith("bff_session=;") for c in logout.headers.getlist("Set-Cookie"))
    assert bff_a.get("/bff/session").status_code == 401
    refused = requests.post(authorization_server.metadata["token_endpoint"], timeout=5,
                            auth=("authlab-bff-a", CLIENT_SECRET),  # the BFF's own: only revocation stops it
                            data={"grant_type": "refresh_token", "refresh_token": record["refresh_token"]})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    with bff_a.app.app_context():
        assert session_store.load(session_id) is None


def test_a_replayed_callback_and_a_foreign_issuer_are_refused(bff_a):
    start = bff_a.get("/bff/login")
    callback = through_the_as(requests.Session(), start.headers["Location"], BFF_A + "/bff/callback")
    query = parse_qs(urlsplit(callback).query)
    wrong = {**{k: v[0] for k, v in query.items()}, "iss": "http://127.0.0.1:1"}
    mixed_up = bff_a.get("/bff/callback?" + urlencode(wrong))
    assert mixed_up.status_code == 400 and mixed_up.get_json()["error"] == "invalid_issuer"
    # the state was spent by the refused attempt: the real callback now finds no login under way
    replayed = bff_a.get(callback.removeprefix(BFF_A))
    assert replayed.status_code == 400 and replayed.get_json()["error"] == "invalid_state"


def test_a_callback_in_another_browser_is_refused(bff_a, make_bff, api):
    """Login CSRF: a code and state the attacker got for their own login, sent to the victim's browser, completes
    nothing (the state is bound to the browser that started the login by its `bff_login` cookie)."""
    start = bff_a.get("/bff/login")
    callback = through_the_as(requests.Session(), start.headers["Location"], BFF_A + "/bff/callback")
    victim = make_bff(API_ORIGIN=api.origin).test_client()
    refused = victim.get(callback.removeprefix(BFF_A))
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_state"


def _challenge(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _browser_client_login(browser, challenge, prompt=None):
    """The public client authlab-a's authorization request from page A; the code the AS sends back."""
    query = {"response_type": "code", "client_id": "authlab-a", "redirect_uri": FRONTEND_A + "/",
             "code_challenge": challenge, "code_challenge_method": "S256", "state": secrets.token_urlsafe(8)}
    if prompt:
        query["prompt"] = prompt
    url = authorization_server_metadata()["authorization_endpoint"] + "?" + urlencode(query)
    location = through_the_as(browser, url, FRONTEND_A + "/")
    return parse_qs(urlsplit(location).query)["code"][0]


def authorization_server_metadata():
    return requests.get(AS_ORIGIN + "/.well-known/oauth-authorization-server", timeout=5).json()


def test_the_collector_redeems_a_silent_flows_code_with_its_own_verifier(make_collector, authorization_server):
    """§5.1.3: with the victim's AS session, a script runs `prompt=none` with the collector's challenge; the code is
    worth a fresh pair to the collector, whatever the page's storage."""
    collector = make_collector().test_client()
    browser = requests.Session()
    _browser_client_login(browser, _challenge(secrets.token_urlsafe(48)))  # the victim logs in: an AS session
    challenge = collector.get("/pkce?run=r1").get_json()["code_challenge"]
    code = _browser_client_login(browser, challenge, prompt="none")  # the script's hidden flow
    answer = collector.post("/collect", json={"run": "r1", "kind": "code", "code": code, "client_id": "authlab-a",
                                              "payload": "5.1.3"})
    assert answer.status_code == 201
    attempt = answer.get_json()["attempt"]
    assert (attempt["status"], attempt["worked"]) == (200, True), attempt


def test_a_stolen_refresh_token_works_until_the_victims_refresh_trips_reuse_detection(make_collector,
                                                                                     authorization_server):
    """§5.1.2: the collector rotates the stolen refresh token first; the page's own (now spent) refresh is reuse, so
    the AS revokes the family, and the collector's next attempt is refused with the AS's reason."""
    app = make_collector()
    collector = app.test_client()
    verifier = secrets.token_urlsafe(48)
    code = _browser_client_login(requests.Session(), _challenge(verifier))
    token_endpoint = authorization_server_metadata()["token_endpoint"]
    pair = requests.post(token_endpoint, timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": FRONTEND_A + "/", "client_id": "authlab-a",
        "code_verifier": verifier}).json()
    answer = collector.post("/collect", json={"run": "r1", "kind": "refresh_token", "client_id": "authlab-a",
                                              "refresh_token": pair["refresh_token"]})
    first = answer.get_json()["attempt"]
    assert (first["status"], first["worked"]) == (200, True), first
    page_refresh = requests.post(token_endpoint, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": pair["refresh_token"], "client_id": "authlab-a"})
    assert page_refresh.status_code == 400 and page_refresh.json()["error"] == "invalid_grant"
    assert run_due(app, first["at"] + 30) == 1
    item = collector.get("/records?run=r1").get_json()["items"][0]
    assert item["refused"]["status"] == 400 and item["refused"]["error"] == "invalid_grant"
    assert item["worked_until"] == first["at"]
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", item["fingerprint"])


@pytest.mark.parametrize(("kind", "status", "error"), [
    ("access_token", 401, "invalid_token"),  # sent as Bearer: the collector has no key to prove possession with
    ("refresh_token", 400, "invalid_grant"),  # a public client's refresh token is bound to the same key
])
def test_dpop_bound_tokens_are_worth_nothing_to_the_collector(make_collector, authorization_server, kind, status,
                                                             error):
    """RFC 10017 §9.2: a non-extractable key stops the use of exfiltrated tokens elsewhere."""
    from tests.dpop_client import ProofKey

    key, verifier = ProofKey(), secrets.token_urlsafe(48)
    code = _browser_client_login(requests.Session(), _challenge(verifier))
    token_endpoint = authorization_server_metadata()["token_endpoint"]
    pair = requests.post(token_endpoint, headers={"DPoP": key.proof("POST", token_endpoint)}, timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": FRONTEND_A + "/", "client_id": "authlab-a",
        "code_verifier": verifier}).json()
    assert pair["token_type"] == "DPoP"
    answer = make_collector().test_client().post("/collect", json={
        "run": "r1", "kind": kind, kind: pair[kind], "client_id": "authlab-a", "storage": "dpop"})
    attempt = answer.get_json()["attempt"]
    assert (attempt["status"], attempt["worked"], attempt["error"]) == (status, False, error), attempt


def test_a_call_that_finds_a_refresh_under_way_waits_for_it_instead_of_spending_the_token_twice(bff_a, redis_db):
    """Two refreshes of one rotating refresh token look like theft to the AS (the family is revoked): a call that
    finds another call's refresh lock waits for that refresh's result and sends nothing to the AS."""
    import threading

    log_in(bff_a)
    session_id, before = stored(bff_a)
    with bff_a.app.app_context():
        session_store.save(session_id, {**before, "access_expires_at": before["access_expires_at"] - 10_000})
        assert session_store.refresh_lock(session_id)  # another call of this session is refreshing
    waits = lambda: redis_db.info("commandstats").get("cmdstat_exists", {}).get("calls", 0)  # noqa: E731
    polled_before, answers = waits(), []
    caller = threading.Thread(target=lambda: answers.append(bff_a.get("/bff/api/jwt/me", headers=OWN)))
    caller.start()
    while waits() < polled_before + 2 and caller.is_alive():  # it polls the lock: it is waiting
        pass
    assert waits() >= polled_before + 2, "the call did not wait for the refresh under way"
    with bff_a.app.app_context():  # the other call's refresh is done: its result stored, the lock gone
        session_store.save(session_id, before)
        session_store.release_refresh_lock(session_id)
    caller.join(10)
    assert answers[0].status_code == 200, answers[0].get_json()
    assert stored(bff_a)[1]["refresh_token"] == before["refresh_token"]  # nothing was refreshed by this call
    with bff_a.app.app_context():  # and the refresh token is unspent at the AS: the next refresh works
        session_store.save(session_id, {**before, "access_expires_at": before["access_expires_at"] - 10_000})
    assert bff_a.get("/bff/api/jwt/me", headers=OWN).status_code == 200
