"""The BFF as a confidential client of the authorization server, on Authlib's OAuth2Session (code + PKCE S256, state,
refresh, revocation). Authlib has no RFC 9207 check, so `check_issuer` is here; the endpoints come from the AS's
metadata (RFC 8414), fetched once per process, and its `issuer` must be the configured ISSUER_ORIGIN.

Every failure ends as the API's JSON error: the AS's refusal (`invalid_grant`, ...) is a 401 naming the AS's code, an
AS that does not answer is a 503.
"""

import threading

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app

from backend.web.errors import ApiError

TIMEOUT = 5
METADATA = "/.well-known/oauth-authorization-server"
_metadata_lock = threading.Lock()


def unavailable(reason):
    return ApiError(503, "authorization_server_unavailable", f"the authorization server did not answer: {reason}",
                    {"Retry-After": "2"})


def metadata():
    """The AS's metadata (RFC 8414), fetched on first use and kept; its issuer must be ISSUER_ORIGIN exactly."""
    app = current_app._get_current_object()
    with _metadata_lock:
        if "bff.as_metadata" not in app.extensions:
            issuer = app.config["ISSUER_ORIGIN"]
            try:
                found = requests.get(issuer + METADATA, timeout=TIMEOUT).json()
            except (requests.RequestException, ValueError) as exc:
                raise unavailable(type(exc).__name__) from None
            if found.get("issuer") != issuer:
                raise unavailable(f"its metadata names issuer {found.get('issuer')!r}, not {issuer!r}")
            app.extensions["bff.as_metadata"] = found
        return app.extensions["bff.as_metadata"]


def _client():
    config = current_app.config
    return OAuth2Session(
        config["BFF_CLIENT_ID"], config["BFF_CLIENT_SECRET"], token_endpoint_auth_method="client_secret_basic",
        redirect_uri=config["BFF_REDIRECT_URI"], code_challenge_method="S256",
    )


def authorization_url():
    """(URL to send the browser to, state, PKCE verifier) for a new login."""
    verifier = generate_token(64)
    with _client() as client:
        url, state = client.create_authorization_url(metadata()["authorization_endpoint"], code_verifier=verifier)
    return url, state, verifier


def check_issuer(iss):
    """RFC 9207: the authorization response names the AS it came from; a mix-up (another AS's code) stops here."""
    if iss != metadata()["issuer"]:
        raise ApiError(400, "invalid_issuer", f"the authorization response came from {iss!r}, not this BFF's "
                       "authorization server (RFC 9207)")


def _token_request(call):
    """Run one request at the token or revocation endpoint; the AS's refusal is a 401, its silence a 503."""
    try:
        return call()
    except OAuthError as refused:
        raise ApiError(401, refused.error, f"the authorization server refused: {refused.error}"
                       + (f" ({refused.description})" if refused.description else "")) from None
    except (requests.RequestException, ValueError) as exc:
        raise unavailable(type(exc).__name__) from None


def redeem(code, verifier):
    """The token response for an authorization code (the confidential client authenticates with its secret)."""
    with _client() as client:
        return _token_request(lambda: client.fetch_token(
            metadata()["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=verifier,
            timeout=TIMEOUT))


def refresh(refresh_token):
    """A rotated pair for a refresh token (the old one is spent at the AS)."""
    with _client() as client:
        return _token_request(lambda: client.refresh_token(
            metadata()["token_endpoint"], refresh_token=refresh_token, timeout=TIMEOUT))


def revoke(refresh_token):
    """RFC 7009: the AS forgets the refresh token (and its family); 200 even for one it no longer knows."""
    with _client() as client:
        response = _token_request(lambda: client.revoke_token(
            metadata()["revocation_endpoint"], refresh_token, token_type_hint="refresh_token", timeout=TIMEOUT))
    if response.status_code != 200:
        raise unavailable(f"revocation answered {response.status_code}")
