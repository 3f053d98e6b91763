"""Endpoints every method shares, and the one JSON error shape (docs/api.md)."""

import logging

import pytest

from tests.helpers import basic_header


def test_health_reports_redis(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "redis": True, "topology": "single"}


def test_public_needs_no_authentication(client):
    response = client.get("/api/public")
    assert response.status_code == 200
    assert response.get_json() == {"message": "public: anyone can read this", "authenticated": False}


def test_echo_reports_what_arrived_without_secret_values(client):
    client.set_cookie("session_id", "s" * 43)
    headers = {"Origin": "http://localhost:8001", **basic_header("alice", "wonderland")}
    response = client.get("/api/echo", headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert body == {
        "origin": "http://localhost:8001",
        "cookies": {"session_id": 43},
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
