"""Endpoints every method shares, and the one JSON error shape (docs/api.md)."""

import logging

import pytest

from tests.helpers import CREDENTIAL_COOKIE, JWT_REFRESH_COOKIE, JWT_REFRESH_PATH, SESSION_COOKIE, basic_header


def test_health_reports_redis(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "redis": True, "topology": "single"}


def test_public_needs_no_authentication(client):
    response = client.get("/api/public")
    assert response.status_code == 200
    assert response.get_json() == {"message": "public: anyone can read this", "authenticated": False}


def test_echo_reports_what_arrived_without_secret_values(client):
    client.set_cookie(SESSION_COOKIE, "s" * 43)
    headers = {"Origin": "http://localhost:8001", **basic_header("alice", "wonderland")}
    response = client.get("/api/echo", headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert body == {
        "origin": "http://localhost:8001",
        "cookies": {SESSION_COOKIE: 43},
        "authorization": "Basic",
        "request_header_bytes": body["request_header_bytes"],
    }
    assert body["request_header_bytes"] > len(headers["Authorization"])
    assert "wonderland" not in response.get_data(as_text=True) and "YWxpY2" not in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["secret-without-scheme", "Bearer", "a-very-long-scheme-word-xxxxxxxx token"])
def test_echo_never_repeats_a_credential_without_a_scheme(client, header):
    response = client.get("/api/echo", headers={"Authorization": header})
    assert response.get_json()["authorization"] == "malformed"


def test_unknown_route_is_json_404(client):
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == "not_found"


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/session/login")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_failure_is_json_500_without_a_trace(app):
    @app.get("/api/boom")
    def boom():
        raise ZeroDivisionError("secret detail")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal_error", "message": "unexpected server error"}


def test_dev_defaults_are_announced(caplog, monkeypatch, make_app):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="authlab.config"):
        app = make_app(SECRET_KEY=None, ALLOW_DEV_SECRETS=True)
    assert "using the public DEV default for SECRET_KEY" in caplog.text
    assert app.config["SECRET_KEY"].startswith("dev-only")


def test_settings_come_from_the_environment(monkeypatch, make_app):
    monkeypatch.setenv("FRONTEND_B_ORIGIN", "http://127.0.0.1:9999")
    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", "42")
    app = make_app()
    assert app.config["CORS_ORIGINS"][1] == "http://127.0.0.1:9999"
    assert app.permanent_session_lifetime.total_seconds() == 42


def test_methods_is_the_table_the_pages_render(client):
    """Everything a page shows of a method: its label and summary, its paths, the cookie that carries it first."""
    served = {entry["name"]: entry for entry in client.get("/api/methods").get_json()["methods"]}
    session, jwt = served["session"], served["jwt"]
    assert session["paths"] == {"login": "/api/session/login", "me": "/api/session/me", "logout": "/api/session/logout"}
    assert session["cookies"] == [{"name": SESSION_COOKIE, "path": "/"}] and session["login"] == "/api/session/login"
    assert jwt["paths"]["refresh"] == "/api/jwt/refresh"
    assert jwt["cookies"] == [{"name": CREDENTIAL_COOKIE["jwt"], "path": "/"},
                              {"name": JWT_REFRESH_COOKIE, "path": JWT_REFRESH_PATH}]
    assert served["basic"]["paths"] == {"me": "/api/basic/me", "admin": "/api/basic/admin"}
    assert served["basic"]["login"] is None
    # the issuer's JWTs are a choice of their own on the pages, accepted by the JWT method: not one more method
    assert [other["name"] for other in jwt["accepts"]] == ["issuer"]
    assert all(entry["accepts"] == [] for name, entry in served.items() if name != "jwt")


def test_methods_names_the_cookies_as_https_mode_sets_them(make_app):
    """Over HTTPS the cookies carry their prefix: the pages compare names as the browser sends them."""
    served = make_app(API_ORIGIN="https://localhost:9443").test_client().get("/api/methods").get_json()["methods"]
    names = {entry["name"]: [cookie["name"] for cookie in entry["cookies"]] for entry in served}
    assert names["session"] == [f"__Host-{SESSION_COOKIE}"]
    assert names["jwt"] == [f"__Host-{CREDENTIAL_COOKIE['jwt']}", f"__Secure-{JWT_REFRESH_COOKIE}"]
