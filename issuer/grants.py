"""The grants, as Authlib's classes with the hooks it leaves to us: where codes and refresh tokens live (Redis,
issuer/records.py), PKCE narrowed to S256, and what a second use of a code or a refresh token revokes.

Authlib checks the client, the exact redirect URI, the code's binding to client and redirect URI, the PKCE
verifier and the client's authentication; these subclasses only store, look up, rotate and revoke.
"""

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app, g

from backend import clock, users

from . import clients, records

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # each client allows only its own (clients.py)


class S256Only(CodeChallenge):
    """PKCE required of every client, S256 only: a missing challenge, or `plain` (the default when no method is
    named, RFC 7636 §4.3), is `invalid_request` at the authorization endpoint (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("only 'code_challenge_method=S256' is accepted ('plain' is not)")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):  # a confidential client must send one too
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code["challenge"]

    def get_authorization_code_challenge_method(self, authorization_code):
        return "S256"


class Code(dict):
    """A code's record (records.code) with the two getters Authlib asks of it."""

    def get_redirect_uri(self):
        return self["redirect_uri"]

    def get_scope(self):
        return self.get("scope", "")


def family_seconds():
    return current_app.config["AS_REFRESH_FAMILY_TTL"]


class AuthorizationCode(grants.AuthorizationCodeGrant):
    """Codes single-use and short-lived in Redis; a reused code revokes the family it issued (RFC 6749 §4.1.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code, request):
        data = request.payload.data
        records.save_code(code, {
            "user": request.user.username, "client": request.client.client_id,
            "redirect_uri": request.payload.redirect_uri, "scope": request.scope,
            "challenge": data.get("code_challenge"),
        }, current_app.config["AS_CODE_TTL"])

    def query_authorization_code(self, code, client):
        record = records.code(code)
        if record is None or record["client"] != client.client_id:
            return None
        if "family" in record:  # redeemed before: this is a replay, and what the first use issued is suspect
            records.revoke_family(record["user"], record["family"])
            raise InvalidGrantError("this code was used already: the tokens it issued are revoked")
        g.code, g.family_id = code, records.new_family_id()  # the family this redemption opens: the tokens' `sid`
        return Code(record)

    def authenticate_user(self, authorization_code):
        users.acted_for(authorization_code["user"])  # the audit log's user of this token request
        return users.get(authorization_code["user"])

    def save_token(self, token):
        """Open the refresh token's family, then redeem the code for it; a code redeemed meanwhile revokes both."""
        user, client = self.request.user.username, self.request.client.client_id
        jkt = g.get("jkt") if self.request.client.public else None  # a BFF keeps its tokens itself (RFC 9449 §5)
        ends = records.new_family(g.family_id, user, client, token["refresh_token"], jkt, family_seconds())
        first = records.redeem_code(g.code, g.family_id, ends)
        if first != g.family_id:
            for spent in filter(None, (first, g.family_id)):
                records.revoke_family(user, spent)
            raise InvalidGrantError("this code was used already: the tokens it issued are revoked")

    def delete_authorization_code(self, authorization_code):
        """Nothing to delete: the redeemed record stays as the marker that catches a replay."""


class Refresh(dict):
    """A refresh token's record with its family, with the check Authlib asks of it."""

    def check_client(self, client):
        return self["client"] == client.client_id

    def get_scope(self):
        return clients.SCOPE


class RefreshToken(grants.RefreshTokenGrant):
    """Rotation on every use; a spent token presented again revokes its whole family (RFC 9700 §4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        found = records.refresh(refresh_token)
        if found is None:
            return None
        record, family = found
        if family is None or "revoked" in family or "ended_by_api" in family or float(family["ends"]) <= clock.now():
            return None  # revoked here or ended by the API, or past its lifetime cap (Redis drops it then too)
        if family["live"] != records.digest(refresh_token):
            records.revoke_family(record["user"], record["family"])
            raise InvalidGrantError("this refresh token was used already: its whole family is revoked")
        if family["jkt"] and g.get("jkt") != family["jkt"]:  # bound to a DPoP key (a public client's)
            raise InvalidGrantError("this refresh token is bound to a DPoP key: send a proof made with it")
        g.refresh_token, g.family, g.family_id = refresh_token, family, record["family"]
        return Refresh(record)

    def authenticate_user(self, refresh_token):
        users.acted_for(refresh_token["user"])
        return users.get(refresh_token["user"])

    def save_token(self, token):
        record = self.request.refresh_token
        outcome = records.rotate(g.refresh_token, token["refresh_token"], dict(record), g.family)
        if outcome == "revoked":  # meanwhile
            raise InvalidGrantError()
        if outcome == "spent":  # a concurrent use of the same token won: one of the two is a replay
            records.revoke_family(record["user"], record["family"])
            raise InvalidGrantError("this refresh token was used already: its whole family is revoked")

    def revoke_old_credential(self, refresh_token):
        """Nothing more: the spent token's record stays as the marker that catches a replay."""
