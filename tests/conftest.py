"""Fixtures: a real redis-server on a free port, the app on it, and small actions helpers."""

import pytest
import redis

from backend import create_app, store
from stack import procs, redis_server
from tests.helpers import Actions

SECRET = "test-secret-key-0123456789abcdef-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_service(tmp_path_factory):
    """One real redis-server for the whole run, over TCP on loopback."""
    with redis_server.server(procs.free_port(), tmp_path_factory.mktemp("redis")) as service:
        yield service


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, for tests that stop, kill or restart it."""
    with redis_server.server(procs.free_port(), tmp_path / "redis") as service:
        yield service


@pytest.fixture
def redis_db(redis_service):
    """A client on the shared server, emptied before the test."""
    client = redis.Redis.from_url(redis_service.url)
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
        store.redis(app).close()


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
def start_api(redis_service, redis_db, tmp_path):
    """Start real API processes (gunicorn) on free ports; every one is stopped after the test."""
    started = []

    def start(workers=1, **env):
        port = procs.free_port()
        env = {"SECRET_KEY": SECRET, "REDIS_URL": redis_service.url, "API_ORIGIN": f"http://localhost:{port}", **env}
        service = procs.api(port, env, workers=workers, log=tmp_path / f"api-{port}.log")
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


def issuer_service(tmp_path, **env):
    """The issuer (gunicorn) on a free loopback port; `.origin` is what its tokens' `iss` says."""
    port = procs.free_port()
    service = procs.issuer(port, {"ISSUER_ORIGIN": f"http://127.0.0.1:{port}", **env}, log=tmp_path / f"issuer-{port}.log")
    service.origin = f"http://127.0.0.1:{port}"
    return service


@pytest.fixture(scope="session")
def issuer(tmp_path_factory):
    """One real issuer process for the whole run, reached over HTTP like a third-party provider."""
    with issuer_service(tmp_path_factory.mktemp("issuer")) as service:
        yield service


@pytest.fixture
def start_issuer(tmp_path):
    """An issuer of this test's own (to rotate, stop, or configure); stopped after the test."""
    started = []

    def start(**env):
        started.append(issuer_service(tmp_path, **env))
        return started[-1].start()

    yield start
    for service in started:
        service.stop()
