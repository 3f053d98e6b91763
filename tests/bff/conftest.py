"""The BFF's fixtures: BFF and collector apps (in process) on the tests' Redis, one real API process per module, and
the real authorization server (the issuer's process) for the end-to-end tests; every origin on a free port."""

import pytest
import requests

import bff
from bff import session_store
from kernel.stores import redis_client
from stack import procs
from stack.environment import api_environment
from tests.conftest import SECRET

FRONTEND_A = f"http://localhost:{procs.free_port()}"  # never served: the BFF only compares Origin headers with it
FRONTEND_B = f"http://127.0.0.1:{procs.free_port()}"
AS_ORIGIN = f"http://127.0.0.1:{procs.free_port()}"  # the AS the end-to-end tests start (the others never call it)
BFF_A = f"http://localhost:{procs.free_port()}"  # the in-process BFFs' origins (redirect URIs registered at the AS)
BFF_B = f"http://127.0.0.1:{procs.free_port()}"
CLIENT_SECRET = "test-bff-client-secret-0123456789abcdef"
ORIGINS = {"FRONTEND_A_ORIGIN": FRONTEND_A, "FRONTEND_B_ORIGIN": FRONTEND_B, "ISSUER_ORIGIN": AS_ORIGIN,
           "BFF_A_ORIGIN": BFF_A, "BFF_B_ORIGIN": BFF_B}


@pytest.fixture(scope="session")
def api(redis_service, tmp_path_factory):
    """One real API process for these tests (the BFF and the collector call it over HTTP), started once."""
    port = procs.free_port()
    env = api_environment(port, redis_service.url, SECRET, lenient_limits=True, **ORIGINS)
    with procs.api(port, env, workers=1, log=tmp_path_factory.mktemp("api") / "api.log") as service:
        service.origin = f"http://localhost:{port}"
        yield service


@pytest.fixture
def make_bff(redis_service, redis_db):
    """Build a BFF app for site a or b on the shared Redis; overrides win."""
    apps = []

    def make(site="a", **overrides):
        config = {"BFF_SITE": site, "REDIS_URL": redis_service.url, **ORIGINS,
                  f"BFF_{site.upper()}_CLIENT_SECRET": CLIENT_SECRET, **overrides}
        apps.append(bff.create_app(config))
        return apps[-1]

    yield make
    for app in apps:
        redis_client.pooled(app).close()


@pytest.fixture(scope="session")
def api_token(api):
    """alice's pair from the API's own JWT login, accepted by `GET /api/jwt/me` like the AS's: one for all tests (a
    password check costs ~0.3 s; emptying Redis leaves it valid). A test that logs it out takes `fresh_api_token`."""
    return jwt_login(api)


@pytest.fixture
def fresh_api_token(api):
    """A pair of this test's own."""
    return jwt_login(api)


def jwt_login(api):
    """alice's pair from the API's `POST /api/jwt/login`."""
    alice = {"username": "alice", "password": "wonderland"}
    login = requests.post(f"{api.origin}/api/jwt/login", json=alice, timeout=5)
    assert login.status_code == 200, login.text
    return login.json()


def seed_session(app, access_token, refresh_token=None, access_seconds=300, user="alice", mode="token-mediating"):
    """A BFF session as the callback leaves it (the AS's part is tested end to end elsewhere); returns its ID."""
    from kernel import clock

    now = clock.now()
    record = {"user": user, "access_token": access_token, "refresh_token": refresh_token,
              "access_expires_at": now + access_seconds, "expires_at": now + app.config["BFF_SESSION_TTL"],
              "mode": mode}
    with app.app_context():
        return session_store.create(record)


@pytest.fixture
def logged_in(make_bff, api, api_token):
    """BFF-A forwarding to the real API, and a test client holding a session with the API's access token."""
    app = make_bff(API_ORIGIN=api.origin)
    client = app.test_client()
    client.set_cookie(session_store.COOKIE, seed_session(app, api_token["access_token"]), domain="localhost")
    client.tokens = api_token
    return client


@pytest.fixture
def make_collector(redis_service, redis_db, api):
    """A collector app (in process, no schedule thread: the tests run what is due with their own clock)."""
    import collector

    apps = []

    def make(**overrides):
        config = {"REDIS_URL": redis_service.url, "API_ORIGIN": api.origin, "COLLECTOR_BACKGROUND": False,
                  "COLLECTOR_DELAYS": "30,120", **ORIGINS, **overrides}
        apps.append(collector.create_app(config))
        return apps[-1]

    yield make
    for app in apps:
        redis_client.pooled(app).close()


def run_due(app, now):
    """The collector's scheduled attempts due by `now` (a time the test picks), run now."""
    from collector import schedule

    with app.app_context():
        return schedule.run_due(now)


@pytest.fixture(scope="module")
def bff_a_process(redis_service, api, tmp_path_factory):
    """BFF-A as `make run` serves it, on BFF_A's port, forwarding to the module's API."""
    from urllib.parse import urlsplit

    env = {"REDIS_URL": redis_service.url, "API_ORIGIN": api.origin, "BFF_A_CLIENT_SECRET": CLIENT_SECRET, **ORIGINS}
    with procs.bff("a", urlsplit(BFF_A).port, env, log=tmp_path_factory.mktemp("bff") / "bff-a.log") as service:
        yield service


@pytest.fixture(scope="module")
def authorization_server(redis_service, tmp_path_factory):
    """The real AS (the issuer's process) on AS_ORIGIN's port, with the BFFs' redirect URIs and secrets registered;
    `.metadata` is its RFC 8414 document."""
    from urllib.parse import urlsplit

    env = {"REDIS_URL": redis_service.url, "BFF_A_CLIENT_SECRET": CLIENT_SECRET, "BFF_B_CLIENT_SECRET": CLIENT_SECRET,
           "LOGIN_USER_LIMIT": "1000/minute", "LOGIN_CLIENT_LIMIT": "1000/minute", **ORIGINS}
    log = tmp_path_factory.mktemp("as") / "as.log"
    with procs.issuer(urlsplit(AS_ORIGIN).port, env, log=log) as service:
        service.metadata = requests.get(AS_ORIGIN + "/.well-known/oauth-authorization-server", timeout=5).json()
        yield service
