"""What the AS publishes (RFC 8414) and what is off without the demo options: the password grant's exhibit."""

import pytest

REQUIRED = {"issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint", "jwks_uri",
            "code_challenge_methods_supported", "grant_types_supported", "dpop_signing_alg_values_supported"}


def test_the_metadata_lists_what_the_contract_asks_and_no_password_grant(as_app):
    response = as_app.test_client().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    metadata = response.get_json()
    assert REQUIRED <= set(metadata)
    origin = "http://127.0.0.1:8003"
    assert (metadata["issuer"], metadata["authorization_endpoint"], metadata["token_endpoint"],
            metadata["revocation_endpoint"], metadata["jwks_uri"]) == (
        origin, f"{origin}/authorize", f"{origin}/token", f"{origin}/revoke", f"{origin}/.well-known/jwks.json")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["dpop_signing_alg_values_supported"]


def test_the_metadata_follows_the_configured_origin(make_issuer):
    """Tests on free ports (and any deployment) get their own URLs, never the defaults'."""
    app = make_issuer(ISSUER_ORIGIN="http://127.0.0.1:9321", FRONTEND_A_ORIGIN="http://localhost:9322")
    assert app.test_client().get("/.well-known/oauth-authorization-server").get_json()["token_endpoint"] == (
        "http://127.0.0.1:9321/token")
    assert app.extensions["issuer.clients"]["authlab-a"].redirect_uri == "http://localhost:9322/"


LOGIN = {"username": "alice", "password": "wonderland"}


@pytest.mark.parametrize(("demo", "status"), [(True, 200), (False, 400)], ids=["demo-on", "demo-off"])
def test_the_password_grant_exhibit_is_there_only_with_the_demo_options(make_issuer, demo, status):
    client = make_issuer(DEMO_COOKIE_OPTIONS=demo).test_client()
    response = client.post("/token", json=LOGIN)
    assert response.status_code == status
    if not demo:
        assert response.get_json()["error"] == "unsupported_grant_type"  # the OAuth endpoint's own answer
        assert client.post("/exhibits/password-grant", json=LOGIN).status_code == 404


def test_unknown_paths_and_methods_answer_in_json(as_app):
    client = as_app.test_client()
    assert client.get("/nothing-here").get_json()["error"] == "not_found"
    assert client.get("/token").get_json()["error"] == "method_not_allowed"
