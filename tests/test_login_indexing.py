"""A login's record and its entry in the user's index: a logout-all that runs while a login is half-way misses
nothing."""

import pytest

from kernel.stores import revocation
from tests.helpers import Actions, basic_header, bearer, token_login

LOGOUT_ALL = ("/api/logout-all", basic_header("alice", "wonderland"))


def racing_logout_all(app, monkeypatch):
    """Run a logout-all of alice (another client of the same app) the moment a login indexes its record."""
    real, ran = revocation.remember, []

    def remember(username, key, seconds, pipe=None):
        real(username, key, seconds, pipe)
        if not ran:
            path, headers = LOGOUT_ALL
            ran.append(app.test_client().post(path, headers=headers).status_code)

    monkeypatch.setattr(revocation, "remember", remember)
    return ran


def logged_in(app, method):
    """A status probe of alice's fresh login by `method` (session or opaque token)."""
    if method == "session":
        actions = Actions(app.test_client())
        assert actions.session_login().status_code == 200
        return lambda: actions.client.get("/api/session/me").status_code
    token = token_login(app.test_client(), "token").get_json()["access_token"]
    return lambda: app.test_client().get("/api/token/me", headers=bearer(token)).status_code


def assert_a_racing_logout_all_misses_nothing(app, monkeypatch, method):
    """Either the racing logout-all ended the login, or the login is indexed and the next logout-all ends it."""
    ran = racing_logout_all(app, monkeypatch)
    status = logged_in(app, method)
    assert ran == [200]
    monkeypatch.undo()
    path, headers = LOGOUT_ALL
    assert app.test_client().post(path, headers=headers).status_code == 200
    assert status() == 401


@pytest.mark.parametrize("method", ["session", "token"])
def test_a_logout_all_racing_a_login_leaves_it_ended_or_indexed(app, monkeypatch, method):
    """Never a record written after its entry was dropped: the session login used to index in the view and leave the
    write to Flask-Session after it, so a logout-all in between left a session no logout-all could end.
    (tests/system/test_topologies_api.py runs the same on a cluster, where record and entry are two slots.)"""
    assert_a_racing_logout_all_misses_nothing(app, monkeypatch, method)
