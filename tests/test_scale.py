"""`make bench`'s scale run, small: two API instances, every request alternating between them.

The notes: sessions are "stateful" and a "challenge to support multiple servers". With one shared
Redis they hold across both servers and a Redis restart; kept in each process, half the requests fail.
"""

from bench import scale
from bench.methods import METHODS

REDIS_BACKED = [m for m in METHODS if m.key == "session"]
SESSION = [m for m in METHODS if m.key == "session"]


def pair(*services):
    return [(service.host, service.port) for service in services]


def test_shared_redis_holds_across_two_servers_and_a_redis_restart(start_api, own_redis):
    servers = pair(start_api(REDIS_URL=own_redis.url), start_api(REDIS_URL=own_redis.url))
    result = scale.run(REDIS_BACKED, servers, users=2, per_method=100, restart=lambda: scale.restart_redis(own_redis))
    for m in REDIS_BACKED:
        assert result["methods"][m.key] == {
            "requests": 100, "ok": 100, "auth_failures": 0, "unavailable": 0, "other": 0, "auth_failure_rate": 0.0,
        }
    restart = result["redis_restart"]
    assert restart["keys_after"] == restart["keys_before"]
    assert restart["keys_before"]["session"] == 2


def test_in_process_sessions_fail_whenever_the_other_server_answers(start_api):
    servers = pair(start_api(SESSION_STORE="memory"), start_api(SESSION_STORE="memory"))  # one worker each
    result = scale.run(SESSION, servers, users=2, per_method=100)
    assert result["methods"]["session"]["auth_failures"] == 50  # every request to the server that did not log in
