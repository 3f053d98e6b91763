"""The audit log (kernel/audit.py): every login, logout and failure with user, method, outcome, origin; never a
secret."""

import json
import logging

import pytest
import requests

from tests.helpers import BEARER_METHODS, Actions, basic_header, bearer

A = "http://localhost:8001"


@pytest.fixture
def audit(caplog):
    """The audit lines written during the test."""
    caplog.set_level(logging.INFO, logger="authlab.audit")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "authlab.audit"]


def login(actions, password="wonderland", username="alice"):
    return actions.session_login(username, password, headers={"Origin": A})


def with_a(headers):
    return {"Origin": A, **headers}


def token(actions, method, field="access_token"):
    """A token of `method` for alice, logged in from frontend A."""
    return actions.client.post(f"/api/{method}/login", json={"username": "alice", "password": "wonderland"},
                               headers={"Origin": A}).get_json()[field]


def logout(actions, csrf=None):
    if csrf is None:
        csrf = login(actions).get_json()["csrf_token"]
    return actions.session_logout(csrf, Origin=A)


SCENARIOS = [
    ("session-login", login, "login method=session outcome=ok status=200 user='alice'"),
    ("session-wrong-password", lambda a: login(a, "guess"),
     "login method=session outcome=denied status=401 user='alice'"),
    ("session-unknown-user", lambda a: login(a, "x", "mallory"),
     "login method=session outcome=denied status=401 user='<unknown>'"),
    ("session-logout", logout, "logout method=session outcome=ok status=204 user='alice'"),
    ("session-logout-no-csrf", lambda a: login(a) and logout(a, "forged"),
     "logout method=session outcome=forbidden status=403 user='alice'"),
    ("session-me-no-cookie", lambda a: a.client.get("/api/session/me", headers={"Origin": A}),
     "me method=session outcome=denied status=401 user=None"),
    ("basic-ok", lambda a: a.client.get("/api/basic/me", headers={"Origin": A, **basic_header("bob", "builder")}),
     "me method=basic outcome=ok status=200 user='bob'"),
    ("basic-wrong", lambda a: a.client.get("/api/basic/me", headers={"Origin": A, **basic_header("bob", "x")}),
     "me method=basic outcome=denied status=401 user='bob'"),
    ("basic-no-role",
     lambda a: a.client.get("/api/basic/admin", headers={"Origin": A, **basic_header("bob", "builder")}),
     "admin method=basic outcome=forbidden status=403 user='bob'"),
    ("token-login", lambda a: token(a, "token"), "login method=token outcome=ok status=200 user='alice'"),
    ("token-logout", lambda a: a.client.post("/api/token/logout", headers=with_a(bearer(token(a, "token")))),
     "logout method=token outcome=ok status=204 user='alice'"),
    ("signed-logout", lambda a: a.client.post("/api/signed/logout", headers=with_a(bearer(token(a, "signed")))),
     "logout method=signed outcome=ok status=200 user='alice'"),
    ("jwt-bad-token", lambda a: a.client.get("/api/jwt/me", headers=with_a(bearer("not.a.jwt"))),
     "me method=jwt outcome=denied status=401 user=None"),
    ("jwt-refresh", lambda a: a.client.post("/api/jwt/refresh",
                                            json={"refresh_token": token(a, "jwt", "refresh_token")},
                                            headers={"Origin": A}),
     "refresh method=jwt outcome=ok status=200 user='alice'"),
    ("logout-all", lambda a: a.client.post("/api/logout-all", headers=with_a(basic_header("alice", "wonderland"))),
     "logout_all method=logout_all outcome=ok status=200 user='alice'"),
]


