"""bench/redis_count.py: Redis's own counters give a request's commands and round trips, not a new connection's."""

import redis

from bench import redis_count


def test_connections_opened_during_the_count_add_no_round_trips(redis_service, redis_db):
    """Two clients connect during the count (as a server thread does on its first request) and make three GETs:
    three commands and three round trips, the handshakes counted apart."""
    clients = [redis.Redis.from_url(redis_service.url) for _ in range(2)]

    def three_gets():
        clients[0].get("a")
        clients[1].get("b")
        clients[1].get("c")

    try:
        work = redis_count.counted(redis_service.url, 3, three_gets)
    finally:
        for client in clients:
            client.close()
    assert work["commands"] == 1.0 and work["round_trips"] == 1.0 and work["by_command"] == {"get": 1.0}
    assert work["handshake_commands"] >= 2  # AUTH at least, once per connection
