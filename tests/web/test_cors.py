"""CORS: only the configured frontends, echoed exactly, with credentials (docs/api.md)."""

import pytest

A, B = "http://localhost:8001", "http://127.0.0.1:8002"


@pytest.mark.parametrize("origin", [A, B])
def test_the_two_frontends_are_allowed_with_credentials(client, origin):
    response = client.get("/api/public", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "null",
        "http://localhost:8001.evil.example",
        "http://evil-localhost:8001",
        "http://localhost.evil.com:8001",
        "https://localhost:8001",
        "http://localhost:8002",
        "http://127.0.0.1:8001",
        "*",
    ],
)
def test_other_origins_are_refused(client, origin):
    response = client.get("/api/public", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_no_origin_header_gets_no_cors_headers(client):
    response = client.get("/api/public")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_vary_origin_on_every_response_even_without_origin(client):
    assert "Origin" in client.get("/api/public").headers["Vary"]
    assert "Origin" in client.get("/api/nowhere").headers["Vary"]


def test_errors_carry_cors_headers_so_the_page_can_read_them(client):
    response = client.get("/api/basic/me", headers={"Origin": B})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == B
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"WWW-Authenticate", "Retry-After", "Server-Timing"}


def test_preflight_allows_the_four_request_headers(client):
    """Authorization, Content-Type, the CSRF token, and the DPoP proof a bound token needs (RFC 9449)."""
    response = client.options(
        "/api/session/logout",
        headers={
            "Origin": A,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token, dpop, x-other",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == A
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"authorization", "content-type", "x-csrf-token", "dpop"}
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_preflight_from_a_foreign_origin_gets_no_grant(client):
    response = client.options(
        "/api/session/logout", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
