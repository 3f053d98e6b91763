"""HTTP Basic: the password travels (base64, not encrypted) and is verified on every request.

    curl -i -u alice:wonderland localhost:8000/api/basic/me
    curl -i -u admin:admin-pass localhost:8000/api/basic/admin
"""

from flask import Blueprint, jsonify, request
from flask_httpauth import HTTPBasicAuth
from werkzeug.datastructures import Authorization

from kernel import users
from kernel.audit import audited
from kernel.http.errors import error_response
from kernel.http.headers import parse_basic

from . import Method
from .kinds import PasswordSource, Storage, Verification
from .rate_limits import rate_limited

bp = audited(Blueprint("basic", __name__, url_prefix="/api/basic"), every_request=True)  # each one is a login


class StrictBasicAuth(HTTPBasicAuth):
    """Flask-HTTPAuth with strict parsing and a UTF-8 challenge."""

    def get_auth(self):
        parsed = parse_basic(request.headers.get("Authorization"))
        return Authorization("basic", {"username": parsed[0], "password": parsed[1]}) if parsed else None

    def authenticate_header(self):
        return f'Basic realm="{self.realm}", charset="UTF-8"'


auth = StrictBasicAuth(realm="auth-demo")

ERRORS = {
    401: ("unauthorized", "missing, malformed or wrong Basic credentials"),
    403: ("forbidden", "these credentials are valid but lack the admin role"),
}


@auth.verify_password
def verify_password(username, password):
    return users.verify(username, password)


@auth.get_user_roles
def get_user_roles(user):
    return user.role


@auth.error_handler
def auth_error(status):
    return error_response(status, *ERRORS[status])


@bp.get("/me")
@rate_limited.basic
@auth.login_required
def me():
    """Any valid user; the password hash is checked again on this and every request."""
    users.kept()  # nothing kept, but the page's viewer key shows this client's rate-limit counters
    return jsonify(auth.current_user().me("basic"))


@bp.get("/admin")
@rate_limited.basic
@auth.login_required(role="admin")
def admin():
    """Only the admin role: a valid non-admin gets 403, bad credentials 401."""
    return jsonify(auth.current_user().me("basic", admin=True))


METHOD = Method(
    "basic", "Basic",
    "The page sends Authorization: Basic (the password, base64) on every request; the API checks it every time.",
    bp, storages=(Storage.HEADER,), passwords={"basic.me": PasswordSource.BASIC, "basic.admin": PasswordSource.BASIC},
    kind=Verification.PASSWORD,
)
