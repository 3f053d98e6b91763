"""The OAuth 2.0 authorization server (Authlib's Flask server): authorize, token, revoke, metadata.

    # the page's side of code + PKCE, by hand (docs/authorization-server.md walks through it with curl)
    open 'http://127.0.0.1:8003/authorize?response_type=code&client_id=authlab-a&redirect_uri=http://localhost:8001/
          &code_challenge=<S256 of the verifier>&code_challenge_method=S256&state=xyz'
    curl -s 127.0.0.1:8003/token -d grant_type=authorization_code -d client_id=authlab-a -d code=<code> \\
         -d redirect_uri=http://localhost:8001/ -d code_verifier=<verifier>
    curl -s 127.0.0.1:8003/.well-known/oauth-authorization-server

Authlib does the protocol: client authentication, exact redirect URIs, PKCE, the error responses and their
redirects, `iss` in the authorization response (RFC 9207), revocation's rules (RFC 7009). Here: the JWT access
tokens (RFC 9068, signed by the issuer's KeyRing so that the API verifies them from the same JWKS), the
metadata document (RFC 8414), the AS session's `prompt=none`, and DPoP binding at the token endpoint.
"""

import secrets
from urllib.parse import urlencode

import jwt
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Blueprint, current_app, g, jsonify, redirect, request

from backend import clock

from . import clients, dpop_binding, login, records
from .grants import AUTH_METHODS, AuthorizationCode, RefreshToken, S256Only

bp = Blueprint("authorization_server", __name__)


class LoginRequired(OAuth2Error):
    """`prompt=none` without an AS session (OpenID Connect Core §3.1.2.6, the name every client knows)."""

    error = "login_required"


class Issuer(IssuerParameter):
    """RFC 9207's `iss`, so that a client talking to two servers can tell whose answer it got (mix-up attacks)."""

    def get_issuer(self):
        return current_app.config["ISSUER_ORIGIN"]


class Revocation(RevocationEndpoint):
    """RFC 7009: a refresh token ends its whole family (and the API refuses the family's access tokens from then on);
    an access token of ours goes on the API's denylist until it expires."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        found = records.refresh(token_string)
        if found is not None:
            return _Revocable(found[0], kind="refresh")
        claims = _own_access_token(token_string)
        return None if claims is None else _Revocable(user=claims["sub"], client=claims.get("client_id"),
                                                      jti=claims["jti"], exp=claims["exp"], kind="access")

    def revoke_token(self, token, request):
        if token["kind"] == "refresh":
            records.revoke_family(token["user"], token["family"])
        else:
            records.deny_access_token(token["user"], token["jti"], token["exp"])


class _Revocable(dict):
    """A token /revoke found: a refresh token's record or an access token's claims, with its client."""

    def check_client(self, client):
        return self["client"] == client.client_id


def _own_access_token(token):
    """The claims of an unexpired access token this AS signed (a key it still publishes), else None."""
    config = current_app.config
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((key for key in current_app.extensions["issuer.keys"].published() if key.kid == kid), None)
        if key is None:
            return None
        return jwt.decode(token, key.private.public_key(), algorithms=[key.algorithm], audience=config["JWT_AUDIENCE"],
                          issuer=config["ISSUER_ORIGIN"], options={"require": ["sub", "jti", "exp"]})
    except jwt.PyJWTError:
        return None


class AccessTokens(BearerTokenGenerator):
    """RFC 9068 access tokens for the API's audience; `token_type: DPoP` and `cnf.jkt` when a DPoP proof came."""

    def __init__(self, config, keys):
        super().__init__(self.access_token, lambda **_: secrets.token_urlsafe(32), lambda *_: config["JWT_ACCESS_TTL"])
        self.config, self.keys = config, keys

    def access_token(self, client, grant_type, user, scope):
        """Built here, signed by the KeyRing: Authlib's JWT generator signs through joserfc, whose default registry
        refuses EdDSA (one of ISSUER_ALGORITHM's two choices)."""
        now = clock.issued_at()  # to the millisecond, as the API's: a token minted after a logout-all must pass it
        claims = {"iss": self.config["ISSUER_ORIGIN"], "aud": self.config["JWT_AUDIENCE"], "sub": user.username,
                  "client_id": client.client_id, "iat": now, "exp": int(now) + self.config["JWT_ACCESS_TTL"],
                  "jti": secrets.token_urlsafe(16), "scope": scope}
        if g.get("family_id"):  # its refresh family: revoking the family ends its access tokens at the API too
            claims["sid"] = g.family_id
        if g.get("jkt"):
            claims["cnf"] = {"jkt": g.jkt}
        return self.keys.sign(claims)

    def generate(self, *args, **kwargs):
        token = super().generate(*args, **kwargs)
        if g.get("jkt"):
            token["token_type"] = "DPoP"
        return token


