"""kernel/stores/redis_client.py: on one Redis server each thread keeps one connection of the app's pool; Sentinel
and a cluster use the pool for every command (tests/system/ runs their failovers)."""

import threading

from kernel.stores import redis_client
from kernel.stores.redis_client import ClientPerThread, Topology
from tests.helpers import access_token, bearer


def client_in_a_new_thread(app):
    made = []

    def run():
        with app.app_context():
            made.append(redis_client.redis())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return made[0]


def test_a_thread_keeps_its_client_and_its_connection_of_the_apps_pool(app):
    with app.app_context():
        first, again = redis_client.redis(), redis_client.redis()
        assert first is again and first.ping()
    pool = redis_client.pooled(app).connection_pool
    assert first.connection_pool is pool and first.connection is not None
    other = client_in_a_new_thread(app)
    assert other is not first and other.connection is not first.connection and other.connection_pool is pool
    assert first.topology == other.topology == Topology.SINGLE


def test_another_topology_shares_the_pooled_client():
    pooled = type("Pooled", (), {"topology": Topology.SENTINEL})()
    assert ClientPerThread(pooled).get() is pooled


def test_a_restarted_redis_is_a_503_then_answers_again_on_the_same_thread(make_app, own_redis):
    client = make_app(REDIS_URL=own_redis.url).test_client()
    token = access_token(client, "token")
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 200
    own_redis.stop()
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 503
    own_redis.start()  # loads the append-only file: the token's record is back
    assert client.get("/api/token/me", headers=bearer(token)).status_code == 200
