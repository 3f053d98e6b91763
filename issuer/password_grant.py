"""EXHIBIT, not a way to log in: the password grant that RFC 10017 §7.3 says a browser app must never use.

    curl -s -H 'Content-Type: application/json' \\
         -d '{"username": "alice", "password": "wonderland"}' 127.0.0.1:8003/token

The page hands the user's password to the app, which hands it to the AS: the AS can no longer tell the user from
the app, and no second factor or consent fits in. It stays (a JSON body to `POST /token`) because the pages' older
steps show it, and only while the demo options are on (DEMO_COOKIE_OPTIONS); the metadata never lists it.
"""

import secrets

from flask import Blueprint, current_app, jsonify

from backend import clock
from backend.web.request_bodies import checked_user, json_body, text_field

bp = Blueprint("password_grant", __name__)

LABEL = "exhibit: the password grant RFC 10017 section 7.3 forbids for browser apps; use /authorize (code + PKCE)"


@bp.post("/exhibits/password-grant")
def token():
    """curl -s -H 'Content-Type: application/json' -d '{"username": "alice", "password": "wonderland"}' \\
    127.0.0.1:8003/token   (or this path): an access token for a demo user, for the API's audience by default."""
    body = json_body()
    user = checked_user(body)
    config = current_app.config
    now, seconds = clock.issued_at(), config["JWT_ACCESS_TTL"]
    claims = {
        "iss": config["ISSUER_ORIGIN"], "aud": text_field(body, "audience", default=config["JWT_AUDIENCE"]),
        "sub": user.username, "iat": now, "exp": int(now) + seconds, "jti": secrets.token_urlsafe(16),
    }
    token = current_app.extensions["issuer.keys"].sign(claims)
    headers = {"Cache-Control": "no-store", "Warning": '299 - "' + LABEL + '"'}
    return jsonify(access_token=token, token_type="Bearer", expires_in=seconds), 200, headers
