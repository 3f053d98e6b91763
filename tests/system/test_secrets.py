"""The API refuses to sign with a secret published in the repository unless a test asks for it explicitly."""

import pytest

from backend.config import SETTINGS

PUBLIC = {name: SETTINGS[name][0] for name in ("SECRET_KEY", "JWT_SECRET")}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_create_app_refuses_a_public_default_secret(make_app, name):
    """Anyone can read the default, so anyone could forge a session cookie, a signed token or an admin JWT."""
    with pytest.raises(RuntimeError, match=f"refusing to start: {name} is the public default"):
        make_app(**{name: PUBLIC[name]})


def test_a_test_may_ask_for_the_public_defaults(make_app):
    """ALLOW_DEV_SECRETS is the explicit dev/test flag: with it the defaults work (and are announced)."""
    app = make_app(ALLOW_DEV_SECRETS=True, **PUBLIC)
    assert app.config["JWT_SECRET"] == PUBLIC["JWT_SECRET"]


def test_an_api_process_on_a_public_default_exits_with_the_reason(start_api, tmp_path):
    """The served API (not only create_app) stops at boot, and its log says why."""
    with pytest.raises(RuntimeError, match="api exited"):
        start_api(SECRET_KEY=PUBLIC["SECRET_KEY"])
    log = "".join(path.read_text() for path in tmp_path.glob("api-*.log"))
    assert "refusing to start: SECRET_KEY is the public default" in log
