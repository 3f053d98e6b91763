"""The registered clients, fixed by the contract: two public browser clients and two confidential BFFs.

Redirect URIs are built from the configured origins (so tests on free ports register theirs the same way) and
matched exactly, character for character (RFC 9700 §4.1.3). A BFF's secret comes from the environment
(`make run` keeps a random one in var/secrets.json); unset, that client cannot authenticate at all.
"""

import hmac
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import ClientMixin

SCOPE = "api"  # the one scope: the API's `/api/jwt/*` (its audience is JWT_AUDIENCE)
GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class Client(ClientMixin):
    client_id: str
    redirect_uri: str
    secret: str | None  # None: a public client (RFC 6749 §2.1), which authenticates with `none`

    @property
    def public(self):
        return self.secret is None

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None  # the request must name it: nothing is guessed

    def get_allowed_scope(self, scope):
        return SCOPE if not scope or scope == SCOPE else None

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return bool(self.secret) and hmac.compare_digest(client_secret.encode(), self.secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "none" if self.public else method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in GRANT_TYPES


def registered(config):
    """{client_id: Client} from the configured origins and secrets."""
    clients = [
        Client("authlab-a", config["FRONTEND_A_ORIGIN"] + "/", None),
        Client("authlab-b", config["FRONTEND_B_ORIGIN"] + "/", None),
        Client("authlab-bff-a", config["BFF_A_ORIGIN"] + "/bff/callback", config["BFF_A_CLIENT_SECRET"]),
        Client("authlab-bff-b", config["BFF_B_ORIGIN"] + "/bff/callback", config["BFF_B_CLIENT_SECRET"]),
    ]
    return {client.client_id: client for client in clients}
