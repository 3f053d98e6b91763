"""Fixtures: a real redis-server on a free port, the app on it, and small actions helpers."""

import contextlib
from types import SimpleNamespace

import pytest
import redis

from backend import create_app
from kernel.stores import redis_client
from stack import certs, load_balancer, procs, redis_server
from stack.environment import api_environment
from tests.helpers import Actions

SECRET = "test-secret-key-0123456789abcdef-0123456789abcdef"
JWT_SECRET = "test-jwt-hmac-key-0123456789abcdef-0123456789abcdef"
ROTATE_SECRET = "test-issuer-rotate-secret-0123456789abcdef"


def pytest_collection_modifyitems(items):
    """`make test` runs two workers: every browser test goes to one (they share a browser per engine and profile),
    the other tests spread over both."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browsers"))


WORKER_SUMMARIES = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller keeps each worker's summary of the engines it ran."""
    WORKER_SUMMARIES.extend(getattr(node, "workeroutput", {}).get("matrix_browsers", []))


def pytest_terminal_summary(terminalreporter):
    for line in dict.fromkeys(WORKER_SUMMARIES):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def test_secrets():
    """Apps and API processes sign with the tests' own secrets: the API refuses the public defaults unless asked."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRET_KEY", SECRET)
        patch.setenv("JWT_SECRET", JWT_SECRET)
        patch.setenv("ISSUER_ROTATE_SECRET", ROTATE_SECRET)
        patch.delenv("ALLOW_DEV_SECRETS", raising=False)
        yield


@pytest.fixture(scope="session")
def redis_service(tmp_path_factory):
    """One real redis-server for the whole run, over TCP on loopback, with a password of its own (in `.url`) and
    CONFIG renamed (`.config_command`), as every Redis the stack starts."""
    with redis_server.server(procs.free_port(), tmp_path_factory.mktemp("redis")) as service:
        yield service


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, for tests that stop, kill or restart it."""
    with redis_server.server(procs.free_port(), tmp_path / "redis") as service:
        yield service


@pytest.fixture
def redis_db(redis_service):
    """A client on the shared server, emptied before the test; `config_resetstat()` under CONFIG's secret name."""
    client = redis.Redis.from_url(redis_service.url)
    client.config_resetstat = lambda: client.execute_command(redis_service.config_command, "RESETSTAT")
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def make_app(redis_service, redis_db):
    """Build an app on the shared Redis with config overrides; an override of None means "not given"."""
    apps = []

    def make(**overrides):
        config = {"SECRET_KEY": SECRET, "REDIS_URL": redis_service.url, **overrides}
        apps.append(create_app({k: v for k, v in config.items() if v is not None}))
        return apps[-1]

    yield make
    for app in apps:
        redis_client.pooled(app).close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def actions(client):
    return Actions(client)


@pytest.fixture
def hash_checks(monkeypatch):
    """The password hashes the server checks during the test, in order."""
    import kernel.users as users

    checks = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, pw: checks.append(h) or real(h, pw))
    return checks


@pytest.fixture
def start_api(redis_service, redis_db, tmp_path):
    """Start real API processes (served as `make run` serves them) on free ports; each is stopped after the test."""
    started = []

    def start(workers=1, **env):
        port = procs.free_port()
        service = procs.api(port, api_environment(port, redis_service.url, SECRET, **env), workers=workers,
                            log=tmp_path / f"api-{port}.log")
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


def issuer_service(tmp_path, **env):
    """The issuer process on a free loopback port; `.origin` is what its tokens' `iss` says."""
    port = procs.free_port()
    service = procs.issuer(port, {"ISSUER_ORIGIN": f"http://127.0.0.1:{port}", **env},
                           log=tmp_path / f"issuer-{port}.log")
    service.origin = f"http://127.0.0.1:{port}"
    return service


@pytest.fixture(scope="session")
def issuer(tmp_path_factory, redis_service):
    """One real issuer process for the whole run, reached over HTTP like a third-party provider.

    It counts failed logins in the tests' Redis, shared with the API as under `make run` (never a stray 6380).
    """
    with issuer_service(tmp_path_factory.mktemp("issuer"), REDIS_URL=redis_service.url) as service:
        yield service


@pytest.fixture
def start_issuer(tmp_path, redis_service, redis_db):
    """An issuer of this test's own (to rotate, stop, or configure), on the emptied tests' Redis; stopped after."""
    started = []

    def start(**env):
        started.append(issuer_service(tmp_path, **{"REDIS_URL": redis_service.url, **env}))
        return started[-1].start()

    yield start
    for service in started:
        service.stop()


@pytest.fixture(scope="module")
def lenient_api(redis_service, tmp_path_factory):
    """One real API process per module, with login limits out of the way of fuzzing (the limits have their own
    tests)."""
    port = procs.free_port()
    env = api_environment(port, redis_service.url, SECRET, lenient_limits=True)
    with procs.api(port, env, workers=1, log=tmp_path_factory.mktemp("api") / "api.log") as service:
        yield service


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """The local CA and server certificate `make run-https` would make."""
    return certs.ensure(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def https_stack(redis_service, tls, tmp_path_factory):
    """The API, the issuer and frontend A over TLS on free ports (A on localhost), served as `make run-https` serves
    them: the API and the issuer on unix sockets behind HAProxy, which terminates TLS."""
    api_port, a_port, issuer_port = procs.free_port(), procs.free_port(), procs.free_port()
    env = api_environment(
        api_port, redis_service.url, SECRET, scheme="https", TLS_CERT=str(tls.cert), TLS_KEY=str(tls.key),
        FRONTEND_A_ORIGIN=f"https://localhost:{a_port}", FRONTEND_B_ORIGIN="https://127.0.0.1:1",
        ISSUER_ORIGIN=f"https://127.0.0.1:{issuer_port}", ISSUER_CA_FILE=str(tls.ca),
    )
    logs = tmp_path_factory.mktemp("https")
    with contextlib.ExitStack() as stack:
        for service in [
            *load_balancer.fronted(procs.api, "api", api_port, env, logs / "front", workers=1, log=logs / "api.log"),
            *load_balancer.fronted(procs.issuer, "issuer", issuer_port, env, logs / "front", log=logs / "issuer.log"),
            procs.frontend("frontend_a", a_port, env, log=logs / "a.log"),
        ]:
            stack.enter_context(service)
        yield SimpleNamespace(api=env["API_ORIGIN"], a=env["FRONTEND_A_ORIGIN"], issuer=env["ISSUER_ORIGIN"],
                              api_port=api_port, a_port=a_port, issuer_port=issuer_port, ca=str(tls.ca))