@pytest.mark.parametrize(("do", "line"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_each_event_is_one_line_with_user_method_outcome_and_origin(actions, audit, do, line):
    do(actions)
    assert audit()[-1] == f"{line} origin='{A}' client='127.0.0.1'"


def test_a_throttled_attempt_is_logged(make_app, audit):
    actions = Actions(make_app(LOGIN_USER_LIMIT="1/minute").test_client())
    login(actions, "guess")
    login(actions)
    assert audit()[-1] == (f"login method=session outcome=throttled status=429 user='alice' origin='{A}' "
                           "client='127.0.0.1'")


def test_session_me_success_is_not_an_event(actions, audit):
    login(actions)
    actions.client.get("/api/session/me")
    assert len(audit()) == 1


def test_a_hostile_origin_cannot_smuggle_control_characters_into_the_log(actions, audit):
    actions.client.get("/api/session/me", headers={"Origin": "x\x1b[2J\x08"})
    assert audit()[-1].endswith("origin='x\\x1b[2J\\x08' client='127.0.0.1'")


def secrets_of_a_full_run(client):
    """Log in, use and log out with every method, fail on purpose; return every secret value that travelled.

    `client` is Flask's test client or a requests session on a real server: only their common ground is used.
    """
    login = client.post("/api/session/login", json={"username": "alice", "password": "wonderland"})
    csrf = json.loads(login.text)["csrf_token"]
    session_id = login.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.get("/api/session/me")
    client.post("/api/session/logout", headers={"X-CSRF-Token": csrf})
    client.post("/api/session/login", json={"username": "typed-my-password-as-username", "password": "wonderland"})
    secrets = ["wonderland", "typed-my-password-as-username", csrf, session_id]
    for method in BEARER_METHODS:
        issued = json.loads(client.post(f"/api/{method}/login",
                                        json={"username": "alice", "password": "wonderland"}).text)
        client.get(f"/api/{method}/me", headers=bearer(issued["access_token"]))
        client.get(f"/api/{method}/me", headers=bearer(issued["access_token"] + "x"))  # a rejected one, too
        if method == "jwt":
            refreshed = json.loads(client.post("/api/jwt/refresh",
                                               json={"refresh_token": issued["refresh_token"]}).text)
            secrets += [issued["refresh_token"], refreshed["access_token"], refreshed["refresh_token"]]
        client.post(f"/api/{method}/logout", headers=bearer(issued["access_token"]))
        secrets.append(issued["access_token"])
    for user, password in [("bob", "builder"), ("zoë", "pässwörd"), ("bob", "wonderland")]:
        header = basic_header(user, password)
        client.get("/api/basic/me", headers=header)
        secrets += [password, header["Authorization"].split()[1]]
    return secrets


def test_no_secret_reaches_any_log_record(client, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = secrets_of_a_full_run(client)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "logout method=session outcome=ok" in logged and "me method=basic outcome=ok" in logged
    assert [secret for secret in secrets if secret in logged] == []


class ApiSession(requests.Session):
    """A requests session on one server, called with paths like Flask's test client."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.base + url, *args, timeout=5, **kwargs)


def test_no_secret_reaches_the_api_process_output(start_api):
    """The real thing: all that gunicorn and the app wrote during a whole run, read back from the process's log file."""
    api = start_api()
    with ApiSession(f"http://{api.host}:{api.port}") as http:
        secrets = secrets_of_a_full_run(http)
    api.stop()
    output = api.log.read_text(encoding="utf-8", errors="replace")
    assert "logout method=session outcome=ok status=204 user='alice'" in output
    assert [secret for secret in secrets if secret in output] == []


@pytest.mark.parametrize("path", ["/api/basic/admin", "/api/jwt/login", "/api/logout-all", "/api/session/logout",
                                  "/api/jwt/refresh"])
def test_a_preflight_is_no_event(client, audit, path):
    """A CORS preflight carrying `-u admin:wrong` (or anything) is not a login, logout or refresh: no line at all."""
    preflight = {"Origin": A, "Access-Control-Request-Method": "POST", **basic_header("admin", "wrong")}
    assert client.options(path, headers=preflight).status_code == 200
    assert audit() == []


def test_ok_only_where_a_credential_was_checked(client, audit):
    """A 2xx that checked no credential is `unchecked`, never `ok`; a checked one names its user."""
    from kernel.audit import _outcome

    assert (_outcome(200, None), _outcome(204, "alice"), _outcome(401, None)) == ("unchecked", "ok", "denied")
    client.post("/api/token/login", json={"username": "bob", "password": "builder"}, headers={"Origin": A})
    assert audit()[-1].startswith("login method=token outcome=ok status=200 user='bob'")
