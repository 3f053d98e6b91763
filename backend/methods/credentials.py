"""Checking a login's password: the one place a method turns a body's username and password into a user."""

from kernel import users
from kernel.http import csrf
from kernel.http.errors import ApiError
from kernel.http.request_bodies import credentials, json_body


def checked_user(body):
    """The user whose username and password this body gives, or 401 `invalid_credentials`."""
    user = users.verify(*credentials(body))
    if user is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    return user


def login_body():
    """Every login's first steps: (body, user) after the Origin check, or 401 `invalid_credentials`."""
    csrf.check_origin()  # login CSRF: a foreign page must not log the browser into someone's account
    body = json_body()
    return body, checked_user(body)