class Server(AuthorizationServer):
    """Authlib's Flask server over the fixed clients (clients.py)."""

    def query_client(self, client_id):
        return current_app.extensions["issuer.clients"].get(client_id)

    def save_token(self, token, request):
        raise NotImplementedError("each grant saves its own tokens (issuer/grants.py)")


def init_app(app, keys):
    """Register the clients, the grants, revocation and `iss`, and the endpoints."""
    server = Server()
    server.init_app(app)
    server.register_token_generator("default", AccessTokens(app.config, keys))
    server.scopes_supported = [clients.SCOPE]
    server.register_grant(AuthorizationCode, [S256Only(required=True)])
    server.register_grant(RefreshToken)
    server.register_endpoint(Revocation)
    server.register_extension(Issuer())
    app.extensions["issuer.clients"] = clients.registered(app.config)
    app.extensions["issuer.authorization_server"] = server
    app.register_blueprint(bp)


def server():
    return current_app.extensions["issuer.authorization_server"]


def metadata():
    """RFC 8414's document: what a client needs to find everything else."""
    origin = current_app.config["ISSUER_ORIGIN"]
    return {
        "issuer": origin,
        "authorization_endpoint": f"{origin}/authorize",
        "token_endpoint": f"{origin}/token",
        "revocation_endpoint": f"{origin}/revoke",
        "jwks_uri": f"{origin}/.well-known/jwks.json",
        "scopes_supported": [clients.SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(clients.GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": dpop_binding.ALGORITHMS,
    }


@bp.get("/.well-known/oauth-authorization-server")
def discovery():
    """curl -s 127.0.0.1:8003/.well-known/oauth-authorization-server  (RFC 8414; cacheable like the JWKS)"""
    return jsonify(metadata()), 200, {"Cache-Control": "public, max-age=300"}


def _with_issuer(response):
    """RFC 9207: error redirects name the issuer too (Authlib's hook covers the successful ones)."""
    Issuer().add_issuer_parameter(server(), response)
    return response


# Parameters Authlib quotes in its error descriptions, which it refuses to build (a 500) from `"`, `\` or non-ASCII;
# neither a URI nor a response type may hold them anyway (RFC 3986, RFC 6749 §3.1.1).
QUOTED = ("redirect_uri", "response_type")


@bp.get("/authorize")
def authorize():
    """curl -si '127.0.0.1:8003/authorize?response_type=code&client_id=authlab-a&redirect_uri=...&code_challenge=...'"""
    response = _authorization_response()
    response.headers["Cache-Control"] = "no-store"  # a Location holding a code is never to be kept
    return response


def _authorization_response():
    """A code for the signed-in user, the way to the login page, or the RFC's error (to the client where allowed)."""
    user = login.current_user()
    try:
        if any(invalid_error_characters(value) for name in QUOTED for value in request.args.getlist(name)):
            raise InvalidRequestError(f"{' and '.join(QUOTED)} may hold only printable ASCII without quotes")
        grant = server().get_consent_grant(end_user=user)
        if request.args.get("prompt") == "none" and user is None:
            raise LoginRequired("no session at the authorization server", redirect_uri=grant.redirect_uri)
    except OAuth2Error as error:
        error.state = request.args.get("state")
        return _with_issuer(server().handle_error_response(None, error))
    if user is None:
        return redirect("/login?" + urlencode({"next": request.full_path}), 303)
    return server().create_authorization_response(grant=grant, grant_user=user)


@bp.post("/revoke")
def revoke():
    """curl -s 127.0.0.1:8003/revoke -d client_id=authlab-a -d token=<refresh token>  (RFC 7009: 200 whatever)"""
    return server().create_endpoint_response(Revocation.ENDPOINT_NAME)


def token_endpoint():
    """The RFC 6749 token endpoint (a form body): a DPoP proof, if sent, binds what is issued (RFC 9449 §5)."""
    try:
        g.jkt = dpop_binding.proof_key()
    except dpop_binding.InvalidProof as error:  # RFC 9449's `invalid_dpop_proof`, in RFC 6749's error body
        return server().handle_error_response(None, error)
    return server().create_token_response()
