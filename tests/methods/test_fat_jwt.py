"""`padding` at JWT login: a fat access token for the UI's cookie-vs-header measurement."""

import pytest

LOGIN = {"username": "alice", "password": "wonderland"}


def test_a_padded_access_token_carries_the_claim_and_still_verifies(client):
    """5000 characters of padding make a token past the 4096-byte cookie limit; as a header it still works."""
    response = client.post("/api/jwt/login", json={**LOGIN, "padding": 5000})
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    assert len(token) > 4096
    me = client.get("/api/jwt/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["claims"]["padding"] == "x" * 5000


@pytest.mark.parametrize("padding", [-1, 6145, True, "100", 1.5])
def test_padding_out_of_range_or_not_an_integer_is_400(client, padding):
    response = client.post("/api/jwt/login", json={**LOGIN, "padding": padding})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_an_integral_float_is_an_integer_as_the_schema_says(client):
    """JSON Schema counts 2340.0 as an integer, so the documented `"type": "integer"` accepts it."""
    response = client.post("/api/jwt/login", json={**LOGIN, "padding": 2340.0})
    assert response.status_code == 200
    me = client.get("/api/jwt/me", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"})
    assert me.get_json()["claims"]["padding"] == "x" * 2340
