"""The security defaults as shipped: read from a config built with an empty environment, so no test's override
can hide a changed default (a default of TRUSTED_PROXIES=1 would pass every test that sets it)."""

import pytest
from limits import parse_many

from kernel import settings

SHIPPED = {
    "LOGIN_USER_LIMIT": "10/minute;100/hour",  # failed passwords per name
    "LOGIN_CLIENT_LIMIT": "60/minute;600/hour",  # password checks (hashes) per client, right or wrong
    "TRUSTED_PROXIES": 0,  # X-Forwarded-For ignored unless a proxy is declared
    "SESSION_IDLE_TIMEOUT": 1800,
    "SESSION_ABSOLUTE_TIMEOUT": 28800,
    "JWT_LEEWAY": 10,
    "TOKEN_TTL": 3600,
    "JWT_ACCESS_TTL": 300,
    "JWT_REFRESH_TTL": 86400,
    "JWT_MAX_LIFETIME": 3600,
    "JWT_REVOCATION_CHECK": True,
    "COOKIE_SAMESITE": "Lax",
    "COOKIE_SECURE": False,  # forced on in HTTPS mode (derived)
    "ALLOW_DEV_SECRETS": False,
}


@pytest.fixture
def shipped():
    return settings.from_env({})


@pytest.mark.parametrize("name", SHIPPED)
def test_each_security_default_is_as_shipped(shipped, name):
    assert shipped[name] == SHIPPED[name]


def test_the_limits_parse_into_the_windows_the_docs_give(shipped):
    windows = {name: [(w.amount, w.get_expiry()) for w in parse_many(shipped[name])]
               for name in ("LOGIN_USER_LIMIT", "LOGIN_CLIENT_LIMIT")}
    assert windows == {"LOGIN_USER_LIMIT": [(10, 60), (100, 3600)], "LOGIN_CLIENT_LIMIT": [(60, 60), (600, 3600)]}


def test_an_empty_environment_is_refused_for_its_public_secrets(shipped):
    with pytest.raises(RuntimeError, match="refusing to start: JWT_SECRET, SECRET_KEY is the public default"):
        settings.derived(shipped)


def test_https_mode_makes_cookies_secure_whatever_the_default(shipped):
    derived = settings.derived({**shipped, "ALLOW_DEV_SECRETS": True, "API_ORIGIN": "https://localhost:8443"})
    assert derived["HTTPS"] and derived["COOKIE_SECURE"]
